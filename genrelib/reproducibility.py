"""Where the paper, the authors' code and genrelib differ, and small tools to measure it.

:data:`DIFFERENCES` lists each difference once (what the paper says, what the authors'
code did, what genrelib does by default). The functions measure what can be measured
without retraining: spectrogram shapes of two mel settings, where early stopping with
another patience would have stopped a finished run, and what a permuted label order does
to a confusion matrix; and whether two settings differ beyond the test set's noise, by an
exact paired test on the test tracks both settings classified.

Notebook: 10_reproducibility.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from genrelib.config import MelConfig
from genrelib.errors import ConfigError
from genrelib.training import EarlyStopping

DIFFERENCES = pd.DataFrame(
    [
        (
            "hop",
            "STFT hop length",
            "67 samples (3.0 ms)",
            "256 samples (11.6 ms)",
            "256 (smoke, cpu); 67 (full)",
        ),
        (
            "input",
            "network input",
            "log-mel spectrogram",
            "RGB spectrogram images 288x432, not normalised",
            "1-channel log-mel array, standardised per mel band",
        ),
        (
            "patience",
            "early-stopping patience",
            "10 epochs",
            "30 epochs",
            "profile's (10 on real data)",
        ),
        (
            "checkpoint",
            "reported checkpoint",
            "not stated",
            "last epoch",
            "lowest validation loss (checkpoint_policy='best')",
        ),
        (
            "double_softmax",
            "softmax before cross-entropy",
            "not stated",
            "softmax output fed to a loss that applies softmax again",
            "logits (double_softmax=False)",
        ),
        (
            "gru_readout",
            "GRU read-out",
            "last GRU layer",
            "final state of the first layer",
            "last layer (gru_readout='last')",
        ),
        (
            "resnet_pool",
            "ResNet pooling before the GRU",
            "a sequence over time",
            "global average pool: a sequence of length 1",
            "average over frequency only (faithful=False)",
        ),
        (
            "confusion_labels",
            "class names on the confusion matrices",
            "genre names",
            "names in another order than the label encoding",
            "GENRES order on both axes",
        ),
        (
            "parameters",
            "parameter counts",
            "372,048 / 3,914,064 / 58,144,138",
            "11,176,842 printed for the ResNet",
            "counted from the built models (GRU included)",
        ),
        (
            "table_v",
            "Table V",
            "rows Base (3), Transfer (3) and Transfer (10) repeat the same "
            "validation and test numbers",
            "-",
            "every cell computed from its own run",
        ),
    ],
    columns=["key", "difference", "paper", "authors_code", "genrelib_default"],
)
"""One row per difference between the paper, the authors' code and genrelib."""


def spectrogram_shapes(mels: Iterable[MelConfig], chunk_seconds: float) -> pd.DataFrame:
    """Shape and time resolution of one chunk's spectrogram under each mel setting.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    mels : iterable of MelConfig
        Mel settings to compare (e.g. hop 67 and hop 256).
    chunk_seconds : float
        Chunk length, in seconds.

    Returns
    -------
    pandas.DataFrame
        One row per setting: ``name``, ``hop_length`` (samples), ``frame_ms`` (time between
        frames, ms), ``n_mels``, ``n_frames``, ``values`` (n_mels x n_frames), ``megabytes``
        (float32 size of one chunk).
    """
    if chunk_seconds <= 0:
        raise ConfigError(f"chunk_seconds must be > 0, got {chunk_seconds}")
    rows = []
    for mel in mels:
        frames = mel.n_frames(int(round(chunk_seconds * mel.sample_rate)))
        rows.append(
            {
                "name": mel.name,
                "hop_length": mel.hop_length,
                "frame_ms": 1000 * mel.frame_seconds,
                "n_mels": mel.n_mels,
                "n_frames": frames,
                "values": mel.n_mels * frames,
                "megabytes": 4 * mel.n_mels * frames / 1e6,
            }
        )
    return pd.DataFrame(rows)


def stopping_points(
    history: pd.DataFrame, patience_values: Sequence[int], min_delta: float = 0.0
) -> pd.DataFrame:
    """Where early stopping with each patience would have stopped a run, from its history.

    The patience does not change what happens in an epoch (same seed, same shuffles), so a
    run trained with the largest patience contains every shorter run: replaying its
    validation losses through :class:`genrelib.training.EarlyStopping` gives the epoch a
    shorter patience stops at and the epoch its best checkpoint comes from.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    history : pandas.DataFrame
        ``history.csv`` of a run: ``epoch``, ``valid_loss``, ``valid_acc``.
    patience_values : sequence of int
        Patience values to replay (each >= 1).
    min_delta : float
        As in :class:`~genrelib.training.TrainConfig`.

    Returns
    -------
    pandas.DataFrame
        One row per patience: ``patience``, ``stop_epoch``, ``stopped_early`` (False when
        the history ended first: the run needed a larger ``max_epochs``), ``best_epoch``,
        ``best_valid_loss``, ``best_valid_acc`` (the best checkpoint's validation
        accuracy), ``last_valid_acc`` (the stop epoch's).
    """
    missing = [c for c in ("epoch", "valid_loss", "valid_acc") if c not in history.columns]
    if missing or history.empty:
        raise ConfigError(f"history needs rows and columns epoch, valid_loss, valid_acc {missing}")
    if any(int(p) < 1 for p in patience_values):
        raise ConfigError(f"patience values must be >= 1, got {list(patience_values)}")
    table = history.set_index("epoch")
    rows = []
    for patience in patience_values:
        stopper = EarlyStopping(int(patience), min_delta)
        stop = int(table.index[-1])
        for epoch, loss in table["valid_loss"].items():
            stopper.update(float(loss), int(epoch))
            if stopper.should_stop:
                stop = int(epoch)
                break
        rows.append(
            {
                "patience": int(patience),
                "stop_epoch": stop,
                "stopped_early": bool(stopper.should_stop),
                "best_epoch": stopper.best_epoch,
                "best_valid_loss": float(table.loc[stopper.best_epoch, "valid_loss"]),
                "best_valid_acc": float(table.loc[stopper.best_epoch, "valid_acc"]),
                "last_valid_acc": float(table.loc[stop, "valid_acc"]),
            }
        )
    return pd.DataFrame(rows)


def relabel_confusion(confusion: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The same confusion counts drawn with other class names on both axes.

    This is what a plot shows when its tick labels follow another class order than the
    label encoder: the counts do not move, so the diagonal still holds the correct
    predictions, but each row and column carries the wrong genre's name, and every
    per-genre reading (recall, "X is confused with Y") is attributed to another genre.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    confusion : pandas.DataFrame
        Square confusion matrix, rows true and columns predicted classes in one order
        (e.g. :func:`genrelib.evaluation.confusion_table`).
    names : sequence of str
        The names the plot uses, position by position (a permutation of the true names).

    Returns
    -------
    pandas.DataFrame
        Same values, index and columns renamed to ``names``.
    """
    if sorted(names) != sorted(confusion.index) or len(set(names)) != len(names):
        raise ConfigError("names must be a permutation of the confusion matrix's class names")
    values = np.asarray(confusion.to_numpy())
    return pd.DataFrame(
        values,
        index=pd.Index(list(names), name="true (as labelled)"),
        columns=pd.Index(list(names), name="predicted (as labelled)"),
    )


def recall_misattribution(confusion: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Each genre's recall as a confusion matrix shows it with ``names`` on its axes.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    confusion : pandas.DataFrame
        Square confusion matrix of counts with the right class names.
    names : sequence of str
        The names a plot puts on its rows, position by position.

    Returns
    -------
    pandas.DataFrame
        One row per genre (the right names' order): ``recall`` (%), ``as_labelled`` (the
        recall the relabelled matrix attributes to that genre, %) and ``points`` (their
        absolute difference).
    """
    counts = confusion.to_numpy()
    recall = 100 * counts.diagonal() / np.maximum(counts.sum(axis=1), 1)
    shown = pd.Series(recall, index=relabel_confusion(confusion, names).index)
    table = pd.DataFrame({"recall": recall}, index=confusion.index)
    table["as_labelled"] = shown.reindex(confusion.index).to_numpy()
    table["points"] = (table["as_labelled"] - table["recall"]).abs()
    return table


SIGNIFICANCE_LEVEL = 0.05
"""Level of the paired test under which the chapter says two settings differ."""


def track_outcomes(tracks: pd.DataFrame) -> pd.Series:
    """Whether each track was classified right, by the mean of its chunks' probabilities.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    tracks : pandas.DataFrame
        :func:`genrelib.evaluation.track_predictions` output (``Evaluation.tracks``):
        ``track_id``, ``label``, ``pred_mean``.

    Returns
    -------
    pandas.Series of bool
        Indexed by ``track_id``, shape (n_tracks,).
    """
    right = tracks["pred_mean"].to_numpy() == tracks["label"].to_numpy()
    return pd.Series(right, index=pd.Index(tracks["track_id"], name="track_id"), name="right")


def paired_test(right_a: pd.Series, right_b: pd.Series) -> dict:
    """Exact paired test (McNemar's) of two settings scored on the same test tracks.

    Tracks both settings classify right, or both wrong, say nothing about which is better;
    the test looks only at the *discordant* tracks, those exactly one setting classifies
    right. If the settings were equally good, each discordant track would go either way
    with probability 1/2, so the count one way is binomial: the two-sided exact p-value of
    that count is the chance of a split at least as lopsided. Pool several seeds by
    giving series indexed by (seed, track).

    Notebook: 10_reproducibility.

    Parameters
    ----------
    right_a, right_b : pandas.Series of bool
        Per test track, whether each setting classified it right; same index (any order).

    Returns
    -------
    dict
        ``n_tracks``, ``right_a``, ``right_b`` (counts), ``only_a``, ``only_b`` (tracks
        only that setting got right) and ``p_value`` (1.0 when no track is discordant).

    Raises
    ------
    ConfigError
        If the two series do not cover the same tracks.
    """
    if len(right_a) != len(right_b) or not right_a.index.sort_values().equals(
        right_b.index.sort_values()
    ):
        raise ConfigError("a paired test needs both settings scored on the same test tracks")
    a = right_a.astype(bool)
    b = right_b.astype(bool).reindex(a.index)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    discordant = only_a + only_b
    return {
        "n_tracks": len(a),
        "right_a": int(a.sum()),
        "right_b": int(b.sum()),
        "only_a": only_a,
        "only_b": only_b,
        "p_value": float(binomtest(only_a, discordant).pvalue) if discordant else 1.0,
    }


def paired_verdict(test: dict, level: float = SIGNIFICANCE_LEVEL) -> str:
    """The paired test's answer in words: ``"differ"`` or ``"cannot tell apart"``.

    Notebook: 10_reproducibility.
    """
    return "differ" if test["p_value"] < level else "cannot tell apart"


def fewest_discordant(level: float = SIGNIFICANCE_LEVEL) -> int:
    """Fewest discordant tracks, all going one way, that the paired test calls a difference.

    With ``d`` discordant tracks all one way the two-sided p-value is ``2 x 0.5**d``, so a
    run pair whose settings disagree on fewer tracks than this cannot show a difference,
    however they split.

    Notebook: 10_reproducibility.
    """
    d = 1
    while binomtest(d, d).pvalue >= level:
        d += 1
    return d

"""Metrics of a trained model at chunk and track level, with bootstrap confidence intervals.

A model classifies chunks; a track's genre is then read from its chunks in two ways:
the mean of their probabilities (``track_mean``) or a majority vote of their predicted
genres (``track_vote``, ties broken by the mean probability). Chunk-level metrics and
F1 come with a percentile bootstrap interval that resamples *tracks* (all chunks of a
drawn track come along), since chunks of one track are not independent. Track-level
accuracy and recall are proportions of independent tracks, so they get the exact
(Clopper-Pearson) binomial interval instead: on a test set of 10 tracks, a bootstrap of
10 correct out of 10 collapses to [100, 100], while the exact interval is [69, 100].

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
09_honest_evaluation.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from genrelib.config import GENRES
from genrelib.errors import ConfigError
from genrelib.models.crnn import fuse_for_inference
from genrelib.progress import tqdm
from genrelib.training.data import SpectrogramDataset, collate_chunks
from genrelib.training.device import fast_path

LEVELS: tuple[str, ...] = ("chunk", "track_mean", "track_vote")
"""Levels at which predictions are scored."""

METRICS: tuple[str, ...] = ("accuracy", "f1_micro", "f1_macro")
"""Scalar metrics of :func:`classification_metrics`."""


def predict_proba(
    model: nn.Module,
    spectrogram_set,
    batch_size: int = 64,
    device: str = "auto",
    progress: bool = True,
    precision: str = "auto",
) -> np.ndarray:
    """Class probabilities of every chunk of ``spectrogram_set``.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 08_external_songs.

    Parameters
    ----------
    model : nn.Module
        Maps ``(batch, 1, n_mels, n_frames)`` to scores; set to eval mode and moved to
        ``device``, its conv blocks fused into a copy first
        (:func:`~genrelib.models.crnn.fuse_for_inference`: the same probabilities to float
        rounding, 30-45 % less time for a CRNN). Softmax is applied unless the model
        already outputs probabilities (``outputs_probabilities``, e.g. ``double_softmax=True``).
    spectrogram_set : SpectrogramSet
        Chunks to classify.
    batch_size : int
        Chunks per forward pass.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    progress : bool
        Show a progress bar.
    precision : {"auto", "fp32", "bf16", "fp16"}
        The device's fast path (``"auto"``: bf16 autocast where the hardware has it, see
        :func:`genrelib.training.device.fast_path`) or ``"fp32"``.

    Returns
    -------
    np.ndarray, float32, shape (n_chunks, n_classes)
        Rows sum to 1.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    path = fast_path(device, precision).activate()
    model = path.prepare(fuse_for_inference(model))
    as_probabilities = bool(getattr(model, "outputs_probabilities", False))
    loader = DataLoader(
        SpectrogramDataset(spectrogram_set),
        batch_size=batch_size,
        shuffle=False,
        pin_memory=path.pin_memory,
        collate_fn=collate_chunks,
    )
    outputs = []
    with torch.inference_mode(), path.autocast():
        for inputs, _ in tqdm(loader, desc="predicting", disable=not progress, leave=False):
            scores = model(path.inputs(inputs)).float()
            outputs.append(
                (scores if as_probabilities else torch.softmax(scores, dim=1)).cpu().numpy()
            )
    return np.concatenate(outputs).astype(np.float32)


def track_predictions(chunks: pd.DataFrame, probabilities: np.ndarray) -> pd.DataFrame:
    """Aggregate chunk probabilities to one prediction per track, by mean and by majority vote.

    Notebook: 04_base_crnn, 07_split_length.

    Parameters
    ----------
    chunks : pd.DataFrame
        One row per chunk with ``track_id`` and ``label`` (``SpectrogramSet.chunks``).
    probabilities : np.ndarray, shape (n_chunks, n_classes)
        Output of :func:`predict_proba`, rows aligned with ``chunks``.

    Returns
    -------
    pd.DataFrame
        One row per track (first-appearance order): ``track_id``, ``label``, ``n_chunks``,
        ``pred_mean`` (argmax of the mean probability), ``pred_vote`` (most frequent chunk
        prediction, ties to the higher mean probability), ``confidence`` (the largest
        mean probability).
    """
    probabilities = np.asarray(probabilities)
    if len(chunks) != len(probabilities):
        raise ConfigError(f"{len(chunks)} chunks but {len(probabilities)} rows of probabilities")
    codes, track_ids = pd.factorize(chunks["track_id"])
    n_tracks, n_classes = len(track_ids), probabilities.shape[1]
    n_chunks = np.bincount(codes, minlength=n_tracks)
    sums = np.zeros((n_tracks, n_classes))
    np.add.at(sums, codes, probabilities)
    mean = sums / n_chunks[:, None]
    votes = np.zeros((n_tracks, n_classes))
    np.add.at(votes, (codes, probabilities.argmax(axis=1)), 1)
    labels = chunks["label"].to_numpy()
    first = np.unique(codes, return_index=True)[1]
    return pd.DataFrame(
        {
            "track_id": track_ids,
            "label": labels[first],
            "n_chunks": n_chunks,
            "pred_mean": mean.argmax(axis=1),
            "pred_vote": (votes + 0.5 * mean).argmax(axis=1),  # 0.5*mean < 1 only breaks ties
            "confidence": mean.max(axis=1),
        }
    )


def group_counts(
    y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-group true-positive, true and predicted counts of every class.

    Summing rows (or weighting them, as a bootstrap resample does) gives the counts of
    any set of groups, from which :func:`scores_from_counts` computes the metrics.

    Notebook: 04_base_crnn, 09_honest_evaluation (through :func:`bootstrap_ci` and
    :mod:`genrelib.protocols`).

    Parameters
    ----------
    y_true, y_pred : np.ndarray of int, shape (n,)
        True and predicted class indices, in ``[0, n_classes)``.
    groups : np.ndarray of int, shape (n,)
        Group index of each item (e.g. its track), in ``[0, n_groups)``.
    n_groups, n_classes : int
        Number of groups and of classes.

    Returns
    -------
    tp, true, pred : np.ndarray, float, shape (n_groups, n_classes)
        Items of each group that are correct, that are truly, and that are predicted each class.
    """
    tp = np.zeros((n_groups, n_classes))
    true = np.zeros((n_groups, n_classes))
    pred = np.zeros((n_groups, n_classes))
    np.add.at(true, (groups, y_true), 1)
    np.add.at(pred, (groups, y_pred), 1)
    hit = y_true == y_pred
    np.add.at(tp, (groups[hit], y_true[hit]), 1)
    return tp, true, pred


def scores_from_counts(tp: np.ndarray, true: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, micro and macro F1 and per-class recall from summed counts.

    Works on one set of counts or on a batch of bootstrap resamples at once.

    Notebook: 04_base_crnn, 09_honest_evaluation (through :func:`bootstrap_ci` and
    :mod:`genrelib.protocols`).

    Parameters
    ----------
    tp, true, pred : np.ndarray, shape (..., n_classes)
        Summed counts of :func:`group_counts` (true positives, true, predicted).

    Returns
    -------
    dict of str to np.ndarray
        ``accuracy``, ``f1_micro``, ``f1_macro``: shape (...); ``recall``: shape
        (..., n_classes), NaN for a class with no true item. The macro mean runs over
        the classes that occur (as true or predicted labels), as scikit-learn's does:
        a bootstrap resample of a small test set misses genres, and scoring those as
        F1 = 0 would drag its interval below the estimate.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = tp.sum(axis=-1) / true.sum(axis=-1)
        denominator = true + pred
        f1 = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), np.nan)
        recall = np.where(true > 0, tp / np.where(true > 0, true, 1), np.nan)
        f1_macro = np.nanmean(f1, axis=-1)
    return {
        "accuracy": accuracy,
        "f1_micro": accuracy,
        "f1_macro": f1_macro,
        "recall": recall,
    }


def check_bootstrap(n_boot: int, confidence: float) -> float:
    """Validate bootstrap parameters and return the tail of each side of the interval.

    Notebook: 04_base_crnn, 09_honest_evaluation (through :func:`bootstrap_ci` and
    :mod:`genrelib.protocols`).

    Parameters
    ----------
    n_boot : int
        Number of resamples (>= 1).
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    float
        Percent of the draws below the interval (and above it), e.g. 2.5 for 0.95.
    """
    if n_boot < 1 or not 0 < confidence < 1:
        raise ConfigError(f"need n_boot >= 1 and 0 < confidence < 1, got {n_boot}, {confidence}")
    return 100 * (1 - confidence) / 2


BINCOUNT_BLOCK = 65536
"""Counts :func:`bootstrap_weights` tallies at once: a block's counts (512 KB) stay in the
CPU cache, 5x faster than one tally of every draw for 5000 resamples of 1000 tracks."""


def bootstrap_weights(rng: np.random.Generator, n_draws: int, n_groups: int) -> np.ndarray:
    """How often each group is drawn in each bootstrap resample (groups drawn with replacement).

    ``weights @ counts`` then gives every resample's summed :func:`group_counts` at once.

    Notebook: 04_base_crnn, 09_honest_evaluation (through :func:`bootstrap_ci` and
    :mod:`genrelib.protocols`).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the draws.
    n_draws, n_groups : int
        Number of resamples, and of groups each resample draws.

    Returns
    -------
    np.ndarray of int, shape (n_draws, n_groups)
        Multiplicity of each group in each resample; every row sums to ``n_groups``.
    """
    draws = rng.integers(0, n_groups, size=(n_draws, n_groups))
    weights = np.empty((n_draws, n_groups), dtype=np.int64)
    rows = max(1, BINCOUNT_BLOCK // n_groups)
    for start in range(0, n_draws, rows):
        block = draws[start : start + rows]
        offsets = (np.arange(len(block))[:, None] * n_groups + block).ravel()
        weights[start : start + rows] = np.bincount(offsets, minlength=block.size).reshape(
            block.shape
        )
    return weights


def _check_labels(y_true, y_pred, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ConfigError(
            f"y_true and y_pred must be equal-length 1-D arrays, got {y_true.shape}, {y_pred.shape}"
        )
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes:
        raise ConfigError(f"labels must lie in [0, {n_classes})")
    return y_true, y_pred


def classification_metrics(y_true, y_pred, n_classes: int = len(GENRES)) -> dict[str, float]:
    """Accuracy, micro F1 and macro F1 (over all ``n_classes``; an absent class scores 0).

    Micro F1 equals accuracy for single-label classification; both are reported because
    the paper does. Matches ``sklearn.metrics.f1_score(..., labels=range(n_classes),
    zero_division=0)``.

    Notebook: 04_base_crnn, 09_honest_evaluation.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, n_classes)
    tp, true, pred = group_counts(y_true, y_pred, np.zeros_like(y_true), 1, n_classes)
    scores = scores_from_counts(tp[0], true[0], pred[0])
    return {name: float(scores[name]) for name in METRICS}


def per_class_recall(y_true, y_pred, class_names: tuple[str, ...] = GENRES) -> pd.Series:
    """Recall of every class (NaN for a class absent from ``y_true``), indexed by class name.

    Notebook: 04_base_crnn.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, len(class_names))
    tp, true, pred = group_counts(y_true, y_pred, np.zeros_like(y_true), 1, len(class_names))
    return pd.Series(
        scores_from_counts(tp[0], true[0], pred[0])["recall"],
        index=list(class_names),
        name="recall",
    )


def confusion_table(y_true, y_pred, class_names: tuple[str, ...] = GENRES) -> pd.DataFrame:
    """Confusion matrix of counts: rows are true genres, columns predicted genres.

    Notebook: 04_base_crnn.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, len(class_names))
    n = len(class_names)
    matrix = np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)
    return pd.DataFrame(
        matrix,
        index=pd.Index(list(class_names), name="true"),
        columns=pd.Index(list(class_names), name="predicted"),
    )


def bootstrap_ci(
    y_true,
    y_pred,
    groups=None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    class_names: tuple[str, ...] = GENRES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentile bootstrap intervals of the metrics, resampling groups (tracks) with replacement.

    Vectorised: each resample is a vector of group multiplicities, so all resamples'
    confusion counts come from one matrix product.

    Notebook: 04_base_crnn, 09_honest_evaluation.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        True and predicted class indices.
    groups : array-like, shape (n,), or None
        Resampling unit of each item (e.g. its track id); ``None``: every item alone.
    n_boot : int
        Number of resamples.
    confidence : float
        Coverage of the interval, in (0, 1).
    seed : int
        Seed of the resampling.
    class_names : tuple of str
        Names of the classes.

    Returns
    -------
    metrics : pd.DataFrame
        Index :data:`METRICS`; columns ``estimate`` (on the data), ``low``, ``high``.
    recall : pd.DataFrame
        Index class names; columns ``estimate``, ``low``, ``high`` (NaN if undefined; the
        interval is NaN too for a class whose items all lie in one group).
    """
    n_classes = len(class_names)
    y_true, y_pred = _check_labels(y_true, y_pred, n_classes)
    tail = check_bootstrap(n_boot, confidence)
    codes = np.arange(len(y_true)) if groups is None else pd.factorize(np.asarray(groups))[0]
    n_groups = int(codes.max()) + 1
    tp, true, pred = group_counts(y_true, y_pred, codes, n_groups, n_classes)
    weights = bootstrap_weights(np.random.default_rng(seed), n_boot, n_groups)
    resampled = scores_from_counts(weights @ tp, weights @ true, weights @ pred)
    point = scores_from_counts(tp.sum(axis=0), true.sum(axis=0), pred.sum(axis=0))
    metrics = pd.DataFrame(
        {
            "estimate": [float(point[m]) for m in METRICS],
            "low": [float(np.percentile(resampled[m], tail)) for m in METRICS],
            "high": [float(np.percentile(resampled[m], 100 - tail)) for m in METRICS],
        },
        index=pd.Index(METRICS, name="metric"),
    )
    with warnings.catch_warnings():  # a genre absent from every resample has no interval
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(resampled["recall"], [tail, 100 - tail], axis=0)
    # A genre whose items all come from one group (one test track) has the same recall in
    # every resample that contains it: the bootstrap cannot see its uncertainty, so it gets
    # no interval rather than a zero-width one.
    single = (true > 0).sum(axis=0) < 2
    low, high = np.where(single, np.nan, low), np.where(single, np.nan, high)
    recall = pd.DataFrame(
        {"estimate": point["recall"], "low": low, "high": high},
        index=pd.Index(list(class_names), name="genre"),
    )
    return metrics, recall


@dataclass
class Evaluation:
    """Everything :func:`evaluate` measures, as tidy tables.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Attributes
    ----------
    probabilities : np.ndarray, shape (n_chunks, n_classes)
        Chunk probabilities.
    chunks : pd.DataFrame
        The set's chunk table plus ``pred`` and ``confidence``.
    tracks : pd.DataFrame
        Output of :func:`track_predictions`.
    metrics : pd.DataFrame
        One row per (level, metric): ``level``, ``metric``, ``estimate``, ``low``, ``high``.
    recall : pd.DataFrame
        One row per (level, genre): ``level``, ``genre``, ``estimate``, ``low``, ``high``.
    confusion : dict of str to pd.DataFrame
        Confusion matrix of counts per level.
    """

    probabilities: np.ndarray
    chunks: pd.DataFrame
    tracks: pd.DataFrame
    metrics: pd.DataFrame
    recall: pd.DataFrame
    confusion: dict[str, pd.DataFrame]

    def summary(self) -> pd.DataFrame:
        """Estimates as a level x metric table (for a chapter's results cell)."""
        return self.metrics.pivot(index="level", columns="metric", values="estimate").loc[
            list(LEVELS)
        ]


def exact_interval(n_correct: int, n_total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion of ``n_correct`` out of ``n_total``.

    Notebook: 04_base_crnn, 07_split_length (track accuracy and recall).

    Returns
    -------
    (low, high) : tuple of float
        NaN for ``n_total == 0``.
    """
    from scipy.stats import binomtest  # 0.6 s to import: a chapter kernel pays it on first use

    if n_total == 0:
        return math.nan, math.nan
    ci = binomtest(int(n_correct), int(n_total)).proportion_ci(confidence, method="exact")
    return float(ci.low), float(ci.high)


def recall_intervals(
    y_true, y_pred, class_names: tuple[str, ...] = GENRES, confidence: float = 0.95
) -> pd.DataFrame:
    """Recall of every class with its exact (Clopper-Pearson) interval.

    Each class's recall is a proportion: its test items predicted as that class, out of its
    test items; the interval is :func:`exact_interval` of that count.

    Notebook: 03_baselines.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        Shape (n_items,): class indices into ``class_names``.
    class_names : tuple of str
        Names of the classes.
    confidence : float
        Coverage of the intervals, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per class: ``genre``, ``estimate``, ``low``, ``high`` (fractions; NaN for a
        class with no test item), ``n`` (its test items), the input of
        :func:`genrelib.plots.evaluation.plot_recall_with_ci`.
    """
    y_true, y_pred = _check_labels(y_true, y_pred, len(class_names))
    rows = []
    for index, name in enumerate(class_names):
        member = y_true == index
        correct, total = int((y_pred[member] == index).sum()), int(member.sum())
        low, high = exact_interval(correct, total, confidence)
        estimate = correct / total if total else math.nan
        rows.append({"genre": name, "estimate": estimate, "low": low, "high": high, "n": total})
    return pd.DataFrame(rows)


def _exact_track_intervals(
    metrics: pd.DataFrame, recall: pd.DataFrame, y_true, y_pred, confidence: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace the bootstrap intervals of track accuracy and per-genre recall by exact ones."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    metrics, recall = metrics.copy(), recall.copy()
    low, high = exact_interval(int((y_true == y_pred).sum()), len(y_true), confidence)
    for name in ("accuracy", "f1_micro"):  # equal with one label per track
        metrics.loc[name, ["low", "high"]] = low, high
    exact = recall_intervals(y_true, y_pred, tuple(recall.index), confidence).set_index("genre")
    tested = exact.index[exact["n"] > 0]  # a genre without test tracks keeps its interval
    recall.loc[tested, ["low", "high"]] = exact.loc[tested, ["low", "high"]].to_numpy()
    return metrics, recall


def evaluate_probabilities(
    chunks: pd.DataFrame,
    probabilities: np.ndarray,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    class_names: tuple[str, ...] = GENRES,
) -> Evaluation:
    """Score chunk probabilities at chunk and track level, with bootstrap intervals over tracks.

    Notebook: 04_base_crnn, 07_split_length, 09_honest_evaluation.

    Parameters
    ----------
    chunks : pd.DataFrame
        ``SpectrogramSet.chunks`` (needs ``track_id`` and ``label``).
    probabilities : np.ndarray, shape (n_chunks, n_classes)
        Chunk probabilities aligned with ``chunks``.
    n_boot, confidence, seed
        Bootstrap settings (see :func:`bootstrap_ci`).
    class_names : tuple of str
        Names of the classes.

    Returns
    -------
    Evaluation
    """
    tracks = track_predictions(chunks, probabilities)
    chunk_table = chunks.reset_index(drop=True).assign(
        pred=probabilities.argmax(axis=1), confidence=probabilities.max(axis=1)
    )
    cases = {
        "chunk": (chunk_table["label"], chunk_table["pred"], chunk_table["track_id"]),
        "track_mean": (tracks["label"], tracks["pred_mean"], None),
        "track_vote": (tracks["label"], tracks["pred_vote"], None),
    }
    metric_frames, recall_frames, confusion = [], [], {}
    for level, (y_true, y_pred, groups) in cases.items():
        metrics, recall = bootstrap_ci(
            y_true, y_pred, groups, n_boot, confidence, seed, class_names
        )
        if groups is None:  # one row per track: independent trials
            metrics, recall = _exact_track_intervals(metrics, recall, y_true, y_pred, confidence)
        metric_frames.append(metrics.reset_index().assign(level=level))
        recall_frames.append(recall.reset_index().assign(level=level))
        confusion[level] = confusion_table(y_true, y_pred, class_names)
    columns = ["level", "estimate", "low", "high"]
    return Evaluation(
        probabilities=probabilities,
        chunks=chunk_table,
        tracks=tracks,
        metrics=pd.concat(metric_frames, ignore_index=True)[["level", "metric", *columns[1:]]],
        recall=pd.concat(recall_frames, ignore_index=True)[["level", "genre", *columns[1:]]],
        confusion=confusion,
    )


def evaluate(
    model: nn.Module,
    spectrogram_set,
    batch_size: int = 64,
    device: str = "auto",
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: bool = True,
) -> Evaluation:
    """Predict every chunk of ``spectrogram_set`` and score it (see :func:`evaluate_probabilities`).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    probabilities = predict_proba(model, spectrogram_set, batch_size, device, progress)
    return evaluate_probabilities(spectrogram_set.chunks, probabilities, n_boot, confidence, seed)

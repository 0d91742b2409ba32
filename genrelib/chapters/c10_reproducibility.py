"""Chapter 10, reproducibility: every discrepancy between the paper and its code, measured.

Each comparison trains the base CRNN (or ResNet-18) with one setting changed, under the
same profile, tracks and seeds (:class:`Comparison`), and reads the mean test track
accuracy over the seeds (:func:`mean_score`).

Notebook: 10_reproducibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
import torch
from pandas.io.formats.style import Styler

from genrelib.chapters.context import ChapterContext, chapter_context, training_tracks
from genrelib.chapters.display import glue_values, rounded
from genrelib.config import MelConfig, Profile
from genrelib.evaluation import track_predictions
from genrelib.exercises import check, filled
from genrelib.experiments import (
    Experiment,
    evaluate_checkpoint,
    load_history,
    load_test_predictions,
    run_path,
    stored_test_evaluation,
)
from genrelib.models import build_model, parameter_comparison
from genrelib.models.registry import NETWORK_LABELS
from genrelib.plots.evaluation import plot_confusion_matrix
from genrelib.plots.reproducibility import plot_paired_scores
from genrelib.plots.training import plot_loss_comparison
from genrelib.progress import tqdm
from genrelib.reproducibility import (
    DIFFERENCES,
    fewest_discordant,
    paired_test,
    paired_verdict,
    recall_misattribution,
    relabel_confusion,
    spectrogram_shapes,
    stopping_points,
    track_outcomes,
)

__all__ = [
    "COMPARED",
    "COMPARISON_SEEDS",
    "CONCLUSIVE_SEEDS",
    "DIFFERENCES",
    "build_model",
    "chapter_context",
    "check",
    "Comparison",
    "comparison_experiments",
    "comparison_setup",
    "comparison_variants",
    "comparison_text",
    "comparisons_view",
    "differences_table",
    "evaluate_checkpoint",
    "fewest_discordant",
    "filled",
    "glue_values",
    "last_epoch_outcomes",
    "load_history",
    "load_test_predictions",
    "measured_effects",
    "MelConfig",
    "paired_comparisons",
    "paired_test",
    "parameter_comparison",
    "parameter_view",
    "patience_replay",
    "plot_confusion_matrix",
    "plot_loss_comparison",
    "plot_paired_scores",
    "recall_misattribution",
    "relabel_confusion",
    "resnet_gru_inputs",
    "rounded",
    "run_comparison",
    "run_path",
    "run_variants",
    "seed_scores",
    "spectrogram_shapes",
    "stopping_points",
    "stored_outcomes",
    "stored_test_evaluation",
    "track_outcomes",
]


@dataclass(frozen=True)
class Comparison:
    """What every comparison run of the chapter shares.

    Notebook: 10_reproducibility.

    Attributes
    ----------
    profile : Profile
        Run size (smoke: 1-s chunks of the first 3 s, 4 epochs of 32 chunks; else at
        least 40 epochs).
    tracks : pd.DataFrame
        The clips (smoke: three per genre), shape (n_tracks, >=5).
    patience_grid : tuple of int
        The two patiences compared (the paper's 10 and the code's 30; smoke: 1 and 3).
    seeds : list of int
        Seeds of every comparison.
    """

    profile: Profile
    tracks: pd.DataFrame
    patience_grid: tuple[int, int]
    seeds: list[int]

    @property
    def overrides(self) -> dict:
        """Training settings of every run: the longer patience, the profile's epochs."""
        return {"patience": max(self.patience_grid), "max_epochs": self.profile.max_epochs}

    def describe(self, ch: ChapterContext) -> str:
        """One sentence on the runs: clips, chunks, epochs, patience, split, seeds.

        Notebook: 10_reproducibility (output of the setup cell).
        """
        return (
            f"Profile **{ch.profile.name}**: {len(self.tracks)} {ch.kind} clips, "
            f"{self.profile.chunk_seconds:g}-s chunks, {self.profile.max_epochs} epochs of "
            + (
                f"at most {self.profile.max_train_chunks} chunks"
                if self.profile.max_train_chunks
                else "every training chunk"
            )
            + ", patience "
            f"{max(self.patience_grid)}, track-disjoint split, seeds {self.seeds}."
        )


COMPARISON_SEEDS: dict[str, int] = {"smoke": 2, "cpu": 1, "full": 3}
"""Seeds of every comparison per profile. ``cpu`` stores one seed's runs (40 epochs of a
ResNet-18 take hours on a laptop CPU), so its comparisons show the method and cannot carry
a conclusion (:data:`CONCLUSIVE_SEEDS`); ``smoke`` pools two seeds to exercise the pooling."""

CONCLUSIVE_SEEDS = 3
"""Fewest seeds a comparison of the chapter needs before the page reads it as a conclusion."""


def comparison_setup(ch: ChapterContext, n_seeds: int | None = None) -> Comparison:
    """The shared settings of the chapter's comparison runs.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context.
    n_seeds : int or None
        Seeds of every comparison (``None``: :data:`COMPARISON_SEEDS` of the profile).
    """
    if n_seeds is None:
        n_seeds = COMPARISON_SEEDS.get(ch.profile.name, 3)
    seeds = ch.seeds(n_seeds)
    if ch.smoke:  # 30 clips, first 3 s in 1-s chunks, 4 epochs of 32 chunks
        profile = ch.profile.with_overrides(
            track_seconds=3.0, chunk_seconds=1.0, max_epochs=4, max_train_chunks=32
        )
        return Comparison(profile, training_tracks(ch.tracks, ch.profile), (1, 3), seeds)
    profile = ch.profile.with_overrides(max_epochs=max(ch.profile.max_epochs, 40))
    return Comparison(profile, ch.tracks, (10, 30), seeds)


def comparison_variants(comparison: Comparison) -> dict[str, dict]:
    """Every comparison run of the chapter, as keywords of :func:`run_comparison`.

    ``reference`` keeps its ``last.pt`` (section 3 evaluates it); the others change one
    thing each: the hop, the loss, the GRU read-out or the ResNet-18 head.

    Notebook: 10_reproducibility (and ``genrelib book train``).

    Returns
    -------
    dict of str to dict
        Variant name -> keywords (``model``, ``mel``, ``keep``, model options).
    """
    mel = comparison.profile.mel
    return {
        "reference": {"keep": ("last.pt",)},
        "hop 67": {"mel": replace(mel, hop_length=67, name="hop 67")},
        "hop 256": {"mel": replace(mel, hop_length=256, name="hop 256")},
        "double softmax": {"double_softmax": True},
        "first GRU layer": {"gru_readout": "first_layer"},
        "ResNet-18 faithful": {"model": "resnet18", "faithful": True},
        "ResNet-18 sequence": {"model": "resnet18", "faithful": False},
    }


def run_comparison(
    ch: ChapterContext,
    comparison: Comparison,
    model: str = "base_crnn",
    mel: MelConfig | None = None,
    keep: tuple[str, ...] = (),
    **options,
) -> list[dict]:
    """Train (or read back) one comparison run per seed; return the result rows.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context.
    comparison : Comparison
        Profile, tracks and seeds shared by every comparison.
    model : str
        Model name (``base_crnn`` or ``resnet18``).
    mel : MelConfig or None
        Spectrogram settings (``None``: the comparison profile's).
    keep : tuple of str
        Checkpoints the chapter reads afterwards (``("last.pt",)`` for the reference).
    **options
        Model options, e.g. ``double_softmax=True``.

    Returns
    -------
    list of dict
        One result row per seed.
    """
    return [
        ch.run(
            experiment,
            comparison.tracks,
            comparison.profile,
            keep,
            progress=False,
            train_overrides=comparison.overrides,
        )
        for experiment in comparison_experiments(comparison, model, mel, **options)
    ]


def comparison_experiments(
    comparison: Comparison, model: str = "base_crnn", mel: MelConfig | None = None, **options
) -> list[Experiment]:
    """The experiments of one comparison, one per seed (track-disjoint split).

    Notebook: 10_reproducibility (through :func:`run_comparison`; and ``genrelib book train``).
    """
    profile = comparison.profile
    return [
        Experiment(
            model, profile.chunk_seconds, "track", seed, tuple(options.items()), mel or profile.mel
        )
        for seed in comparison.seeds
    ]


COMPARED: tuple[tuple[str, str, str], ...] = (
    ("hop", "hop 67", "hop 256"),
    ("checkpoint", "last epoch", "best checkpoint"),
    ("double_softmax", "double softmax", "reference"),
    ("gru_readout", "first GRU layer", "reference"),
    ("resnet_pool", "ResNet-18 faithful", "ResNet-18 sequence"),
)
"""The chapter's trained comparisons: difference key, the setting tried, the one it is
compared with (runs of :func:`comparison_variants`, plus the reference run's two
checkpoints)."""


def run_variants(ch: ChapterContext, comparison: Comparison) -> dict[str, list[dict]]:
    """Train (or read back) every variant of :func:`comparison_variants` on every seed.

    Notebook: 10_reproducibility.

    Returns
    -------
    dict of str to list of dict
        Variant name -> one result row per seed.
    """
    variants = comparison_variants(comparison)
    return {
        name: run_comparison(ch, comparison, **keywords)
        for name, keywords in tqdm(variants.items(), desc="comparison runs", unit="variant")
    }


def seed_scores(runs: dict[str, list[dict]]) -> pd.DataFrame:
    """Test track accuracy and training length of every variant on every seed.

    Notebook: 10_reproducibility.

    Returns
    -------
    pandas.DataFrame
        One row per (variant, seed): ``variant``, ``seed``, ``accuracy`` (%),
        ``n_test_tracks``, ``epochs_run``, ``best_epoch``, ``seconds_per_epoch``,
        ``train_seconds``, ``device`` and ``run_dir`` (the reference and "hop 256" share
        one run).
    """
    return pd.DataFrame(
        [
            {
                "variant": name,
                "seed": int(row["seed"]),
                "accuracy": 100 * row["test_track_accuracy"],
                "n_test_tracks": int(row["n_test_tracks"]),
                "epochs_run": int(row["epochs_run"]),
                "best_epoch": int(row["best_epoch"]),
                "seconds_per_epoch": row["seconds_per_epoch"],
                "train_seconds": row["train_seconds"],
                "device": row["device"],
                "run_dir": row["run_dir"],
            }
            for name, rows in runs.items()
            for row in rows
        ]
    )


def stored_outcomes(ch: ChapterContext, rows: list[dict]) -> pd.Series:
    """Whether each test track was classified right, per seed, from the runs' stored predictions.

    Notebook: 10_reproducibility.

    Returns
    -------
    pandas.Series of bool
        Indexed by (``seed``, ``track_id``).
    """
    outcomes = {}
    for row in rows:
        chunks, probabilities = load_test_predictions(run_path(ch.results, row))
        outcomes[int(row["seed"])] = track_outcomes(track_predictions(chunks, probabilities))
    return pd.concat(outcomes, names=["seed"])


def last_epoch_outcomes(
    ch: ChapterContext, comparison: Comparison, rows: list[dict], device: str = "auto"
) -> pd.Series:
    """Like :func:`stored_outcomes`, for the *last* epoch's checkpoint of each run.

    The runs must keep ``last.pt`` (the reference variant does).

    Notebook: 10_reproducibility.
    """
    outcomes = {}
    for row in rows:
        checkpoint = run_path(ch.results, row) / "last.pt"
        evaluation = evaluate_checkpoint(
            checkpoint, comparison.tracks, progress=False, device=device, n_boot=1
        )
        outcomes[int(row["seed"])] = track_outcomes(evaluation.tracks)
    return pd.concat(outcomes, names=["seed"])


def paired_comparisons(
    outcomes: dict[str, pd.Series], compared: Sequence[tuple[str, str, str]] = COMPARED
) -> pd.DataFrame:
    """Every comparison of the chapter: accuracies over seeds and the paired test, pooled.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    outcomes : dict of str to pandas.Series
        Setting name -> per (seed, test track) whether it was classified right
        (:func:`stored_outcomes`, :func:`last_epoch_outcomes`).
    compared : sequence of (str, str, str)
        Difference key, setting tried, setting compared with (:data:`COMPARED`).

    Returns
    -------
    pandas.DataFrame
        One row per comparison: ``difference``, ``tried``, ``against``, ``n_seeds``,
        ``tried_accuracy`` and ``against_accuracy`` (% of test tracks, mean over seeds),
        ``seeds_higher`` and ``seeds_lower`` (seeds on which the tried setting scored
        above / below), the :func:`~genrelib.reproducibility.paired_test` counts
        (``a`` is the tried setting), ``p_value`` and ``verdict``.
    """
    rows = []
    for key, tried, against in compared:
        right_tried, right_against = outcomes[tried], outcomes[against]
        by_seed = pd.DataFrame(
            {
                "tried": right_tried.groupby(level="seed").mean(),
                "against": right_against.groupby(level="seed").mean(),
            }
        )
        test = paired_test(right_tried, right_against)
        rows.append(
            {
                "difference": key,
                "tried": tried,
                "against": against,
                "n_seeds": len(by_seed),
                "tried_accuracy": 100 * by_seed["tried"].mean(),
                "against_accuracy": 100 * by_seed["against"].mean(),
                "seeds_higher": int((by_seed["tried"] > by_seed["against"]).sum()),
                "seeds_lower": int((by_seed["tried"] < by_seed["against"]).sum()),
                **test,
                "verdict": paired_verdict(test),
            }
        )
    return pd.DataFrame(rows)


def comparisons_view(table: pd.DataFrame) -> Styler:
    """The paired comparisons as the page shows them.

    Notebook: 10_reproducibility.
    """
    view = pd.DataFrame(
        {
            "tried": table["tried"],
            "against": table["against"],
            "seeds": table["n_seeds"],
            "tried (%)": table["tried_accuracy"],
            "against (%)": table["against_accuracy"],
            "seeds higher / lower": [
                f"{h} / {lo}"
                for h, lo in zip(table["seeds_higher"], table["seeds_lower"], strict=True)
            ],
            "tracks only tried / only against right": [
                f"{a} / {b} of {n}"
                for a, b, n in zip(table["only_a"], table["only_b"], table["n_tracks"], strict=True)
            ],
            "p (exact paired)": table["p_value"],
            "verdict": table["verdict"],
        }
    )
    return rounded(view, {"tried (%)": 1, "against (%)": 1, "p (exact paired)": 2}, hide_index=True)


def patience_replay(
    ch: ChapterContext, runs: dict[str, list[dict]], patience_grid: tuple[int, int]
) -> pd.DataFrame:
    """Where each patience would have stopped every run of the chapter, and which epoch it keeps.

    Each run trained with the larger patience; :func:`stopping_points` replays its
    validation losses under both. Runs that are the same run folder (the reference and
    the hop-256 variant) appear once.

    Notebook: 10_reproducibility.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``variant``, ``seed``, ``epochs_run``, then ``stop_<p>`` and
        ``best_<p>`` per patience, and ``same_checkpoint`` (both patiences keep the same
        epoch's checkpoint).
    """
    short, long = patience_grid
    rows, seen = [], set()
    for name, variant_rows in runs.items():
        for row in variant_rows:
            run_dir = run_path(ch.results, row)
            if run_dir in seen:
                continue
            seen.add(run_dir)
            points = stopping_points(load_history(run_dir), patience_grid).set_index("patience")
            rows.append(
                {
                    "variant": name,
                    "seed": int(row["seed"]),
                    "epochs_run": int(row["epochs_run"]),
                    f"stop_{short}": int(points.loc[short, "stop_epoch"]),
                    f"best_{short}": int(points.loc[short, "best_epoch"]),
                    f"stop_{long}": int(points.loc[long, "stop_epoch"]),
                    f"best_{long}": int(points.loc[long, "best_epoch"]),
                    "same_checkpoint": bool(
                        points.loc[short, "best_epoch"] == points.loc[long, "best_epoch"]
                    ),
                }
            )
    return pd.DataFrame(rows)


def comparison_text(row: pd.Series) -> str:
    """One comparison of :func:`paired_comparisons` in words: accuracies, seeds, the test.

    Notebook: 10_reproducibility (each section's result, and the summary table).
    """
    seeds = f"mean over {row['n_seeds']} seeds" if row["n_seeds"] > 1 else "one seed"
    return (
        f"{row['tried']} {row['tried_accuracy']:.1f} % against {row['against']} "
        f"{row['against_accuracy']:.1f} % ({seeds}); discordant test tracks {row['only_a']} "
        f"for the first, {row['only_b']} for the second, p = {row['p_value']:.2f}: "
        f"{row['verdict']}"
    )


def measured_effects(
    paired: pd.DataFrame,
    patience: pd.DataFrame,
    patience_grid: tuple[int, int],
    hop_time_ratio: float,
    misattributed_points: float,
    counts: pd.DataFrame,
) -> dict[str, str]:
    """What the chapter measured for each difference, one phrase each, for the summary table.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    paired : pandas.DataFrame
        :func:`paired_comparisons`.
    patience : pandas.DataFrame
        :func:`patience_replay`.
    patience_grid : tuple of int
        The two patiences.
    hop_time_ratio : float
        Time per epoch at hop 67 over hop 256.
    misattributed_points : float
        Largest per-genre recall misattributed by shifted names (points).
    counts : pandas.DataFrame
        :func:`~genrelib.models.parameter_comparison`.

    Returns
    -------
    dict of str to str
        Difference key (:data:`DIFFERENCES`) -> measured effect.
    """
    effects = {row["difference"]: comparison_text(row) for _, row in paired.iterrows()}
    effects["hop"] += f"; {hop_time_ratio:.1f}x time per epoch"
    short, long = patience_grid
    same = int(patience["same_checkpoint"].sum())
    early = int((patience[f"stop_{short}"] < patience["epochs_run"]).sum())
    effects["patience"] = (
        f"patience {short} stops before the {int(patience['epochs_run'].max())}-epoch budget in "
        f"{early} of {len(patience)} runs; both patiences keep the same checkpoint in {same} of "
        f"{len(patience)}"
    )
    effects["input"] = "not trained (see section)"
    effects["confusion_labels"] = (
        f"accuracy unchanged; per-genre recall misattributed by up to {misattributed_points:.0f} "
        "points"
    )
    effects["parameters"] = "; ".join(
        f"{name}: paper {int(r.paper):,}, ours {int(r.ours):,}, "
        f"paper minus authors' build without GRU {int(r.paper_minus_without_gru):,}"
        for name, r in counts.iterrows()
    )
    effects["table_v"] = "the paper's table (no numbers of ours)"
    return effects


def resnet_gru_inputs(profile: Profile) -> dict[bool, tuple[int, ...]]:
    """Shape of what the ResNet-18's GRU reads from one chunk, per head (``faithful``).

    The faithful head keeps the global average pool (a sequence of one step); the sequence
    head averages over frequency only.

    Notebook: 10_reproducibility.

    Returns
    -------
    dict of bool to tuple of int
        ``{True: (1, steps, 512), False: (1, steps, 512)}``.
    """
    frames = profile.mel.n_frames(profile.chunk_config().chunk_samples)
    shapes = {}
    for faithful in (True, False):
        model = build_model("resnet18", n_mels=profile.mel.n_mels, faithful=faithful).eval()
        seen = {}
        hook = model.head.gru.register_forward_hook(
            lambda _module, inputs, _output, seen=seen: seen.update(shape=inputs[0].shape)
        )
        with torch.no_grad():
            model(torch.zeros(1, 1, profile.mel.n_mels, frames))
        hook.remove()
        shapes[faithful] = tuple(seen["shape"])
    return shapes


PARAMETER_HEADERS = {
    "paper": "paper",
    "authors_printed": "authors' notebook printed",
    "ours": "genrelib",
    "ours_trainable": "genrelib, trainable",
    "ours_gru": "genrelib's GRU",
    "authors_code": "authors' code",
    "authors_code_gru": "authors' GRU",
    "authors_code_without_gru": "authors' code without GRU",
    "paper_minus_without_gru": "paper minus authors' code without GRU",
}
"""Headers of the parameter-count table as the page shows it."""


def parameter_view(counts: pd.DataFrame) -> Styler:
    """:func:`~genrelib.models.parameter_comparison` with readable headers and network names.

    Notebook: 10_reproducibility.
    """
    view = counts.rename(columns=PARAMETER_HEADERS, index=NETWORK_LABELS)
    return rounded(view[list(PARAMETER_HEADERS.values())])


SUMMARY_HEADERS = {
    "difference": "difference",
    "paper": "paper",
    "authors_code": "authors' code",
    "genrelib_default": "genrelib default",
    "measured_effect": "measured here",
    "data": "data",
}
"""Headers of the chapter's summary table (column -> what the page shows)."""

UNTRAINED_DIFFERENCES = ("parameters", "table_v", "input")
"""Differences the chapter describes or counts without training on the data."""


def differences_table(
    measured: dict[str, str] | None = None, data_note: str | None = None
) -> Styler:
    """Every difference, and with ``measured`` what the chapter measured for each.

    Notebook: 10_reproducibility (at its start without measurements, at its end with them).

    Parameters
    ----------
    measured : dict of str to str or None
        Measured effect per difference key (:data:`DIFFERENCES`'s ``key``,
        :func:`measured_effects`); ``None``: the three sources only.
    data_note : str or None
        The data the trained comparisons ran on, e.g. ``"cpu, 100 real clips"``.
    """
    if measured is None:
        columns = [c for c in SUMMARY_HEADERS if c not in ("measured_effect", "data")]
        return DIFFERENCES[columns].rename(columns=SUMMARY_HEADERS).style.hide(axis="index")
    summary = DIFFERENCES.assign(
        measured_effect=DIFFERENCES["key"].map(measured),
        data=[
            "-" if key in UNTRAINED_DIFFERENCES else (data_note or "-")
            for key in DIFFERENCES["key"]
        ],
    )[list(SUMMARY_HEADERS)].rename(columns=SUMMARY_HEADERS)
    return summary.style.hide(axis="index")

"""Chapter 10, reproducibility: every discrepancy between the paper and its code, measured.

Each comparison trains the base CRNN (or ResNet-18) with one setting changed, under the
same profile, tracks and seeds (:class:`Comparison`), and reads the mean test track
accuracy over the seeds (:func:`mean_score`).

Notebook: 10_reproducibility.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import torch
from pandas.io.formats.style import Styler

from genrelib.chapters.context import ChapterContext, chapter_context, training_tracks
from genrelib.chapters.display import rounded
from genrelib.config import MelConfig, Profile
from genrelib.evaluation import exact_interval
from genrelib.experiments import (
    Experiment,
    evaluate_checkpoint,
    load_history,
    run_path,
    stored_test_evaluation,
)
from genrelib.models import build_model, parameter_comparison
from genrelib.plots.evaluation import plot_confusion_matrix
from genrelib.plots.training import plot_loss_comparison
from genrelib.reproducibility import (
    DIFFERENCES,
    relabel_confusion,
    spectrogram_shapes,
    stopping_points,
)

__all__ = [
    "Comparison",
    "DIFFERENCES",
    "MelConfig",
    "build_model",
    "chapter_context",
    "comparison_experiments",
    "comparison_setup",
    "comparison_variants",
    "differences_table",
    "evaluate_checkpoint",
    "load_history",
    "mean_score",
    "parameter_comparison",
    "plot_confusion_matrix",
    "plot_loss_comparison",
    "relabel_confusion",
    "resnet_gru_inputs",
    "rounded",
    "run_comparison",
    "run_path",
    "spectrogram_shapes",
    "stopping_points",
    "stored_test_evaluation",
    "versus_text",
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
            f"{self.profile.chunk_seconds:g}-s chunks, {self.profile.max_epochs} epochs of at "
            f"most {self.profile.max_train_chunks or 'all'} chunks, patience "
            f"{max(self.patience_grid)}, track-disjoint split, seeds {self.seeds}."
        )


def comparison_setup(ch: ChapterContext, n_seeds: int = 1) -> Comparison:
    """The shared settings of the chapter's comparison runs.

    Notebook: 10_reproducibility.
    """
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


def mean_score(rows: list[dict], key: str = "test_track_accuracy") -> float:
    """Mean over seeds of a result field, in percent.

    Notebook: 10_reproducibility.
    """
    return 100 * sum(row[key] for row in rows) / len(rows)


def versus_text(rows: list[dict], other: list[dict]) -> str:
    """Whether two comparison runs differ beyond the test set's noise, in words.

    Counts the correct test tracks of each side (pooled over seeds) and compares their
    exact binomial 95 % intervals: with 10 test tracks one track is 10 points, so most
    single-run differences here are within noise, and the page must say so.

    Notebook: 10_reproducibility.
    """
    sides = []
    for group in (rows, other):
        total = sum(int(row["n_test_tracks"]) for row in group)
        correct = sum(round(row["test_track_accuracy"] * row["n_test_tracks"]) for row in group)
        sides.append((correct, total, *exact_interval(correct, total)))
    (k1, n1, lo1, hi1), (k2, n2, lo2, hi2) = sides
    overlap = lo1 <= hi2 and lo2 <= hi1
    verdict = (
        "they overlap, so these runs cannot tell the two apart"
        if overlap
        else "they do not overlap: the difference is larger than the test set's noise"
    )
    return (
        f"{k1} of {n1} vs {k2} of {n2} test tracks right; exact 95 % intervals "
        f"[{100 * lo1:.0f}, {100 * hi1:.0f}] and [{100 * lo2:.0f}, {100 * hi2:.0f}]: {verdict}"
    )


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


def differences_table(measured: dict[str, str], data_note: str) -> Styler:
    """Every difference with what the chapter measured, as the summary at its top shows it.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    measured : dict of str to str
        Measured effect per difference key (:data:`DIFFERENCES`'s ``key``).
    data_note : str
        The data the trained comparisons ran on, e.g. ``"cpu, 100 real clips"``.
    """
    summary = DIFFERENCES.assign(
        measured_effect=DIFFERENCES["key"].map(measured),
        data=["-" if key in UNTRAINED_DIFFERENCES else data_note for key in DIFFERENCES["key"]],
    )[list(SUMMARY_HEADERS)].rename(columns=SUMMARY_HEADERS)
    return summary.style.hide(axis="index")

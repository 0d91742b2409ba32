"""Chapter 10, reproducibility: every discrepancy between the paper and its code, measured.

Each comparison trains the base CRNN (or ResNet-18) with one setting changed, under the
same profile, tracks and seeds (:class:`Comparison`), and reads the mean test track
accuracy over the seeds (:func:`mean_score`).

Notebook: 10_reproducibility.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from genrelib.chapters.context import ChapterContext, chapter_context, training_tracks
from genrelib.chapters.display import rounded
from genrelib.config import MelConfig, Profile
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
    "evaluate_checkpoint",
    "load_history",
    "mean_score",
    "parameter_comparison",
    "plot_confusion_matrix",
    "plot_loss_comparison",
    "relabel_confusion",
    "rounded",
    "run_comparison",
    "run_path",
    "spectrogram_shapes",
    "stopping_points",
    "stored_test_evaluation",
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

"""Chapter 06, ResNet-18 transfer: the sequence head against the authors' pooled head.

Notebook: 06_resnet_transfer.
"""

from __future__ import annotations

from pathlib import Path

from genrelib.chapters.c04_base_crnn import (
    collect_results,
    load_history,
    plot_confusion_matrix,
    plot_recall_with_ci,
    plot_training_curves,
    real_runs_view,
    record_run_headlines,
    results_table,
    run_path,
    seed_runs,
    seed_text,
    stored_test_evaluation,
    training_banner,
)
from genrelib.chapters.context import ChapterContext, chapter_context
from genrelib.chapters.display import rounded
from genrelib.experiments import Experiment
from genrelib.models import build_model, layer_table, parameter_comparison

MODEL = "resnet18"
"""The model of this chapter."""

__all__ = [
    "MODEL",
    "build_model",
    "chapter_context",
    "collect_results",
    "layer_table",
    "load_history",
    "parameter_comparison",
    "plot_confusion_matrix",
    "plot_recall_with_ci",
    "plot_training_curves",
    "real_runs_view",
    "record_run_headlines",
    "resnet_heads",
    "results_table",
    "rounded",
    "run_path",
    "seed_runs",
    "seed_text",
    "stored_test_evaluation",
    "training_banner",
]


def resnet_heads(
    ch: ChapterContext,
    protocol: str,
    chunk_seconds: float | None = None,
    weights_path: str | Path | None = None,
) -> tuple[dict[str, Experiment], bool]:
    """The two ResNet-18 experiments of the chapter: ``sequence`` and ``faithful`` heads.

    ImageNet weights are used when a weights file is given or in the ``full`` profile;
    otherwise both heads start from random weights (no download in smoke or cpu runs).

    Notebook: 06_resnet_transfer.

    Returns
    -------
    heads : dict of str to Experiment
        ``{"sequence": ..., "faithful": ...}``.
    pretrained : bool
        Whether the backbone starts from ImageNet weights.
    """
    pretrained = weights_path is not None or ch.profile.name == "full"
    weights = {"weights_path": str(weights_path)} if weights_path is not None else {}
    heads = {
        head: ch.experiment(
            MODEL, protocol, chunk_seconds, pretrained=pretrained, faithful=faithful, **weights
        )
        for head, faithful in (("sequence", False), ("faithful", True))
    }
    return heads, pretrained

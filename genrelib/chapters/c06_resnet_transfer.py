"""Chapter 06, ResNet-18 transfer: its stages, frozen layers, two heads, and the CRNNs beside it.

Training, scoring and the seed comparisons are those of chapters 04 and 05
(:mod:`genrelib.chapters.c04_base_crnn`, :mod:`genrelib.chapters.c05_extended_crnn`).

Notebook: 06_resnet_transfer.
"""

from __future__ import annotations

from pathlib import Path

from genrelib.chapters.c04_base_crnn import (
    chapter_sets,
    record_run_headlines,
    seed_runs,
    training_banner,
)
from genrelib.chapters.c05_extended_crnn import history_by_model, paired_seeds, seed_summary
from genrelib.chapters.context import ChapterContext, chapter_context
from genrelib.chapters.display import glue_values, rounded
from genrelib.exercises import check, filled
from genrelib.experiments import Experiment
from genrelib.models import NETWORK_LABELS, block_table, build_model, count_parameters
from genrelib.models.resnet import FROZEN_CHILDREN
from genrelib.plots import plot_loss_comparison, plot_protocol_intervals

MODEL = "resnet18"
"""The model of this chapter."""

HEAD_LABELS: dict[str, str] = {
    "sequence": "ResNet-18, sequence head",
    "faithful": "ResNet-18, pooled head",
}
"""The two heads as tables and legends name them."""

__all__ = [
    "FROZEN_CHILDREN",
    "HEAD_LABELS",
    "MODEL",
    "NETWORK_LABELS",
    "block_table",
    "build_model",
    "chapter_context",
    "chapter_sets",
    "check",
    "count_parameters",
    "crnn_experiments",
    "filled",
    "glue_values",
    "history_by_model",
    "paired_seeds",
    "plot_loss_comparison",
    "plot_protocol_intervals",
    "record_run_headlines",
    "resnet_heads",
    "rounded",
    "seed_runs",
    "seed_summary",
    "training_banner",
    "weights_label",
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


def crnn_experiments(
    ch: ChapterContext, protocol: str, chunk_seconds: float | None = None
) -> dict[str, Experiment]:
    """The base and extended CRNN of chapters 04 and 05 on this split, by label; on return
    their runs of this chapter's seed are stored.

    Chapters 04 and 05 train them and this chapter reads them back; it trains them itself
    when it runs first (alone in JupyterLab, or beside those chapters with ``genrelib book
    run --jobs``, where it waits for a run another chapter is training).

    Notebook: 06_resnet_transfer.

    Returns
    -------
    dict of str to Experiment
        ``{"base CRNN": ..., "extended CRNN": ...}`` (:data:`NETWORK_LABELS`).
    """
    experiments = {
        NETWORK_LABELS[model]: ch.experiment(model, protocol, chunk_seconds)
        for model in ("base_crnn", "extended_crnn")
    }
    for experiment in experiments.values():
        ch.run(experiment)
    return experiments


def weights_label(pretrained: bool) -> str:
    """``"ImageNet weights"`` or ``"random weights"``: what every result of chapter 06 says.

    Notebook: 06_resnet_transfer.
    """
    return "ImageNet weights" if pretrained else "random weights"

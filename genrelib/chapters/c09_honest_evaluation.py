"""Chapter 09, honest evaluation: the same models under the four split protocols.

Notebook: 09_honest_evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from genrelib.baselines import MODEL_LABELS
from genrelib.chapters.context import ChapterContext, chapter_context
from genrelib.chapters.display import csv_download, glue_values, percent_interval
from genrelib.config import Profile
from genrelib.cross_validation import CV_PROTOCOLS, N_FOLDS, cross_validated_predictions
from genrelib.data import PROTOCOLS
from genrelib.errors import ConfigError
from genrelib.exercises import check, filled
from genrelib.experiments import Experiment
from genrelib.features import compute_features, read_feature_table
from genrelib.models import NETWORK_LABELS
from genrelib.plots.honest import (
    plot_gap_intervals,
    plot_protocol_intervals,
    plot_recall_by_protocol,
)
from genrelib.protocols import (
    DEFAULT_BASELINES,
    PUBLISHED_FAULT_FILTERED,
    baseline_predictions,
    experiment_predictions,
    protocol_gap,
    protocol_summary,
    recall_by_protocol,
    shared_cells,
)
from genrelib.summary import SEED_TRACK_BOOTSTRAP, record_headline

__all__ = [
    "CV_PROTOCOLS",
    "DEFAULT_BASELINES",
    "MODEL_LABELS",
    "N_FOLDS",
    "PROTOCOLS",
    "PROTOCOL_MIN_SEEDS",
    "PROTOCOL_MODELS",
    "PUBLISHED_FAULT_FILTERED",
    "SEED_TRACK_BOOTSTRAP",
    "baseline_predictions",
    "budget_text",
    "chapter_context",
    "check",
    "compute_features",
    "cross_validated_predictions",
    "csv_download",
    "deep_experiments",
    "deep_protocol_runs",
    "drop_table",
    "experiment_predictions",
    "filled",
    "glue_values",
    "percent_table",
    "plot_gap_intervals",
    "plot_protocol_intervals",
    "plot_recall_by_protocol",
    "protocol_gap",
    "protocol_summary",
    "read_feature_table",
    "recall_by_protocol",
    "record_headline",
    "shared_cells",
]


def percent_table(summary: pd.DataFrame, by: Sequence[str] = ("model", "protocol")) -> pd.DataFrame:
    """Readable version of :func:`protocol_summary`: ``estimate [low, high]`` in %.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`protocol_summary`.
    by : sequence of str
        Grouping columns, shown as the table's index (models by their readable names).

    Returns
    -------
    pandas.DataFrame
        Indexed by the ``by`` columns; columns ``accuracy (%)``, ``macro F1 (%)`` and
        ``test tracks``.
    """
    cells = summary[list(by)].copy()
    for metric, name in (("accuracy", "accuracy"), ("f1_macro", "macro F1")):
        cells[f"{name} (%)"] = [
            percent_interval(*bounds)
            for bounds in zip(
                summary[metric], summary[f"{metric}_low"], summary[f"{metric}_high"], strict=True
            )
        ]
    cells["test tracks"] = summary["n_test_tracks"].round(0).astype(int)
    if "model" in cells:
        cells["model"] = cells["model"].replace({**MODEL_LABELS, **NETWORK_LABELS})
    return cells.set_index(list(by))


def drop_table(drop: pd.DataFrame) -> pd.DataFrame:
    """The drop of each model from the random split, as the page shows it.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    drop : pandas.DataFrame
        Rows of :func:`genrelib.protocols.protocol_gap` for one protocol and one metric.

    Returns
    -------
    pandas.DataFrame
        Index: model labels. Columns ``random split (%)``, ``<protocol> split (%)`` and
        ``drop (points) [95 % interval]``; the drop is the difference of the two printed
        scores, its interval that of :func:`~genrelib.protocols.protocol_gap`.
    """
    protocol = drop["protocol"].iloc[0]
    random = (100 * drop["reference_value"]).round(1)
    honest = (100 * drop["value"]).round(1)
    return pd.DataFrame(
        {
            "random split (%)": random.map("{:.1f}".format).to_numpy(),
            f"{protocol} split (%)": honest.map("{:.1f}".format).to_numpy(),
            "drop (points) [95 % interval]": [
                f"{r - h:.1f} [{100 * low:.1f}, {100 * high:.1f}]"
                for r, h, low, high in zip(
                    random, honest, drop["gap_low"], drop["gap_high"], strict=True
                )
            ],
        },
        index=pd.Index(drop["model"].map(MODEL_LABELS).to_numpy(), name="model"),
    )


PROTOCOL_MODELS: tuple[str, ...] = ("base_crnn",)
"""Networks trained under every protocol by default (the notebook's ``deep_models``)."""
PROTOCOL_MIN_SEEDS = 3
"""Fewest seeds per protocol (the notebook's ``ch.seeds(n_seeds, at_least=...)``)."""


def deep_inputs(
    ch: ChapterContext, seeds: Sequence[int]
) -> tuple[Profile, pd.DataFrame, list[str], list[int]]:
    """Profile, tracks, protocols and seeds of the networks trained under each protocol.

    Smoke: 1-s chunks of the first 3 s of three clips per genre (each by another
    pseudo-artist), one epoch of 32 chunks, two seeds. Synthetic clips skip
    ``fault-filtered``: their ids only look like GTZAN's.

    Notebook: 09_honest_evaluation.

    Returns
    -------
    profile : Profile
    tracks : pd.DataFrame
    protocols : list of str
    seeds : list of int
    """
    protocols = list(PROTOCOLS if not ch.synthetic else PROTOCOLS[:3])
    if not ch.smoke:
        return ch.profile, ch.tracks, protocols, list(seeds)
    profile = ch.profile.with_overrides(
        track_seconds=3.0, chunk_seconds=1.0, max_epochs=1, max_train_chunks=32
    )
    tracks = ch.feature_tracks().reset_index(drop=True)
    return profile, tracks, protocols, list(seeds)[:2]


def deep_protocol_runs(
    ch: ChapterContext, models: Sequence[str], seeds: Sequence[int]
) -> tuple[list[dict], list[str], Profile, pd.DataFrame, list[int]]:
    """Train (or read back) every network under every protocol and seed of :func:`deep_inputs`.

    A protocol that leaves a set empty on these clips is skipped and said so.

    Notebook: 09_honest_evaluation.

    Returns
    -------
    rows : list of dict
        Result rows of the runs that trained.
    skipped : list of str
        One line per skipped run: protocol, seed and why.
    profile, tracks, seeds
        What the runs used (:func:`deep_inputs`).
    """
    profile, tracks, experiments, seeds = deep_experiments(ch, models, seeds)
    rows, skipped = [], []
    for experiment in experiments:
        try:
            rows.append(ch.run(experiment, tracks, profile, progress=False))
        except ConfigError as error:
            skipped.append(f"`{experiment.protocol}` (seed {experiment.seed}): {error}")
    return rows, skipped, profile, tracks, seeds


def deep_experiments(
    ch: ChapterContext, models: Sequence[str], seeds: Sequence[int]
) -> tuple[Profile, pd.DataFrame, list[Experiment], list[int]]:
    """Every network, protocol and seed of :func:`deep_inputs`, as experiments.

    Notebook: 09_honest_evaluation (and ``genrelib book train``).

    Returns
    -------
    profile : Profile
    tracks : pd.DataFrame
    experiments : list of Experiment
        Models outer, then protocols, then seeds.
    seeds : list of int
    """
    profile, tracks, protocols, seeds = deep_inputs(ch, seeds)
    experiments = [
        Experiment.from_profile(profile, model, protocol, run_seed)
        for model in models
        for protocol in protocols
        for run_seed in seeds
    ]
    return profile, tracks, experiments, seeds


def budget_text(rows: Sequence[dict]) -> str:
    """The epoch budget of the networks' runs and how many early stopping ended.

    Notebook: 09_honest_evaluation.
    """
    if not rows:
        return "no run"
    budgets = sorted({int(row["max_epochs"]) for row in rows})
    stopped = sum(bool(row["stopped_early"]) for row in rows)
    return (
        f"at most {' or '.join(map(str, budgets))} epochs, early stopping ended {stopped} of "
        f"{len(rows)} runs"
    )

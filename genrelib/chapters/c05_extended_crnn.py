"""Chapter 05, the extended CRNN beside the base CRNN: parts, curves, and scores over seeds.

Training, scoring and the seed tables are chapter 04's (:mod:`genrelib.chapters.c04_base_crnn`);
this module adds what a comparison of the two networks needs.

Notebook: 05_extended_crnn.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from genrelib.chapters.c04_base_crnn import (
    chapter_context,
    record_run_headlines,
    rounded,
    run_path,
    seed_runs,
    training_banner,
)
from genrelib.chapters.display import glue_values
from genrelib.exercises import check, filled
from genrelib.experiments import load_history
from genrelib.models import (
    NETWORK_LABELS,
    block_table,
    build_model,
    count_parameters,
    receptive_field,
)
from genrelib.models.crnn import BASE_POOLS, EXTENDED_POOLS
from genrelib.plots import plot_loss_comparison, plot_protocol_intervals
from genrelib.protocols import experiment_predictions, protocol_summary

__all__ = [
    "BASE_POOLS",
    "EXTENDED_POOLS",
    "NETWORK_LABELS",
    "block_table",
    "build_model",
    "chapter_context",
    "check",
    "count_parameters",
    "filled",
    "glue_values",
    "history_by_model",
    "load_history",
    "paired_seeds",
    "plot_loss_comparison",
    "plot_protocol_intervals",
    "receptive_field",
    "record_run_headlines",
    "rounded",
    "run_path",
    "seed_runs",
    "seed_summary",
    "training_banner",
]


def history_by_model(results: Mapping[str, dict], results_root) -> pd.DataFrame:
    """The epoch histories of several runs, stacked, each under its label.

    Notebook: 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    results : mapping
        Label (``"base CRNN"``, ``"ResNet-18, pooled head"``...) -> the run's result row.
    results_root : str or Path
        The profile's results folder.

    Returns
    -------
    pd.DataFrame
        The rows of every ``history.csv`` with a ``variant`` column (the label), the input
        of :func:`genrelib.plots.plot_loss_comparison`.
    """
    return pd.concat(
        [
            load_history(run_path(results_root, row)).assign(variant=label)
            for label, row in results.items()
        ],
        ignore_index=True,
    )


def seed_summary(runs: Mapping[str, pd.DataFrame], results_root, seed: int = 0) -> pd.DataFrame:
    """Track accuracy of each network over its stored seeds, with two-level intervals.

    The intervals resample seeds, then test tracks within each seed
    (:func:`genrelib.protocols.protocol_summary`), as chapter 09 does for every protocol.

    Notebook: 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    runs : mapping
        Label (``"base CRNN"``...) -> the network's stored runs
        (:func:`~genrelib.chapters.c04_base_crnn.seed_runs`), all under one protocol.
    results_root : str or Path
        The profile's results folder.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pd.DataFrame
        :func:`~genrelib.protocols.protocol_summary` rows, ``model`` by label.
    """
    predictions = pd.concat(
        [
            experiment_predictions(table.to_dict("records"), results_root).assign(model=label)
            for label, table in runs.items()
        ],
        ignore_index=True,
    )
    return protocol_summary(predictions, seed=seed)


def paired_seeds(runs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Test track accuracy of two or more networks seed by seed, on the same test tracks.

    A seed fixes the split, so the runs of one seed are scored on the same test tracks and
    their difference is free of the luck of the split.

    Notebook: 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    runs : mapping
        Label -> the network's stored runs (:func:`~genrelib.chapters.c04_base_crnn.seed_runs`).

    Returns
    -------
    pd.DataFrame
        One row per seed stored for every network: ``seed``, then the test track accuracy
        (%, one decimal) under each label.
    """
    columns = {
        label: (100 * table.set_index("seed")["test_track_accuracy"]).round(1)
        for label, table in runs.items()
    }
    paired = pd.DataFrame(columns).dropna()
    paired.index = paired.index.astype(int)
    return paired.rename_axis("seed").reset_index()

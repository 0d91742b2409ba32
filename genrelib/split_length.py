"""The split-length trade-off (the paper's Table V): the table of a grid of models x chunk lengths.

The grid itself is chapter 07's (:func:`genrelib.chapters.c07_split_length.run_grid`).
Every cell of the grid is one :func:`genrelib.experiments.run_experiment` with the same
tracks, split protocol and seed, so the cells differ only in the model and the chunk
length. With a track-level protocol (the default, ``"track"``) every chunk length sees
the same train/valid/test tracks; under the paper's protocol (``"paper"``) chunks are
split at random, so chunks of one track land on both sides of the split.

Results are tidy: each run keeps its ``result.json``; :func:`table_v` turns the rows into
Table V's columns (train/validation/test F1, epochs before early stopping) plus the
track-level accuracy with its exact binomial interval, and :func:`write_table_v` saves them to
``table_v.csv``, which the chapter reads back.

Notebook: 07_split_length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binom

from genrelib.atomic import atomic_write
from genrelib.errors import ConfigError
from genrelib.experiments import collect_results
from genrelib.models.registry import NETWORK_LABELS

TABLE_V_FILE = "table_v.csv"
"""Name of the tidy Table V file in a profile's results folder."""

PAPER_BEST = {"model": "resnet18", "chunk_seconds": 1.0, "test_accuracy": 0.935}
"""The one Table V number used here: the paper's best deep result, ResNet-18 (transfer)
on 1-s chunks, 93.5 % test accuracy, under its random chunk split."""

TABLE_V_COLUMNS: tuple[str, ...] = (
    "model",
    "chunk_seconds",
    "protocol",
    "seed",
    "train_f1",
    "valid_f1",
    "test_f1",
    "test_f1_macro",
    "test_chunk_accuracy",
    "test_chunk_accuracy_low",
    "test_chunk_accuracy_high",
    "test_track_accuracy",
    "test_track_accuracy_low",
    "test_track_accuracy_high",
    "epochs_run",
    "best_epoch",
    "stopped_early",
    "max_epochs",
    "n_train_chunks",
    "n_train_tracks",
    "n_test_tracks",
    "chunks_per_epoch",
    "train_seconds",
    "seconds_per_epoch",
    "device",
    "data",
    "profile",
    "key",
)
"""Columns of :func:`table_v` (F1 is the chunk-level micro F1, as in chapters 04-06)."""


def table_v(rows: pd.DataFrame) -> pd.DataFrame:
    """Table V's columns from result rows (of :func:`run_grid` or ``collect_results``).

    Notebook: 07_split_length.

    Returns
    -------
    pd.DataFrame
        :data:`TABLE_V_COLUMNS`, sorted by model and decreasing chunk length. Scores are
        fractions in [0, 1]; ``chunks_per_epoch`` is what one epoch trains on
        (``min(n_train_chunks, max_train_chunks)``).
    """
    if rows.empty:
        return pd.DataFrame(columns=list(TABLE_V_COLUMNS))
    table = rows.rename(
        columns={
            "train_chunk_f1_micro": "train_f1",
            "valid_chunk_f1_micro": "valid_f1",
            "test_chunk_f1_micro": "test_f1",
            "test_chunk_f1_macro": "test_f1_macro",
        }
    ).copy()
    cap = table["max_train_chunks"].fillna(float("inf"))
    table["chunks_per_epoch"] = table["n_train_chunks"].where(table["n_train_chunks"] < cap, cap)
    table["chunks_per_epoch"] = table["chunks_per_epoch"].astype(int)
    table = table[list(TABLE_V_COLUMNS)]
    order = table.sort_values(["model", "chunk_seconds"], ascending=[True, False])
    return order.reset_index(drop=True)


def write_table_v(table: pd.DataFrame, results_root: str | Path) -> Path:
    """Write ``table`` to ``<results_root>/table_v.csv`` atomically; return the path.

    Notebook: 07_split_length.
    """
    return atomic_write(Path(results_root) / TABLE_V_FILE, table.to_csv(index=False))


def read_table_v(results_root: str | Path) -> pd.DataFrame:
    """Read ``<results_root>/table_v.csv`` back.

    Notebook: 07_split_length.

    Raises
    ------
    ConfigError
        If the file is missing (run the grid first).
    """
    path = Path(results_root) / TABLE_V_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; run the chapter 07 grid (run_grid) first")
    return pd.read_csv(path)


def grid_table(rows: pd.DataFrame, results_root: str | Path) -> pd.DataFrame:
    """The Table V rows of the grid just run, as stored on disk (``collect_results``).

    Reads every finished run under ``results_root`` and keeps those of ``rows`` (by run
    key), so the table comes from the tidy files, not from memory.

    Notebook: 07_split_length.
    """
    stored = collect_results(results_root)
    if stored.empty:
        return table_v(stored)
    return table_v(stored[stored["key"].isin(rows["key"])])


def cell_name(row: pd.Series) -> str:
    """A grid cell as prose names it: ``"base CRNN, 10-s chunks"``.

    Notebook: 07_split_length.
    """
    return f"{NETWORK_LABELS.get(row['model'], row['model'])}, {row['chunk_seconds']:g}-s chunks"


def capped_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The cells that the epoch cap ended, not early stopping: they were still improving.

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`table_v` rows.

    Returns
    -------
    pd.DataFrame
        The rows of ``table`` whose run did not stop early.
    """
    return table[~table["stopped_early"].astype(bool)]


def chosen_on_validation(table: pd.DataFrame) -> pd.Series:
    """The cell a practitioner would pick without looking at the test set.

    The highest validation F1 (chunk level, the only validation score every cell has); ties
    go to the first cell in table order (model, then decreasing chunk length).

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`table_v` rows.

    Returns
    -------
    pd.Series
        The chosen row; its test scores are then an honest estimate of that choice.
    """
    if table.empty:
        raise ConfigError("the Table V table is empty: run the chapter 07 grid first")
    return table.loc[table["valid_f1"].idxmax()]


def expected_best_of(accuracy: float, n_tracks: int, n_cells: int) -> float:
    """Expected highest test accuracy of ``n_cells`` equally good cells on ``n_tracks`` tracks.

    Each cell's number of correct test tracks is taken as an independent binomial draw
    with success probability ``accuracy``; the expectation of their maximum is
    ``sum_k P(max >= k) / n_tracks``, with ``P(max >= k) = 1 - F(k - 1) ** n_cells`` (F the
    binomial distribution function). It measures how far picking the best cell on the test
    set flatters it, with no real difference between the cells.

    Notebook: 07_split_length.

    Parameters
    ----------
    accuracy : float
        True accuracy of every cell, in [0, 1].
    n_tracks : int
        Test tracks each cell is scored on.
    n_cells : int
        Cells the best is picked from.

    Returns
    -------
    float
        The expected best test accuracy, in [accuracy, 1].
    """
    if not 0 <= accuracy <= 1 or n_tracks < 1 or n_cells < 1:
        raise ConfigError(
            f"expected_best_of needs accuracy in [0, 1] and positive counts, got "
            f"{accuracy}, {n_tracks}, {n_cells}"
        )
    below = binom.cdf(np.arange(n_tracks), n_tracks, accuracy)  # P(one cell < k), k = 1..n
    return float(np.sum(1 - below**n_cells) / n_tracks)

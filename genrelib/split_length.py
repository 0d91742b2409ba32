"""The split-length trade-off (the paper's Table V): the table of a grid of models x chunk lengths.

The grid itself is chapter 07's (:func:`genrelib.chapters.c07_split_length.run_grid`).
Every cell of the grid is one :func:`genrelib.experiments.run_experiment` with the same
tracks, split protocol and seed, so the cells differ only in the model and the chunk
length. With a track-level protocol (the default, ``"track"``) every chunk length sees
the same train/valid/test tracks; under the paper's protocol (``"paper"``) chunks are
split at random, so chunks of one track land on both sides of the split.

Results are tidy: each run keeps its ``result.json``; :func:`table_v` turns the rows into
Table V's columns (train/validation/test F1, epochs before early stopping) plus the
track-level accuracy with its bootstrap interval, and :func:`write_table_v` saves them to
``table_v.csv``, which the chapter reads back.

Notebook: 07_split_length.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genrelib.atomic import atomic_write
from genrelib.errors import ConfigError
from genrelib.experiments import collect_results

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

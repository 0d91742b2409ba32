"""Chapter 07, split length: the grid of models x chunk lengths behind the paper's Table V.

Notebook: 07_split_length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from genrelib.chapters.context import (
    ChapterContext,
    chapter_context,
    run_chapter_experiment,
    training_inputs,
)
from genrelib.chapters.display import glue_values
from genrelib.config import DEEP_MODELS, ChunkConfig, Profile
from genrelib.data import PROTOCOLS, assign_splits
from genrelib.errors import ConfigError
from genrelib.exercises import check, filled
from genrelib.experiments import Experiment
from genrelib.plots.split_length import (
    plot_accuracy_vs_length,
    plot_epochs_vs_length,
    plot_examples_vs_length,
    plot_training_time_vs_length,
)
from genrelib.progress import tqdm
from genrelib.split_length import (
    PAPER_BEST,
    capped_cells,
    cell_name,
    chosen_on_validation,
    expected_best_of,
    grid_table,
    read_table_v,
    write_table_v,
)
from genrelib.summary import EXACT_BINOMIAL, record_headline

CHAPTER = "07_split_length"

__all__ = [
    "ChunkConfig",
    "PAPER_BEST",
    "assign_splits",
    "capped_cells",
    "cell_name",
    "chapter_context",
    "check",
    "chosen_on_validation",
    "expected_best_of",
    "filled",
    "glue_values",
    "grid_banner",
    "grid_cells",
    "grid_settings",
    "grid_table",
    "plot_accuracy_vs_length",
    "plot_epochs_vs_length",
    "plot_examples_vs_length",
    "plot_training_time_vs_length",
    "read_table_v",
    "record_grid_headlines",
    "run_grid",
    "table_v_view",
    "write_table_v",
]


GRID_KEEP: tuple[str, ...] = ("best.pt",)
"""Checkpoints a grid cell keeps in smoke: the base CRNN cell of the profile's chunk length is
chapter 04's run, whose ``best.pt`` chapter 08 reads."""


def grid_settings(
    ch: ChapterContext,
    models: Sequence[str] | None = None,
    chunk_lengths: Sequence[float] | None = None,
) -> tuple[list[str], list[float]]:
    """The grid's models and chunk lengths: the parameters, else the profile's.

    Notebook: 07_split_length.
    """
    chosen = list(ch.profile.grid_models if models is None else models)
    lengths = ch.profile.chunk_grid if chunk_lengths is None else chunk_lengths
    return chosen, [float(c) for c in lengths]


def grid_banner(
    ch: ChapterContext, models: Sequence[str], chunk_lengths: Sequence[float], protocol: str
) -> Markdown:
    """Opening line of chapter 07: data, grid, protocol, seed, epochs and chunk cap.

    Notebook: 07_split_length.
    """
    profile = ch.profile
    cap = (
        f", {profile.max_train_chunks} training chunks per epoch"
        if profile.max_train_chunks
        else ""
    )
    return ch.banner(
        f"Grid: {', '.join(models)} x chunks of {', '.join(f'{c:g}' for c in chunk_lengths)} "
        f"s, protocol `{protocol}`, seed {ch.seed}. A cell trained here runs at most "
        f"{profile.max_epochs} epochs (patience {profile.patience}){cap}; a stored cell keeps "
        "the budget it was trained with (Table V's epochs column marks the cells that reached it)."
    )


def _check_grid(models: Sequence[str], chunk_lengths: Sequence[float], protocol: str) -> None:
    unknown = [m for m in models if m not in DEEP_MODELS]
    if unknown or not models:
        raise ConfigError(f"models must be a non-empty list from {DEEP_MODELS}, got {models!r}")
    if not chunk_lengths or any(not float(c) > 0 for c in chunk_lengths):
        raise ConfigError(f"chunk_lengths must be positive seconds, got {chunk_lengths!r}")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; choose one of {PROTOCOLS}")


def grid_cells(
    tracks: pd.DataFrame,
    profile: Profile,
    models: Sequence[str] | None = None,
    chunk_lengths: Sequence[float] | None = None,
    protocol: str = "track",
    seed: int = 0,
) -> list[tuple[Experiment, pd.DataFrame, Profile]]:
    """The grid's runs: one experiment, with its tracks and profile, per model and length.

    Each cell narrows the tracks and profile as every training chapter does
    (:func:`genrelib.chapters.context.training_inputs`; in smoke: a few tracks per genre
    and a few chunks per track).

    Notebook: 07_split_length (and ``genrelib book train``).

    Parameters
    ----------
    tracks : pd.DataFrame
        Track table (:func:`genrelib.data.index_gtzan`).
    profile : Profile
        Run size (epochs, patience, chunk cap, mel config).
    models : sequence of str or None
        Models of the grid (``None``: ``profile.grid_models``).
    chunk_lengths : sequence of float or None
        Chunk lengths, in seconds (``None``: ``profile.chunk_grid``).
    protocol : str
        Split protocol, the same for every cell.
    seed : int
        Seed of the split and the training, the same for every cell.

    Returns
    -------
    list of (Experiment, pd.DataFrame, Profile)
        In grid order: models outer, chunk lengths inner.
    """
    models = list(profile.grid_models if models is None else models)
    chunk_lengths = [
        float(c) for c in (profile.chunk_grid if chunk_lengths is None else chunk_lengths)
    ]
    _check_grid(models, chunk_lengths, protocol)
    cells = []
    for model in models:
        for seconds in chunk_lengths:
            cell_tracks, cell_profile = training_inputs(tracks, profile, seconds)
            experiment = Experiment.from_profile(cell_profile, model, protocol, seed, seconds)
            cells.append((experiment, cell_tracks, cell_profile))
    return cells


def run_grid(
    tracks: pd.DataFrame,
    profile: Profile,
    results_root: str | Path,
    models: Sequence[str] | None = None,
    chunk_lengths: Sequence[float] | None = None,
    protocol: str = "track",
    seed: int = 0,
    device: str = "auto",
    progress: bool = True,
    synthetic: bool = False,
) -> pd.DataFrame:
    """Train (or read back) every model on every chunk length; return the grid's result rows.

    The cells are :func:`grid_cells`; each calls :func:`genrelib.experiments.run_experiment`
    (through :func:`genrelib.chapters.context.run_chapter_experiment`: a smoke cell keeps
    only ``best.pt``, which chapter 08 reads of chapter 04's run). Finished cells are read
    back from their ``result.json`` without training.

    Notebook: 07_split_length.

    Parameters
    ----------
    tracks, profile, models, chunk_lengths, protocol, seed
        As :func:`grid_cells` (``protocol="paper"`` splits chunks as the paper did).
    results_root : str or Path
        The profile's results folder (runs go to ``runs/``).
    device : str
        Training device (not part of a run's key: a GPU run re-renders on a CPU).
    progress : bool
        Show a progress bar over the cells (and inside each run).
    synthetic : bool
        Whether ``tracks`` are the synthetic clips (recorded in each row).

    Returns
    -------
    pd.DataFrame
        One :func:`run_experiment` row per cell (nested ``setup``/``experiment`` left out),
        in grid order.
    """
    cells = grid_cells(tracks, profile, models, chunk_lengths, protocol, seed)
    rows = []
    for experiment, cell_tracks, cell_profile in tqdm(
        cells, desc="Table V grid", unit="run", disable=not progress
    ):
        row = run_chapter_experiment(
            experiment,
            cell_tracks,
            cell_profile,
            results_root,
            synthetic,
            GRID_KEEP,
            progress=progress,
            train_overrides={"device": device},
        )
        rows.append({k: v for k, v in row.items() if k not in ("setup", "experiment")})
    return pd.DataFrame(rows)


TABLE_V_COLUMNS = {
    "model": "model",
    "chunk_seconds": "chunk (s)",
    "train F1": "train F1",
    "valid F1": "valid F1",
    "test F1": "test F1",
    "test track acc.": "test track acc.",
    "95 % CI": "95 % CI",
    "epochs_run": "epochs",
    "best_epoch": "best",
    "n_train_chunks": "train chunks",
    "n_test_tracks": "test tracks",
}
"""Columns of the Table V shown on the page (source name -> header)."""


def table_v_view(table: pd.DataFrame):
    """Table V as the page shows it: percentages with one decimal, the interval as text.

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.split_length.read_table_v` (fractions).

    Returns
    -------
    pandas.io.formats.style.Styler
        One row per model and chunk length, no index; ``(cap)`` marks a run that the epoch
        budget, not early stopping, ended.
    """
    shown = table.assign(
        **{
            "train F1": 100 * table["train_f1"],
            "valid F1": 100 * table["valid_f1"],
            "test F1": 100 * table["test_f1"],
            "test track acc.": 100 * table["test_track_accuracy"],
            "95 % CI": [
                f"[{100 * lo:.1f}, {100 * hi:.1f}]"
                for lo, hi in zip(
                    table["test_track_accuracy_low"],
                    table["test_track_accuracy_high"],
                    strict=True,
                )
            ],
            "epochs_run": [
                f"{epochs}" if stopped else f"{epochs} (cap)"
                for epochs, stopped in zip(
                    table["epochs_run"], table["stopped_early"].astype(bool), strict=True
                )
            ],
        }
    )
    shown = shown[list(TABLE_V_COLUMNS)].rename(columns=TABLE_V_COLUMNS)
    styler = shown.style.format(precision=1).hide(axis="index")
    return styler.set_properties(subset=["95 % CI"], **{"white-space": "nowrap"})


def record_grid_headlines(ch: ChapterContext, table: pd.DataFrame, protocol: str) -> None:
    """Record the grid in the book's results table, with no cell picked on the test set.

    Two rows: the mean test track accuracy over the grid's cells (their range and the
    cells that hit the epoch cap in the data column), and the cell chosen on validation
    (:func:`genrelib.split_length.chosen_on_validation`) with its exact interval, flagged
    when the cap ended it.

    Notebook: 07_split_length.

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context (profile, data, results folder).
    table : pd.DataFrame
        :func:`genrelib.split_length.read_table_v`.
    protocol : str
        The grid's split protocol.
    """
    data = ch.headline_data
    accuracy = 100 * table["test_track_accuracy"]
    capped = capped_cells(table)
    record_headline(
        CHAPTER,
        f"grid of {len(table)} cells (models x chunk lengths), test track accuracy, mean",
        float(accuracy.mean()),
        ch.profile.name,
        data=f"{data}; cells {accuracy.min():.0f} to {accuracy.max():.0f} %; "
        f"{len(capped)} of {len(table)} ended by the epoch cap",
        protocol=protocol,
        results=ch.results,
    )
    chosen = chosen_on_validation(table)
    flag = "; ended by the epoch cap" if chosen["key"] in set(capped["key"]) else ""
    record_headline(
        CHAPTER,
        f"cell chosen on validation F1 ({cell_name(chosen)}), test track accuracy",
        100 * chosen["test_track_accuracy"],
        ch.profile.name,
        low=100 * chosen["test_track_accuracy_low"],
        high=100 * chosen["test_track_accuracy_high"],
        interval=EXACT_BINOMIAL,
        data=f"{data}{flag}",
        protocol=protocol,
        results=ch.results,
    )

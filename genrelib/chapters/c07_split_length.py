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
from genrelib.config import DEEP_MODELS, Profile
from genrelib.data import PROTOCOLS
from genrelib.errors import ConfigError
from genrelib.experiments import Experiment
from genrelib.plots.split_length import (
    plot_accuracy_vs_length,
    plot_examples_vs_length,
    plot_training_time_vs_length,
)
from genrelib.progress import tqdm
from genrelib.project import project_dir
from genrelib.split_length import PAPER_BEST, grid_table, read_table_v, write_table_v
from genrelib.summary import EXACT_BINOMIAL, record_headline

__all__ = [
    "EXACT_BINOMIAL",
    "PAPER_BEST",
    "chapter_context",
    "grid_banner",
    "grid_cells",
    "grid_settings",
    "grid_table",
    "grid_verdict",
    "plot_accuracy_vs_length",
    "plot_examples_vs_length",
    "plot_training_time_vs_length",
    "project_dir",
    "read_table_v",
    "record_headline",
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


def grid_verdict(table: pd.DataFrame, protocol: str, synthetic: bool) -> Markdown:
    """What the grid shows: its best and worst cells, and whether their intervals overlap.

    When every cell scores the same test track accuracy the text says so, rather than
    naming one cell as both the highest and the lowest.

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.split_length.read_table_v`.
    protocol : str
        The grid's split protocol.
    synthetic : bool
        Whether the runs trained on the synthetic clips.

    Returns
    -------
    Markdown
    """
    accuracy = table["test_track_accuracy"]
    best = table.loc[accuracy.idxmax()]
    worst = table.loc[accuracy.idxmin()]
    n_tracks = int(best["n_test_tracks"])
    if round(100 * best["test_track_accuracy"], 1) == round(100 * worst["test_track_accuracy"], 1):
        text = (
            f"Every cell of the grid ({len(table)} runs) reaches the same test track accuracy, "
            f"{best['test_track_accuracy']:.1%} (95 % interval "
            f"{best['test_track_accuracy_low']:.1%} to {best['test_track_accuracy_high']:.1%} "
            f"over {n_tracks} test tracks), so this grid cannot rank the chunk lengths."
        )
    else:
        overlap = best["test_track_accuracy_low"] <= worst["test_track_accuracy_high"]
        text = (
            f"The highest test track accuracy is {best['test_track_accuracy']:.1%} "
            f"({best['model']}, {best['chunk_seconds']:g}-s chunks; 95 % interval "
            f"{best['test_track_accuracy_low']:.1%} to {best['test_track_accuracy_high']:.1%}), "
            f"the lowest {worst['test_track_accuracy']:.1%} ({worst['model']}, "
            f"{worst['chunk_seconds']:g} s). "
        )
        text += (
            f"Their intervals overlap, so with {n_tracks} test tracks this grid "
            "cannot rank the chunk lengths."
            if overlap
            else "Their intervals do not overlap: on these test tracks the difference is larger "
            "than the resampling noise of the test set (one seed, so not of the training)."
        )
    if synthetic:
        text += (
            " These models were trained for a few short epochs on SYNTHETIC clips (the smoke "
            "profile): the numbers test the pipeline, not the paper's claim."
        )
    paper_like = (
        protocol == "paper"
        and PAPER_BEST["model"] in set(table["model"])
        and PAPER_BEST["chunk_seconds"] in set(table["chunk_seconds"])
    )
    if not paper_like:
        text += (
            f" The paper's {PAPER_BEST['test_accuracy']:.1%} comes from another protocol "
            f"(chunk split) or model/chunk length than this grid (protocol `{protocol}`, models "
            f"{', '.join(sorted(set(table['model'])))}), so it is not a target for these numbers."
        )
    return Markdown(text)

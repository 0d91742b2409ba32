"""Chapter 08, external songs: chapter 04's model on whole songs from outside GTZAN.

Notebook: 08_external_songs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.chapters.context import chapter_context, run_chapter_experiment, training_inputs
from genrelib.chapters.display import markdown_text, shown_path
from genrelib.config import Profile
from genrelib.experiments import Experiment, collect_results, data_fingerprint, run_path
from genrelib.plots.predict import plot_probability_timelines, plot_song_confidence
from genrelib.predict import (
    list_songs,
    load_model,
    predict_songs,
    prediction_table,
    song_excerpt,
    write_synthetic_song,
)
from genrelib.summary import record_headline

__all__ = [
    "chapter_checkpoint",
    "chapter_context",
    "list_songs",
    "load_model",
    "markdown_text",
    "plot_probability_timelines",
    "plot_song_confidence",
    "predict_songs",
    "prediction_table",
    "record_headline",
    "shown_path",
    "song_excerpt",
    "write_synthetic_song",
]


def _from_here(path: Path) -> Path:
    """``path`` relative to the current folder (unchanged when none exists: another drive)."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path.cwd()))
    except ValueError:
        return Path(path)


def chapter_checkpoint(
    profile: Profile,
    tracks: pd.DataFrame,
    results_root: str | Path,
    seed: int = 0,
    progress: bool = True,
    synthetic: bool = False,
) -> tuple[Path, dict]:
    """The base CRNN of chapter 04 for ``profile`` and ``tracks``: found in the results, or trained.

    The tracks and profile are first narrowed as chapter 04 does
    (:func:`genrelib.chapters.context.training_inputs`: in smoke, a few tracks and chunks). A
    finished run under ``results_root`` qualifies when it is a base CRNN (no options) on
    the profile's chunk length and mel config, split by track, trained on exactly those
    tracks (same data fingerprint); among several, the one with ``seed`` wins, else the
    best validation accuracy. Without one, :func:`genrelib.experiments.run_experiment`
    trains it, as chapter 04 would (``synthetic``: whether ``tracks`` are synthetic clips).

    Notebook: 08_external_songs.

    Returns
    -------
    checkpoint : Path
        Its ``best.pt``, relative to the current folder (the chapter's), so that the page
        naming it shows no local absolute path.
    row : dict
        Its result row (test accuracy, epochs, data, ...).
    """
    results_root = Path(results_root)
    tracks, profile = training_inputs(tracks, profile)  # as chapter 04 (smoke: a tiny subset)
    runs = collect_results(results_root)
    if not runs.empty:
        fits = runs[
            (runs["model"] == "base_crnn")
            & (runs["model_options"] == "{}")
            & np.isclose(runs["chunk_seconds"], profile.chunk_seconds)
            & (runs["protocol"] == "track")
            & (runs["mel"] == profile.mel.name)
            & (runs["hop_length"] == profile.mel.hop_length)
            & (runs["data_fingerprint"] == data_fingerprint(tracks))
        ]
        if not fits.empty:
            fits = fits.assign(same_seed=fits["seed"] == seed)
            row = fits.sort_values(["same_seed", "valid_chunk_accuracy"]).iloc[-1].to_dict()
            return _from_here(run_path(results_root, row) / "best.pt"), row
    experiment = Experiment.from_profile(profile, "base_crnn", "track", seed=seed)
    row = run_chapter_experiment(
        experiment, tracks, profile, results_root, synthetic, ("best.pt",), progress=progress
    )
    return _from_here(run_path(results_root, row) / "best.pt"), row

"""Chapter 08, external songs: a genre model on whole songs from outside GTZAN.

The model is chosen by :func:`chapter_model`: by default the musicnn genre probe shipped
with genrelib (chapter 06b), or chapter 04's base CRNN, or a checkpoint passed in.

Notebook: 08_external_songs.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown
from torch import nn

from genrelib.chapters.context import (
    ChapterContext,
    chapter_context,
    run_chapter_experiment,
    training_inputs,
)
from genrelib.chapters.display import glue_values, markdown_text, shown_path
from genrelib.config import Profile
from genrelib.data import DOWNLOAD_BOOK
from genrelib.errors import ConfigError
from genrelib.exercises import check, filled
from genrelib.experiments import Experiment, collect_results, data_fingerprint, run_path
from genrelib.plots.predict import plot_probability_timelines, plot_song_confidence
from genrelib.predict import (
    SongPrediction,
    list_songs,
    load_model,
    predict_songs,
    prediction_table,
    song_excerpt,
    write_synthetic_song,
)
from genrelib.summary import EXACT_BINOMIAL, record_headline
from genrelib.widgets import live_frontend, try_your_song

__all__ = [
    "EXACT_BINOMIAL",
    "OUT_OF_DISTRIBUTION",
    "SONG_GENRES",
    "ChapterModel",
    "chapter_checkpoint",
    "chapter_model",
    "chapter_context",
    "chapter_songs",
    "check",
    "chunk_vote",
    "filled",
    "glue_values",
    "list_songs",
    "live_frontend",
    "load_model",
    "plot_probability_timelines",
    "plot_song_confidence",
    "predict_songs",
    "prediction_table",
    "record_headline",
    "shown_path",
    "song_excerpt",
    "song_label",
    "songs_banner",
    "songs_view",
    "try_your_song",
]


SONG_GENRES: dict[str, str] = {
    "Hungarian_Dance_number_5": "classical",
    "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy": "classical",
    "147793__setuniman__sweet-waltz": "classical (solo piano waltz)",
    "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime": "jazz (ragtime piano)",
    "Kevin_MacLeod_-_Vibe_Ace": "jazz",
    "sorohanro_-_solo-trumpet-06": "jazz / blues (trumpet loop)",
    "Karissa_Hobbs_-_Lets_Go_Fishin": "country (folk)",
    "admiralbob77_-_Choice_-_Drum-bass": "none of the ten (drum and bass stems)",
}
"""The genre each of the book's songs is given by its source's description, by file-name
stem (matched as a prefix: :func:`genrelib.predict.expected_genre`). One person's judgements
taken from the descriptions, not ground truth."""

OUT_OF_DISTRIBUTION = "admiralbob77_-_Choice_-_Drum-bass"
"""The book's song that belongs to none of the ten genres (drum and bass stems)."""


def chapter_songs(songs_dir: str | Path | None, seed: int = 0) -> tuple[list[Path], dict[str, str]]:
    """The songs chapter 08 classifies, and the genre each is expected to be.

    With a folder, its songs and :data:`SONG_GENRES`. Without one (no songs downloaded: the
    smoke build), one SYNTHETIC 30-s song written to a temporary folder, 15 s of the
    synthetic classical recipe then 15 s of the metal one, so its timeline should change
    halfway.

    Notebook: 08_external_songs.

    Parameters
    ----------
    songs_dir : str, Path or None
        The songs folder (:meth:`ChapterContext.songs_folder`).
    seed : int
        Seed of the synthetic song.

    Returns
    -------
    songs : list of Path
    expected : dict
        Expected genre text per file-name stem.
    """
    if songs_dir is not None:
        return list_songs(songs_dir), dict(SONG_GENRES)
    folder = Path(tempfile.mkdtemp(prefix="genrelib_songs_"))
    song = write_synthetic_song(
        folder / "synthetic_classical_then_metal.wav", ("classical", "metal"), 15.0, seed
    )
    return [song], {song.stem: "classical, then metal (SYNTHETIC)"}


def chunk_vote(result: SongPrediction, top: int = 5) -> pd.DataFrame:
    """How a song's chunks vote: each genre's mean probability and the chunks it wins.

    Notebook: 08_external_songs.

    Parameters
    ----------
    result : SongPrediction
        One song's prediction.
    top : int
        Genres shown, highest mean probability first.

    Returns
    -------
    pd.DataFrame
        Index: genre; columns ``mean probability`` (3 decimals; the song's prediction is the
        first row) and ``chunks won`` (the chunks whose most likely genre it is: the majority vote).
    """
    vote = pd.DataFrame(
        {"mean probability": result.mean_probabilities.round(3), "chunks won": result.votes},
        index=pd.Index(result.class_names, name="genre"),
    )
    return vote.sort_values("mean probability", ascending=False).head(top)


def song_label(result: SongPrediction) -> Markdown:
    """A song's name and its three most likely genres, to stand above its audio player.

    Notebook: 08_external_songs.

    Returns
    -------
    Markdown
        ``**name** (duration): genre p %, genre p %, genre p %``.
    """
    top = ", ".join(f"{genre} {probability:.0%}" for genre, probability in result.top3)
    return Markdown(f"**{markdown_text(result.name)}** ({result.duration:.0f} s): {top}")


SONG_COLUMNS: tuple[str, ...] = (
    "song",
    "expected",
    "predicted",
    "probability",
    "second",
    "vote",
    "vote_share",
    "n_chunks",
    "agrees",
)
"""Columns of the songs table as chapter 08 shows it."""


def songs_view(table: pd.DataFrame):
    """The songs that were classified, as the page shows them: whole names, shares in %.

    Notebook: 08_external_songs.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.predict.prediction_table`.

    Returns
    -------
    pandas.io.formats.style.Styler
        :data:`SONG_COLUMNS` of the rows that were classified, no index.
    """
    shown = table.loc[table["ok"], list(SONG_COLUMNS)]
    styler = shown.style.format({"probability": "{:.0%}", "vote_share": "{:.0%}"})
    return styler.hide(axis="index").set_properties(
        subset=["song"], **{"overflow-wrap": "anywhere"}
    )


def _from_here(path: Path) -> Path:
    """``path`` relative to the current folder (unchanged when none exists: another drive)."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path.cwd()))
    except ValueError:
        return Path(path)


def songs_banner(ch: ChapterContext, songs_dir: Path | None) -> Markdown:
    """The chapter's opening line: which songs it classifies, and how to get real ones.

    Notebook: 08_external_songs (output of the setup cell).

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context (its profile).
    songs_dir : Path or None
        The songs folder (:meth:`ChapterContext.songs_folder`); ``None``: none downloaded.
    """
    if songs_dir is None:
        return Markdown(
            f"**Profile `{ch.profile.name}`: no songs, so this chapter classifies one SYNTHETIC "
            f"song.** Run `{DOWNLOAD_BOOK}` (142 MB) and run the chapter again to classify eight "
            f"real songs from outside GTZAN, or set `songs_dir` to a folder of your own songs."
        )
    n_songs = len(list_songs(songs_dir))
    return Markdown(
        f"**Profile `{ch.profile.name}`: {n_songs} songs in `{shown_path(songs_dir)}`.** "
        f"Set `songs_dir` to a folder of your own songs to classify them instead."
    )


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


DEFAULT_MODELS: tuple[str, ...] = ("best", "crnn")
"""Values of chapter 08's ``default_model``: the shipped musicnn probe, chapter 04's CRNN."""

SYNTHETIC_WARNING = (
    "**This model was trained on SYNTHETIC clips** (the smoke profile), not on music: "
    "its predictions on real songs below are meaningless, and only show that the "
    "pipeline runs. Run the chapter with `profile='cpu'` and a GTZAN folder for a "
    "real model."
)
"""What chapter 08 says under a model trained on the synthetic clips."""


@dataclass
class ChapterModel:
    """The model chapter 08 classifies songs with, and what to say about it.

    Notebook: 08_external_songs.

    Attributes
    ----------
    model : torch.nn.Module
        In eval mode (:func:`genrelib.predict.load_model`).
    meta : dict
        Its metadata: ``model_name``, ``class_names``, ``mel_config``, ``chunk_config``...
    source : str
        Where it comes from: a checkpoint path, or the shipped probe's name.
    trained_on : str
        ``"gtzan"``, ``"synthetic"`` or ``"unknown"`` (a checkpoint passed in).
    kind : str
        Short label for titles (``"musicnn probe"``, ``"SYNTHETIC-trained model"``...).
    description : str
        Markdown: what the model is, where it comes from, what it reads (and, when trained
        on synthetic clips, :data:`SYNTHETIC_WARNING`).
    """

    model: nn.Module
    meta: dict
    source: str
    trained_on: str
    kind: str
    description: str

    @property
    def synthetic(self) -> bool:
        """Whether the model was trained on the synthetic clips (its calls mean nothing)."""
        return self.trained_on == "synthetic"


def chapter_model(
    ch: ChapterContext,
    checkpoint: str | Path | None = None,
    default_model: str = "best",
    seed: int | None = None,
    device: str = "auto",
    progress: bool = False,
) -> ChapterModel:
    """The model of chapter 08: a checkpoint passed in, else ``default_model``.

    * ``checkpoint`` given: that checkpoint (what it was trained on is unknown);
    * ``default_model="best"``: the musicnn genre probe shipped with genrelib (chapter 06b,
      ``genrelib predict``'s default);
    * ``default_model="crnn"``: chapter 04's base CRNN for the chapter's profile and data,
      found in the results or trained (:func:`chapter_checkpoint`).

    Notebook: 08_external_songs.

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context (profile, tracks, results; tracks read only for ``"crnn"``).
    checkpoint : str, Path or None
        The ``checkpoint`` parameter.
    default_model : {"best", "crnn"}
        The ``default_model`` parameter (used when ``checkpoint`` is ``None``).
    seed : int or None
        Seed of chapter 04's run (``None``: the chapter's).
    device : str
        Device the model is loaded on.
    progress : bool
        Progress bars if chapter 04's run has to be trained.

    Returns
    -------
    ChapterModel

    Raises
    ------
    ConfigError
        For a ``default_model`` not in :data:`DEFAULT_MODELS`.
    """
    if checkpoint is None and default_model not in DEFAULT_MODELS:
        raise ConfigError(
            f"default_model must be one of {', '.join(DEFAULT_MODELS)}, got {default_model!r}"
        )
    if checkpoint is not None:
        path, trained_on = Path(checkpoint), "unknown"
        origin = f"the checkpoint passed as a parameter (`{path.name}`)"
    elif default_model == "best":
        model, meta = load_model(None, device=device)
        info = meta["probe"]
        origin = (
            f"genrelib's default: a {info['what']}, trained on {info['trained_on']} "
            f"({info['cv']}: {info['cv_track_accuracy']:.0%} track accuracy; see chapter 6b)"
        )
        source = "genrelib's shipped musicnn probe"
        return ChapterModel(
            model, meta, source, "gtzan", "musicnn probe", _description(meta, origin, source)
        )
    else:
        seed = ch.seed if seed is None else seed
        path, run = chapter_checkpoint(
            ch.profile, ch.tracks, ch.results, seed=seed, progress=progress, synthetic=ch.synthetic
        )
        trained_on = run["data"]
        origin = (
            f"chapter 4's run `{run['name']}`: {run['n_train_tracks']} training tracks of "
            f"{'SYNTHETIC clips' if trained_on == 'synthetic' else 'GTZAN'}, "
            f"{run['epochs_run']} epoch(s), test track accuracy "
            f"{run['test_track_accuracy']:.1%} (95 % CI {run['test_track_accuracy_low']:.1%} "
            f"to {run['test_track_accuracy_high']:.1%})"
        )
    model, meta = load_model(path, device=device)
    kind = "SYNTHETIC-trained model" if trained_on == "synthetic" else meta["model_name"]
    description = _description(meta, origin, str(path))
    if trained_on == "synthetic":
        description += "\n\n" + SYNTHETIC_WARNING
    return ChapterModel(model, meta, str(path), trained_on, kind, description)


def _description(meta: dict, origin: str, source: str) -> str:
    mel = meta["mel_config"]
    return (
        f"**Model:** {meta['model_name']} from {origin}. It reads "
        f"{meta['chunk_config']['chunk_seconds']:.3g}-s chunks as {mel['n_mels']}-band "
        f"log-mel spectrograms (`{mel['name']}` input, hop {mel['hop_length']} samples at "
        f"{mel['sample_rate']} Hz). Model: `{source}`."
    )

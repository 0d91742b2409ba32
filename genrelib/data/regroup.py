"""A collection of your own, made from the book's clips: new labels, lengths and formats.

Chapter 11 needs a collection whose labels are not GTZAN's, with what real folders of music
hold: tracks of several lengths, several formats and sample rates, stereo files, two files
of the same name under two labels. :func:`regroup_tracks` writes one from any track table
(the book's real clips, or the synthetic ones of the ``smoke`` profile): each new label
gathers some genres, and the files are re-encoded in turn as

* a WAV at 22,050 Hz, the whole clip;
* a FLAC at 22,050 Hz, cut to :data:`SHORT_SECONDS` (a short track);
* an Ogg Vorbis at 44,100 Hz in stereo, cut to :data:`MEDIUM_SECONDS`;

named ``track NN.<ext>`` within each label, so every label holds a ``track 01``.

The folder appears whole or not at all (written beside it, then renamed), and every file
carries the same modification time, :data:`FILE_TIME`: genrelib's runs on a collection hash
each file's size and time (:func:`genrelib.experiments.data_fingerprint`), so a collection
rebuilt from the same clips finds the runs trained on it before.

Notebook: 11_own_collection.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import soundfile as sf

from genrelib.audio.io import load_audio
from genrelib.config import SAMPLE_RATE
from genrelib.errors import ConfigError

DEMO_LABELS: dict[str, tuple[str, ...]] = {
    "calm": ("classical", "jazz"),
    "heavy": ("metal", "rock"),
    "dance": ("disco", "hiphop", "pop"),
}
"""The labels of the demonstration collection and the GTZAN genres each gathers."""

SHORT_SECONDS = 8.0
"""Length of the short (FLAC) tracks, in seconds."""

MEDIUM_SECONDS = 20.0
"""Length of the medium (Ogg) tracks, in seconds."""

STEREO_RATE = 44_100
"""Sample rate of the stereo Ogg tracks, in Hz."""

FILE_TIME = 946_684_800
"""Modification time of every file written, in seconds since the epoch (2000-01-01 UTC)."""


def _write(path: Path, y: np.ndarray, kind: int) -> None:
    """Write one track in the ``kind``-th of the three formats of the module docstring."""
    if kind == 0:
        path = path.with_suffix(".wav")
        sf.write(path, y, SAMPLE_RATE, subtype="PCM_16")
    elif kind == 1:
        path = path.with_suffix(".flac")
        sf.write(path, y[: int(SHORT_SECONDS * SAMPLE_RATE)], SAMPLE_RATE)
    else:
        path = path.with_suffix(".ogg")
        medium = y[: int(MEDIUM_SECONDS * SAMPLE_RATE)]
        y = librosa.resample(medium, orig_sr=SAMPLE_RATE, target_sr=STEREO_RATE)
        stereo = np.stack([y, 0.8 * y], axis=1)
        sf.write(path, stereo, STEREO_RATE, format="OGG", subtype="VORBIS")
    os.utime(path, (FILE_TIME, FILE_TIME))


def regroup_tracks(
    tracks: pd.DataFrame,
    target: str | os.PathLike,
    labels: Mapping[str, Sequence[str]] = DEMO_LABELS,
    per_label: int | None = None,
    seed: int = 0,
) -> Path:
    """Write a collection ``target/<label>/track NN.<ext>`` that regroups ``tracks``' genres.

    Notebook: 11_own_collection.

    Parameters
    ----------
    tracks : pandas.DataFrame
        A track table with ``path`` and ``genre`` (:func:`~genrelib.data.index_gtzan`).
    target : path-like
        A folder that does not exist yet, or is empty.
    labels : mapping of str to sequence of str
        Each new label and the genres it gathers (:data:`DEMO_LABELS`).
    per_label : int or None
        Tracks per label, drawn at random, at most ``ceil(per_label / n_genres)`` from each
        of its genres (``None``: every track of them).
    seed : int
        Seed of the draw.

    Returns
    -------
    Path
        ``target``: index it with :func:`~genrelib.data.collection.index_collection`.

    Raises
    ------
    ConfigError
        If ``target`` holds files, a genre is not in ``tracks``, or a label gets no track.
    """
    target = Path(target).expanduser()
    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target} is not empty; give a new folder for the collection")
    unknown = sorted({g for genres in labels.values() for g in genres} - set(tracks["genre"]))
    if unknown:
        raise ConfigError(f"regroup_tracks: no track of genre(s) {', '.join(unknown)}")
    rng = np.random.default_rng(seed)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
    try:
        for label, genres in labels.items():
            chosen = _draw(tracks[tracks["genre"].isin(list(genres))], per_label, rng)
            if chosen.empty:
                raise ConfigError(f"regroup_tracks: label {label!r} gets no track")
            folder = partial / label
            folder.mkdir(parents=True)
            for number, path in enumerate(chosen["path"], start=1):
                _write(folder / f"track {number:02d}", load_audio(path, SAMPLE_RATE), number % 3)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _draw(tracks: pd.DataFrame, per_label: int | None, rng: np.random.Generator) -> pd.DataFrame:
    """``per_label`` of ``tracks`` at random, as evenly over their genres as it divides."""
    tracks = tracks.sort_values("path")
    if per_label is None:
        return tracks
    n_genres = tracks["genre"].nunique()
    return (
        tracks.assign(order=rng.permutation(len(tracks)))
        .sort_values("order")
        .groupby("genre", sort=False)
        .head(-(-per_label // max(n_genres, 1)))
        .head(per_label)
        .sort_values("path")
    )

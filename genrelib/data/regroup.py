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

Notebook: none yet (planned: chapter 11, your own collection).
"""

from __future__ import annotations

import os
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


def _write(path: Path, y: np.ndarray, kind: int) -> None:
    """Write one track in the ``kind``-th of the three formats of the module docstring."""
    if kind == 0:
        sf.write(path.with_suffix(".wav"), y, SAMPLE_RATE, subtype="PCM_16")
    elif kind == 1:
        sf.write(path.with_suffix(".flac"), y[: int(SHORT_SECONDS * SAMPLE_RATE)], SAMPLE_RATE)
    else:
        medium = y[: int(MEDIUM_SECONDS * SAMPLE_RATE)]
        y = librosa.resample(medium, orig_sr=SAMPLE_RATE, target_sr=STEREO_RATE)
        stereo = np.stack([y, 0.8 * y], axis=1)
        sf.write(path.with_suffix(".ogg"), stereo, STEREO_RATE, format="OGG", subtype="VORBIS")


def regroup_tracks(
    tracks: pd.DataFrame,
    target: str | os.PathLike,
    labels: Mapping[str, Sequence[str]] = DEMO_LABELS,
    per_label: int | None = None,
    seed: int = 0,
) -> Path:
    """Write a collection ``target/<label>/track NN.<ext>`` that regroups ``tracks``' genres.

    Notebook: none yet (planned: chapter 11, your own collection).

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
    for label, genres in labels.items():
        chosen = tracks[tracks["genre"].isin(list(genres))].sort_values("path")
        if per_label is not None:
            chosen = (
                chosen.assign(order=rng.permutation(len(chosen)))
                .sort_values("order")
                .groupby("genre", sort=False)
                .head(-(-per_label // len(genres)))
                .head(per_label)
                .sort_values("path")
            )
        if chosen.empty:
            raise ConfigError(f"regroup_tracks: label {label!r} gets no track")
        folder = target / label
        folder.mkdir(parents=True, exist_ok=True)
        for number, path in enumerate(chosen["path"], start=1):
            _write(folder / f"track {number:02d}", load_audio(path, SAMPLE_RATE), number % 3)
    return target

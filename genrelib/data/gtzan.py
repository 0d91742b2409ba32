"""Find a GTZAN folder on disk and index its clips.

Three layouts are accepted, all holding one folder per genre:

* the original archive: ``<root>/genres/<genre>/<genre>.NNNNN.au`` (or ``.wav``);
* the Kaggle copy: ``<root>/Data/genres_original/<genre>/<genre>.NNNNN.wav``;
* a folder that directly holds the ten genre folders.

Only the ten :data:`~genrelib.config.GENRES` folders are read; anything else beside
them is ignored. Artists and titles come from Sturm's index shipped with genrelib,
or from a ``track_metadata.csv`` (columns ``track_id,artist,title``) placed beside
the genre folders, which takes precedence (the synthetic dataset writes one).

Notebook: 01_dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from genrelib.config import AUDIO_EXTENSIONS, GENRES
from genrelib.data.metadata import load_artist_index
from genrelib.errors import DatasetNotFoundError

METADATA_FILE = "track_metadata.csv"
"""Optional file beside the genre folders that overrides the shipped artist index."""

COLUMNS: tuple[str, ...] = ("path", "genre", "label", "track_id", "duration", "artist", "title")
"""Columns of the table returned by :func:`index_gtzan`, in order."""

_FIX = "pass --data-dir (data_dir=...), set GTZAN_DIR, or run `genrelib data download`"

_LAYOUTS: tuple[tuple[str, ...], ...] = ((), ("genres",), ("Data", "genres_original"))


def _holds_genres(folder: Path) -> bool:
    return any((folder / genre).is_dir() for genre in GENRES)


def find_genre_root(data_dir: str | os.PathLike) -> Path:
    """Return the folder that directly holds the genre folders of a GTZAN copy.

    Notebook: 01_dataset.

    Parameters
    ----------
    data_dir : path-like
        A GTZAN folder in any accepted layout (see the module docstring).

    Returns
    -------
    pathlib.Path
        ``data_dir`` itself, ``data_dir/genres`` or ``data_dir/Data/genres_original``.

    Raises
    ------
    DatasetNotFoundError
        If ``data_dir`` does not exist or holds no genre folder in any layout.
    """
    root = Path(data_dir).expanduser()
    if root.is_file():
        raise DatasetNotFoundError(f"GTZAN folder {root} is a file, not a folder; {_FIX}")
    if not root.is_dir():
        raise DatasetNotFoundError(f"GTZAN folder {root} does not exist; {_FIX}")
    for parts in _LAYOUTS:
        candidate = root.joinpath(*parts)
        if candidate.is_dir() and _holds_genres(candidate):
            return candidate
    raise DatasetNotFoundError(
        f"{root} holds no GTZAN genre folders (expected {GENRES[0]}/ ... {GENRES[-1]}/ directly, "
        f"under genres/ or under Data/genres_original/); {_FIX}"
    )


def _audio_files(folder: Path) -> list[Path]:
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.suffix.lower() in AUDIO_EXTENSIONS
        and not entry.name.startswith(".")
        and entry.is_file()
    )


def _duration(path: Path) -> float:
    """Duration from the file header (no decoding); NaN when the header is unreadable."""
    try:
        return float(sf.info(str(path)).duration)
    except Exception:  # any unreadable header: verify_dataset reports the reason
        return float("nan")


def _metadata_for(genre_root: Path) -> pd.DataFrame:
    local = genre_root / METADATA_FILE
    if local.is_file():
        table = pd.read_csv(local, dtype=str, keep_default_na=False)
        return table[["track_id", "artist", "title"]]
    return load_artist_index()


def index_gtzan(
    data_dir: str | os.PathLike,
    with_duration: bool = True,
    allow_missing_genres: bool = False,
) -> pd.DataFrame:
    """Index every clip of a GTZAN copy: one row per audio file.

    Notebook: 01_dataset (and every chapter that reads real audio).

    Parameters
    ----------
    data_dir : path-like
        A GTZAN folder in any accepted layout (see :func:`find_genre_root`).
    with_duration : bool
        Read each file's duration from its header (fast, no decoding). Unreadable
        headers give NaN; :func:`~genrelib.data.verify.verify_dataset` says why.
    allow_missing_genres : bool
        Index what is there when some genre folders are missing or empty, instead
        of raising.

    Returns
    -------
    pandas.DataFrame
        Shape (n_clips, 7), columns ``path`` (str), ``genre``, ``label`` (int index
        into GENRES), ``track_id`` (file name without extension, ``"blues.00000"``),
        ``duration`` (seconds, float; NaN if not read), ``artist``, ``title`` (``""``
        when unknown). Sorted by label, then track id.

    Raises
    ------
    DatasetNotFoundError
        If the folder is missing, holds no genre folders, or (unless
        ``allow_missing_genres``) a genre folder is missing or holds no audio.
    """
    genre_root = find_genre_root(data_dir)
    rows = []
    missing = []
    for label, genre in enumerate(GENRES):
        folder = genre_root / genre
        files = _audio_files(folder) if folder.is_dir() else []
        if not files:
            missing.append(genre)
        for path in files:
            duration = _duration(path) if with_duration else float("nan")
            rows.append((str(path), genre, label, path.stem, duration))
    if missing and not allow_missing_genres:
        raise DatasetNotFoundError(
            f"GTZAN folder {genre_root} is incomplete: no audio in {', '.join(missing)}; "
            f"complete it (or re-extract the archive), or {_FIX}"
        )
    if not rows:
        raise DatasetNotFoundError(f"GTZAN folder {genre_root} holds no audio files; {_FIX}")
    table = pd.DataFrame(rows, columns=["path", "genre", "label", "track_id", "duration"])
    table = table.merge(_metadata_for(genre_root), on="track_id", how="left")
    table[["artist", "title"]] = table[["artist", "title"]].fillna("")
    table["label"] = table["label"].astype(np.int64)
    table["duration"] = table["duration"].astype(np.float64)
    return table.sort_values(["label", "track_id"], ignore_index=True)[list(COLUMNS)]

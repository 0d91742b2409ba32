"""The data home: one folder where downloads land and where every command finds them.

``$GENRELIB_DATA`` when set, else the per-user data folder (``~/.local/share/genrelib`` on
Linux, ``~/Library/Application Support/genrelib`` on macOS, from platformdirs). Its layout::

    <data home>/
        gtzan_mini/genres/<genre>/<genre>.000NN.wav   the 100 clips of the published book
        gtzan/genres/<genre>/<genre>.NNNNN.wav        the full GTZAN (1000 clips)
        features/features_30_sec.csv                  the Kaggle 30-s feature table
        external_songs/<song>.hq.ogg (+ .txt)         8 songs that are not in GTZAN

A part counts as present only when its download was checked (each part's folder holds a
``.verified.json`` stamp written after every file matched its recorded hash), so a folder
half-filled by an interrupted download is never read as data.

Notebook: every chapter (what ``data_dir=None`` reads), 01_dataset (the download).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from genrelib.atomic import atomic_write

DATA_ENV = "GENRELIB_DATA"
"""Environment variable naming the data home."""

STAMP = ".verified.json"
"""File a checked download leaves in each part's folder."""

MINI = "gtzan_mini"
"""Folder of the 100-clip subset (``gtzan_mini``) in the data home."""
FULL = "gtzan"
"""Folder of the full GTZAN in the data home."""
FEATURES = "features"
"""Folder of the feature table in the data home."""
SONGS = "external_songs"
"""Folder of the external songs in the data home."""
FEATURES_FILE = "features_30_sec.csv"
"""File name of the Kaggle 30-s feature table."""

DOWNLOAD_BOOK = "genrelib data download --book"
"""The command that fetches everything the published book reads."""


def data_home() -> Path:
    """The data home: ``$GENRELIB_DATA``, else the per-user data folder of genrelib.

    Notebook: every chapter (through :func:`book_data`).
    """
    chosen = os.environ.get(DATA_ENV)
    return Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir("genrelib"))


def write_stamp(folder: Path, record: dict) -> Path:
    """Mark ``folder`` as a checked download (its files and their hashes in ``record``)."""
    return atomic_write(folder / STAMP, json.dumps(record, indent=1, sort_keys=True) + "\n")


def is_verified(folder: Path) -> bool:
    """Whether ``folder`` holds a checked download (:func:`write_stamp`)."""
    return (folder / STAMP).is_file()


@dataclass(frozen=True)
class BookData:
    """The parts of the data home that are present (``None``: not downloaded).

    Notebook: every chapter (through :func:`book_data`).

    Attributes
    ----------
    home : Path
        The data home.
    clips : Path or None
        Genre folders of the 100 ``gtzan_mini`` clips.
    full : Path or None
        Genre folders of the full GTZAN.
    features_csv : Path or None
        The Kaggle 30-s feature table.
    songs_dir : Path or None
        Folder of the external songs.
    """

    home: Path
    clips: Path | None
    full: Path | None
    features_csv: Path | None
    songs_dir: Path | None

    @property
    def complete(self) -> bool:
        """Whether everything the published book reads is here (clips, table, songs)."""
        return None not in (self.clips, self.features_csv, self.songs_dir)


def book_data(home: str | os.PathLike | None = None) -> BookData:
    """What the data home holds, each part only if its download was checked.

    Notebook: every chapter (``data_dir=None`` reads :attr:`BookData.clips`).

    Parameters
    ----------
    home : path-like or None
        The data home (``None``: :func:`data_home`).

    Returns
    -------
    BookData
    """
    root = Path(home).expanduser() if home is not None else data_home()

    def present(folder: Path, inside: Path) -> Path | None:
        return inside if is_verified(folder) and inside.exists() else None

    return BookData(
        home=root,
        clips=present(root / MINI, root / MINI / "genres"),
        full=present(root / FULL, root / FULL / "genres"),
        features_csv=present(root / FEATURES, root / FEATURES / FEATURES_FILE),
        songs_dir=present(root / SONGS, root / SONGS),
    )

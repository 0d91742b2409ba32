"""Decide which profile a run has and which dataset folder it reads.

Without a folder, a run reads what ``genrelib data download`` put in the data home
(:mod:`genrelib.data.home`): the 100 ``gtzan_mini`` clips for the ``cpu`` profile, the
full GTZAN for ``full``. The ``smoke`` profile reads the generated synthetic clips, and
the ``auto`` profile (the chapters' default) is ``cpu`` once the book's data are
downloaded and ``smoke`` before.

Notebook: every chapter (first code cell after the parameters).
"""

from __future__ import annotations

import os
from pathlib import Path

from genrelib.config import Profile
from genrelib.data.gtzan import find_genre_root
from genrelib.data.home import DOWNLOAD_BOOK, book_data
from genrelib.data.synthetic import synthetic_dataset
from genrelib.errors import DatasetNotFoundError

GTZAN_ENV = "GTZAN_DIR"
"""Environment variable naming a local GTZAN folder."""

AUTO_PROFILE = "auto"
"""Profile name meaning: ``cpu`` when the book's clips are downloaded, else ``smoke``."""


def resolve_profile_name(name: str) -> str:
    """``name``, or for ``"auto"`` the profile the data home allows (``cpu`` or ``smoke``).

    Notebook: every chapter (its ``profile`` parameter defaults to ``"auto"``).
    """
    if name != AUTO_PROFILE:
        return name
    return "cpu" if book_data().clips is not None else "smoke"


def resolve_data_dir(profile: Profile, data_dir: str | os.PathLike | None = None) -> Path:
    """Return the dataset folder a run with ``profile`` reads.

    In order: ``data_dir`` when given (any profile: a smoke run on real clips is a
    quick real check); the synthetic dataset (generated once, then cached) when
    ``profile.dataset == "synthetic"``; ``$GTZAN_DIR``; the data home's download (the
    ``gtzan_mini`` clips for ``cpu``, the full GTZAN for ``full``).

    Notebook: every chapter (``data_root = resolve_data_dir(P, data_dir)``).

    Parameters
    ----------
    profile : Profile
        The run's profile (its ``dataset``, ``synthetic_per_genre``, ``synthetic_seconds``).
    data_dir : path-like or None
        A GTZAN folder; takes precedence over the profile's dataset.

    Returns
    -------
    pathlib.Path
        A folder accepted by :func:`~genrelib.data.gtzan.index_gtzan`.

    Raises
    ------
    DatasetNotFoundError
        If a GTZAN profile finds no folder (the message gives the download command), or
        the folder is not a GTZAN copy.
    """
    if is_synthetic_source(profile, data_dir):
        return synthetic_dataset(profile.synthetic_per_genre, profile.synthetic_seconds)
    chosen = data_dir if data_dir is not None else os.environ.get(GTZAN_ENV) or None
    if chosen is None:
        home = book_data()
        downloaded = home.full if profile.name == "full" else home.clips
        if downloaded is None:
            command = (
                "genrelib data download --subset full"
                if profile.name == "full"
                else (DOWNLOAD_BOOK)
            )
            raise DatasetNotFoundError(
                f"profile {profile.name!r} needs GTZAN and {home.home} holds none: run "
                f"`{command}`, pass --data-dir (data_dir=...) or set {GTZAN_ENV}"
            )
        chosen = downloaded
    root = Path(chosen).expanduser()
    find_genre_root(root)
    return root


def is_synthetic_source(profile: Profile, data_dir: str | os.PathLike | None = None) -> bool:
    """Whether :func:`resolve_data_dir` gives the generated synthetic dataset.

    True for a synthetic profile (smoke) with no ``data_dir``; a ``data_dir`` always names
    real clips. This, not the clips' artist names, is what marks a run's data as synthetic.

    Notebook: every chapter (through ``genrelib.chapters.chapter_context``).
    """
    return data_dir is None and profile.dataset == "synthetic"

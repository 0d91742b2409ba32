"""Metadata shipped with genrelib: Sturm's artist index and the fault-filtered split.

Both come from small text files in ``genrelib/data/resources/`` (sources and
citations in ``resources/SOURCES.md``), read with :mod:`importlib.resources`, so
they work without the audio and without any download.

Notebook: 01_dataset, 09_honest_evaluation.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "test")
"""Names of the three parts of a split, in order."""


def _read_resource(*parts: str) -> str:
    """Return the text of a package data file under ``resources/``."""
    node = resources.files("genrelib.data").joinpath("resources")
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def _track_id(file_name: str) -> str:
    """``"blues/blues.00029.wav"`` or ``"blues.00029.wav"`` -> ``"blues.00029"``."""
    name = file_name.strip().rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if name.count(".") >= 2 else name


@lru_cache(maxsize=1)
def _artist_index() -> pd.DataFrame:
    rows = []
    for line in _read_resource("GTZANindex.txt").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(":::")]
        fields += [""] * (3 - len(fields))
        rows.append((_track_id(fields[0]), fields[1], fields[2]))
    return pd.DataFrame(rows, columns=["track_id", "artist", "title"])


def load_artist_index() -> pd.DataFrame:
    """Artist and title of each of the 1000 GTZAN clips (Sturm's index).

    Unidentified clips have an empty ``artist`` and/or ``title`` (``""``, never NaN).

    Notebook: 01_dataset, 09_honest_evaluation.

    Returns
    -------
    pandas.DataFrame
        Shape (1000, 3), columns ``track_id`` (``"blues.00000"``), ``artist``, ``title``.
    """
    return _artist_index().copy()


@lru_cache(maxsize=1)
def _fault_filtered() -> dict[str, tuple[str, ...]]:
    split = {}
    for name in SPLIT_NAMES:
        lines = _read_resource("fault_filtered", f"{name}.txt").splitlines()
        split[name] = tuple(_track_id(line) for line in lines if line.strip())
    return split


def load_fault_filtered_split() -> dict[str, list[str]]:
    """The fault-filtered, artist-disjoint GTZAN split of Kereliuk, Sturm & Larsen (2015).

    443 training, 197 validation and 290 test tracks; the other 70 clips (repeated,
    distorted or mislabelled ones) belong to none of the three.

    Notebook: 09_honest_evaluation.

    Returns
    -------
    dict of str to list of str
        ``{"train": [...], "valid": [...], "test": [...]}``, track ids like ``"blues.00029"``.
    """
    return {name: list(ids) for name, ids in _fault_filtered().items()}

"""Train / validation / test assignment under four protocols.

``"paper"``
    Rows (chunks) are shuffled and cut 80/10/10, as the paper does. Chunks of one
    track land in different sets, so the test set holds excerpts of songs the model
    was trained on: accuracy measures recognition of songs, not of genres.
``"track"``
    Stratified by genre at track level: all chunks of a track share a set.
``"artist"``
    Artist-disjoint: all tracks of an artist share a set (GTZAN holds many tracks
    per artist, so the track protocol still leaks the artist's sound).
``"fault-filtered"``
    The fixed, artist-disjoint, fault-filtered lists of Kereliuk, Sturm & Larsen
    (2015); tracks in none of the lists are ``"unused"``.

Notebook: 09_honest_evaluation (and 04-07 through their ``split`` parameter).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from genrelib.config import SPLIT_PROTOCOLS
from genrelib.data.metadata import SPLIT_NAMES, load_fault_filtered_split
from genrelib.errors import ConfigError

PROTOCOLS: tuple[str, ...] = SPLIT_PROTOCOLS
"""Names accepted by :func:`assign_splits`."""

UNUSED = "unused"
"""Split value of tracks outside the fault-filtered lists."""

_REQUIRED = {
    "paper": ("track_id",),
    "track": ("track_id", "label"),
    "artist": ("track_id", "label", "artist"),
    "fault-filtered": ("track_id",),
}


def _validate(chunks: pd.DataFrame, protocol: str, fractions: Sequence[float]) -> np.ndarray:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown split protocol {protocol!r}; choose one of {PROTOCOLS}")
    missing = [column for column in _REQUIRED[protocol] if column not in chunks.columns]
    if missing:
        raise ConfigError(f"split protocol {protocol!r} needs columns {missing} in the table")
    values = np.asarray(fractions, dtype=float)
    if values.shape != (3,) or not np.all(values > 0) or not np.isclose(values.sum(), 1.0):
        raise ConfigError(
            f"fractions must be three positive numbers (train, valid, test) summing to 1, "
            f"got {tuple(fractions)}"
        )
    return values


def _split_counts(n: int, fractions: np.ndarray) -> np.ndarray:
    """Integer sizes (train, valid, test) summing to ``n``, closest to ``n * fractions``.

    Largest remainders; when ``n >= 3`` every set gets at least one item.
    """
    exact = n * fractions
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    if n >= 3:
        for index in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[index] += 1
    return counts


def _paper(n_rows: int, rng: np.random.Generator, fractions: np.ndarray) -> np.ndarray:
    counts = _split_counts(n_rows, fractions)
    names = np.repeat(np.array(SPLIT_NAMES, dtype=object), counts)
    out = np.empty(n_rows, dtype=object)
    out[rng.permutation(n_rows)] = names
    return out


def _by_track(tracks: pd.DataFrame, rng: np.random.Generator, fractions: np.ndarray) -> dict:
    assignment = {}
    for _, group in tracks.groupby("label", sort=True):
        ids = rng.permutation(group["track_id"].to_numpy())
        names = np.repeat(np.array(SPLIT_NAMES, dtype=object), _split_counts(len(ids), fractions))
        assignment.update(zip(ids, names, strict=True))
    return assignment


def artist_keys(tracks: pd.DataFrame) -> pd.Series:
    """Artist of each row, an unknown artist counting as an artist of its own.

    Notebook: 09_honest_evaluation (and 03_baselines' cross-validation folds).

    Parameters
    ----------
    tracks : pandas.DataFrame
        Rows with ``track_id`` and ``artist`` (empty or NaN when unknown).

    Returns
    -------
    pandas.Series
        Shape (n_rows,): the artist, or ``"track:<track_id>"`` when unknown.
    """
    artist = tracks["artist"].fillna("").astype(str).str.strip()
    return artist.where(artist != "", "track:" + tracks["track_id"].astype(str))


def _by_artist(tracks: pd.DataFrame, rng: np.random.Generator, fractions: np.ndarray) -> dict:
    """Greedy artist-disjoint assignment, genre by genre.

    Each artist belongs to its most frequent genre. Within a genre, artists are taken
    in a seeded random order; each goes to the set that keeps the track counts closest
    to their targets (chi-square distance). Then, if a set got no artist although the
    genre has three or more, the smallest artist of the most crowded set moves there,
    so every genre is represented in every set whenever possible.
    """
    tracks = tracks.assign(_artist=artist_keys(tracks).to_numpy())
    home = tracks.groupby("_artist")["label"].agg(lambda labels: labels.mode().iloc[0])
    sizes = tracks.groupby("_artist").size()
    assignment = {}
    for label in sorted(home.unique()):
        artists = rng.permutation(np.sort(home.index[home == label].to_numpy()))
        targets = fractions * sizes[artists].sum()
        filled = np.zeros(3)
        members: list[list[str]] = [[], [], []]
        for artist in artists:
            options = filled + sizes[artist] * np.eye(3)
            choice = int(np.argmin((((options - targets) ** 2) / targets).sum(axis=1)))
            filled[choice] += sizes[artist]
            members[choice].append(artist)
        for empty in (k for k in range(3) if not members[k] and len(artists) >= 3):
            donor = max(range(3), key=lambda k: len(members[k]))
            smallest = min(members[donor], key=lambda artist: sizes[artist])
            members[donor].remove(smallest)
            members[empty].append(smallest)
        for name, group in zip(SPLIT_NAMES, members, strict=True):
            assignment.update(dict.fromkeys(group, name))
    return dict(zip(tracks["track_id"], tracks["_artist"].map(assignment), strict=True))


def _fault_filtered(track_ids: pd.Series) -> np.ndarray:
    lists = load_fault_filtered_split()
    membership = {track: name for name, ids in lists.items() for track in ids}
    return track_ids.map(membership).fillna(UNUSED).to_numpy(dtype=object)


def assign_splits(
    chunks: pd.DataFrame,
    protocol: str,
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
) -> pd.Series:
    """Assign each row (chunk or track) to ``"train"``, ``"valid"`` or ``"test"``.

    Notebook: 09_honest_evaluation (and 04-07 through their ``split`` parameter).

    Parameters
    ----------
    chunks : pandas.DataFrame
        One row per chunk (or per track), with ``track_id``; ``label`` for the
        ``track`` and ``artist`` protocols; ``artist`` for ``artist`` (an empty or
        missing artist counts as an artist of its own).
    protocol : {"paper", "track", "artist", "fault-filtered"}
        See the module docstring. ``"paper"`` shuffles rows, so chunks of one track
        leak across sets and inflate test accuracy; the others keep tracks whole.
    seed : int
        Seed of the shuffles (``fault-filtered`` is fixed and ignores it).
    fractions : sequence of 3 float
        Target shares of (train, valid, test); positive, summing to 1. Ignored by
        ``fault-filtered``.

    Returns
    -------
    pandas.Series
        Shape (n_rows,), index aligned with ``chunks``, name ``"split"``, values
        ``"train"``, ``"valid"``, ``"test"`` (and ``"unused"`` for tracks outside the
        fault-filtered lists).

    Raises
    ------
    ConfigError
        On an unknown protocol, missing columns or invalid fractions.
    """
    values = _validate(chunks, protocol, fractions)
    rng = np.random.default_rng(seed)
    if protocol == "paper":
        result = _paper(len(chunks), rng, values)
    elif protocol == "fault-filtered":
        result = _fault_filtered(chunks["track_id"])
    else:
        columns = ["track_id", "label"] + (["artist"] if protocol == "artist" else [])
        tracks = chunks[columns].drop_duplicates("track_id")
        tracks = tracks.sort_values("track_id", ignore_index=True)
        assign = _by_track if protocol == "track" else _by_artist
        result = chunks["track_id"].map(assign(tracks, rng, values)).to_numpy(dtype=object)
    return pd.Series(result, index=chunks.index, name="split", dtype=object)

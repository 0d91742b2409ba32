"""Your own collection of labelled audio: the label set comes from the data.

A collection is, as torchvision's ``ImageFolder`` has it, a folder with one sub-folder per
label, ``root/<label>/**/<audio>`` (audio at any depth below its label folder), or a CSV
manifest with columns ``path,label`` and an optional ``group`` (an artist, an album: tracks
of one group are kept on one side of a split), its paths relative to the manifest's folder.

The class names are the label folders (or the manifest's labels), sorted; each track's id is
its path relative to the root, so two files named alike under two labels are two tracks.
GTZAN is one such collection (:func:`~genrelib.data.gtzan.index_gtzan` keeps its own ids,
artists and splits).

Notebook: 11_own_collection (``genrelib data verify --data-dir``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.config import GENRES
from genrelib.data.gtzan import AUDIO_EXTENSIONS, COLUMNS, _duration, find_genre_root
from genrelib.data.splits import assign_splits
from genrelib.errors import ConfigError, DatasetNotFoundError

MANIFEST_COLUMNS: tuple[str, ...] = ("path", "label")
"""Columns a manifest must have; ``group`` is optional."""

MIN_LABELS = 2
"""Fewest labels a collection needs to be classified."""

_HOW = (
    "give a folder with one sub-folder of audio per label (root/<label>/<file>) "
    "or a CSV manifest with columns path,label[,group]"
)


@dataclass(frozen=True)
class Collection:
    """A labelled collection, indexed.

    Notebook: 11_own_collection (``genrelib data verify``).

    Attributes
    ----------
    root : Path
        The folder the track ids are relative to (the manifest's folder for a manifest).
    tracks : pandas.DataFrame
        One row per audio file, the columns of :data:`~genrelib.data.gtzan.COLUMNS`:
        ``path``, ``genre`` (the label's name), ``label`` (index into ``classes``),
        ``track_id`` (path relative to ``root``), ``duration`` (s, NaN if unread),
        ``artist`` (the manifest's group, else ``""``), ``title`` (the file's stem).
    classes : tuple of str
        The label names, sorted; ``label`` indexes them.
    """

    root: Path
    tracks: pd.DataFrame
    classes: tuple[str, ...]

    def counts(self) -> pd.Series:
        """Tracks per label, in class order (a label without tracks counts 0)."""
        return self.tracks["genre"].value_counts().reindex(list(self.classes), fill_value=0)


def _is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")


def _folder_rows(root: Path) -> list[tuple[Path, str, str]]:
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and _is_audio(path):
                rows.append((path, folder.name, ""))
    return rows


def read_manifest(manifest: str | os.PathLike) -> pd.DataFrame:
    """The rows of a manifest: ``path`` (resolved), ``label``, ``group`` (``""`` if none).

    Notebook: 11_own_collection (``genrelib data verify``).

    Raises
    ------
    DatasetNotFoundError
        If the file is not a readable CSV with columns ``path`` and ``label``, or a row
        names no label or an audio file that does not exist.
    """
    path = Path(manifest).expanduser()
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DatasetNotFoundError(
            f"manifest {path} is not a readable CSV ({error}); {_HOW}"
        ) from None
    missing = [column for column in MANIFEST_COLUMNS if column not in table.columns]
    if missing:
        raise DatasetNotFoundError(
            f"manifest {path} lacks column(s) {', '.join(missing)} (it has "
            f"{', '.join(table.columns) or 'none'}); {_HOW}"
        )
    table = table.assign(group=table.get("group", ""))
    blank = table.index[(table["label"].str.strip() == "") | (table["path"].str.strip() == "")]
    if len(blank):
        raise DatasetNotFoundError(
            f"manifest {path}, row {blank[0] + 2}: a path and a label are both required"
        )
    table["path"] = [(path.parent / p).resolve() for p in table["path"]]
    absent = [p for p in table["path"] if not p.is_file()]
    if absent:
        raise DatasetNotFoundError(
            f"manifest {path} names {len(absent)} file(s) that do not exist, e.g. {absent[0]}"
        )
    return table[["path", "label", "group"]]


def index_collection(source: str | os.PathLike, with_duration: bool = True) -> Collection:
    """Index a labelled folder or a manifest: one row per audio file, labels from the data.

    Notebook: 11_own_collection (``genrelib data verify --data-dir``).

    Parameters
    ----------
    source : path-like
        A folder ``root/<label>/**/<audio>`` or a ``.csv`` manifest (module docstring).
    with_duration : bool
        Read each file's duration from its header (no decoding; NaN when unreadable).

    Returns
    -------
    Collection

    Raises
    ------
    DatasetNotFoundError
        If ``source`` does not exist, holds no audio under label folders, or has fewer
        than :data:`MIN_LABELS` labels.
    """
    source = Path(source).expanduser()
    if source.is_file() and source.suffix.lower() == ".csv":
        manifest = read_manifest(source)
        root = source.parent.resolve()
        rows = list(manifest.itertuples(index=False, name=None))
    elif source.is_dir():
        root = source.resolve()
        rows = _folder_rows(root)
    elif source.is_file():
        raise DatasetNotFoundError(f"collection {source} is a file, not a folder; {_HOW}")
    else:
        raise DatasetNotFoundError(f"collection {source} does not exist; {_HOW}")
    if not rows:
        raise DatasetNotFoundError(f"{source} holds no audio under label folders; {_HOW}")
    classes = tuple(sorted({label for _, label, _ in rows}))
    if len(classes) < MIN_LABELS:
        raise DatasetNotFoundError(
            f"{source} holds {len(classes)} label ({', '.join(classes)}); a classifier needs at "
            f"least {MIN_LABELS}: {_HOW}"
        )
    index = {name: k for k, name in enumerate(classes)}
    table = pd.DataFrame(
        {
            "path": [str(path) for path, _, _ in rows],
            "genre": [label for _, label, _ in rows],
            "label": np.array([index[label] for _, label, _ in rows], dtype=np.int64),
            "track_id": [_relative_id(path, root) for path, _, _ in rows],
            "duration": [_duration(path) if with_duration else np.nan for path, _, _ in rows],
            "artist": [group for _, _, group in rows],
            "title": [Path(path).stem for path, _, _ in rows],
        }
    )
    table["duration"] = table["duration"].astype(np.float64)
    table = table.sort_values(["label", "track_id"], ignore_index=True)[list(COLUMNS)]
    return Collection(root, table, classes)


def _relative_id(path: Path, root: Path) -> str:
    """The track id: ``path`` relative to ``root`` in POSIX form (the path itself if outside)."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()


def content_duplicates(tracks: pd.DataFrame, chunk_bytes: int = 1 << 20) -> pd.DataFrame:
    """Files of a collection with the same bytes: the same audio under two names or labels.

    Files are first grouped by size; only files sharing a size are hashed (SHA-256).

    Notebook: 11_own_collection (``genrelib data verify``).

    Returns
    -------
    pandas.DataFrame
        One row per file that has a twin: ``digest`` (shared by the twins), ``track_id``,
        ``genre``; sorted by digest. Empty when every file is unique.
    """
    sizes = tracks["path"].map(os.path.getsize)
    candidates = tracks[sizes.duplicated(keep=False)]
    digests = candidates["path"].map(lambda p: _sha256(Path(p), chunk_bytes))
    twins = candidates.assign(digest=digests)
    twins = twins[twins["digest"].duplicated(keep=False)]
    return twins[["digest", "track_id", "genre"]].sort_values(
        ["digest", "track_id"], ignore_index=True
    )


def _sha256(path: Path, chunk_bytes: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def is_gtzan_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds the ten GTZAN genre folders (in a GTZAN layout) and no others.

    A collection whose label folders are some GTZAN genres plus labels of its own is not
    GTZAN: it is indexed by :func:`index_collection`, its labels from its folders.

    Notebook: none (``genrelib data verify``).
    """
    try:
        root = find_genre_root(path)
    except DatasetNotFoundError:
        return False
    labels = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return labels == set(GENRES)


def is_own_collection(data_dir: str | os.PathLike | None) -> bool:
    """Whether a ``--data-dir`` names a collection of your own (given, and not GTZAN).

    ``None`` (the profile's data: GTZAN or its synthetic stand-in) is not one.

    Notebook: none (``genrelib data verify|features|train|evaluate --data-dir``).
    """
    return data_dir is not None and not is_gtzan_folder(data_dir)


def label_summary(
    collection: Collection, report: pd.DataFrame, twins: pd.DataFrame
) -> pd.DataFrame:
    """Per label: files, usable files, bad files and files with a twin elsewhere.

    Notebook: 11_own_collection (``genrelib data verify --data-dir``).

    Parameters
    ----------
    collection : Collection
        The indexed collection.
    report : pandas.DataFrame
        :func:`~genrelib.data.verify.verify_dataset` of ``collection.tracks``.
    twins : pandas.DataFrame
        :func:`content_duplicates` of ``collection.tracks``.

    Returns
    -------
    pandas.DataFrame
        Indexed by label (class order): ``files``, ``usable``, ``bad``, ``duplicated``.
    """
    by_label = report.groupby("genre")["ok"]
    return (
        pd.DataFrame(
            {
                "files": collection.counts(),
                "usable": by_label.sum().reindex(list(collection.classes), fill_value=0),
                "bad": (~report["ok"]).groupby(report["genre"]).sum(),
                "duplicated": twins["genre"].value_counts(),
            },
            index=pd.Index(list(collection.classes), name="label"),
        )
        .fillna(0)
        .astype(np.int64)
    )


def check_label_sizes(collection: Collection, needed: int, what: str) -> None:
    """Refuse a split that some label has too few tracks for, naming the label.

    Notebook: 11_own_collection (the splits of :func:`split_collection` and
    :func:`collection_folds`).

    Raises
    ------
    ConfigError
        Naming the smallest label, its tracks and what it needs.
    """
    counts = collection.counts()
    short = counts[counts < needed]
    if len(short):
        label, n = short.idxmin(), int(short.min())
        others = f" ({len(short) - 1} other label(s) too)" if len(short) > 1 else ""
        raise ConfigError(
            f"label {label!r} has {n} track(s){others}; {what} needs at least {needed} per "
            "label: add tracks to it, or leave the label out"
        )


def _protocol(collection: Collection, by_group: bool | None) -> str:
    grouped = (collection.tracks["artist"] != "").any() if by_group is None else by_group
    return "artist" if grouped else "track"


def split_collection(
    collection: Collection,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    by_group: bool | None = None,
) -> pd.Series:
    """Train, validation and test tracks of a collection: stratified, never a track on two sides.

    With groups (a manifest's ``group`` column) the split keeps each group on one side
    (:func:`~genrelib.data.splits.assign_splits`, protocol ``"artist"``); without, it keeps
    each track on one side (protocol ``"track"``).

    Notebook: 11_own_collection (``genrelib train --data-dir`` on a collection).

    Parameters
    ----------
    collection : Collection
        The indexed collection.
    seed : int
        Seed of the shuffle.
    fractions : tuple of 3 float
        Target shares of train, validation and test.
    by_group : bool or None
        Keep groups apart; ``None``: whenever the collection names any group.

    Returns
    -------
    pandas.Series
        ``"train"``, ``"valid"`` or ``"test"`` per row of ``collection.tracks``.

    Raises
    ------
    ConfigError
        If a label has fewer than 3 tracks (one per set).
    """
    protocol = _protocol(collection, by_group)
    check_label_sizes(collection, 3, f"a {protocol}-disjoint train/validation/test split")
    return assign_splits(collection.tracks, protocol, seed, fractions)


def collection_folds(
    collection: Collection, n_folds: int = 5, seed: int = 0, by_group: bool | None = None
) -> np.ndarray:
    """k folds of a collection's tracks, stratified by label, groups (if any) kept whole.

    Notebook: 11_own_collection (``genrelib probe fit`` on a collection).

    Returns
    -------
    numpy.ndarray
        Shape (n_tracks,), the fold of each row of ``collection.tracks``, in ``[0, n_folds)``.

    Raises
    ------
    ConfigError
        If a label has fewer tracks than folds, or there are fewer groups than folds.
    """
    from genrelib.cross_validation import assign_folds

    check_label_sizes(collection, n_folds, f"{n_folds}-fold cross-validation")
    return assign_folds(collection.tracks, _protocol(collection, by_group), n_folds, seed)

"""Download what the book reads into the data home, every file checked against a recorded hash.

Three parts, each fetched by :func:`genrelib.data.fetch.fetch_file` (resumed after an
interruption, renamed into place only once its hash matches):

* ``mini``: the 100 clips of ``gtzan_mini`` (10 per genre), the archive of the GitHub
  repository ``TempoBeatDownbeat/gtzan_mini`` that mirdata's ``gtzan_genre`` loader
  (version ``mini``) downloads. Every extracted clip is checked against the md5 list that
  ships with genrelib (``resources/gtzan_mini_md5.txt``);
* the Kaggle 30-s feature table ``features_30_sec.csv`` (md5 recorded below);
* the 8 external songs: librosa's example recordings, under the file names and sha256
  hashes of librosa's own registry, from librosa's data server;

and ``full``: the GTZAN archive ``genres.tar.gz`` (about 1.2 GB).

Archives are checked member by member first (no absolute paths, no ``..``, no links or
devices pointing outside), extracted into a temporary folder of the data home and moved
into place; a part is marked present (:func:`genrelib.data.home.write_stamp`) only after
all its files passed. Offline, with a dead mirror or a bad hash, one line names the file,
what failed and what to do.

Notebook: 01_dataset.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from genrelib.data.fetch import fetch_file, file_digest, one_line
from genrelib.data.gtzan import find_genre_root, index_gtzan
from genrelib.data.home import (
    FEATURES,
    FEATURES_FILE,
    FULL,
    MINI,
    SONGS,
    book_data,
    data_home,
    write_stamp,
)
from genrelib.errors import DatasetNotFoundError, DownloadError, UnsafeArchiveError
from genrelib.progress import tqdm

ARCHIVE_NAME = "genres.tar.gz"
"""File name of the full GTZAN archive."""

MIRRORS: tuple[str, ...] = (
    "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
    "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
)
"""Public copies of the full GTZAN archive, tried in order: the Hugging Face dataset
``marsyas/gtzan`` and the historical marsyas.info address (offline for years)."""

GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"
"""SHA-256 that torchaudio's GTZAN loader records for the marsyas.info archive.

Mirrors of the full archive are known to serve different bytes, so it is reported, not
enforced, unless ``--sha256`` is given."""


@dataclass(frozen=True)
class Remote:
    """One downloadable file: its name, where it is and its recorded hash.

    Notebook: 01_dataset.

    Attributes
    ----------
    filename : str
        Name of the file (also its name on a mirror folder).
    urls : tuple of str
        Public copies, tried in order after any mirror.
    checksum : str or None
        ``"md5:<hex>"`` or ``"sha256:<hex>"``; ``None`` only for archives whose content is
        checked file by file after extraction.
    source : str
        Who publishes it, for the download report.
    """

    filename: str
    urls: tuple[str, ...]
    checksum: str | None
    source: str


MINI_ARCHIVE = Remote(
    filename="gtzan_mini-main.zip",
    urls=("https://github.com/TempoBeatDownbeat/gtzan_mini/archive/refs/heads/main.zip",),
    checksum=None,  # GitHub builds the archive on request; each clip is checked instead
    source="github.com/TempoBeatDownbeat/gtzan_mini (mirdata gtzan_genre, version mini)",
)
"""The ``gtzan_mini`` repository archive (mirdata records md5 44f7f23af8363d96c59663a987f29a4c
for GitHub's build of it)."""

MINI_ARCHIVE_MD5 = "44f7f23af8363d96c59663a987f29a4c"
"""The archive's md5 as mirdata records it (reported; the clips are what is checked)."""

FEATURE_TABLE = Remote(
    filename=FEATURES_FILE,
    urls=(
        "https://raw.githubusercontent.com/WASN-Data/MLDeploy/"
        "bcde51f8df5a34d8ce922c085cf95c7e06454a8a/data/features_30_sec.csv",
        "https://raw.githubusercontent.com/WASN-Data/MLDeploy/main/data/features_30_sec.csv",
    ),
    checksum="md5:33e05662f090110c8724cb9feb6e8923",
    source="Kaggle 'GTZAN Dataset - Music Genre Classification' (copy: github.com/WASN-Data)",
)
"""The Kaggle 30-s feature table (1000 rows x 60 columns) behind the paper's Table IV."""

LIBROSA_DATA_URL = "https://librosa.org/data/audio/"
"""librosa's data server (the base URL of its example registry)."""

BOOK_SONGS: tuple[str, ...] = (
    "brahms",
    "nutcracker",
    "sweetwaltz",
    "pistachio",
    "vibeace",
    "trumpet",
    "fishin",
    "choice",
)
"""librosa example keys of the 8 external songs of chapters 06b and 08."""

_MINI_MD5 = "gtzan_mini_md5.txt"


MIRROR_NAMES = "gtzan_mini-main.zip or genres/<genre>/*.wav, features_30_sec.csv, the songs"
"""What a ``--mirrors`` folder may hold, by name (also in the data home's own layout)."""


def _unreachable_fix(what: str) -> str:
    return (
        f"check the connection and run the command again (it resumes); offline, give a folder "
        f"holding {what} with --mirrors DIR"
    )


def _mismatch_fix(name: str) -> str:
    return (
        f"that copy is not the file the book uses and was removed: give a folder or URL "
        f"with the original {name} (--mirrors), or leave out the mirror that served it"
    )


def song_remotes(keys: Sequence[str] = BOOK_SONGS) -> list[Remote]:
    """The recordings (``.hq.ogg``) and licence notes (``.txt``) of librosa examples ``keys``.

    File names and sha256 hashes come from librosa's own example registry, so they are the
    files ``librosa.ex(key, hq=True)`` fetches and checks.

    Notebook: 08_external_songs.

    Raises
    ------
    DownloadError
        If this librosa has no example registry or lacks one of ``keys``.
    """
    registry_dir = importlib.resources.files("librosa.util.example_data")
    try:
        index = json.loads((registry_dir / "index.json").read_text())
        hashes = dict(
            line.split() for line in (registry_dir / "registry.txt").read_text().splitlines()
        )
    except (FileNotFoundError, ValueError) as error:
        raise DownloadError(
            f"librosa's example registry cannot be read ({one_line(error)}); upgrade librosa "
            f"(0.10 or newer)"
        ) from None
    remotes = []
    for key in keys:
        if key not in index:
            raise DownloadError(f"librosa has no example {key!r}; upgrade librosa")
        stem = index[key]["path"]
        for name in (f"{stem}.hq.ogg", f"{stem}.txt"):
            remotes.append(
                Remote(name, (LIBROSA_DATA_URL + name,), f"sha256:{hashes[name]}", "librosa")
            )
    return remotes


def _is_url(mirror: str) -> bool:
    return "://" in mirror


def local_mirror(mirror: str) -> Path | None:
    """The folder a ``--mirrors`` entry names, or ``None`` for a URL.

    Notebook: 01_dataset (``genrelib data download --mirrors``).

    Raises
    ------
    DownloadError
        When a mirror that is not a URL names no folder.
    """
    if _is_url(mirror):
        return None
    folder = Path(mirror).expanduser()
    if not folder.is_dir():
        raise DownloadError(
            f"--mirrors {mirror}: no such folder; give a folder holding {MIRROR_NAMES}, or "
            f"an http(s) URL serving them"
        )
    return folder.resolve()


def _candidates(remote: Remote, mirrors: Sequence[str], subfolder: str = "") -> list[str]:
    """URLs of ``remote``: each mirror first, then the public copies.

    A mirror is a URL (a folder serving files by name, or one ending in the file's name) or
    a local folder holding the file by name, directly or under ``subfolder`` (the layout of
    a data home, so another machine's data home serves as a mirror).
    """
    urls = []
    for mirror in mirrors:
        folder = local_mirror(mirror)
        if folder is not None:
            places = [folder / remote.filename, folder / subfolder / remote.filename]
            urls += [place.as_uri() for place in dict.fromkeys(places) if place.is_file()]
            continue
        name_at_end = mirror.rstrip("/").rsplit("/", 1)[-1] == remote.filename
        urls.append(mirror if name_at_end else f"{mirror.rstrip('/')}/{remote.filename}")
    return [*urls, *remote.urls]


def _record(path: Path, remote: Remote, url: str | None) -> dict:
    """What the download report says of one file; ``url=None``: it was checked in place."""
    algorithm = remote.checksum.split(":")[0] if remote.checksum else "sha256"
    mirrored = url is not None and url not in remote.urls
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "hash": f"{algorithm}:{file_digest(path, algorithm)}",
        "source": remote.source,
        "from": "a copy in place" if url is None else ("a mirror" if mirrored else "the source"),
        **({"url": url} if url else {}),
    }


def _check_members(archive: Path, names: Sequence[str], root: Path) -> None:
    """Raise unless every member name of ``archive`` stays inside ``root``."""
    for member in names:
        name = PurePosixPath(member)
        if name.is_absolute() or ".." in name.parts or not _inside(root, root / name):
            raise UnsafeArchiveError(
                f"{archive} holds an unsafe member {member!r} (absolute path, '..', "
                f"outside link or device); nothing was extracted: use a trusted copy"
            )


def _inside(root: Path, target: Path) -> bool:
    return os.path.commonpath([root, os.path.abspath(target)]) == str(root)


def _check_tar_members(archive: Path, tar: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    """Return the members if every one (and every link) stays inside ``root``; raise otherwise."""
    members = tar.getmembers()
    _check_members(archive, [member.name for member in members], root)
    for member in members:
        name = PurePosixPath(member.name)
        if member.issym():
            link = PurePosixPath(member.linkname)
            unsafe = link.is_absolute() or not _inside(root, root / name.parent / link)
        elif member.islnk():
            link = PurePosixPath(member.linkname)
            unsafe = link.is_absolute() or not _inside(root, root / link)
        else:
            unsafe = not (member.isfile() or member.isdir())
        if unsafe:
            raise UnsafeArchiveError(
                f"{archive} holds an unsafe member {member.name!r} (absolute path, '..', "
                f"outside link or device); nothing was extracted: use a trusted copy"
            )
    return members


def _unpack(archive: Path, staging: Path) -> None:
    """Extract a ``.tar.gz`` or ``.zip`` into ``staging`` after checking every member."""
    try:
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as bundle:
                _check_members(archive, bundle.namelist(), staging)
                broken = bundle.testzip()
                if broken is not None:
                    raise zipfile.BadZipFile(f"member {broken} fails its CRC check")
                bundle.extractall(staging)
            return
        with tarfile.open(archive, "r:*") as tar:
            members = _check_tar_members(archive, tar, staging)
            options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(staging, members=members, **options)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        archive.unlink(missing_ok=True)
        raise DownloadError(
            f"{archive.name} is not a readable archive ({one_line(error)}); it was removed: "
            f"run the command again to download it anew"
        ) from None


def _staging(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".extract-", dir=home)).resolve()


@lru_cache(maxsize=1)
def _mini_manifest() -> dict[str, str]:
    text = importlib.resources.files("genrelib.data").joinpath("resources", _MINI_MD5).read_text()
    return dict(line.split() for line in text.splitlines() if line and not line.startswith("#"))


def _genre_root_inside(staging: Path, archive: Path) -> Path:
    """The genre folders of an extracted archive: at its top or in one top-level folder."""
    for candidate in (staging, *sorted(entry for entry in staging.iterdir() if entry.is_dir())):
        try:
            return find_genre_root(candidate)
        except DatasetNotFoundError:
            continue
    archive.unlink(missing_ok=True)
    raise DownloadError(
        f"{archive.name} holds no GTZAN genre folders; it was removed: run the command again, "
        f"or pass --mirrors with another copy"
    )


def _check_mini_clips(genres: Path, where: str, fix: str) -> None:
    """Raise unless ``genres`` holds the recorded clips with their recorded md5.

    ``where`` names the copy in the message (an archive, a folder) and ``fix`` ends it.
    """
    expected = _mini_manifest()
    found = {path.relative_to(genres).as_posix() for path in genres.glob("*/*.wav")}
    missing = sorted(set(expected) - found)
    if missing:
        raise DownloadError(
            f"{where} lacks {len(missing)} of the {len(expected)} clips (first: "
            f"{missing[0]}); {fix}"
        )
    for name, digest in tqdm(expected.items(), desc="checking clips", leave=False):
        actual = file_digest(genres / name, "md5")
        if actual != digest:
            raise DownloadError(f"{where}: clip {name} has md5 {actual}, recorded {digest}; {fix}")


def _clips_in(folder: Path) -> Path | None:
    """The genre folders of a local copy holding every recorded clip, in any usual layout.

    The folder itself, ``genres/``, ``gtzan_mini/genres/`` or ``gtzan_mini-main/genres/``
    (an extracted ``gtzan_mini`` archive, a data home, or a full GTZAN copy).
    """
    expected = _mini_manifest()
    for candidate in (folder, folder / MINI, folder / "gtzan_mini-main"):
        try:
            genres = find_genre_root(candidate)
        except DatasetNotFoundError:
            continue
        if all((genres / name).is_file() for name in expected):
            return genres
    return None


def _clips_record(genres: Path, source: str | None) -> dict:
    """The download report's line for the clips taken from a folder (``None``: in place)."""
    clips = [genres / name for name in _mini_manifest()]
    return {
        "file": f"{MINI}/genres ({len(clips)} clips)",
        "bytes": sum(clip.stat().st_size for clip in clips),
        "hash": "md5 of every clip as recorded",
        "source": MINI_ARCHIVE.source,
        "from": "a copy in place" if source is None else "a mirror",
        **({"url": source} if source else {}),
    }


def _stamp_clips(home: Path, record: dict) -> None:
    """Mark ``<home>/gtzan_mini`` as checked, recording where its clips came from."""
    write_stamp(home / MINI, {"clips": len(_mini_manifest()), "archive": record})


def _install_clips(home: Path, genres: Path, record: dict) -> None:
    """Move checked genre folders into ``<home>/gtzan_mini/genres`` and stamp them."""
    target = home / MINI
    shutil.rmtree(target, ignore_errors=True)  # an unchecked leftover of an earlier try
    target.mkdir(parents=True)
    os.replace(genres, target / "genres")
    _stamp_clips(home, record)


def _mini_from_folder(home: Path, genres: Path) -> dict:
    """Copy the recorded clips of a local folder into the data home, each checked."""
    staging = _staging(home)
    try:
        copied = staging / "genres"
        for name in _mini_manifest():
            (copied / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(genres / name, copied / name)
        _check_mini_clips(
            copied, str(genres), "that copy is not gtzan_mini: give another folder with --mirrors"
        )
        record = _clips_record(genres, str(genres))
        _install_clips(home, copied, record)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def download_mini(
    home: str | os.PathLike | None = None,
    mirrors: Sequence[str] = (),
    timeout: float = 30.0,
    progress: bool = True,
) -> list[dict]:
    """Download the 100 ``gtzan_mini`` clips into ``<home>/gtzan_mini/genres``, each checked.

    Nothing is downloaded when a checked copy is already there. Clips put into
    ``<home>/gtzan_mini/genres`` by hand are checked in place; a local mirror folder may
    hold the archive (``gtzan_mini-main.zip``) or the extracted clips (:func:`_clips_in`).

    Notebook: 01_dataset.

    Parameters
    ----------
    home : path-like or None
        The data home (``None``: :func:`~genrelib.data.home.data_home`).
    mirrors : sequence of str
        Local folders or URLs tried before the public copy.
    timeout : float
        Seconds to wait for a server.
    progress : bool
        Show progress bars.

    Returns
    -------
    list of dict
        One record (``file``, ``bytes``, ``hash``, ``source``, ``from``, ``url``) for the
        archive or the copied clips; empty when a checked copy was already there.

    Raises
    ------
    DownloadError
        Offline, a dead mirror, an unreadable archive or a clip with another md5.
    UnsafeArchiveError
        When a member of the archive would land outside the data home.
    """
    home = Path(home).expanduser().resolve() if home is not None else data_home().resolve()
    if book_data(home).clips is not None:
        return []
    in_place = home / MINI / "genres"
    if in_place.is_dir():
        _check_mini_clips(
            in_place,
            str(in_place),
            f"replace that clip, or remove {home / MINI} and run the command again to download",
        )
        record = _clips_record(in_place, None)
        _stamp_clips(home, record)
        return [record]
    for mirror in mirrors:
        folder = local_mirror(mirror)
        genres = _clips_in(folder) if folder is not None else None
        if genres is not None:
            return [_mini_from_folder(home, genres)]
    archive, url = fetch_file(
        _candidates(MINI_ARCHIVE, mirrors),
        home / ".downloads" / MINI_ARCHIVE.filename,
        None,
        timeout,
        progress,
        _unreachable_fix(f"{MINI_ARCHIVE.filename} or the extracted genres/<genre>/*.wav"),
    )
    record = _record(archive, MINI_ARCHIVE, url)
    record["matches_mirdata"] = file_digest(archive, "md5") == MINI_ARCHIVE_MD5
    staging = _staging(home)
    try:
        _unpack(archive, staging)
        genres = _genre_root_inside(staging, archive)
        try:
            _check_mini_clips(
                genres,
                archive.name,
                "the archive was removed: run the command again, or pass --mirrors with "
                "another copy",
            )
        except DownloadError:
            archive.unlink(missing_ok=True)
            raise
        _install_clips(home, genres, record)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()
    return [record]


def _download_files(
    remotes: Sequence[Remote],
    folder: Path,
    mirrors: Sequence[str],
    timeout: float,
    progress: bool,
) -> list[dict]:
    """Fetch ``remotes`` into ``folder``, then stamp it; nothing when it is already stamped."""
    records = []
    for remote in tqdm(remotes, desc=folder.name, disable=not progress or len(remotes) < 2):
        path, url = fetch_file(
            _candidates(remote, mirrors, folder.name),
            folder / remote.filename,
            remote.checksum,
            timeout,
            progress,
            _unreachable_fix(remote.filename)
            + f", or copy it to {folder / remote.filename} and run the command again "
            f"(a copy there is checked in place)",
            _mismatch_fix(remote.filename),
        )
        records.append(_record(path, remote, url))
    write_stamp(folder, {"files": records})
    return records


def download_book(
    home: str | os.PathLike | None = None,
    mirrors: Sequence[str] = (),
    timeout: float = 30.0,
    progress: bool = True,
) -> list[dict]:
    """Download everything the published book reads: the clips, the 30-s table, the songs.

    Parts already downloaded and checked are skipped, so running it again costs nothing.
    After it, ``genrelib book run --profile cpu --no-train`` needs no paths.

    Notebook: 01_dataset (the command ``genrelib data download --book``).

    Parameters
    ----------
    home : path-like or None
        The data home (``None``: :func:`~genrelib.data.home.data_home`).
    mirrors : sequence of str
        Local folders or URLs tried before the public copies, holding the files by name:
        ``gtzan_mini-main.zip`` (GitHub's ``main.zip`` of ``gtzan_mini``) or the extracted
        clips (``genres/<genre>/*.wav``), ``features_30_sec.csv``, the songs'
        ``<name>.hq.ogg`` and ``<name>.txt``; directly or in the data home's layout
        (``gtzan_mini/genres``, ``features/``, ``external_songs/``).
    timeout : float
        Seconds to wait for a server.
    progress : bool
        Show progress bars.

    Returns
    -------
    list of dict
        One record per downloaded file (``file``, ``bytes``, ``hash``, ``source``).

    Raises
    ------
    DownloadError, UnsafeArchiveError
        As :func:`download_mini` and :func:`genrelib.data.fetch.fetch_file`.
    """
    home = Path(home).expanduser().resolve() if home is not None else data_home().resolve()
    records = download_mini(home, mirrors, timeout, progress)
    present = book_data(home)
    if present.features_csv is None:
        records += _download_files([FEATURE_TABLE], home / FEATURES, mirrors, timeout, progress)
    if present.songs_dir is None:
        records += _download_files(song_remotes(), home / SONGS, mirrors, timeout, progress)
    return records


_MANUAL = (
    "download genres.tar.gz by hand, extract it and pass --data-dir (data_dir=...) "
    "or set GTZAN_DIR to the extracted folder"
)


def download_gtzan(
    dest: str | os.PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    sha256: str | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download, check and extract the full GTZAN into ``dest``; return its genre folder.

    Nothing is downloaded when ``dest`` already holds a complete GTZAN copy, and a
    complete ``genres.tar.gz`` already in ``dest`` is reused.

    Notebook: 01_dataset.

    Parameters
    ----------
    dest : path-like or None
        Folder receiving ``genres.tar.gz`` and the extracted ``genres/`` (``None``: the data
        home's ``gtzan/``, where every command finds it).
    mirrors : sequence of str or None
        URLs of the archive, tried in order; ``None`` means :data:`MIRRORS`.
    sha256 : str or None
        Expected SHA-256 (hex). ``None`` skips the check and prints the computed
        hash, with whether it equals :data:`GTZAN_SHA256`.
    timeout : float
        Seconds to wait for a server before trying the next mirror.
    progress : bool
        Show a progress bar.

    Returns
    -------
    pathlib.Path
        The folder holding the genre folders (``<dest>/genres``), ready for
        :func:`~genrelib.data.gtzan.index_gtzan`.

    Raises
    ------
    DownloadError
        When no mirror answers (the message says how to use a local copy), a
        transfer stops early, or the checksum does not match (the file is removed).
    UnsafeArchiveError
        When a member of the archive would land outside ``dest``.
    """
    dest = Path(dest).expanduser().resolve() if dest is not None else data_home().resolve() / FULL
    dest.mkdir(parents=True, exist_ok=True)
    try:
        index_gtzan(dest, with_duration=False)
        return find_genre_root(dest)
    except DatasetNotFoundError:
        pass
    archive = dest / ARCHIVE_NAME
    checksum = f"sha256:{sha256.lower()}" if sha256 else None
    if not archive.exists():
        chosen = MIRRORS if mirrors is None else mirrors
        urls = _candidates(Remote(ARCHIVE_NAME, (), checksum, "GTZAN"), chosen)
        fetch_file(urls, archive, checksum, timeout, progress, _MANUAL, _MANUAL)
    actual = file_digest(archive, "sha256")
    if sha256 is not None and actual != sha256.lower():
        archive.unlink()
        raise DownloadError(
            f"checksum mismatch for {archive}: expected {sha256.lower()}, got {actual}; "
            f"the file was removed: run again, try another mirror, or {_MANUAL}"
        )
    if sha256 is None:
        known = "matches" if actual == GTZAN_SHA256 else "differs from"
        print(f"{archive.name} sha256 {actual} ({known} the hash torchaudio records)")
    staging = _staging(dest)
    try:
        _unpack(archive, staging)
        for entry in sorted(staging.iterdir()):
            target = dest / entry.name
            if target.exists():
                raise DownloadError(
                    f"{target} already exists and is not a complete GTZAN copy; move it away "
                    f"and run again"
                )
            os.replace(entry, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    root = find_genre_root(dest)
    write_stamp(dest, {"archive": ARCHIVE_NAME, "sha256": actual})
    return root

"""Download and extract the GTZAN archive (``genres.tar.gz``, about 1.2 GB).

The download streams into ``<dest>/genres.tar.gz.part`` and resumes it with an
HTTP Range request after an interruption; it is renamed to ``genres.tar.gz`` only
when complete. The SHA-256 is checked when given (a mismatch removes the file).
Extraction checks every member first (no absolute paths, no ``..``, no links or
devices pointing outside), extracts into a temporary folder inside ``dest`` and
renames the result into place, so a half-extracted dataset is never left behind.

No machine of this project can reach the internet; with a local copy, skip all of
this: extract the archive anywhere and pass ``--data-dir`` or set ``GTZAN_DIR``.

Notebook: 01_dataset.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from genrelib.data.gtzan import find_genre_root, index_gtzan
from genrelib.errors import DatasetNotFoundError, DownloadError, UnsafeArchiveError

ARCHIVE_NAME = "genres.tar.gz"
"""File name of the GTZAN archive."""

MIRRORS: tuple[str, ...] = (
    "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
    "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
)
"""Public copies of the GTZAN archive, tried in order: the Hugging Face dataset
``marsyas/gtzan`` and the historical marsyas.info address (offline for years)."""

GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"
"""SHA-256 that torchaudio's GTZAN loader records for the marsyas.info archive.

Not enforced by default, because nobody on this project could check that every
mirror serves the same bytes; :func:`download_gtzan` prints whether it matches."""

_CHUNK = 1 << 20
_MANUAL = (
    "download genres.tar.gz by hand, extract it and pass --data-dir (data_dir=...) "
    "or set GTZAN_DIR to the extracted folder"
)


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "reason", "") or error) or type(error).__name__
    return text.splitlines()[0]


def _fetch(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Stream ``url`` into ``part``, resuming from its current size."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "genrelib"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing left to send: the part is complete
            return
        raise
    with response:
        resumed = have > 0 and response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with (
            open(part, "ab" if resumed else "wb") as sink,
            tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=ARCHIVE_NAME,
                disable=not progress,
            ) as bar,
        ):
            while block := response.read(_CHUNK):
                sink.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size != total:
        raise DownloadError(
            f"{url} sent {part.stat().st_size} of {total} bytes; run again to resume"
        )


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks (archives, weights files).

    Notebook: 01_dataset (downloads), 06b_music_transfer (musicnn weights, genre probe).
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _inside(root: Path, target: Path) -> bool:
    return os.path.commonpath([root, os.path.abspath(target)]) == str(root)


def _check_members(archive: Path, tar: tarfile.TarFile, root: Path) -> list[tarfile.TarInfo]:
    """Return the members if every one stays inside ``root``; raise otherwise."""
    members = tar.getmembers()
    for member in members:
        name = PurePosixPath(member.name)
        unsafe = name.is_absolute() or ".." in name.parts or not _inside(root, root / name)
        if member.issym():
            link = PurePosixPath(member.linkname)
            unsafe |= link.is_absolute() or not _inside(root, root / name.parent / link)
        elif member.islnk():
            link = PurePosixPath(member.linkname)
            unsafe |= link.is_absolute() or not _inside(root, root / link)
        elif not (member.isfile() or member.isdir()):
            unsafe = True
        if unsafe:
            raise UnsafeArchiveError(
                f"{archive} holds an unsafe member {member.name!r} (absolute path, '..', "
                f"outside link or device); nothing was extracted: use a trusted copy"
            )
    return members


def _extract(archive: Path, dest: Path) -> None:
    """Extract ``archive`` safely into a temporary folder, then rename its content into ``dest``."""
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest)).resolve()
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                members = _check_members(archive, tar, staging)
                options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(staging, members=members, **options)
        except (tarfile.TarError, EOFError, OSError) as error:
            raise DownloadError(
                f"{archive} is not a readable tar.gz ({_one_line(error)}); delete it and "
                f"download again, or {_MANUAL}"
            ) from None
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


def download_gtzan(
    dest: str | os.PathLike,
    mirrors: Sequence[str] | None = None,
    sha256: str | None = None,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download, check and extract GTZAN into ``dest``; return its genre folder.

    Nothing is downloaded when ``dest`` already holds a complete GTZAN copy, and a
    complete ``genres.tar.gz`` already in ``dest`` is reused.

    Notebook: 01_dataset.

    Parameters
    ----------
    dest : path-like
        Folder receiving ``genres.tar.gz`` and the extracted ``genres/``.
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
    dest = Path(dest).expanduser().resolve()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        index_gtzan(dest, with_duration=False)
        return find_genre_root(dest)
    except DatasetNotFoundError:
        pass
    archive = dest / ARCHIVE_NAME
    part = dest / (ARCHIVE_NAME + ".part")
    if not archive.exists():
        errors = []
        for url in mirrors if mirrors is not None else MIRRORS:
            try:
                _fetch(url, part, timeout, progress)
            except (urllib.error.URLError, OSError, ValueError) as error:
                errors.append(f"{url}: {_one_line(error)}")
                continue
            os.replace(part, archive)
            break
        else:
            raise DownloadError(
                f"could not download GTZAN ({'; '.join(errors) or 'no mirror given'}); {_MANUAL}"
            )
    actual = file_sha256(archive)
    if sha256 is not None and actual != sha256.lower():
        archive.unlink()
        raise DownloadError(
            f"checksum mismatch for {archive}: expected {sha256.lower()}, got {actual}; "
            f"the file was removed: run again, try another mirror, or {_MANUAL}"
        )
    if sha256 is None:
        known = "matches" if actual == GTZAN_SHA256 else "differs from"
        print(f"{archive.name} sha256 {actual} ({known} the hash torchaudio records)")
    _extract(archive, dest)
    return find_genre_root(dest)

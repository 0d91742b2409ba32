"""Fetch one file over HTTP: resumed after an interruption, checked against a recorded hash.

A file is streamed into ``<target>.part`` beside its target. A transfer that stops early
(a dropped connection, a killed process) leaves the part where it is, and the next attempt
asks the server for the rest with an HTTP ``Range`` request. Only a complete part whose hash
equals the recorded one is renamed to ``target``; a part with the wrong hash is removed. So
a reader never finds a half-written or unchecked file under the target's name.

Hashes are written as ``"<algorithm>:<hex>"`` (``md5`` or ``sha256``), the convention of
pooch's registries (librosa's example data) and mirdata's loaders.

pooch (already installed with librosa) checks hashes too, but restarts a transfer from zero;
the 1.2 GB GTZAN archive is why this module resumes.

Notebook: 01_dataset (``genrelib data download``).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from genrelib.errors import DownloadError
from genrelib.progress import tqdm

ALGORITHMS: tuple[str, ...] = ("md5", "sha256")
"""Hash algorithms a recorded hash may name."""

ATTEMPTS_PER_URL = 3
"""Tries per URL; each try after a dropped connection resumes where the last one stopped."""

_BLOCK = 1 << 20
_TRANSFER_ERRORS = (urllib.error.URLError, http.client.HTTPException, OSError, ValueError)


def _split(checksum: str) -> tuple[str, str]:
    algorithm, _, digest = checksum.partition(":")
    if algorithm not in ALGORITHMS or not digest:
        raise ValueError(f"checksum {checksum!r} is not '<md5|sha256>:<hex>'")
    return algorithm, digest.lower()


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks (archives, tables, songs, weights).

    Notebook: 01_dataset (downloads), 06b_music_transfer (musicnn weights, genre probe).

    Parameters
    ----------
    path : path-like
        The file.
    algorithm : {"md5", "sha256"}
        Hash algorithm.

    Returns
    -------
    str
        Lower-case hex digest.
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (:func:`file_digest` with ``"sha256"``).

    Notebook: 01_dataset (downloads), 06b_music_transfer (musicnn weights, genre probe).
    """
    return file_digest(path, "sha256")


def matches(path: str | os.PathLike, checksum: str) -> bool:
    """Whether the file at ``path`` has the recorded ``checksum`` (``"md5:..."``, ``"sha256:..."``).

    Notebook: 01_dataset.
    """
    algorithm, digest = _split(checksum)
    return Path(path).is_file() and file_digest(path, algorithm) == digest


def one_line(error: BaseException) -> str:
    """The first line of an error's reason, for one-line messages (``HTTP 404 Not Found``)."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    text = str(getattr(error, "reason", "") or error) or type(error).__name__
    return text.splitlines()[0]


def _stream(url: str, part: Path, timeout: float, progress: bool, label: str) -> None:
    """Append the rest of ``url`` to ``part`` (resuming from its size); raise if cut short."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "genrelib"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
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
                desc=label,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while block := response.read(_BLOCK):
                sink.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size != total:
        raise DownloadError(f"the server sent {part.stat().st_size} of {total} bytes")


def fetch_file(
    urls: Sequence[str],
    target: str | os.PathLike,
    checksum: str | None,
    timeout: float = 30.0,
    progress: bool = True,
    fix: str = "run the command again to resume",
    mismatch_fix: str = "give a copy with the recorded hash",
) -> tuple[Path, str | None]:
    """Download ``target`` from the first of ``urls`` that serves it with ``checksum``.

    Nothing is downloaded when ``target`` already has the recorded hash (a copy put there by
    hand is checked in place). Each URL is tried up to :data:`ATTEMPTS_PER_URL` times while
    the transfer makes progress (a dropped connection resumes); a copy with another hash is
    removed and the next URL tried. ``file://`` URLs read local copies.

    Notebook: 01_dataset (``genrelib data download``).

    Parameters
    ----------
    urls : sequence of str
        Where the file may be, tried in order.
    target : path-like
        Where the checked file lands; its folder is created.
    checksum : str or None
        The recorded hash, ``"md5:<hex>"`` or ``"sha256:<hex>"``. ``None`` only for an
        archive whose members the caller checks one by one after extraction.
    timeout : float
        Seconds to wait for a server before trying the next URL.
    progress : bool
        Show a progress bar.
    fix : str
        What to do when a URL could not be read, ending the one-line error message.
    mismatch_fix : str
        What to do when every URL that answered served another file (a hash mismatch): a
        new try of the same URLs would not help.

    Returns
    -------
    pathlib.Path
        ``target``, complete and checked.
    str or None
        The URL it came from; ``None`` when the file was already there.

    Raises
    ------
    DownloadError
        When no URL gives a complete file with the recorded hash: one line naming the file,
        each URL's failure and ``fix`` (``mismatch_fix`` when only hashes differed).
    """
    target = Path(target)
    algorithm, digest = _split(checksum) if checksum is not None else ("", "")
    if target.is_file():
        if checksum is None or file_digest(target, algorithm) == digest:
            return target, None
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    failures, unreadable = [], 0
    for url in urls:
        for _ in range(ATTEMPTS_PER_URL):
            before = part.stat().st_size if part.exists() else 0
            try:
                _stream(url, part, timeout, progress, target.name)
            except (DownloadError, *_TRANSFER_ERRORS) as error:
                reason = one_line(error)
                grew = part.exists() and part.stat().st_size > before
                if grew:
                    continue  # a dropped connection: resume from where it stopped
                failures.append(f"{url}: {reason}")
                unreadable += 1
                break
            actual = file_digest(part, algorithm) if checksum is not None else digest
            if actual == digest:
                os.replace(part, target)
                return target, url
            part.unlink()
            failures.append(
                f"{url}: {algorithm} differs from the recorded one ({actual}, recorded {digest}; "
                f"removed)"
            )
            break
        else:
            failures.append(f"{url}: still incomplete after {ATTEMPTS_PER_URL} tries")
            unreadable += 1
    ending = mismatch_fix if failures and not unreadable else fix
    raise DownloadError(
        f"could not download {target.name} ({'; '.join(failures) or 'no URL given'}); {ending}"
    )

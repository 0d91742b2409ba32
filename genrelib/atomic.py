"""One atomic write for every file genrelib produces.

A file is written to a temporary name beside its target (``.<name>.<random>.tmp``, same
folder, so the same file system) and moved into place with ``os.replace``. A reader never
sees half a file, an interrupted write leaves the previous file untouched, and the
temporary file is removed whatever goes wrong. The file gets the usual mode of a new file
(``0o666`` less the umask), not the owner-only mode of a temporary file, so results and
caches on a shared machine stay readable to the team.

Notebook: every chapter that writes results (04_base_crnn to 10_reproducibility), through
the modules that write them (checkpoints, caches, tables, results).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from filelock import FileLock

Content = str | bytes | Callable[[BinaryIO], object]
"""What :func:`atomic_write` writes: text (UTF-8), bytes, or a function given the open file."""


def _umask() -> int:
    """The process's umask (read by setting it, then restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_lock(path: str | os.PathLike) -> FileLock:
    """The lock of a file several processes may write at once: ``.<name>.lock`` beside it.

    Held while reading, changing and writing a shared table (two chapters recording
    headlines), or while computing a cache file (two chapters needing the same features:
    the second waits, then reads what the first wrote, instead of computing it again).
    The lock file stays; the lock is released with the ``with`` block.

    Notebook: none (:mod:`genrelib.summary`, :mod:`genrelib.features`).
    """
    from filelock import FileLock  # 0.2 s to import: only its users pay it

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(target.with_name(f".{target.name}.lock"))


def atomic_write(path: str | os.PathLike, content: Content) -> Path:
    """Write ``content`` to ``path`` atomically; create the folder if needed.

    Notebook: 04_base_crnn (checkpoints, histories, results), 07_split_length (Table V),
    intro (headlines), and the caches of 02_preprocessing and 03_baselines.

    Parameters
    ----------
    path : str or path-like
        The file to write; an existing file is replaced only once the new one is complete.
    content : str, bytes or callable
        Text (written as UTF-8), bytes, or a function called with the temporary file opened
        for binary writing (e.g. ``lambda handle: np.save(handle, array)``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        If the folder cannot be written (the temporary file is removed first); any error
        raised by a ``content`` function is re-raised the same way.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode() if isinstance(content, str) else content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def check_output_file(target: str | os.PathLike, option: str = "--out", example: str = "") -> Path:
    """Refuse, before any work, an output path a file cannot be written to.

    Notebook: none (``genrelib features|baselines|probe fit --out``).

    Parameters
    ----------
    target : path-like
        Where the file will be written.
    option : str
        The option the user gave it with, named in the error.
    example : str
        A file name to suggest when ``target`` is a folder.

    Returns
    -------
    Path
        ``target``, ``~`` expanded.

    Raises
    ------
    ConfigError
        If ``target`` is a folder or its folder does not exist.
    """
    from genrelib.errors import ConfigError

    target = Path(target).expanduser()
    if target.is_dir():
        suggestion = f", e.g. {target / example}" if example else ""
        raise ConfigError(f"{option} {target} is a folder; give a file name{suggestion}")
    if not target.parent.is_dir():
        raise ConfigError(
            f"{option} {target}: folder {target.parent} does not exist; create it first"
        )
    return target

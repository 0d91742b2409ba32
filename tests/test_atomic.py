"""genrelib.atomic: the one atomic write every writer uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from genrelib.atomic import atomic_write
from genrelib.split_length import write_table_v


def test_atomic_write_text_bytes_and_function(tmp_path: Path) -> None:
    assert atomic_write(tmp_path / "a" / "t.txt", "héllo").read_text() == "héllo"
    assert atomic_write(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    target = atomic_write(tmp_path / "c.npy", lambda handle: np.save(handle, np.arange(3)))
    assert np.load(target).tolist() == [0, 1, 2]
    assert not list(tmp_path.rglob("*.tmp"))


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = atomic_write(tmp_path / "kept.txt", "old")

    def fail(handle) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_table_v_write_failure_leaves_no_temporary(tmp_path: Path) -> None:
    """split_length used to leave its temporary file behind when a write failed."""

    class Unwritable:
        def to_csv(self, index: bool = False) -> str:
            raise OSError("no space left")

    with pytest.raises(OSError, match="no space"):
        write_table_v(Unwritable(), tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_write_gives_the_usual_mode_of_a_new_file(tmp_path: Path, umask: int) -> None:
    """Not mkstemp's 0600: a team sharing a results folder or cache can read the files."""
    previous = os.umask(umask)
    try:
        target = atomic_write(tmp_path / "shared.txt", "x")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)

"""Tests of the ``genrelib data`` commands (info, verify, download)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from genrelib.cli import main
from genrelib.config import GENRES
from genrelib.data import index_gtzan


def test_data_info(gtzan_mini: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "info", "--data-dir", str(gtzan_mini)]) == 0
    out = capsys.readouterr().out
    assert "100 clips" in out
    for genre in GENRES:
        assert re.search(rf"^{genre}\s+10$", out, flags=re.MULTILINE)
    assert "total duration: 0 h 50 min" in out  # 100 clips of about 30 s
    named = index_gtzan(gtzan_mini, with_duration=False)["artist"].ne("").sum()
    assert f"artists known for {named} of 100 clips" in out


def test_data_verify_all_good(gtzan_mini: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "verify", "--data-dir", str(gtzan_mini)]) == 0
    assert capsys.readouterr().out.strip().endswith("100 good, 0 bad")


def test_data_verify_lists_bad_files(
    gtzan_mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for genre in (gtzan_mini / "genres").iterdir():
        (tmp_path / genre.name).mkdir()
        source = genre / f"{genre.name}.00000.wav"
        (tmp_path / genre.name / source.name).symlink_to(source)
    (tmp_path / "metal" / "metal.00050.wav").write_text("not audio")
    assert main(["data", "verify", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "metal.00050.wav" in out and "not audio" in out
    assert out.strip().endswith("10 good, 1 bad")


def test_data_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "info", "--data-dir", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("genrelib: error:") and "missing" in err and err.count("\n") == 1

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/genres.tar.gz"
    args = ["data", "download", "--subset", "full", "--dest", str(tmp_path / "d"), "--mirrors", url]
    args += ["--timeout", "2"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "could not download" in err and "GTZAN_DIR" in err and err.count("\n") == 1

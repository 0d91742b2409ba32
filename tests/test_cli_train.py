"""Tests of ``genrelib train`` and ``genrelib evaluate`` on a few real GTZAN clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deep_data import tiny_gtzan, tiny_profile

from genrelib import config
from genrelib.cli import main


@pytest.fixture()
def tiny_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the smoke profile tiny (2-s tracks, 1 epoch of 8 chunks) for this test."""
    monkeypatch.setitem(config.PROFILES, "smoke", tiny_profile())


@pytest.mark.slow  # trains end to end
def test_train_then_read_back_then_evaluate(
    tiny_smoke, gtzan_mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    data = tiny_gtzan(gtzan_mini, tmp_path / "gtzan")
    out = tmp_path / "results"
    command = ["train", "--model", "base_crnn", "--protocol", "track", "--profile", "smoke"]
    command += ["--data-dir", str(data), "--out", str(out), "--seed", "4", "--device", "cpu"]
    assert main(command) == 0
    printed = capsys.readouterr().out
    assert "epoch 1: train loss" in printed and "s/epoch" in printed
    (result_file,) = out.glob("runs/*/result.json")
    row = json.loads(result_file.read_text())
    assert row["seed"] == 4 and row["n_test_tracks"] == 10 and row["device"] == "cpu"
    assert f"test_track_accuracy: {row['test_track_accuracy']}" in printed
    assert f"{row['seconds_per_epoch']:.1f} s/epoch" in printed.splitlines()[-1]

    assert main(command) == 0  # finished: read back, no epoch trained
    assert "epoch 1:" not in capsys.readouterr().out

    checkpoint = result_file.parent / "best.pt"
    evaluate = ["evaluate", "--checkpoint", str(checkpoint), "--data-dir", str(data)]
    assert main([*evaluate, "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "test set: 20 chunks of 10 tracks" in printed
    chunk_line = next(
        line for line in printed.splitlines() if line.split()[:2] == ["chunk", "accuracy"]
    )
    assert float(chunk_line.split()[2]) == pytest.approx(100 * row["test_chunk_accuracy"], abs=0.05)
    assert main([*evaluate, "--split", "valid", "--protocol", "track", "--device", "cpu"]) == 0
    assert "valid set: 20 chunks of 10 tracks" in capsys.readouterr().out


def test_train_and_evaluate_errors_are_one_line(
    tiny_smoke, gtzan_mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    data = tiny_gtzan(gtzan_mini, tmp_path / "gtzan")
    command = ["train", "--profile", "smoke", "--data-dir", str(data), "--out", str(tmp_path)]
    assert main([*command, "-o", "faithful=true"]) == 2
    assert "unknown option(s) ['faithful'] for model 'base_crnn'" in capsys.readouterr().err
    missing = tmp_path / "nowhere" / "best.pt"
    assert main(["evaluate", "--checkpoint", str(missing), "--data-dir", str(data)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "does not exist" in error

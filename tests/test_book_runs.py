"""``genrelib book train``: every run the chapters read, planned once, trained, read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from genrelib.book_runs import book_runs, train_book_runs
from genrelib.chapters import chapter_context
from genrelib.chapters.c11_own_collection import demo_collection, train_on_collection
from genrelib.cli import main
from genrelib.config import NO_TRAINING_ENV
from genrelib.errors import ConfigError
from genrelib.experiments import plan_run


def test_plan_lists_each_run_once_with_the_checkpoints_chapters_read(tmp_path: Path) -> None:
    runs, results = book_runs("smoke", results_dir=tmp_path)
    assert results == tmp_path
    chapters = {run.chapter for run in runs}
    assert chapters == {
        "04_base_crnn",
        "05_extended_crnn",
        "06_resnet_transfer",
        "07_split_length",
        "09_honest_evaluation",
        "10_reproducibility",
        "11_own_collection",
    }
    folders = [r.plan(results).run_dir for r in runs]
    assert len(set(folders)) == len(folders)
    (own,) = [r for r in runs if r.chapter == "11_own_collection"]
    assert own.classes == ("calm", "dance", "heavy")
    assert own.plan(results).run_dir.parent == results / "own_collection" / "runs"
    gtzan = [r for r in runs if r.chapter != "11_own_collection"]
    assert all(
        r.plan(results) == plan_run(r.experiment, r.tracks, r.profile, results, r.train_overrides)
        for r in gtzan
    )
    first = runs[0]
    assert first.chapter == "04_base_crnn" and "best.pt" in first.keep
    reference = [r for r in runs if r.chapter == "10_reproducibility" and "last.pt" in r.keep]
    assert len(reference) == 2, "smoke: chapter 10's reference on each of its two seeds"
    assert all(r.train_overrides["patience"] == 3 for r in reference)
    heads = [r.experiment.options for r in runs if r.chapter == "06_resnet_transfer"]
    assert sorted(options["faithful"] for options in heads) == [False] * 3 + [True] * 3
    extended = [r.experiment.seed for r in runs if r.chapter == "05_extended_crnn"]
    assert sorted(extended) == [0, 1, 2]  # the seeds of chapter 05's seed table
    only = book_runs("smoke", results_dir=tmp_path, chapters=["09"])[0]
    assert only and {r.chapter for r in only} == {"09_honest_evaluation"}


@pytest.mark.slow  # trains end to end
def test_trained_runs_are_read_back_and_missing_ones_named_without_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs, results = book_runs("smoke", results_dir=tmp_path, chapters=["04", "05"])
    trained = train_book_runs(runs[:1], results, synthetic=True, device="cpu", progress=False)
    assert "error" not in trained and trained.loc[0, "chapter"] == "04_base_crnn"
    assert (results / trained.loc[0, "run_dir"] / "best.pt").is_file()
    monkeypatch.setenv(NO_TRAINING_ENV, "1")
    again = train_book_runs(runs, results, synthetic=True, device="cpu", progress=False)
    stored = again[again["run_dir"] == trained.loc[0, "run_dir"]]
    assert stored["test_track_accuracy"].tolist() == [trained.loc[0, "test_track_accuracy"]]
    missing = again.drop(stored.index)
    assert len(missing) == len(runs) - 1  # 04's other seeds and 05: named, not trained
    assert missing["error"].str.contains("training is off").all()
    assert set(missing["chapter"]) == {"04_base_crnn", "05_extended_crnn"}


@pytest.mark.slow  # trains end to end
def test_book_train_plans_the_run_chapter_11_reads(tmp_path: Path) -> None:
    runs, results = book_runs("smoke", results_dir=tmp_path, chapters=["11"])
    trained = train_book_runs(runs, results, synthetic=True, device="cpu", progress=False)
    assert "error" not in trained and trained.loc[0, "chapter"] == "11_own_collection"
    ch = chapter_context("smoke", None, results_dir=tmp_path)
    row = train_on_collection(ch, demo_collection(ch))
    assert row["run_dir"] == trained.loc[0, "run_dir"], "read back, not trained again"


def test_bad_budget_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="jobs and max_epochs must be positive"):
        train_book_runs([], tmp_path, synthetic=True, jobs=0)


@pytest.mark.slow  # trains end to end
def test_book_train_command_reports_every_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "book",
            "train",
            "--profile",
            "smoke",
            "--results-dir",
            str(tmp_path),
            "--only",
            "04",
            "--device",
            "cpu",
            "--max-epochs",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0 and f"3 of 3 runs stored under {tmp_path}" in out  # seeds 0, 1 and 2
    assert all(f"base_crnn-3s-track-seed{seed}" in out for seed in range(3))

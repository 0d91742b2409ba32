"""Tests of genrelib.experiments on real GTZAN clips: the result row, its files, resume, collect."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deep_data import tiny_profile, tiny_tracks

import genrelib.experiments as experiments
from genrelib.config import GENRES, MelConfig
from genrelib.data import load_fault_filtered_split
from genrelib.errors import ConfigError, RunNotStoredError
from genrelib.experiments import (
    NO_TRAINING_ENV,
    Experiment,
    code_files,
    code_fingerprint,
    collect_results,
    evaluate_checkpoint,
    load_history,
    load_test_predictions,
    run_experiment,
    run_path,
    stored_test_evaluation,
)
from genrelib.training import TrainConfig

PROFILE = tiny_profile()
OVERRIDES = {"device": "cpu"}


@pytest.fixture(scope="module")
def tracks(gtzan_mini: Path) -> pd.DataFrame:
    return tiny_tracks(gtzan_mini)


@pytest.fixture(scope="module")
def finished(tracks: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory):
    """One finished track-protocol run: (results root, experiment, row)."""
    root = tmp_path_factory.mktemp("results")
    experiment = Experiment.from_profile(PROFILE, "base_crnn", "track", seed=1)
    row = run_experiment(
        experiment, tracks, PROFILE, root, progress=False, train_overrides=OVERRIDES
    )
    return root, experiment, row


def test_experiment_is_hashable_validated_and_keyed() -> None:
    a = Experiment("base_crnn", 3, "track", 0, {"gru_units": 16})
    b = Experiment("base_crnn", 3.0, "track", 0, (("gru_units", 16),))
    assert a == b and hash(a) == hash(b) and a.key() == b.key()
    assert a.key().startswith("base_crnn-3s-track-seed0-")
    assert a.name == "base_crnn-3s-track-seed0+gru_units=16"
    changed = [
        Experiment("base_crnn", 3, "track", 0, {"gru_units": 8}),
        Experiment("base_crnn", 3, "track", 1, {"gru_units": 16}),
        Experiment("base_crnn", 3, "track", 0, {"gru_units": 16}, MelConfig.paper()),
    ]
    assert len({a.key(), *(e.key() for e in changed)}) == 4
    resnet = Experiment("resnet18", 1, "paper", 0, {"pretrained": True})
    here = Experiment("resnet18", 1, "paper", 0, {"pretrained": True, "weights_path": "/a/r.pth"})
    assert here.key() == resnet.key() and here.name == resnet.name  # where, not what
    with pytest.raises(ConfigError, match="unknown model"):
        Experiment("vgg")
    with pytest.raises(ConfigError, match="unknown protocol"):
        Experiment(protocol="random")
    with pytest.raises(ConfigError, match="unknown option"):
        Experiment(model_options={"faithful": True})  # a ResNet option, not a CRNN one
    with pytest.raises(ConfigError, match="stable key"):
        Experiment(model_options={"gru_units": [16]})


def test_result_row_counts_and_metrics(finished, tracks: pd.DataFrame) -> None:
    root, experiment, row = finished
    assert row["name"] == experiment.name and row["profile"] == "smoke" and row["data"] == "gtzan"
    assert (root / row["run_dir"]).is_dir() and row["key"] == Path(row["run_dir"]).name
    # 3 clips per genre, track protocol: one track per genre in each set, 2 chunks a track
    for split in ("train", "valid", "test"):
        assert row[f"n_{split}_tracks"] == 10 and row[f"n_{split}_chunks"] == 20
        for level in ("chunk", "track"):
            for metric in ("accuracy", "f1_macro"):
                estimate = row[f"{split}_{level}_{metric}"]
                low, high = (
                    row[f"{split}_{level}_{metric}_low"],
                    row[f"{split}_{level}_{metric}_high"],
                )
                assert 0 <= low <= estimate <= high <= 1
            assert row[f"{split}_{level}_f1_micro"] == pytest.approx(
                row[f"{split}_{level}_accuracy"]
            )
    assert row["n_train_eval_chunks"] == PROFILE.max_train_chunks  # capped like an epoch
    assert row["epochs_run"] == 1 and row["best_epoch"] == 1
    assert row["seconds_per_epoch"] > 0 and row["train_seconds"] == pytest.approx(
        row["seconds_per_epoch"]
    )
    assert row["device"] == "cpu" and row["genrelib_version"]
    assert json.loads((root / row["run_dir"] / "result.json").read_text())["key"] == row["key"]
    assert len(load_history(root / row["run_dir"])) == 1


def test_test_predictions_reproduce_the_row(finished) -> None:
    root, _, row = finished
    table = pd.read_csv(root / row["run_dir"] / "test_predictions.csv")
    assert list(table.columns[:4]) == ["track_id", "chunk_index", "true", "predicted"]
    assert len(table) == row["n_test_chunks"] and table["track_id"].nunique() == 10
    chunks, probabilities = load_test_predictions(root / row["run_dir"])
    assert probabilities.shape == (20, len(GENRES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert (probabilities.argmax(axis=1) == table["predicted"]).all()
    assert (chunks["genre"] == [GENRES[k] for k in chunks["label"]]).all()
    # track accuracy by hand: argmax of the mean chunk probability of each track
    mean = pd.DataFrame(probabilities).groupby(chunks["track_id"].to_numpy()).mean()
    truth = chunks.groupby("track_id")["label"].first().loc[mean.index]
    assert row["test_track_accuracy"] == pytest.approx((mean.to_numpy().argmax(1) == truth).mean())
    assert row["test_chunk_accuracy"] == pytest.approx((table["true"] == table["predicted"]).mean())
    summary = stored_test_evaluation(root / row["run_dir"], seed=row["seed"]).summary()
    assert summary.loc["chunk", "accuracy"] == pytest.approx(row["test_chunk_accuracy"])
    assert summary.loc["track_mean", "f1_macro"] == pytest.approx(row["test_track_f1_macro"])


def test_splits_keep_tracks_whole(finished, tracks: pd.DataFrame) -> None:
    root, experiment, row = finished
    test_ids = set(pd.read_csv(root / row["run_dir"] / "test_predictions.csv")["track_id"])
    spectrograms = experiments.build_spectrogram_set(
        tracks, experiment.mel, PROFILE.chunk_config(), progress=False
    )
    split = experiments.split_chunks(spectrograms, "track", experiment.seed)
    assert set(spectrograms.chunks.loc[split == "test", "track_id"]) == test_ids
    assert not test_ids & set(spectrograms.chunks.loc[split == "train", "track_id"])


def test_finished_run_is_read_back_without_training(
    finished, tracks: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, experiment, row = finished

    def forbidden(*args, **kwargs):
        raise AssertionError("a finished experiment must not be recomputed")

    monkeypatch.setattr(experiments, "train", forbidden)
    monkeypatch.setattr(experiments, "build_spectrogram_set", forbidden)
    again = run_experiment(
        experiment, tracks, PROFILE, root, progress=False, train_overrides=OVERRIDES
    )
    assert row["read_back"] is False and again["read_back"] is True  # chapters say which
    assert {**again, "read_back": False} == row


def test_other_settings_get_another_run_folder(finished, tracks: pd.DataFrame) -> None:
    _, experiment, _ = finished
    chunk = PROFILE.chunk_config()
    key = experiments.run_key(experiment, TrainConfig(device="cpu"), chunk, tracks)
    assert key != experiments.run_key(experiment, TrainConfig(device="cpu", lr=1e-3), chunk, tracks)
    assert key != experiments.run_key(experiment, TrainConfig(), chunk, tracks.head(20))
    assert key == experiments.run_key(
        experiment, TrainConfig(device="cuda", amp=False), chunk, tracks
    )


@pytest.mark.slow  # trains twice end to end
def test_more_epochs_continue_the_run_and_collect_results(
    tracks: pd.DataFrame, tmp_path: Path
) -> None:
    experiment = Experiment.from_profile(PROFILE, "base_crnn", "paper", seed=0)
    first = run_experiment(experiment, tracks, PROFILE, tmp_path, False, OVERRIDES)
    longer = run_experiment(
        experiment, tracks, PROFILE, tmp_path, False, {**OVERRIDES, "max_epochs": 2}
    )
    assert longer["key"] == first["key"] and longer["epochs_run"] == 2
    history = load_history(tmp_path / longer["run_dir"])
    assert list(history["epoch"]) == [1, 2]
    # a run given a larger budget answers a smaller request as it is, without training
    again = run_experiment(experiment, tracks, PROFILE, tmp_path, False, OVERRIDES)
    assert again["epochs_run"] == 2 and again["max_epochs"] == 2
    # paper protocol: chunks of one track may land in different sets
    assert first["n_train_chunks"] + first["n_valid_chunks"] + first["n_test_chunks"] == 60
    other = Experiment.from_profile(PROFILE, "base_crnn", "track", seed=2)
    run_experiment(other, tracks, PROFILE, tmp_path, False, OVERRIDES)
    table = collect_results(tmp_path)
    assert len(table) == 2 and set(table["protocol"]) == {"paper", "track"}
    assert "setup" not in table.columns
    assert table["run_dir"].map(lambda name: run_path(tmp_path, {"run_dir": name}).is_dir()).all()
    assert collect_results(tmp_path / "nothing").empty


def test_evaluate_checkpoint_reproduces_the_chapter_numbers(finished, tracks) -> None:
    root, _, row = finished
    checkpoint = root / row["run_dir"] / "best.pt"
    evaluation = evaluate_checkpoint(checkpoint, tracks, device="cpu", progress=False)
    summary = evaluation.summary()
    assert summary.loc["chunk", "accuracy"] == pytest.approx(row["test_chunk_accuracy"])
    assert summary.loc["track_mean", "accuracy"] == pytest.approx(row["test_track_accuracy"])
    valid = evaluate_checkpoint(checkpoint, tracks, "track", "valid", device="cpu", progress=False)
    assert valid.summary().loc["chunk", "f1_macro"] == pytest.approx(row["valid_chunk_f1_macro"])
    with pytest.raises(ConfigError, match="split must be"):
        evaluate_checkpoint(checkpoint, tracks, split="holdout")


def test_fault_filtered_without_training_tracks_is_a_clear_error(
    gtzan_mini: Path, tmp_path
) -> None:
    listed_for_training = set(load_fault_filtered_split()["train"])
    tracks = tiny_tracks(gtzan_mini, tracks_per_genre=3)
    tracks = tracks[~tracks["track_id"].isin(listed_for_training)]
    assert len(tracks) > 0
    experiment = Experiment.from_profile(PROFILE, "base_crnn", "fault-filtered")
    with pytest.raises(
        ConfigError, match="fault-filtered.*leaves no chunk in the train.*synthetic"
    ):
        run_experiment(experiment, tracks, PROFILE, tmp_path, False, OVERRIDES)


def test_training_switched_off_reads_stored_runs_and_names_missing_ones(
    tracks: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = Experiment.from_profile(PROFILE, "base_crnn", "track", seed=0)
    stored = run_experiment(experiment, tracks, PROFILE, tmp_path, False, OVERRIDES)
    monkeypatch.setenv(NO_TRAINING_ENV, "1")
    again = run_experiment(experiment, tracks, PROFILE, tmp_path, False, OVERRIDES)
    assert again == {**stored, "read_back": True}
    missing = Experiment.from_profile(PROFILE, "base_crnn", "track", seed=1)
    with pytest.raises(RunNotStoredError, match=r"seed 1\) and training is off.*book train"):
        run_experiment(missing, tracks, PROFILE, tmp_path, False, OVERRIDES)
    assert len(list(tmp_path.glob("runs/*/result.json"))) == 1


def _stored_by_other_code(finished, tmp_path: Path, fingerprint: str | None) -> tuple[Path, dict]:
    """A copy of the finished run whose result.json names other code (None: none recorded)."""
    root, _, row = finished
    copy = tmp_path / "results"
    shutil.copytree(root, copy)
    path = copy / row["run_dir"] / "result.json"
    stored = json.loads(path.read_text())
    stored.pop("code_fingerprint")
    if fingerprint is not None:
        stored["code_fingerprint"] = fingerprint
    path.write_text(json.dumps(stored, indent=1))
    return copy, stored


def test_a_fresh_run_records_the_code_that_made_it(finished) -> None:
    root, _, row = finished
    assert row["code_fingerprint"] == code_fingerprint() and row["code_current"] is True
    stored = json.loads((root / row["run_dir"] / "result.json").read_text())
    assert stored["code_fingerprint"] == code_fingerprint()
    assert "code_current" not in stored  # said when read back, against the code of that day
    assert stored["genrelib_version"] == experiments.genrelib.__version__
    table = collect_results(root)
    assert table["code_current"].all() and (table["code_fingerprint"] == code_fingerprint()).all()


def test_smoke_retrains_a_run_made_by_other_code(
    finished, tracks: pd.DataFrame, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    _, experiment, row = finished
    root, _ = _stored_by_other_code(finished, tmp_path, "0123456789ab")
    assert collect_results(root)["code_current"].tolist() == [False]
    epochs = []
    with caplog.at_level(logging.INFO, logger="genrelib.experiments"):
        again = run_experiment(
            experiment,
            tracks,
            PROFILE,
            root,
            progress=False,
            train_overrides=OVERRIDES,
            on_epoch_end=epochs.append,
        )
    assert len(epochs) == 1  # an epoch trained, not the old last.pt resumed at its end
    assert again["run_dir"] == row["run_dir"] and again["code_current"] is True
    assert again["epochs_run"] == 1
    assert json.loads((root / row["run_dir"] / "result.json").read_text())["code_fingerprint"] == (
        code_fingerprint()
    )
    assert len(load_history(root / row["run_dir"])) == 1  # trained from scratch, not resumed
    (record,) = [r for r in caplog.records if r.name == "genrelib.experiments"]
    assert record.levelno == logging.INFO and "0123456789ab" in record.getMessage()
    assert "training it again" in record.getMessage()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("where", ["cpu profile", "training off"])
def test_a_run_made_by_other_code_is_read_back_and_reported_otherwise(
    where: str,
    finished,
    tracks: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys,
) -> None:
    """Outside smoke (a committed GPU run) or with training off: reused, never retrained."""
    _, experiment, row = finished
    root, stored = _stored_by_other_code(finished, tmp_path, None)  # as the committed runs
    profile = PROFILE.with_overrides(name="cpu") if where == "cpu profile" else PROFILE
    if where == "training off":
        monkeypatch.setenv(NO_TRAINING_ENV, "1")

    def forbidden(*args, **kwargs):
        raise AssertionError("a run made by other code is only retrained in smoke")

    monkeypatch.setattr(experiments, "train", forbidden)
    monkeypatch.setattr(experiments, "build_spectrogram_set", forbidden)
    with caplog.at_level(logging.INFO, logger="genrelib.experiments"):
        again = run_experiment(
            experiment, tracks, profile, root, progress=False, train_overrides=OVERRIDES
        )
    assert again == {**stored, "code_fingerprint": None, "code_current": False, "read_back": True}
    (record,) = [r for r in caplog.records if r.name == "genrelib.experiments"]
    assert record.levelno == logging.INFO and row["key"] in record.getMessage()
    assert "none recorded" in record.getMessage() and "as it is" in record.getMessage()
    assert capsys.readouterr().err == ""  # INFO: the published pages print no warning


def test_the_code_fingerprint_follows_every_source_file(tmp_path: Path) -> None:
    package = Path(experiments.__file__).resolve().parent
    files = code_files()
    names = {path.relative_to(package).as_posix() for path in files}
    assert {"experiments.py", "evaluation.py", "config.py", "data/splits.py"} <= names
    assert {"training/loop.py", "models/crnn.py", "audio/mel.py"} <= names
    assert "book.py" not in names and "data/gtzan.py" not in names
    copy = tmp_path / "genrelib"
    for path in files:
        target = copy / path.relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (copy / "book.py").write_text("# not a part of any run\n")
    assert code_fingerprint(copy) == code_fingerprint()  # the same sources anywhere
    loop = copy / "training" / "loop.py"
    original = loop.read_bytes()
    loop.write_bytes(original.replace(b"\n", b"\r\n"))  # a Windows checkout
    assert code_fingerprint(copy) == code_fingerprint()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 1  # one bit of one byte
    loop.write_bytes(bytes(changed))
    assert code_fingerprint(copy) != code_fingerprint()
    loop.write_bytes(original)
    (copy / "models" / "extra.py").write_text("X = 1\n")  # a new module of a fingerprinted part
    assert code_fingerprint(copy) != code_fingerprint()


def test_a_run_another_chapter_is_training_is_waited_for_and_read_back(
    tracks: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two chapters at once needing one run (``book run --jobs 2``): it is trained once."""
    import threading

    trainings, real_train = [], experiments.train

    def counted_train(*args, **kwargs):
        trainings.append(threading.current_thread().name)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(experiments, "train", counted_train)
    experiment = Experiment.from_profile(PROFILE, "base_crnn", "track", seed=3)
    rows: dict[str, dict] = {}

    def chapter(name: str) -> None:
        rows[name] = run_experiment(
            experiment, tracks, PROFILE, tmp_path, progress=False, train_overrides=OVERRIDES
        )

    threads = [threading.Thread(target=chapter, args=(name,), name=name) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert len(trainings) == 1, trainings
    trained, waited = rows[trainings[0]], rows[({"a", "b"} - set(trainings)).pop()]
    assert trained["read_back"] is False and waited["read_back"] is True
    assert {**trained, "read_back": True} == waited
    assert [path.name for path in tmp_path.glob("runs/.*.lock")] == [
        f".{Path(trained['run_dir']).name}.lock"
    ]  # beside the run folder, not in it

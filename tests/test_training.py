"""Tests of genrelib.training on real GTZAN spectrograms: checkpoints, crash, resume, stopping."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from deep_data import train_valid

from genrelib.config import GENRES
from genrelib.errors import CheckpointError, ConfigError, DeviceUnavailableError
from genrelib.training import (
    HISTORY_COLUMNS,
    EarlyStopping,
    TrainConfig,
    atomic_save,
    load_checkpoint,
    read_checkpoint,
    resolve_device,
    train,
)

TESTS_DIR = Path(__file__).parent
CONFIG = TrainConfig(
    batch_size=4, max_epochs=3, patience=5, max_train_chunks=8, device="cpu", seed=3
)


@pytest.fixture(scope="module")
def sets(gtzan_mini: Path):
    return train_valid(gtzan_mini)


def test_early_stopping_rule() -> None:
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    decisions = [
        stopper.update(loss, epoch)
        for epoch, loss in enumerate([2.0, 1.5, 1.45, 1.2, 1.3, 1.25], 1)
    ]
    # 1.45 is not 0.1 below 1.5; 1.3 and 1.25 are not below 1.2 - 0.1
    assert decisions == [True, True, False, True, False, False]
    assert stopper.best_epoch == 4 and stopper.should_stop


def _valid_loss(model: torch.nn.Module, valid_set) -> float:
    """Cross-entropy of ``model`` on the whole validation set, recomputed in fp32."""
    x = torch.from_numpy(np.stack([valid_set[i] for i in range(len(valid_set))])).unsqueeze(1)
    with torch.no_grad():
        loss = torch.nn.functional.cross_entropy(
            model(x), torch.as_tensor(np.array(valid_set.labels))
        )
    return float(loss)


def test_train_writes_self_describing_checkpoints_and_history(sets, tmp_path: Path) -> None:
    train_set, valid_set = sets
    # fp32, so that the recomputed loss below compares like with like on any CPU
    config = TrainConfig(
        **{**asdict(CONFIG), "max_epochs": 2, "checkpoint_policy": "last", "precision": "fp32"}
    )
    result = train("base_crnn", train_set, valid_set, config, tmp_path, progress=False)
    assert list(result.history.columns) == list(HISTORY_COLUMNS)
    assert list(result.history["epoch"]) == [1, 2]
    assert result.checkpoint == tmp_path / "last.pt" and result.best_checkpoint.exists()
    assert pd.read_csv(tmp_path / "history.csv")["valid_loss"].tolist() == pytest.approx(
        result.history["valid_loss"].tolist()
    )
    assert pd.read_json(tmp_path / "history.json")["epoch"].tolist() == [1, 2]
    model, meta = load_checkpoint(result.best_checkpoint)
    assert not model.training
    assert meta["model_name"] == "base_crnn" and meta["class_names"] == list(GENRES)
    assert meta["mel_config"] == asdict(train_set.mel_config)
    assert meta["chunk_config"] == train_set.chunk_config.to_dict()
    assert meta["train_config"]["checkpoint_policy"] == "last"
    assert meta["epoch"] == result.best_epoch
    # the training-set band statistics are inside the model: raw chunks go in
    images = np.stack([train_set[i] for i in range(len(train_set))]).astype(np.float64)
    assert np.allclose(meta["normalization"]["mean"], images.mean(axis=(0, 2)), atol=1e-3)
    assert torch.allclose(model.mean.view(-1), torch.tensor(meta["normalization"]["mean"]))
    # the reloaded model reproduces the validation loss recorded for its epoch
    assert meta["fast_path"]["precision"] == "fp32"
    assert _valid_loss(model, valid_set) == pytest.approx(meta["metrics"]["valid_loss"], rel=1e-6)


def test_fast_path_validation_loss_is_within_bf16_accuracy_of_fp32(sets, tmp_path: Path) -> None:
    """The loss recorded under the device's fast path (bf16 where the CPU has it) matches an
    fp32 recomputation to bf16 accuracy: a loose bound, measured gaps are 4e-6 to 1.2e-4."""
    train_set, valid_set = sets
    config = TrainConfig(**{**asdict(CONFIG), "max_epochs": 1, "checkpoint_policy": "last"})
    result = train("base_crnn", train_set, valid_set, config, tmp_path, progress=False)
    model, meta = load_checkpoint(result.best_checkpoint)
    assert _valid_loss(model, valid_set) == pytest.approx(meta["metrics"]["valid_loss"], rel=1e-2)


CRASHING_RUN = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from deep_data import train_valid
    from genrelib.training import TrainConfig, train

    def crash(epoch, batch):
        if epoch == 2 and batch == 1:
            os._exit(17)  # a hard kill: no cleanup, no finally blocks

    train_set, valid_set = train_valid(Path({data!r}))
    train("base_crnn", train_set, valid_set, TrainConfig(**{config!r}), {out!r},
          progress=False, on_batch_end=crash)
    """
)


@pytest.mark.slow  # trains twice end to end
def test_killed_mid_epoch_then_resumed_equals_uninterrupted_run(sets, gtzan_mini, tmp_path) -> None:
    train_set, valid_set = sets
    out = tmp_path / "interrupted"
    script = CRASHING_RUN.format(
        tests=str(TESTS_DIR), data=str(gtzan_mini), config=asdict(CONFIG), out=str(out)
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ
    )
    assert completed.returncode == 17, completed.stderr[-2000:]
    # epoch 1 finished: its best checkpoint is intact and loadable; epoch 2 left no trace
    _, meta = load_checkpoint(out / "best.pt")
    assert meta["epoch"] == 1
    assert read_checkpoint(out / "last.pt")["epoch"] == 1
    assert len(pd.read_csv(out / "history.csv")) == 1
    resumed = train("base_crnn", train_set, valid_set, CONFIG, out, progress=False)
    assert resumed.resumed_from == 1
    assert list(resumed.history["epoch"]) == [1, 2, 3]
    reference = train(
        "base_crnn", train_set, valid_set, CONFIG, tmp_path / "reference", progress=False
    )
    for column in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
        assert resumed.history[column].tolist() == pytest.approx(
            reference.history[column].tolist(), rel=1e-5
        )
    resumed_state = read_checkpoint(out / "last.pt")["model_state"]
    reference_state = read_checkpoint(tmp_path / "reference" / "last.pt")["model_state"]
    for name, value in reference_state.items():
        assert torch.allclose(resumed_state[name].float(), value.float(), atol=1e-5), name
    # a finished run returns at once, without training again
    again = train("base_crnn", train_set, valid_set, CONFIG, out, progress=False)
    assert again.resumed_from == 3 and len(again.history) == 3


def test_crash_while_writing_keeps_previous_checkpoint(sets, tmp_path, monkeypatch) -> None:
    train_set, valid_set = sets
    config = TrainConfig(**{**asdict(CONFIG), "max_epochs": 1})
    result = train("base_crnn", train_set, valid_set, config, tmp_path, progress=False)
    before = read_checkpoint(result.best_checkpoint)["model_state"]

    def partial_save(obj, destination, *args, **kwargs):
        Path(destination).write_bytes(b"PK\x03\x04 half a checkpoint")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", partial_save)
    with pytest.raises(CheckpointError, match="best.pt"):
        atomic_save({"format": "x"}, result.best_checkpoint)
    monkeypatch.undo()
    model, _ = load_checkpoint(result.best_checkpoint)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.pt",
        "history.csv",
        "history.json",
        "last.pt",
    ]


def test_early_stopping_stops_after_patience(sets, tmp_path) -> None:
    """lr=0 freezes the weights and min_delta=100 makes no later epoch an improvement.

    Epoch 1 is always the best, so the run must end after 1 + patience epochs.
    """
    train_set, valid_set = sets
    config = TrainConfig(
        **{**asdict(CONFIG), "lr": 0.0, "min_delta": 100.0, "patience": 2, "max_epochs": 10}
    )
    result = train("base_crnn", train_set, valid_set, config, tmp_path, progress=False)
    assert result.stopped_early and result.best_epoch == 1
    assert list(result.history["epoch"]) == [1, 2, 3]
    assert read_checkpoint(result.best_checkpoint)["epoch"] == 1


def test_bad_inputs_and_corrupt_checkpoints(sets, tmp_path, monkeypatch) -> None:
    train_set, valid_set = sets
    with pytest.raises(ConfigError, match="unknown option"):
        train("base_crnn", train_set, valid_set, CONFIG, tmp_path, model_options={"faithful": True})
    with pytest.raises(ConfigError, match="empty"):
        train(
            "base_crnn",
            train_set.subset(np.zeros(len(train_set), bool)),
            valid_set,
            CONFIG,
            tmp_path,
        )
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ConfigError, match="checkpoint_policy"):
        TrainConfig(checkpoint_policy="first")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "broken.pt").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="broken.pt"):
        load_checkpoint(tmp_path / "broken.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError, match="cuda"):
        resolve_device("cuda")
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ConfigError, match="device"):
        resolve_device("tpu")


def test_resume_refuses_a_run_with_other_settings(sets, tmp_path) -> None:
    train_set, valid_set = sets
    config = TrainConfig(**{**asdict(CONFIG), "max_epochs": 1})
    train("base_crnn", train_set, valid_set, config, tmp_path, progress=False)
    other = TrainConfig(**{**asdict(config), "lr": 1e-3})
    with pytest.raises(CheckpointError, match=r"last\.pt.*train_config\.lr"):
        train("base_crnn", train_set, valid_set, other, tmp_path, progress=False)


def test_fast_path_is_chosen_per_device_and_can_be_turned_off(monkeypatch) -> None:
    from genrelib.training import device as device_module
    from genrelib.training.device import fast_path

    reference = fast_path("cpu", "fp32")
    assert (reference.precision, reference.channels_last, reference.tf32) == ("fp32", False, False)
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: True)
    assert fast_path("cpu").precision == "bf16" and fast_path("cpu").channels_last
    monkeypatch.setattr(device_module, "cpu_has_native_bf16", lambda: False)
    assert fast_path("cpu").precision == "fp32" and fast_path("cpu").channels_last
    with pytest.raises(ConfigError, match="fp16"):
        fast_path("cpu", "fp16")
    with pytest.raises(ConfigError, match="precision"):
        fast_path("cpu", "half")
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="half")
    assert TrainConfig(amp=False).resolved_precision == "fp32"
    # CUDA, without a GPU: bf16 where supported, else fp16 with a gradient scaler
    monkeypatch.setattr(device_module, "resolve_device", lambda device: torch.device("cuda"))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    cuda = fast_path("cuda")
    assert (cuda.precision, cuda.tf32, cuda.pin_memory, cuda.needs_scaler) == (
        "bf16",
        True,
        True,
        False,
    )
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert fast_path("cuda").precision == "fp16" and fast_path("cuda").needs_scaler
    assert not fast_path("cuda", "fp32").tf32


def test_checkpoint_records_the_precision_and_fp32_switch_works(sets, tmp_path) -> None:
    from genrelib.training.device import fast_path

    train_set, valid_set = sets
    fast = TrainConfig(**{**asdict(CONFIG), "max_epochs": 1})
    plain = TrainConfig(**{**asdict(fast), "precision": "fp32"})
    result = train("base_crnn", train_set, valid_set, fast, tmp_path / "fast", progress=False)
    expected = fast_path("cpu").precision
    assert result.precision == expected
    assert read_checkpoint(result.best_checkpoint)["fast_path"]["precision"] == expected
    reference = train("base_crnn", train_set, valid_set, plain, tmp_path / "fp32", progress=False)
    assert reference.precision == "fp32"
    assert read_checkpoint(reference.last_checkpoint)["fast_path"]["channels_last"] is False
    # both paths start from the same weights and see the same batches: close first epochs
    assert result.history["valid_loss"][0] == pytest.approx(
        reference.history["valid_loss"][0], rel=0.05
    )
    # a run may resume under another precision (not part of the run's identity)
    more = TrainConfig(**{**asdict(plain), "max_epochs": 2})
    resumed = train("base_crnn", train_set, valid_set, more, tmp_path / "fast", progress=False)
    assert resumed.resumed_from == 1 and resumed.precision == "fp32"

"""Data-parallel training under torchrun: 2 gloo processes on CPU against one process.

Each torchrun launch starts two processes that train the base CRNN on real GTZAN
spectrograms (tests/deep_data.py). Checked: the two-process history equals the
one-process history within :data:`TOLERANCE` (not exactly: batch-norm statistics are
computed per process over half of each batch, and rank 1 draws other dropout masks),
only rank 0 writes files, and a run killed mid-epoch resumes to the same history as an
uninterrupted two-process run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
import torch
from deep_data import train_valid

from genrelib.training import TrainConfig, read_checkpoint, train

pytestmark = pytest.mark.slow  # trains in two processes end to end

TESTS_DIR = Path(__file__).parent
CONFIG = TrainConfig(
    batch_size=8, max_epochs=3, patience=5, max_train_chunks=16, device="cpu", seed=3
)
TOLERANCE = {"train_loss": 0.05, "valid_loss": 0.05}
"""Largest relative difference of the 2-process losses from the 1-process losses.

Measured on this data (bf16 fast path, 1 thread a process): at most 1.2 % (train loss)
and 0.12 % (valid loss) over 3 epochs; chunk accuracies on 16 and 10 chunks may differ
by one chunk, so they are not compared.
"""

WORKER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import genrelib.training.loop as loop
    from deep_data import train_valid
    from genrelib.training import TrainConfig, train

    out = Path({out!r})
    rank = int(os.environ["RANK"])
    writes = []
    save, write = loop.atomic_save, loop.atomic_write
    def save_spy(payload, path):
        writes.append(Path(path).name)
        return save(payload, path)
    def write_spy(path, content):
        writes.append(Path(path).name)
        return write(path, content)
    loop.atomic_save, loop.atomic_write = save_spy, write_spy

    def crash(epoch, batch):
        if {crash!r} and rank == 0 and epoch == 2 and batch == 0:
            os._exit(17)  # a hard kill of one process: torchrun ends the other

    train_set, valid_set = train_valid(Path({data!r}))
    result = train("base_crnn", train_set, valid_set, TrainConfig(**{config!r}), out,
                   progress=False, on_batch_end=crash)
    (out.parent / f"{{out.name}}-rank{{rank}}-writes.txt").write_text("\\n".join(writes))
    assert result.history["epoch"].tolist() == [1, 2, 3]
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun(out: Path, data: Path, crash: bool = False) -> subprocess.CompletedProcess:
    """Run WORKER in 2 processes with the gloo backend on CPU."""
    script = out.parent / f"{out.name}-worker.py"
    script.write_text(
        WORKER.format(
            tests=str(TESTS_DIR), out=str(out), data=str(data), config=asdict(CONFIG), crash=crash
        )
    )
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
        "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), str(script),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def two_process_run(gtzan_mini: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ddp") / "run"
    completed = torchrun(out, gtzan_mini)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run in-process training on one thread (as each torchrun worker), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_two_processes_equal_one_within_tolerance(
    two_process_run, gtzan_mini, tmp_path, one_thread
) -> None:
    train_set, valid_set = train_valid(gtzan_mini)
    single = train("base_crnn", train_set, valid_set, CONFIG, tmp_path, progress=False)
    double = pd.read_csv(two_process_run / "history.csv")
    assert double["epoch"].tolist() == single.history["epoch"].tolist() == [1, 2, 3]
    for column, tolerance in TOLERANCE.items():
        assert double[column].tolist() == pytest.approx(
            single.history[column].tolist(), rel=tolerance
        ), column
    meta = read_checkpoint(two_process_run / "last.pt")
    assert meta["fast_path"]["device"] == "cpu"
    assert len(meta["rank_rng_states"]) == 2


def test_only_rank_zero_writes(two_process_run) -> None:
    rank0 = (two_process_run.parent / "run-rank0-writes.txt").read_text().split()
    rank1 = (two_process_run.parent / "run-rank1-writes.txt").read_text().split()
    assert {"best.pt", "last.pt", "history.csv", "history.json"} <= set(rank0)
    assert rank1 == []


def test_interrupted_distributed_run_resumes(two_process_run, gtzan_mini, tmp_path) -> None:
    out = tmp_path / "run"
    crashed = torchrun(out, gtzan_mini, crash=True)
    assert crashed.returncode != 0
    assert read_checkpoint(out / "last.pt")["epoch"] == 1
    resumed = torchrun(out, gtzan_mini)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert read_checkpoint(out / "last.pt")["epoch"] == 3
    history = pd.read_csv(out / "history.csv")
    reference = pd.read_csv(two_process_run / "history.csv")
    for column in ("train_loss", "train_acc", "valid_loss", "valid_acc"):
        assert history[column].tolist() == pytest.approx(reference[column].tolist(), rel=1e-5)

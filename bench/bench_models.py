"""Throughput of the three models, float32 path against the fast path, in one interleaved run.

For each model: training (forward + backward + Adam step) and inference chunks/s on the
plain float32 path (``precision="fp32"``) and on the automatic fast path
(:func:`genrelib.training.device.fast_path`: bf16 autocast + channels-last on a CPU with
native bf16; bf16/fp16 autocast + TF32 + channels-last on CUDA), their ratio, the
effective GFLOPS (FLOPs counted by ``torch.utils.flop_counter`` on the float32 model,
divided by the measured time) and their share of a matmul peak measured in the same run
(float32 peak for the float32 path, the fast path's dtype peak for the fast path).

Timed steps alternate between the two paths (fp32, fast, fp32, fast, ...) and the median
step time is kept, so a neighbour's load hits both alike. Also prints the model time of a
3-minute song (60 chunks of 3 s) through the base CRNN. ``--compile`` adds the fast path
under ``torch.compile``. Benchmarks, not tests. Usage::

    python bench/bench_models.py [--batch 32] [--iters 6] [--mel authors_code] [--compile]
        [--threads 1] [--models base_crnn]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from genrelib.config import ChunkConfig, MelConfig
from genrelib.models import DEEP_MODELS, build_model
from genrelib.training.device import FastPath, cpu_has_native_bf16, fast_path

SONG_SECONDS = 180.0


def frames_for(mel: MelConfig, chunk_seconds: float = 3.0) -> int:
    """Frames of one chunk under ``mel``."""
    return mel.n_frames(ChunkConfig(chunk_seconds=chunk_seconds).chunk_samples)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: torch.device, dtype: torch.dtype, n: int = 2048, reps: int = 5) -> float:
    """Best GFLOPS of an ``n x n`` matmul in ``dtype`` (the peak the models are compared with)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        _sync(device)
        started = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best / 1e9


def count_flops(name: str, shape: tuple[int, ...], train: bool) -> float:
    """FLOPs of one training step's forward + backward, or one forward (float32, CPU)."""
    torch.manual_seed(0)
    model = build_model(name, n_mels=shape[2]).train(train)
    x = torch.randn(*shape)
    with FlopCounterMode(display=False) as counter:
        if train:
            labels = torch.zeros(shape[0], dtype=torch.long)
            torch.nn.functional.cross_entropy(model(x), labels).backward()
        else:
            with torch.no_grad():
                model(x)
    return float(counter.get_total_flops())


class Runner:
    """One model on one path, ready to time a training or inference step."""

    def __init__(self, model: torch.nn.Module, path: FastPath, shape, compile_model: bool):
        self.path = path
        self.model = path.prepare(copy.deepcopy(model))
        self.step_model = torch.compile(self.model) if compile_model else self.model
        self.x = path.inputs(torch.randn(*shape))
        self.y = torch.randint(0, 10, (shape[0],), device=path.device)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(trainable, lr=1e-4)

    def step(self, train: bool) -> float:
        """Seconds of one step."""
        self.model.train(train)
        _sync(self.path.device)
        started = time.perf_counter()
        if train:
            self.optimizer.zero_grad(set_to_none=True)
            with self.path.autocast():
                loss = torch.nn.functional.cross_entropy(self.step_model(self.x).float(), self.y)
            loss.backward()
            self.optimizer.step()
        else:
            with torch.inference_mode(), self.path.autocast():
                self.step_model(self.x)
        _sync(self.path.device)
        return time.perf_counter() - started


def compare(name, shape, device, iters, warmup, train, compile_model) -> dict[str, float]:
    """Median seconds per step of each path, timed alternately."""
    torch.manual_seed(0)
    model = build_model(name, n_mels=shape[2])
    runners = {
        "fp32": Runner(model, fast_path(device, "fp32"), shape, False),
        "fast": Runner(model, fast_path(device, "auto"), shape, False),
    }
    if compile_model:
        runners["compiled"] = Runner(model, fast_path(device, "auto"), shape, True)
    for runner in runners.values():
        for _ in range(warmup):
            runner.step(train)
    times: dict[str, list[float]] = {key: [] for key in runners}
    for _ in range(iters):
        for key, runner in runners.items():
            times[key].append(runner.step(train))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--iters", type=int, default=6, help="timed steps per path")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per path")
    parser.add_argument("--models", nargs="+", default=list(DEEP_MODELS), choices=DEEP_MODELS)
    parser.add_argument("--mel", choices=("authors_code", "paper"), default="authors_code")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    fast = fast_path(device, "auto").activate()
    mel = MelConfig.authors_code() if args.mel == "authors_code" else MelConfig.paper()
    shape = (args.batch, 1, mel.n_mels, frames_for(mel))
    peaks = {"fp32": matmul_peak(device, torch.float32)}
    fast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(fast.precision)
    peaks["fast"] = matmul_peak(device, fast_dtype) if fast_dtype else peaks["fp32"]
    peaks["compiled"] = peaks["fast"]
    print(
        f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"native bf16 {cpu_has_native_bf16()}, fast path {fast.describe()}\n"
        f"matmul peak: fp32 {peaks['fp32']:.0f} GFLOPS, fast ({fast.precision}) "
        f"{peaks['fast']:.0f} GFLOPS; input {shape}",
        flush=True,
    )
    rows = []
    for name in args.models:
        for mode in ("train", "infer"):
            flops = count_flops(name, shape, mode == "train")
            seconds = compare(
                name, shape, device, args.iters, args.warmup, mode == "train", args.compile
            )
            for key, value in seconds.items():
                gflops = flops / value / 1e9
                rows.append(
                    {
                        "model": name,
                        "mode": mode,
                        "path": key,
                        "chunks_per_s": args.batch / value,
                        "ratio": seconds["fp32"] / value,
                        "GFLOPS": gflops,
                        "pct_peak": 100 * gflops / peaks[key],
                        "GFLOP_per_chunk": flops / args.batch / 1e9,
                    }
                )
                print(
                    f"{name:14s} {mode:5s} {key:8s} {args.batch / value:8.1f} chunks/s "
                    f"x{seconds['fp32'] / value:4.2f} {gflops:6.1f} GFLOPS "
                    f"{100 * gflops / peaks[key]:4.0f}% of peak",
                    flush=True,
                )
    table = pd.DataFrame(rows).set_index(["model", "mode", "path"])
    print(f"\nbatch {args.batch}, median of {args.iters} alternating timed steps per path")
    print(table.round(2).to_string())
    song_chunks = int(SONG_SECONDS // 3.0)
    song = {}
    for key, path in (("fp32", fast_path(device, "fp32")), ("fast", fast)):
        runner = Runner(build_model("base_crnn", n_mels=mel.n_mels), path, shape, False)
        runner.x = path.inputs(torch.randn(song_chunks, 1, mel.n_mels, frames_for(mel)))
        runner.step(False)
        song[key] = min(runner.step(False) for _ in range(3))
    print(
        f"3-minute song ({song_chunks} chunks of 3 s) through the base CRNN, model time: "
        f"fp32 {song['fp32']:.2f} s, fast {song['fast']:.2f} s"
    )


if __name__ == "__main__":
    main()

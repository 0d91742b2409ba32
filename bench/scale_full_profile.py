"""Scale test: the full profile on a synthetic dataset of full GTZAN size, one capped epoch.

Generates (once, cached) 1000 synthetic clips of 30 s with :mod:`genrelib.data.synthetic`,
computes their spectrograms with the full profile's mel config (Table II, hop 67) and
1-s chunks, splits by track, then trains with the full profile's settings
(:func:`genrelib.training.train`, fast path) for one epoch capped at ``--cap`` training
chunks and ``--valid-cap`` validation chunks. It measures:

* wall time of each phase, time per capped epoch and the full epoch it implies (every
  training and validation chunk at the measured per-chunk rates);
* the data-loading share: the epoch's chunks read through the loop's DataLoader settings
  alone, against the training time of the same chunks;
* peak resident memory (and peak GPU memory on CUDA);
* FLOPs per chunk (``torch.utils.flop_counter``) and, from them, the projected epoch time
  on a GPU: epoch FLOPs / (the GPU's dense bf16 peak x the share of peak the fast path
  reached here).

A script you run and whose numbers you write down, not a CI test. Usage::

    python bench/scale_full_profile.py [--per-genre 100] [--cap 256] [--out results/scratch/scale]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset

sys.path.insert(0, str(Path(__file__).parent))
from bench_models import count_flops, matmul_peak  # noqa: E402

from genrelib.audio import build_spectrogram_set  # noqa: E402
from genrelib.config import get_profile  # noqa: E402
from genrelib.data import index_gtzan  # noqa: E402
from genrelib.data.synthetic import synthetic_dataset  # noqa: E402
from genrelib.experiments import Experiment, split_chunks  # noqa: E402
from genrelib.training import SpectrogramDataset, TrainConfig, collate_chunks, train  # noqa: E402
from genrelib.training.device import fast_path, loader_workers  # noqa: E402
from genrelib.training.loop import _epoch_indices  # noqa: E402

GPU_BF16_PEAK_TFLOPS = {"A100": 312.0, "H100/H200 SXM": 989.0}
"""Dense bf16 tensor-core peaks from the vendor data sheets."""


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loader_seconds(train_set, order: list[int], batch_size: int, path) -> tuple[float, int]:
    """Seconds to read ``order`` through the training loop's DataLoader settings, and workers."""
    workers = loader_workers(None, path)
    loader = DataLoader(
        Subset(SpectrogramDataset(train_set), order),
        batch_size=batch_size,
        num_workers=workers,
        pin_memory=path.pin_memory,
        collate_fn=collate_chunks,
    )
    started = time.perf_counter()
    for images, labels in loader:
        path.inputs(images), labels.to(path.device)
    return time.perf_counter() - started, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-genre", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--cap", type=int, default=256, help="training chunks in the epoch")
    parser.add_argument("--model", default="base_crnn")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--valid-cap", type=int, default=256, help="validation chunks")
    parser.add_argument("--out", default="results/scratch/scale")
    args = parser.parse_args()
    out = Path(args.out)
    report: dict = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    path = fast_path(args.device, args.precision).activate()
    report["fast_path"] = path.describe()
    clock = time.perf_counter()

    data = synthetic_dataset(args.per_genre, args.seconds, progress=False)
    report["synthetic_seconds"] = time.perf_counter() - clock
    report["peak_rss_mib_after"] = {"synthetic": peak_rss_mb()}
    profile = get_profile("full").with_overrides(
        dataset="synthetic",
        synthetic_per_genre=args.per_genre,
        synthetic_seconds=args.seconds,
        track_seconds=args.seconds,
        max_epochs=1,
        max_train_chunks=args.cap,
    )
    tracks = index_gtzan(data, with_duration=False)
    experiment = Experiment.from_profile(profile, args.model, "track", seed=0)
    chunk_config = profile.chunk_config(experiment.chunk_seconds)
    clock = time.perf_counter()
    spectrograms = build_spectrogram_set(tracks, experiment.mel, chunk_config, progress=False)
    report["spectrogram_seconds"] = time.perf_counter() - clock
    report["peak_rss_mib_after"]["spectrograms"] = peak_rss_mb()
    split = split_chunks(spectrograms, experiment.protocol, experiment.seed).to_numpy()
    counts = {name: int((split == name).sum()) for name in ("train", "valid", "test")}
    report.update(
        tracks=len(tracks),
        chunk_shape=list(spectrograms.shape),
        chunks=counts,
        mel=profile.mel.name,
    )
    train_set = spectrograms.subset(split == "train")
    valid_all = np.flatnonzero(split == "valid")
    valid_pick = np.random.default_rng(0).permutation(valid_all)[: args.valid_cap]
    valid_set = spectrograms.subset(np.sort(valid_pick))
    config = TrainConfig.from_profile(
        profile, device=str(path.device), precision=args.precision, max_epochs=1
    )
    order = _epoch_indices(len(train_set), config, 1)
    data_seconds, workers = loader_seconds(train_set, order, profile.batch_size, path)
    report["peak_rss_mib_after"]["loading"] = peak_rss_mb()

    batch_ends: list[float] = []
    clock = time.perf_counter()
    result = train(
        args.model,
        train_set,
        valid_set,
        config,
        out / "run",
        progress=False,
        resume=False,
        on_batch_end=lambda epoch, batch: batch_ends.append(time.perf_counter()),
    )
    report["train_call_seconds"] = time.perf_counter() - clock
    epoch_seconds = float(result.history["seconds"].iloc[0])
    step = float(np.median(np.diff(batch_ends))) if len(batch_ends) > 1 else epoch_seconds
    n_steps = len(batch_ends)
    train_seconds = batch_ends[-1] - batch_ends[0] + step
    valid_seconds = max(0.0, epoch_seconds - train_seconds)
    report["peak_rss_mib"] = peak_rss_mb()
    if path.device.type == "cuda":
        report["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
    report.update(
        capped_epoch={
            "train_chunks": len(order),
            "valid_chunks": len(valid_set),
            "seconds": epoch_seconds,
            "train_seconds": train_seconds,
            "valid_seconds": valid_seconds,
            "step_seconds": step,
            "steps": n_steps,
        },
        loading={
            "loader_workers": workers,
            "data_seconds": data_seconds,
            "data_share_of_train_time": data_seconds / train_seconds,
        },
    )

    shape = (1, 1, *spectrograms.shape)
    train_flops = count_flops(args.model, shape, train=True)
    infer_flops = count_flops(args.model, shape, train=False)
    epoch_flops = train_flops * counts["train"] + infer_flops * counts["valid"]
    achieved = train_flops * profile.batch_size / step
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(path.precision, torch.float32)
    peak = matmul_peak(path.device, dtype) * 1e9
    utilisation = achieved / peak
    full_epoch_here = counts["train"] / profile.batch_size * step + counts["valid"] * (
        valid_seconds / len(valid_set)
    )
    report.update(
        train_gflop_per_chunk=train_flops / 1e9,
        infer_gflop_per_chunk=infer_flops / 1e9,
        epoch_tflop=epoch_flops / 1e12,
        achieved_gflops=achieved / 1e9,
        matmul_peak_gflops=peak / 1e9,
        share_of_peak=utilisation,
        projected_full_epoch_seconds_here=full_epoch_here,
        projected_gpu_epoch_seconds={
            name: epoch_flops / (tflops * 1e12 * utilisation)
            for name, tflops in GPU_BF16_PEAK_TFLOPS.items()
        },
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

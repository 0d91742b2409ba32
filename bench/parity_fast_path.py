"""Accuracy parity of the fast path: same seeds, fp32 vs the automatic fast path, real clips.

Trains the base CRNN on gtzan_mini (the cpu profile: 3-s chunks, hop 256, track split)
for a few capped epochs per seed and precision, one torch thread, and prints the test
accuracies. The fast path passes when its accuracies fall within the seed-to-seed spread
of fp32. Usage::

    python bench/parity_fast_path.py --precision fp32 --seeds 0 1 [--epochs 5 --chunks 384]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from genrelib.config import get_profile
from genrelib.data import index_gtzan, resolve_data_dir
from genrelib.experiments import Experiment, run_experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=384, help="training chunks per epoch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", default=None, help="default: $GTZAN_DIR or gtzan_mini")
    parser.add_argument("--out", default="results/scratch/parity")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    profile = get_profile("cpu").with_overrides(max_train_chunks=args.chunks)
    tracks = index_gtzan(resolve_data_dir(profile, args.data_dir), with_duration=False)
    for seed in args.seeds:
        experiment = Experiment.from_profile(profile, "base_crnn", "track", seed=seed)
        started = time.perf_counter()
        row = run_experiment(
            experiment,
            tracks,
            profile,
            Path(args.out) / args.precision,
            progress=False,
            train_overrides={"max_epochs": args.epochs, "precision": args.precision},
        )
        summary = {
            "seed": seed,
            "precision": row["precision"],
            "test_chunk_accuracy": row["test_chunk_accuracy"],
            "test_track_accuracy": row["test_track_accuracy"],
            "valid_chunk_accuracy": row["valid_chunk_accuracy"],
            "seconds_per_epoch": row["seconds_per_epoch"],
            "wall_seconds": time.perf_counter() - started,
        }
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

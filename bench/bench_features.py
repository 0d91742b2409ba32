"""Benchmark of genrelib.features: extraction time per 30 s of audio, parallel and cached.

Three ways to get the 57 features of the same clips (one per genre first, then more):

* ``loop``: a plain Python loop over :func:`genrelib.features.file_features`, no cache;
* ``parallel cold``: :func:`genrelib.features.compute_features` with ``--jobs`` processes
  and an empty cache (it also writes the cache);
* ``parallel warm``: the same call again, served from the cache.

Usage::

    python bench/bench_features.py --data-dir ../shared/data/gtzan_mini --n-files 20 --jobs 2

Notebook: 03_baselines.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from genrelib.audio.io import load_audio
from genrelib.config import SAMPLE_RATE
from genrelib.data.gtzan import index_gtzan
from genrelib.features import compute_features, file_features, signal_features


def main() -> None:
    """Run the benchmark and print one line per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="GTZAN folder (any accepted layout)")
    parser.add_argument("--n-files", type=int, default=20, help="clips to process")
    parser.add_argument("--jobs", type=int, default=2, help="processes of the parallel path")
    args = parser.parse_args()

    index = index_gtzan(args.data_dir, with_duration=False)
    order = index.groupby("genre").cumcount().sort_values(kind="stable").index
    tracks = index.loc[order[: args.n_files]].reset_index(drop=True)
    seconds_of_audio = sum(len(load_audio(path)) for path in tracks["path"]) / SAMPLE_RATE
    signal_features(load_audio(tracks["path"].iloc[0]))  # compile librosa's numba kernels once

    start = time.perf_counter()
    for path in tracks["path"]:
        file_features(path)
    loop = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        compute_features(tracks, n_jobs=args.jobs, cache_root=Path(cache), progress=False)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        compute_features(tracks, n_jobs=args.jobs, cache_root=Path(cache), progress=False)
        warm = time.perf_counter() - start

    per_30s = 30.0 / seconds_of_audio
    print(f"{len(tracks)} clips, {seconds_of_audio:.0f} s of audio, parallel jobs: {args.jobs}")
    print(f"{'method':<16}{'total (s)':>11}{'s per 30 s':>12}{'speed-up':>10}")
    for name, total in (("loop", loop), ("parallel cold", cold), ("parallel warm", warm)):
        print(f"{name:<16}{total:>11.2f}{total * per_30s:>12.3f}{loop / total:>10.1f}x")


if __name__ == "__main__":
    main()

"""Benchmark of genrelib.features: extraction time per 30 s of audio, parallel and cached.

Three ways to get the 57 features of the same clips (one per genre first, then more):

* ``loop``: a plain Python loop over :func:`genrelib.features.file_features`, no cache;
* ``parallel cold``: :func:`genrelib.features.compute_features` with ``--jobs`` processes
  and an empty cache (it also writes the cache);
* ``parallel warm``: the same call again, served from the cache.

Then the 3-s chunk rows (the 3-s table: ten chunks per clip) through the same loop, and the
step that dominated them, the harmonic/percussive split of every chunk's STFT:
:func:`librosa.decompose.hpss` beside
:func:`genrelib.features.hpss` (the same bits, tested), with their ratio.

Usage::

    python bench/bench_features.py --data-dir ../shared/data/gtzan_mini --n-files 20 --jobs 2

Notebook: 03_baselines.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np

from genrelib.audio.io import load_audio
from genrelib.config import SAMPLE_RATE
from genrelib.data.gtzan import index_gtzan
from genrelib.features import (
    HOP_LENGTH,
    N_FFT,
    compute_features,
    file_features,
    hpss,
    signal_features,
)


def time_hpss(paths: list[str], chunk_seconds: float = 3.0) -> tuple[float, float]:
    """Seconds librosa's and genrelib's HPSS take over every chunk's STFT of ``paths``."""
    size = int(chunk_seconds * SAMPLE_RATE)
    stfts = [
        librosa.stft(chunk, n_fft=N_FFT, hop_length=HOP_LENGTH, pad_mode="reflect")
        for path in paths
        for chunk in np.split(load_audio(path)[: 10 * size], 10)
    ]
    totals = []
    for split in (librosa.decompose.hpss, hpss):
        start = time.perf_counter()
        for stft in stfts:
            split(stft)
        totals.append(time.perf_counter() - start)
    return totals[0], totals[1]


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

    start = time.perf_counter()
    for path in tracks["path"]:
        file_features(path, chunk_seconds=3.0)
    loop3 = time.perf_counter() - start
    librosa_hpss, our_hpss = time_hpss(list(tracks["path"]))

    per_30s = 30.0 / seconds_of_audio
    print(f"{len(tracks)} clips, {seconds_of_audio:.0f} s of audio, parallel jobs: {args.jobs}")
    print(f"{'method':<16}{'total (s)':>11}{'s per 30 s':>12}{'speed-up':>10}")
    for name, total in (("loop", loop), ("parallel cold", cold), ("parallel warm", warm)):
        print(f"{name:<16}{total:>11.2f}{total * per_30s:>12.3f}{loop / total:>10.1f}x")
    print(f"3-s chunk rows, loop: {loop3:.2f} s ({loop3 * per_30s:.3f} s per 30 s)")
    with_librosa = loop3 + librosa_hpss - our_hpss
    print(
        f"HPSS of those chunks: librosa {librosa_hpss:.2f} s, genrelib {our_hpss:.2f} s "
        f"({librosa_hpss / our_hpss:.1f}x faster); the 3-s rows with librosa's would take "
        f"{with_librosa:.2f} s ({with_librosa / loop3:.1f}x)"
    )


if __name__ == "__main__":
    main()

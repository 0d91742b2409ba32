"""Benchmark: genrelib's spectrogram pipeline against a plain librosa loop, on the same files.

(a) plain loop: ``librosa.load`` each file, fix it to 30 s, then for every 3-s chunk (as
    the paper does) ``librosa.feature.melspectrogram`` + ``librosa.power_to_db``;
(b) ``build_spectrogram_set`` with an empty cache (decode, chunk, torch log-mel, write);
(c) ``build_spectrogram_set`` again (cache hit), and reading every chunk back.

Each measurement is repeated (a, b, c, a, b, c, ...) and the median is reported, since the
machine may be shared. ``--profile`` adds a single-threaded breakdown of the cold path.

Usage::

    GENRELIB_SHARED_DATA=../shared/data python bench/bench_spectrograms.py --n-files 20 --mel paper

Notebook: 02_preprocessing (numbers quoted in the report, not in the book).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import torch

from genrelib.audio import build_spectrogram_set, chunk_signal, fix_length, load_audio, log_mel
from genrelib.audio.cache import save_array
from genrelib.config import ChunkConfig, MelConfig
from genrelib.data import index_gtzan


def plain_loop(paths: list[str], mel: MelConfig, chunk: ChunkConfig) -> None:
    """What a notebook without genrelib does: librosa, one 3-s chunk at a time."""
    ref = np.max if mel.db_reference == "max" else 1.0
    for path in paths:
        y, _ = librosa.load(path, sr=mel.sample_rate)
        y = librosa.util.fix_length(y, size=chunk.track_samples)
        for start in range(0, chunk.chunks_per_track * chunk.chunk_samples, chunk.chunk_samples):
            power = librosa.feature.melspectrogram(
                y=y[start : start + chunk.chunk_samples],
                sr=mel.sample_rate,
                n_fft=mel.n_fft,
                hop_length=mel.hop_length,
                n_mels=mel.n_mels,
                fmin=mel.fmin,
                fmax=mel.fmax,
            )
            librosa.power_to_db(power, ref=ref, top_db=mel.top_db)


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def profile(paths: list[str], mel: MelConfig, chunk: ChunkConfig) -> dict[str, float]:
    """Seconds per stage of the cold path, single-threaded, over all files."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    chunks = [chunk_signal(fix_length(load_audio(p), chunk, p), chunk) for p in paths]
    decode = time.perf_counter() - start
    start = time.perf_counter()
    spectra = [log_mel(c, mel) for c in chunks]
    compute = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        for index, block in enumerate(spectra):
            save_array(Path(folder) / f"{index}.npy", block)
        write = time.perf_counter() - start
    return {"decode+chunk": decode, "log-mel (torch, 1 thread)": compute, "write .npy": write}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get("GENRELIB_SHARED_DATA")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(default_dir) / "gtzan_mini" if default_dir else None,
        help="GTZAN-layout folder (default: $GENRELIB_SHARED_DATA/gtzan_mini)",
    )
    parser.add_argument("--n-files", type=int, default=20, help="files to process (default 20)")
    parser.add_argument("--mel", choices=("paper", "authors_code"), default="paper")
    parser.add_argument("--chunk-seconds", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the median is reported")
    parser.add_argument("--profile", action="store_true", help="also time each cold-path stage")
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("pass --data-dir or set GENRELIB_SHARED_DATA")

    table = index_gtzan(args.data_dir, with_duration=False)
    table = table.iloc[np.linspace(0, len(table) - 1, min(args.n_files, len(table))).astype(int)]
    paths = table["path"].tolist()
    mel = MelConfig.named(args.mel)
    chunk = ChunkConfig(chunk_seconds=args.chunk_seconds)
    audio_seconds = len(paths) * chunk.track_seconds

    with tempfile.TemporaryDirectory() as scratch:
        # Warm-up (imports, FFT plans, filterbank) so no path pays a first-call cost.
        plain_loop(paths[:1], mel, chunk)
        build_spectrogram_set(table.iloc[:1], mel, chunk, cache_root=scratch, progress=False)

        times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "c+read": []}
        for repeat in range(args.repeats):
            root = Path(scratch) / f"run{repeat}"
            times["a"].append(timed(plain_loop, paths, mel, chunk))
            times["b"].append(timed(build_spectrogram_set, table, mel, chunk, root, False))
            start = time.perf_counter()
            spectrograms = build_spectrogram_set(table, mel, chunk, root, progress=False)
            times["c"].append(time.perf_counter() - start)
            for index in range(len(spectrograms)):
                spectrograms[index]
            times["c+read"].append(time.perf_counter() - start)

    median = {key: statistics.median(values) for key, values in times.items()}
    print(
        f"{len(paths)} files x {chunk.track_seconds:g} s, mel={mel.name} (hop {mel.hop_length}), "
        f"{chunk.chunk_seconds:g}-s chunks, {os.cpu_count()} CPU cores, "
        f"torch {torch.__version__}, librosa {librosa.__version__}, "
        f"median of {args.repeats}, load average {os.getloadavg()[0]:.1f}"
    )
    labels = {
        "a": "(a) plain librosa loop",
        "b": "(b) genrelib cold cache",
        "c": "(c) genrelib warm cache",
        "c+read": "(c) warm + read all chunks",
    }
    print(f"{'path':30s} {'seconds':>9s} {'x real time':>12s} {'speed-up vs (a)':>16s}")
    for key, label in labels.items():
        seconds = median[key]
        print(
            f"{label:30s} {seconds:9.3f} {audio_seconds / seconds:12.0f} "
            f"{median['a'] / seconds:16.1f}"
        )
    print("all runs (s):", {key: [round(v, 3) for v in values] for key, values in times.items()})
    if args.profile:
        for stage, seconds in profile(paths, mel, chunk).items():
            print(f"  {stage:28s} {seconds:8.3f} s  ({1000 * seconds / len(paths):.1f} ms/file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

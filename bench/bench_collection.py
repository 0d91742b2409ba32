"""Benchmark of your own collection: indexing, musicnn embeddings and the probe fit.

Three figures of ``genrelib data verify`` / ``genrelib probe fit`` on a collection made from
a GTZAN folder (each genre folder a label, linked, not copied), each with a floor measured
in the same run:

* indexing 1,000 files (labels from the folders, ids from the paths, header durations),
  against listing the same files with ``os.walk``;
* musicnn embeddings of ``--n-tracks`` tracks of 30 s with an empty cache (seconds of
  audio per second of wall time), against decoding the same files alone;
* the probe fit (5-fold cross-validation and the final fit) with the embeddings cached.

Usage::

    python bench/bench_collection.py --data-dir ../shared/data/gtzan_mini --n-tracks 100

Notebook: none (``genrelib probe fit``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from genrelib.audio.io import load_audio
from genrelib.data.collection import index_collection
from genrelib.data.gtzan import find_genre_root
from genrelib.models.musicnn import SAMPLE_RATE as MUSICNN_RATE
from genrelib.transfer.collection_probe import fit_collection_probe


def linked_collection(data_dir: str, n_tracks: int, target: Path) -> float:
    """Link ``n_tracks`` clips (the same number per genre) under ``target/<genre>/``.

    Returns the seconds of audio linked.
    """
    root = find_genre_root(data_dir)
    genres = sorted(p for p in root.iterdir() if p.is_dir())
    per_genre = max(1, n_tracks // len(genres))
    seconds = 0.0
    for genre in genres:
        (target / genre.name).mkdir(parents=True)
        for clip in sorted(genre.iterdir())[:per_genre]:
            (target / genre.name / clip.name).symlink_to(clip.resolve())
            seconds += sf.info(str(clip)).duration
    return seconds


def tiny_collection(target: Path, n_files: int = 1000, n_labels: int = 10) -> None:
    """``n_files`` WAV files of 0.1 s under ``n_labels`` labels, two folders deep."""
    silence = np.zeros(2205, dtype=np.float32)
    for k in range(n_files):
        folder = target / f"label{k % n_labels}" / f"album{k % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"track {k}.wav", silence, 22_050)


def main() -> None:
    """Run the benchmark and print one line per stage, with its floor and ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="GTZAN folder (any accepted layout)")
    parser.add_argument("--n-tracks", type=int, default=100, help="tracks embedded (30 s each)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        tiny_collection(scratch / "tiny")
        start = time.perf_counter()
        n_listed = sum(len(files) for _, _, files in os.walk(scratch / "tiny"))
        listing = time.perf_counter() - start
        start = time.perf_counter()
        indexed = index_collection(scratch / "tiny")
        indexing = time.perf_counter() - start
        assert len(indexed.tracks) == n_listed

        audio_seconds = linked_collection(args.data_dir, args.n_tracks, scratch / "music")
        collection = index_collection(scratch / "music", with_duration=False)
        start = time.perf_counter()
        for path in collection.tracks["path"]:
            load_audio(path, MUSICNN_RATE)
        decoding = time.perf_counter() - start

        os.environ["GENRELIB_CACHE"] = str(scratch / "cache")
        start = time.perf_counter()
        fit_collection_probe(collection, device="cpu", progress=False)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        fit = fit_collection_probe(collection, device="cpu", progress=False)
        warm = time.perf_counter() - start

    n = len(collection.tracks)
    accuracy, low, high = fit.accuracy
    print(f"cores: {os.cpu_count()}; {n} tracks, {audio_seconds:.0f} s of audio")
    print(f"{'stage':<34}{'wall (s)':>10}{'floor (s)':>11}{'ratio':>8}  note")
    rows = (
        (f"index {n_listed} files", indexing, listing, "floor: os.walk"),
        (
            f"embed {n} tracks + probe fit, cold",
            cold,
            decoding,
            f"floor: decode alone; {audio_seconds / cold:.0f}x real time",
        ),
        ("probe fit, embeddings cached", warm, decoding, "floor: decode alone"),
    )
    for name, wall, floor, note in rows:
        print(f"{name:<34}{wall:>10.2f}{floor:>11.2f}{wall / floor:>7.1f}x  {note}")
    print(f"5-fold track accuracy {accuracy:.1%} [{low:.1%}, {high:.1%}] over {n} tracks")


if __name__ == "__main__":
    main()

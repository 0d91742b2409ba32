"""Where the silence and noise thresholds of ``genrelib.input_checks`` come from, and their cost.

Measures, at the two sample rates the models read (22,050 Hz for the CRNNs, 16,000 Hz for
musicnn), the level and median spectral flatness of every music file given (the GTZAN clips
and the external songs) and of synthetic inputs (white, pink and brown noise, silence,
near-silence, a 50-Hz hum), and prints how far the thresholds sit from both. Then the
time of one check on a 3-minute signal, as a ratio to decoding the same minutes of audio
(the floor every prediction pays anyway), measured in the same run. With ``--probe-data``,
the novelty rule of the shipped genre probe (:mod:`genrelib.transfer.novelty`): its training
clips' leave-one-out distances and each other music file's distance, in float32.

Usage::

    python bench/bench_input_checks.py --music ../shared/data/gtzan_mini \
        ../shared/data/external_songs \
        --probe-data ../shared/data/gtzan_mini

Notebook: none (``genrelib predict``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from genrelib.audio.io import load_audio
from genrelib.config import AUDIO_EXTENSIONS
from genrelib.input_checks import NOISE_FLATNESS, SILENCE_DBFS, check_signal

RATES = (22_050, 16_000)


def synthetic_inputs(sample_rate: int, seconds: float = 30.0, seed: int = 0) -> dict:
    """Signals no genre describes: coloured noises at -20 dBFS, silences and a hum."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)

    def coloured(exponent: float) -> np.ndarray:
        spectrum = np.fft.rfft(rng.normal(size=n))
        frequency = np.maximum(np.arange(len(spectrum)), 1)
        y = np.fft.irfft(spectrum / frequency ** (exponent / 2), n)
        return (0.1 * y / y.std()).astype(np.float32)

    t = np.arange(n) / sample_rate
    return {
        "white noise": coloured(0.0),
        "pink noise": coloured(1.0),
        "brown noise": coloured(2.0),
        "silence": np.zeros(n, dtype=np.float32),
        "near-silence": (1e-5 * rng.normal(size=n)).astype(np.float32),
        "50-Hz hum": (0.1 * np.sin(2 * np.pi * 50 * t)).astype(np.float32),
    }


def music_files(folders: list[str]) -> list[Path]:
    """Every audio file under ``folders``, sorted."""
    found = [
        path
        for folder in folders
        for path in Path(folder).rglob("*")
        if path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file()
    ]
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--music", nargs="+", required=True, help="folders of music files")
    parser.add_argument("--probe-data", help="the GTZAN clips the shipped probe was fitted on")
    args = parser.parse_args()
    files = music_files(args.music)
    print(
        f"{len(files)} music files; thresholds: level < {SILENCE_DBFS:g} dBFS is silence, "
        f"flatness > {NOISE_FLATNESS:g} is noise"
    )
    for rate in RATES:
        checks = {path.name: check_signal(load_audio(path, rate)) for path in files}
        levels = {name: c.level_dbfs for name, c in checks.items()}
        flat = {name: c.flatness for name, c in checks.items()}
        flagged = [name for name, c in checks.items() if c.warning]
        quietest, flattest = min(levels, key=levels.get), max(flat, key=flat.get)
        print(
            f"\n{rate} Hz, music: quietest {levels[quietest]:.1f} dBFS ({quietest}), "
            f"flattest {flat[flattest]:.3f} ({flattest}), median flatness "
            f"{np.median(list(flat.values())):.4f}; flagged: {len(flagged)} {flagged}"
        )
        for name, y in synthetic_inputs(rate).items():
            check = check_signal(y)
            print(
                f"  {name:<13} level {check.level_dbfs:8.1f} dBFS  flatness "
                f"{check.flatness:.3f}  -> {check.warning or 'not flagged'}"
            )
    song = np.concatenate([load_audio(path, RATES[0]) for path in files[:6]])
    song = song[: 180 * RATES[0]]
    start = time.perf_counter()
    for path in files[:6]:
        load_audio(path, RATES[0])
    decode = time.perf_counter() - start
    start = time.perf_counter()
    check_signal(song)
    cost = time.perf_counter() - start
    print(
        f"\none check of {len(song) / RATES[0]:.0f} s of audio: {cost:.3f} s; decoding the "
        f"same audio: {decode:.3f} s (ratio {cost / decode:.2f})"
    )
    if args.probe_data:
        probe_root = Path(args.probe_data).resolve()
        novelty(args.probe_data, [p for p in files if probe_root not in p.resolve().parents])


def novelty(probe_data: str, songs: list[Path]) -> None:
    """The shipped probe's novelty rule: training distances, then each song's (float32)."""
    from genrelib.data import index_gtzan
    from genrelib.predict import predict_song
    from genrelib.transfer import load_genre_probe, musicnn_embeddings
    from genrelib.transfer.novelty import leave_one_out_distances, standardise

    model, meta = load_genre_probe(device="cpu")
    embeddings = musicnn_embeddings(index_gtzan(probe_data, with_duration=False), progress=False)
    z = standardise(embeddings.features("pooled"), model.mean.numpy(), model.scale.numpy())
    chunks = embeddings.chunks
    _, own = leave_one_out_distances(z, chunks["label"].to_numpy(), chunks["track_id"].to_numpy())
    low, median, high, top = np.percentile(own, [0, 50, 95, 100])
    print(
        f"\nnovelty: {len(own)} training clips, leave-one-out distance min {low:.1f}, "
        f"median {median:.1f}, 95th percentile {high:.1f}, max {top:.1f}; threshold "
        f"{float(model.novelty['far_distance']):.1f}"
    )
    for path in songs:
        result = predict_song(path, (model, meta), precision="fp32", progress=False)
        print(f"  {path.name[:40]:<40} distance {result.distance:5.1f}  {result.warning or ''}")


if __name__ == "__main__":
    main()

"""Time whole-song prediction: seconds per song and speed relative to real time.

Predicts a song with :func:`genrelib.predict.predict_song` (decode, resample, chunk, log-mel,
model) and also times each stage alone. Without ``--checkpoint`` it trains a tiny base
CRNN for one epoch on synthetic 3-s chunks (the timing does not depend on the weights,
only on the model, its chunk length and its mel config). Without ``--song`` it writes a
synthetic song of ``--seconds`` seconds as a 44.1 kHz stereo Ogg Vorbis file, so the
decoding and resampling costs are those of a real download.

It first times what a user waits for, cold, each in a fresh process: ``import torch`` (the
floor every command pays), ``import genrelib.predict``, ``genrelib --help``, and ``genrelib
predict SONG`` with the shipped probe and with the checkpoint, each with its ratio to the
floor measured in the same run. Usage::

    python bench/bench_predict.py [--seconds 180] [--trim 120] [--mel authors_code|paper]
                                  [--checkpoint best.pt] [--song file.mp3] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
import soundfile
import torch

from genrelib.audio import build_spectrogram_set, chunk_song, load_audio, log_mel
from genrelib.config import GENRES, SAMPLE_RATE, ChunkConfig, MelConfig
from genrelib.data import index_gtzan, synthesize_clip, synthetic_dataset
from genrelib.predict import load_model, predict_song
from genrelib.training import TrainConfig, train


def tiny_checkpoint(folder: Path, mel: MelConfig) -> Path:
    """A base CRNN on 3-s chunks trained for one epoch on one synthetic clip per genre."""
    root = synthetic_dataset(1, 6.0, seed=0, root=folder / "data", progress=False)
    tracks = index_gtzan(root, with_duration=False)
    chunks = build_spectrogram_set(
        tracks,
        mel,
        ChunkConfig(3.0, track_seconds=6.0),
        cache_root=folder / "cache",
        progress=False,
    )
    last = (chunks.chunks["chunk_index"] == 1).to_numpy()
    config = TrainConfig(batch_size=10, max_epochs=1, device="cpu", seed=0)
    result = train(
        "base_crnn",
        chunks.subset(~last),
        chunks.subset(last),
        config,
        folder / "run",
        progress=False,
    )
    return result.best_checkpoint


def synthetic_song(path: Path, seconds: float) -> Path:
    """Synthetic clips of successive genres, 44.1 kHz stereo Ogg Vorbis, ``seconds`` long."""
    part = 20.0
    pieces = [
        synthesize_clip(GENRES[i % len(GENRES)], i, part, seed=1)
        for i in range(int(np.ceil(seconds / part)))
    ]
    y = np.concatenate(pieces)[: int(seconds * SAMPLE_RATE)]
    up = librosa.resample(y, orig_sr=SAMPLE_RATE, target_sr=44_100)
    stereo = np.stack([up, 0.8 * up], axis=1)
    # libsndfile's Vorbis encoder crashes on one very large write: feed it in blocks.
    with soundfile.SoundFile(path, "w", 44_100, 2, format="OGG", subtype="VORBIS") as handle:
        for start in range(0, len(stereo), 65_536):
            handle.write(stereo[start : start + 65_536])
    return path


def _time(function, repeats: int) -> tuple[float, object]:
    """Median wall-clock seconds of ``repeats`` calls (after one warm-up call), and the result."""
    result = function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _cold(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of ``command`` in a fresh process (after one warm-up run, so
    the files are in the page cache, as for a user's second call)."""
    return _time(lambda: subprocess.run(command, check=True, capture_output=True), repeats)[0]


def cold_starts(song: Path, checkpoint: Path, device: str, repeats: int) -> None:
    """Print the cold-process timings of the module docstring, as ratios to ``import torch``."""
    script = Path(sys.executable).with_name("genrelib")  # the console script of this venv
    cli = [str(script)] if script.is_file() else [sys.executable, "-m", "genrelib"]
    commands = {
        "import torch (the floor)": [sys.executable, "-c", "import torch"],
        "import genrelib.predict": [sys.executable, "-c", "import genrelib.predict"],
        "genrelib --help": [*cli, "--help"],
        "genrelib predict SONG (shipped probe)": [*cli, "predict", str(song), "--device", device],
        "genrelib predict SONG --checkpoint": [
            *cli,
            "predict",
            str(song),
            "--checkpoint",
            str(checkpoint),
            "--device",
            device,
        ],
    }
    seconds = {name: _cold(command, repeats) for name, command in commands.items()}
    floor = seconds["import torch (the floor)"]
    print(f"cold, each in a fresh process (median of {repeats} after a warm-up):")
    for name, value in seconds.items():
        print(f"  {name:40s} {value:6.2f} s  {value / floor:5.2f}x the floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="best.pt (default: a tiny one made here)")
    parser.add_argument("--song", type=Path, help="audio file (default: a synthetic Ogg song)")
    parser.add_argument("--seconds", type=float, default=180.0, help="synthetic song length")
    parser.add_argument("--trim", type=float, default=None, help="keep the first SECONDS")
    parser.add_argument("--mel", choices=("authors_code", "paper"), default="authors_code")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        checkpoint = args.checkpoint or tiny_checkpoint(folder, MelConfig.named(args.mel))
        song = args.song or synthetic_song(folder / "song.ogg", args.seconds)
        cold_starts(song, checkpoint, args.device, args.repeats)
        model, meta = load_model(checkpoint, args.device)
        mel = MelConfig(**meta["mel_config"])
        chunk_seconds = meta["chunk_config"]["chunk_seconds"]

        total, prediction = _time(
            lambda: predict_song(
                song, (model, meta), args.trim, args.batch_size, args.device, progress=False
            ),
            args.repeats,
        )
        decode, y = _time(lambda: load_audio(song), args.repeats)
        if args.trim is not None:
            y = y[: int(round(args.trim * SAMPLE_RATE))]
        chunks = chunk_song(y, chunk_seconds)
        mel_seconds, spectrograms = _time(lambda: log_mel(chunks, mel), args.repeats)
        inputs = torch.from_numpy(spectrograms)[:, None].to(next(model.parameters()).device)

        def forward() -> None:
            with torch.inference_mode():
                for start in range(0, len(inputs), args.batch_size):
                    model(inputs[start : start + args.batch_size])
            if inputs.device.type == "cuda":
                torch.cuda.synchronize()

        model_seconds, _ = _time(forward, args.repeats)

    audio = prediction.analysed_seconds
    print(
        f"{meta['model_name']}, {chunk_seconds:g}-s chunks, mel {mel.name} "
        f"(hop {mel.hop_length}, {spectrograms.shape[1]}x{spectrograms.shape[2]} per chunk), "
        f"device {args.device}, torch threads {torch.get_num_threads()}"
    )
    print(
        f"song: {Path(song).name}, {prediction.duration:.1f} s, {prediction.n_chunks} chunks "
        f"({audio:.0f} s analysed{'' if args.trim is None else f', trim {args.trim:g} s'})"
    )
    print(f"median of {args.repeats} runs after a warm-up:")
    for stage, seconds in (
        ("decode + resample to 22,050 Hz", decode),
        ("log-mel of every chunk", mel_seconds),
        ("model forward passes", model_seconds),
        ("predict_song, end to end", total),
    ):
        print(f"  {stage:32s} {seconds:7.2f} s")
    print(
        f"end to end: {total:.2f} s per {prediction.duration:.0f}-s song, "
        f"{prediction.duration / total:.0f}x real time"
    )


if __name__ == "__main__":
    main()

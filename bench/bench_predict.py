"""Time whole-song prediction: seconds per song and speed relative to real time.

Predicts a song with :func:`genrelib.predict.predict_song` (decode, resample, chunk, log-mel,
model) and also times each stage alone. Without ``--checkpoint`` it trains a tiny base
CRNN for one epoch on synthetic 3-s chunks (the timing does not depend on the weights,
only on the model, its chunk length and its mel config). Without ``--song`` it writes a
synthetic song of ``--seconds`` seconds as a 44.1 kHz stereo Ogg Vorbis file, so the
decoding and resampling costs are those of a real download.

It first times what a user waits for, cold, each in a fresh process: ``import torch`` (the
floor every command pays), ``import genrelib.predict``, ``genrelib --help``, and ``genrelib
predict`` on one song and on ``--batch`` songs with the shipped probe and with the
checkpoint, each with its peak memory and its ratio to the floor measured in the same run
(each further song of a call: the difference of the two, per song). Then, in this process,
for each model: a further song end to end, and its stages, each as a ratio to decoding
alone. Usage::

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

from genrelib.audio import build_spectrogram_set, chunk_song, decode_audio, log_mel
from genrelib.audio.io import resample
from genrelib.config import GENRES, PREDICT_BATCH_SIZE, SAMPLE_RATE, ChunkConfig, MelConfig
from genrelib.data import index_gtzan, synthesize_clip, synthetic_dataset
from genrelib.input_checks import check_signal
from genrelib.predict import load_model, predict_chunks, predict_song
from genrelib.training import TrainConfig, train
from genrelib.transfer.inference import is_musicnn_input, patch_outputs, signal_patches


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


_MEASURE = """\
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - started
print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, flush=True)
sys.exit(done.returncode and done.stderr[-500:])
"""
"""Run a command and print its seconds and peak resident MB (Linux reports kilobytes). A small
process of its own starts it: a child forked from this one would inherit its peak."""


def _run(command: list[str]) -> tuple[float, float]:
    """Wall-clock seconds and peak resident memory (MB) of ``command`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    seconds, peak = map(float, done.stdout.split())
    return seconds, peak


def _cold(command: list[str], repeats: int) -> tuple[float, float]:
    """Median seconds and peak MB of ``command`` in a fresh process, after one warm-up run (so
    the files are in the page cache, as for a user's second call)."""
    _run(command)
    runs = [_run(command) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def cold_starts(song: Path, checkpoint: Path, device: str, repeats: int, batch: int) -> None:
    """Print the cold-process timings of the module docstring, as ratios to ``import torch``,
    and each further song of a ``batch``-song call."""
    script = Path(sys.executable).with_name("genrelib")  # the console script of this venv
    cli = [str(script)] if script.is_file() else [sys.executable, "-m", "genrelib"]
    predict = [*cli, "predict", "--device", device, "--no-progress"]
    models = {"shipped probe": [], "CRNN checkpoint": ["--checkpoint", str(checkpoint)]}
    commands = {
        "import torch (the floor)": [sys.executable, "-c", "import torch"],
        "import genrelib.predict": [sys.executable, "-c", "import genrelib.predict"],
        "genrelib --help": [*cli, "--help"],
    }
    for model, option in models.items():
        commands[f"predict SONG ({model})"] = [*predict, *option, str(song)]
        commands[f"predict {batch} songs ({model})"] = [*predict, *option, *[str(song)] * batch]
    measured = {name: _cold(command, repeats) for name, command in commands.items()}
    floor, floor_mb = measured["import torch (the floor)"]
    print(f"cold, each in a fresh process (median of {repeats} after a warm-up; peak memory):")
    for name, (seconds, peak) in measured.items():
        print(
            f"  {name:36s} {seconds:6.2f} s  {seconds / floor:5.2f}x the floor  "
            f"{peak:5.0f} MB ({peak - floor_mb:+5.0f} MB over the floor)"
        )
    for model in models:
        one = measured[f"predict SONG ({model})"][0]
        further = (measured[f"predict {batch} songs ({model})"][0] - one) / (batch - 1)
        print(f"  each further song in one call ({model}): {further:.2f} s")


def _report(title: str, stages: dict[str, float], prediction, floor: float) -> None:
    """Print one model's warm stages, each as a ratio to decoding alone (the floor)."""
    total = stages["predict_song, end to end (a further song)"]
    print(title)
    print(
        f"  song: {prediction.duration:.1f} s, {prediction.n_chunks} chunks "
        f"({prediction.analysed_seconds:.0f} s analysed)"
    )
    for stage, seconds in stages.items():
        print(f"  {stage:44s} {seconds:6.2f} s  {seconds / floor:5.2f}x decoding")
    print(f"  {prediction.duration / total:.0f}x real time")


def warm_stages(song: Path, checkpoint: Path | None, args: argparse.Namespace) -> None:
    """Time a further song in a warm process and each of its stages, for one model
    (``checkpoint``; ``None``: the shipped probe)."""
    model, meta = load_model(checkpoint, args.device)
    rate = meta["chunk_config"]["sample_rate"]
    decode, (mono, native) = _time(lambda: decode_audio(song), args.repeats)
    stages = {"decode and mix down (the floor)": decode}
    stages[f"resample to {rate:,} Hz"], y = _time(
        lambda: resample(mono, native, rate), args.repeats
    )
    if args.trim is not None:
        y = y[: int(round(args.trim * rate))]
    if is_musicnn_input(meta):
        stages["musicnn log-mel patches"], inputs = _time(lambda: signal_patches(y), args.repeats)
        stages["forward passes"], _ = _time(
            lambda: patch_outputs(model, inputs, args.batch_size), args.repeats
        )
    else:
        mel = MelConfig(**meta["mel_config"])
        chunks = chunk_song(y, meta["chunk_config"]["chunk_seconds"], rate)
        stages["log-mel of every chunk"], _ = _time(lambda: log_mel(chunks, mel), args.repeats)
        stages["forward passes (log-mel inside)"], _ = _time(
            lambda: predict_chunks(chunks, model, mel, args.batch_size, progress=False),
            args.repeats,
        )
    stages["input check (level, flatness)"], _ = _time(lambda: check_signal(y), args.repeats)
    total, prediction = _time(
        lambda: predict_song(
            song, (model, meta), args.trim, args.batch_size, args.device, progress=False
        ),
        args.repeats,
    )
    stages["predict_song, end to end (a further song)"] = total
    name = "shipped musicnn probe" if checkpoint is None else meta["model_name"]
    _report(f"{name}, warm, median of {args.repeats} after a warm-up:", stages, prediction, decode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="best.pt (default: a tiny one made here)")
    parser.add_argument("--song", type=Path, help="audio file (default: a synthetic Ogg song)")
    parser.add_argument("--seconds", type=float, default=180.0, help="synthetic song length")
    parser.add_argument("--trim", type=float, default=None, help="keep the first SECONDS")
    parser.add_argument("--mel", choices=("authors_code", "paper"), default="authors_code")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=PREDICT_BATCH_SIZE)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4, help="songs in one cold call (>= 2)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        checkpoint = args.checkpoint or tiny_checkpoint(folder, MelConfig.named(args.mel))
        song = args.song or synthetic_song(folder / "song.ogg", args.seconds)
        print(f"device {args.device}, torch threads {torch.get_num_threads()}, song {song.name}")
        cold_starts(song, checkpoint, args.device, args.repeats, args.batch)
        for model in (None, checkpoint):
            warm_stages(song, model, args)


if __name__ == "__main__":
    main()

"""Time musicnn embeddings (ours, PyTorch) beside the original TensorFlow pipeline, same run.

Three measurements, printed as a table and written as JSON (``--out``):

1. **ours**: decode at 16 kHz, log-mel (torch), 187-frame patches and MSD_musicnn (tags,
   pooled embedding, penultimate) for ``--clips`` GTZAN clips, batched, no cache; speed in
   x real time (seconds of audio per second of wall clock), end to end and model only;
2. **original**: ``musicnn.extractor.extractor(file, "MSD_musicnn", extract_features=True)``
   on the same clips, in a subprocess of the scratch TensorFlow venv (``--tf-python``, run
   with ``TF_USE_LEGACY_KERAS=1``; skipped with a note when absent). Its graph is built
   once per call, as its users call it; the first call is left out as warm-up;
3. **3-minute song**: model time of the default ``genrelib predict`` model (pretrained
   MSD_musicnn and the shipped genre probe) on a 180-s song made of six GTZAN clips:
   spectrogram and forward passes only, without decoding (median of ``--repeats``), in
   fp32 and on the device's fast path (bf16 autocast where the CPU has it), alternated in
   the same run, with the largest difference of their outputs.

Usage (2 CPU cores)::

    python bench/bench_musicnn.py $GENRELIB_SHARED_DATA/gtzan_mini \
        [--clips 10] [--tf-python /work/scratch/tfvenv/bin/python] [--threads 2] [--out x.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

from genrelib.audio import load_audio
from genrelib.data import index_gtzan
from genrelib.models.musicnn import SAMPLE_RATE, load_musicnn
from genrelib.transfer import (
    embed_patches,
    load_genre_probe,
    musicnn_fast_path,
    patch_probabilities,
)
from genrelib.transfer import signal_patches as patches_of

TF_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    import librosa
    from musicnn.extractor import extractor
    paths = sys.argv[1:]
    extractor(paths[0], model="MSD_musicnn", extract_features=True)  # warm-up
    seconds, audio = 0.0, 0.0
    for path in paths:
        start = time.perf_counter()
        extractor(path, model="MSD_musicnn", extract_features=True)
        seconds += time.perf_counter() - start
        audio += librosa.get_duration(path=path)
    print(json.dumps({"seconds": seconds, "audio_seconds": audio}))
    """
)


def ours(paths: list[str], batch_size: int, precision: str = "fp32") -> dict:
    """End-to-end and model-only speed of our embeddings over ``paths`` (fp32: as the TF one)."""
    model = load_musicnn("MSD_musicnn")
    embed_patches(model, patches_of(load_audio(paths[0], SAMPLE_RATE))[:2], precision=precision)
    total = model_seconds = audio = 0.0
    for path in paths:
        start = time.perf_counter()
        y = load_audio(path, SAMPLE_RATE)
        patches = patches_of(y)
        middle = time.perf_counter()
        embed_patches(model, patches, batch_size, precision=precision)
        end = time.perf_counter()
        total += end - start
        model_seconds += end - middle
        audio += len(y) / SAMPLE_RATE
    return {
        "seconds": total,
        "model_seconds": model_seconds,
        "audio_seconds": audio,
        "x_real_time": audio / total,
        "x_real_time_model": audio / model_seconds,
    }


def original(paths: list[str], python: str | None) -> dict:
    """The original TF pipeline's speed, or why it was not measured."""
    if python is None or not Path(python).exists():
        return {"skipped": f"no TensorFlow venv at {python!r} (pass --tf-python)"}
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [python, "-c", TF_SCRIPT, *paths], capture_output=True, text=True, env=env, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"skipped": f"TF run failed: {done.stderr.strip().splitlines()[-1:]}"}
    result = json.loads(lines[-1])
    result["x_real_time"] = result["audio_seconds"] / result["seconds"]
    return result


def three_minute_song(paths: list[str], repeats: int) -> dict:
    """Model time of the default predict model on a 180-s song (six clips back to back).

    fp32 (the reference) and the fast path (``precision="auto"``: bf16 autocast and
    on a CPU with native bf16; no channels-last) are timed in alternation, so both see the same
    load, and their outputs compared: genre probabilities of every patch and of the song
    (mean over patches), and musicnn's embeddings (tags, pooled, penultimate).
    """
    clips = [paths[k % len(paths)] for k in range(6)]  # six 30-s clips, repeated if fewer
    y = np.concatenate([load_audio(path, SAMPLE_RATE)[: 30 * SAMPLE_RATE] for path in clips])
    model, _ = load_genre_probe(device="cpu")
    times: dict[str, list[float]] = {"fp32": [], "auto": []}
    outputs: dict[str, np.ndarray] = {}
    for precision in times:  # warm-up
        patch_probabilities(model, patches_of(y[: 10 * SAMPLE_RATE]), precision=precision)
    for _ in range(repeats):
        for precision in times:
            start = time.perf_counter()
            outputs[precision] = patch_probabilities(
                model, patches_of(y), batch_size=64, precision=precision
            )
            times[precision].append(time.perf_counter() - start)
    exact, fast = outputs["fp32"], outputs["auto"]
    patches = patches_of(y)
    embedded = {p: embed_patches(model.backbone, patches, 64, precision=p) for p in times}
    scale = np.abs(embedded["fp32"]).max(axis=0)
    fp32_s, fast_s = (statistics.median(times[p]) for p in times)
    return {
        "song_seconds": len(y) / SAMPLE_RATE,
        "fast_path": musicnn_fast_path("cpu").describe(),
        "model_seconds_median": fp32_s,
        "model_seconds_all": times["fp32"],
        "fast_model_seconds_median": fast_s,
        "fast_model_seconds_all": times["auto"],
        "speedup": fp32_s / fast_s,
        "max_abs_probability_diff_patch": float(np.abs(exact - fast).max()),
        "max_abs_probability_diff_song": float(np.abs(exact.mean(0) - fast.mean(0)).max()),
        "patch_argmax_agreement": float(np.mean(exact.argmax(1) == fast.argmax(1))),
        "song_argmax_agrees": bool(exact.mean(0).argmax() == fast.mean(0).argmax()),
        "max_abs_embedding_diff_relative": float(
            (np.abs(embedded["fp32"] - embedded["auto"]) / np.maximum(scale, 1e-6)).max()
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="a GTZAN folder (e.g. gtzan_mini)")
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--tf-python", default="/work/scratch/tfvenv/bin/python")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tracks = index_gtzan(args.data_dir, with_duration=False)
    paths = [str(p) for p in tracks.groupby("genre").head(1)["path"].head(args.clips)]
    load = os.getloadavg()[0]
    report = {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min_at_start": load,
        "clips": len(paths),
        "ours": ours(paths, args.batch_size),
        "original_tf": original(paths, args.tf_python),
        "three_minute_song": three_minute_song(paths, args.repeats),
        "load_average_1min_at_end": os.getloadavg()[0],
    }
    o, t, s = report["ours"], report["original_tf"], report["three_minute_song"]
    print(f"{len(paths)} clips, {os.cpu_count()} cores, load average {load:.1f} at start")
    print(f"ours:     {o['x_real_time']:7.1f} x real time end to end, "
          f"{o['x_real_time_model']:7.1f} x model only")  # fmt: skip
    if "skipped" in t:
        print(f"original: {t['skipped']}")
    else:
        print(
            f"original: {t['x_real_time']:7.1f} x real time end to end (TensorFlow, float16 input)"
        )
    print(
        f"3-min song, default predict model: {s['model_seconds_median']:.2f} s of model time "
        f"in fp32, {s['fast_model_seconds_median']:.2f} s on the fast path "
        f"({s['fast_path']['precision']}, {s['speedup']:.2f}x); probabilities differ by at "
        f"most {s['max_abs_probability_diff_patch']:.4f} per patch, "
        f"{s['max_abs_probability_diff_song']:.4f} per song; patch argmax agree "
        f"{s['patch_argmax_agreement']:.1%}"
    )
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    sys.exit(main())

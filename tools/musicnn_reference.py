"""Run the original musicnn 0.1.0 (TensorFlow) once and store its outputs as a test fixture.

For each clip, the log-mel patches are computed exactly as ``musicnn.extractor.batch_data``
does (librosa, 16 kHz, n_fft 512, hop 256, 96 mels, 187-frame patches, no overlap) except
for one deliberate change: the spectrogram stays float32. The original casts it to float16
before ``log10(10000 x + 1)``, and ``10000 x`` overflows float16 (max 65504) wherever the
mel power exceeds 6.55: those bins become inf. How many patches that corrupts in the
original pipeline is counted and stored too (``f16_nonfinite_patches``).

The patches go through the original graph (``musicnn.models.define_model``, weights restored
with ``tf.compat.v1.train.Saver`` from the wheel's checkpoint, ``is_training=False``), and
the script stores, per model: sigmoid tag probabilities (n_patches, 50), mean_pool and
max_pool (n_patches, 753) and penultimate (n_patches, 200), float32; plus the first patch of
each clip (187, 96) so the network can be compared independently of the preprocessing.

Needs the scratch TensorFlow venv of ``tools/convert_musicnn.py`` with musicnn installed::

    TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tools/musicnn_reference.py \
        $GENRELIB_SHARED_DATA/gtzan_mini/genres tests/fixtures/musicnn_reference.npz

Notebook: none (test fixture of tests/test_musicnn.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

CLIPS = ("metal/metal.00000.wav", "classical/classical.00000.wav", "hiphop/hiphop.00000.wav")
MODELS = ("MSD_musicnn", "MTT_musicnn")
N_FRAMES = 187


def log_mel(path: str, float16: bool) -> np.ndarray:
    """(n_frames, 96) log-mel of musicnn's batch_data, in float32 or the original float16."""
    import librosa

    audio, sr = librosa.load(path, sr=16000)
    mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=256, n_fft=512, n_mels=96).T
    mel = mel.astype(np.float16 if float16 else np.float32)
    return np.log10(10000 * mel + 1)


def patches(rep: np.ndarray) -> np.ndarray:
    """Non-overlapping 187-frame patches, as batch_data cuts them: (n, 187, 96)."""
    starts = range(0, rep.shape[0] - N_FRAMES + 1, N_FRAMES)
    return np.stack([rep[s : s + N_FRAMES] for s in starts]).astype(np.float32)


def run_model(model: str, batch: np.ndarray) -> dict[str, np.ndarray]:
    """Outputs of the original graph for a batch of patches (n, 187, 96)."""
    import musicnn
    import tensorflow as tf
    from musicnn import configuration, models

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    labels = configuration.MSD_LABELS if "MSD" in model else configuration.MTT_LABELS
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, _, _, _, _, _, mean_pool, max_pool, penultimate = models.define_model(
            x, is_training, model, len(labels)
        )
        probabilities = tf.nn.sigmoid(y)
    with tf.compat.v1.Session() as session:
        tf.compat.v1.train.Saver().restore(
            session, os.path.dirname(musicnn.__file__) + f"/{model}/"
        )
        out = session.run(
            [probabilities, mean_pool, max_pool, penultimate],
            feed_dict={x: batch, is_training: False},
        )
    names = ("tags", "mean_pool", "max_pool", "penultimate")
    return {
        name: np.asarray(value, dtype=np.float32) for name, value in zip(names, out, strict=True)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("genres_dir", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    import librosa
    import tensorflow as tf

    arrays: dict[str, np.ndarray] = {}
    info = {
        "clips": list(CLIPS),
        "models": list(MODELS),
        "librosa": librosa.__version__,
        "tensorflow": tf.__version__,
        "musicnn": "0.1.0",
        "preprocessing": "musicnn batch_data in float32 (the original casts to float16)",
    }
    f16_bad = {}
    for k, clip in enumerate(CLIPS):
        path = str(args.genres_dir / clip)
        batch = patches(log_mel(path, float16=False))
        original = patches(log_mel(path, float16=True))
        f16_bad[clip] = int((~np.isfinite(original).all(axis=(1, 2))).sum())
        arrays[f"clip{k}_first_patch"] = batch[0]
        for model in MODELS:
            for name, value in run_model(model, batch).items():
                arrays[f"clip{k}_{model}_{name}"] = value
        print(f"{clip}: {len(batch)} patches, {f16_bad[clip]} non-finite in float16", flush=True)
    info["f16_nonfinite_patches"] = f16_bad
    arrays["info_json"] = np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)
    np.savez_compressed(args.target, **arrays)
    print(f"{args.target}: {args.target.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

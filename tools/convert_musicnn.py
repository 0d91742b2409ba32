"""Convert the TensorFlow-1 checkpoints of musicnn 0.1.0 into genrelib's weight files.

Reads the wheel ``musicnn-0.1.0-py3-none-any.whl`` (checked against its sha256), takes the
checkpoints of MSD_musicnn and MTT_musicnn out of it, reads every model variable with
TensorFlow's checkpoint reader (optimizer slots are left out) and writes
``genrelib/models/weights/<model>.npz``: one float32 array per variable, named as in the
checkpoint, in sorted order, in an uncompressed zip with fixed timestamps, so that two runs
give the same bytes (their sha256 is printed, and must equal the one in
``genrelib.models.musicnn.WEIGHT_FILES``).

TensorFlow is needed by this script only (not by genrelib). The script runs in that venv, which
has no torch, so it keeps its own copies of ``genrelib.data.fetch.file_sha256`` and
``genrelib.models.musicnn.write_reproducible_npz`` rather than importing genrelib::

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 librosa
    /tmp/tfvenv/bin/pip download --no-deps musicnn==0.1.0 -d /tmp/wheel
    TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tools/convert_musicnn.py \
        /tmp/wheel/musicnn-0.1.0-py3-none-any.whl genrelib/models/weights

Notebook: 06b_music_transfer (the weights it loads).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
MODELS = ("MSD_musicnn", "MTT_musicnn")
SKIPPED = ("Adam", "beta1_power", "beta2_power")


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checkpoint(prefix: str) -> dict[str, np.ndarray]:
    """Every model variable of a TF-1 checkpoint -> float32 array (optimizer slots skipped)."""
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(prefix)
    names = sorted(reader.get_variable_to_shape_map())
    return {
        name: np.ascontiguousarray(reader.get_tensor(name), dtype=np.float32)
        for name in names
        if not any(part in name for part in SKIPPED)
    }


def write_npz(arrays: dict[str, np.ndarray], target: Path) -> None:
    """An ``.npz`` that np.load reads, with the same bytes on every run (stored, fixed dates)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, arrays[name], version=(1, 0), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl")
    parser.add_argument("out_dir", type=Path, help="e.g. genrelib/models/weights")
    args = parser.parse_args(argv)
    found = sha256(args.wheel)
    if found != WHEEL_SHA256:
        print(f"{args.wheel}: sha256 {found}, expected {WHEEL_SHA256}", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(args.wheel) as wheel:
        for model in MODELS:
            members = [n for n in wheel.namelist() if n.startswith(f"musicnn/{model}/")]
            wheel.extractall(scratch, members=members)
            arrays = read_checkpoint(f"{scratch}/musicnn/{model}/")
            target = args.out_dir / f"{model}.npz"
            write_npz(arrays, target)
            n_values = sum(a.size for a in arrays.values())
            print(f"{target}: {len(arrays)} arrays, {n_values:,} values, sha256 {sha256(target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Self-describing checkpoints, written atomically, read back with a clear error.

A checkpoint holds the model weights (standardisation included) and everything
needed to rebuild and trust them: model name and options, n_mels and classes, the
mel and chunk configs that made the inputs, the training config, the epoch and its
metrics, and the genrelib version. The rolling ``last.pt`` adds what a resume needs:
optimizer, gradient scaler, random-number states, history and early-stopping state.
Every value is a tensor or plain Python data, so files load with ``weights_only=True``.

Notebook: 04_base_crnn, 08_external_songs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from genrelib.atomic import atomic_write
from genrelib.errors import CheckpointError
from genrelib.models import build_model
from genrelib.training.data import NormalizedModel

FORMAT = "genrelib-checkpoint-v1"
STATE_KEYS: tuple[str, ...] = ("model_state", "optimizer_state", "scaler_state", "rng_state")
"""Keys of a checkpoint that are state, not description (left out of ``meta``)."""


def atomic_save(payload: dict, path: str | Path) -> Path:
    """Write ``payload`` with ``torch.save`` to a temporary file beside ``path``, then rename it.

    A crash while writing leaves any previous file at ``path`` untouched.

    Notebook: 04_base_crnn.

    Raises
    ------
    CheckpointError
        If the file cannot be written (disk full, no permission).
    """
    path = Path(path)
    try:
        atomic_write(path, lambda handle: torch.save(payload, handle))
    except Exception as error:
        raise CheckpointError(
            f"could not write checkpoint {path} ({error}); check free disk space and permissions"
        ) from None
    return path


def capture_rng_state(all_devices: bool = True) -> dict:
    """Random-number states of torch on the CPU and the CUDA devices.

    The training loop draws only from torch's generators (initialisation, dropout; the
    shuffles use their own seeded generators), so these states fix what comes next.
    ``all_devices=False`` keeps only the current GPU's state (a torchrun process owns one
    GPU; reading every device's state would open a context on each of them).
    """
    cuda, current = [], None
    if torch.cuda.is_available():
        if all_devices:
            cuda = torch.cuda.get_rng_state_all()
        else:
            cuda, current = [torch.cuda.get_rng_state()], torch.cuda.current_device()
    return {"torch": torch.get_rng_state(), "cuda": cuda, "cuda_device": current}


def restore_rng_state(state: dict) -> None:
    """Inverse of :func:`capture_rng_state` (a one-GPU state goes to the current GPU)."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        if state.get("cuda_device") is not None:
            torch.cuda.set_rng_state(state["cuda"][0])
        else:
            torch.cuda.set_rng_state_all(state["cuda"])


def read_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict:
    """Load the raw checkpoint dict at ``path`` (no model is built).

    Notebook: 04_base_crnn.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable, or not a genrelib checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} does not exist; train a model first or fix the path"
        )
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # truncated zip, foreign pickle, wrong format: all unusable
        raise CheckpointError(
            f"checkpoint {path} is corrupt or unreadable ({type(error).__name__}); "
            "delete it and retrain"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a genrelib checkpoint ({FORMAT}); point at best.pt or last.pt"
        )
    return payload


def model_from_meta(meta: dict) -> NormalizedModel:
    """Build the (untrained) normalised model a checkpoint describes, without downloading weights.

    Notebook: 08_external_songs.
    """
    options = {
        k: v for k, v in meta["model_options"].items() if k not in ("pretrained", "weights_path")
    }
    core = build_model(
        meta["model_name"], n_mels=meta["n_mels"], n_classes=meta["n_classes"], **options
    )
    n_mels = meta["n_mels"]
    return NormalizedModel(
        core, np.zeros(n_mels, dtype=np.float32), np.ones(n_mels, dtype=np.float32)
    )


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Rebuild the model stored at ``path``, in eval mode, with its description.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 08_external_songs.

    Parameters
    ----------
    path : str or Path
        A ``best.pt`` or ``last.pt`` written by :func:`genrelib.training.train`.
    device : str or torch.device
        Where to put the model.

    Returns
    -------
    model : nn.Module
        Takes raw log-mel chunks ``(batch, 1, n_mels, n_frames)`` (standardisation is
        inside) and returns ``(batch, n_classes)`` scores.
    meta : dict
        ``model_name``, ``model_options``, ``n_mels``, ``n_classes``, ``class_names``,
        ``mel_config``, ``chunk_config``, ``normalization``, ``train_config``, ``epoch``,
        ``metrics``, ``best_epoch``, ``genrelib_version``, and for ``last.pt`` also
        ``history``, ``early_stopping``, ``finished``, ``stopped_early``.

    Raises
    ------
    CheckpointError
        If the file is missing or corrupt, or its weights do not fit its description.
    """
    payload = read_checkpoint(path, device="cpu")
    meta = {k: v for k, v in payload.items() if k not in STATE_KEYS}
    try:
        model = model_from_meta(meta)
        model.load_state_dict(payload["model_state"])
    except Exception as error:
        raise CheckpointError(
            f"checkpoint {path} does not match the model it describes ({error}); retrain it"
        ) from None
    return model.to(device).eval(), meta

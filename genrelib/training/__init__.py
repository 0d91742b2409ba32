"""Training: configuration, device and fast path, the loop with early stopping, checkpoints,
resume, and data-parallel training under torchrun.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from genrelib.training.checkpoint import atomic_save, load_checkpoint, read_checkpoint
from genrelib.training.config import TrainConfig
from genrelib.training.data import (
    NormalizedModel,
    SpectrogramDataset,
    band_statistics,
    collate_chunks,
)
from genrelib.training.device import FastPath, fast_path, resolve_device
from genrelib.training.loop import HISTORY_COLUMNS, EarlyStopping, Trainer, TrainResult, train

__all__ = [
    "HISTORY_COLUMNS",
    "EarlyStopping",
    "FastPath",
    "NormalizedModel",
    "SpectrogramDataset",
    "TrainConfig",
    "Trainer",
    "TrainResult",
    "atomic_save",
    "band_statistics",
    "collate_chunks",
    "fast_path",
    "load_checkpoint",
    "read_checkpoint",
    "resolve_device",
    "train",
]

"""Training: configuration, device choice, the loop with early stopping, checkpoints and resume.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from genrelib.training.checkpoint import atomic_save, load_checkpoint, read_checkpoint
from genrelib.training.config import TrainConfig
from genrelib.training.data import NormalizedModel, SpectrogramDataset, band_statistics
from genrelib.training.device import resolve_device
from genrelib.training.loop import HISTORY_COLUMNS, EarlyStopping, TrainResult, train

__all__ = [
    "HISTORY_COLUMNS",
    "EarlyStopping",
    "NormalizedModel",
    "SpectrogramDataset",
    "TrainConfig",
    "TrainResult",
    "atomic_save",
    "band_statistics",
    "load_checkpoint",
    "read_checkpoint",
    "resolve_device",
    "train",
]

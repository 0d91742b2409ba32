"""Training: configuration, device and fast path, the loop with early stopping, checkpoints,
resume, and data-parallel training under torchrun.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

Names are imported on first use (``lazy_loader``), so ``genrelib predict`` loads only the
modules it calls.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["checkpoint", "config", "data", "device", "distributed", "loop"],
    submod_attrs={
        "checkpoint": ["atomic_save", "load_checkpoint", "read_checkpoint"],
        "config": ["TrainConfig"],
        "data": ["NormalizedModel", "SpectrogramDataset", "band_statistics", "collate_chunks"],
        "device": ["FastPath", "fast_path", "resolve_device"],
        "loop": ["EarlyStopping", "HISTORY_COLUMNS", "TrainResult", "Trainer", "train"],
    },
)

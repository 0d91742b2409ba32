"""The training configuration: one dataclass from the notebook's parameters cell to the loop.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from genrelib.config import Profile
from genrelib.errors import ConfigError

CHECKPOINT_POLICIES: tuple[str, ...] = ("best", "last")
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")
"""Values of :attr:`TrainConfig.precision`."""

RESUME_FIELDS: tuple[str, ...] = (
    "lr",
    "batch_size",
    "patience",
    "min_delta",
    "seed",
    "max_train_chunks",
    "normalize",
    "norm_max_chunks",
)
"""Fields that must match for a run to resume from another run's checkpoint."""


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    lr : float
        Adam learning rate (the paper: 1e-4).
    batch_size : int
        Chunks per mini-batch.
    max_epochs : int
        Upper bound on epochs; raising it and resuming continues a finished run.
    patience : int
        Early stopping: epochs without a lower validation loss before stopping
        (the paper: 10; the authors' code: 30).
    min_delta : float
        Decrease of the validation loss that counts as an improvement.
    seed : int
        Seed of the weight initialisation, dropout and the per-epoch shuffles.
    device : str
        ``"auto"`` (CUDA, then Apple MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``
        or ``"mps"``.
    amp : bool
        Allow mixed precision; ``False`` is the same as ``precision="fp32"``.
    precision : {"auto", "fp32", "bf16", "fp16"}
        ``"auto"`` (default): the device's fast path, chosen by
        :func:`genrelib.training.device.fast_path` (bf16 autocast and channels-last on a
        CPU with native bf16; bf16 or fp16 autocast, TF32, channels-last and pinned memory
        on CUDA); ``"fp32"``: the plain float32 path; ``"bf16"``/``"fp16"`` force a dtype.
        Not part of a run's identity: a run may resume under another precision. The
        precision used is recorded in every checkpoint (``fast_path``).
    num_workers : int or None
        DataLoader worker processes (``None``: 0 on CPU, up to 4 per GPU).
    max_train_chunks : int or None
        Train on a fresh random subset of this many chunks each epoch (``None``: all).
    normalize : bool
        Standardise each mel band with the mean and std of the training set; the
        statistics live in the model (and so in every checkpoint).
    norm_max_chunks : int or None
        Compute those statistics on at most this many random training chunks.
    checkpoint_policy : {"best", "last"}
        Which checkpoint :attr:`TrainResult.checkpoint` points at: the epoch of the lowest
        validation loss (default) or the last epoch (what the authors reported).
    """

    lr: float = 1e-4
    batch_size: int = 32
    max_epochs: int = 100
    patience: int = 10
    min_delta: float = 0.0
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    precision: str = "auto"
    num_workers: int | None = None
    max_train_chunks: int | None = None
    normalize: bool = True
    norm_max_chunks: int | None = 2000
    checkpoint_policy: Literal["best", "last"] = "best"

    def __post_init__(self) -> None:
        if self.lr < 0:
            raise ConfigError(f"TrainConfig: lr must be >= 0, got {self.lr}")
        for name in ("batch_size", "max_epochs", "patience"):
            if getattr(self, name) < 1:
                raise ConfigError(f"TrainConfig: {name} must be >= 1, got {getattr(self, name)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"TrainConfig: precision must be one of {PRECISIONS}, got {self.precision!r}"
            )
        if self.min_delta < 0 or (self.num_workers is not None and self.num_workers < 0):
            raise ConfigError("TrainConfig: min_delta and num_workers must be >= 0")
        for name in ("max_train_chunks", "norm_max_chunks"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"TrainConfig: {name} must be None or >= 1, got {value}")
        if self.checkpoint_policy not in CHECKPOINT_POLICIES:
            raise ConfigError(
                f"TrainConfig: checkpoint_policy must be one of {CHECKPOINT_POLICIES}, "
                f"got {self.checkpoint_policy!r}"
            )

    @property
    def resolved_precision(self) -> str:
        """``precision``, or ``"fp32"`` when ``amp`` is off."""
        return self.precision if self.amp else "fp32"

    @classmethod
    def from_profile(cls, profile: Profile, **overrides) -> TrainConfig:
        """Config with the profile's batch size, epochs, patience and chunk cap (``overrides`` win).

        Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
        """
        values = {
            "batch_size": profile.batch_size,
            "max_epochs": profile.max_epochs,
            "patience": profile.patience,
            "max_train_chunks": profile.max_train_chunks,
        }
        values.update(overrides)
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"TrainConfig has no field(s) {unknown}")
        return cls(**values)

    def to_dict(self) -> dict:
        """Plain dict of every field (stored in checkpoints)."""
        return asdict(self)

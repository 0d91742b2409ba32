"""The training loop: early stopping, best and rolling checkpoints, resume, history files.

One epoch trains on (a fresh random subset of) the training chunks, measures loss and
accuracy on the validation chunks, then writes, each atomically:

* ``best.pt`` when the validation loss improved by more than ``min_delta``;
* ``last.pt`` always, with optimizer, scaler, random states and early-stopping state;
* ``history.csv`` and ``history.json``.

After an interruption, calling :func:`train` again with the same arguments continues
from the epoch after the one stored in ``last.pt``, in the same state, so the
history equals that of an uninterrupted run (on the same device, precision and thread
count). :class:`Trainer` holds the phases of one call; under ``torchrun`` every process
runs them on its share of each batch and rank 0 writes the files.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset

import genrelib
from genrelib.atomic import atomic_write
from genrelib.config import GENRES
from genrelib.errors import CheckpointError, ConfigError
from genrelib.models import build_model, check_model_options
from genrelib.progress import tqdm
from genrelib.training import distributed
from genrelib.training.checkpoint import (
    FORMAT,
    atomic_save,
    capture_rng_state,
    read_checkpoint,
    restore_rng_state,
)
from genrelib.training.config import RESUME_FIELDS, TrainConfig
from genrelib.training.data import (
    NormalizedModel,
    SpectrogramDataset,
    band_statistics,
    collate_chunks,
)
from genrelib.training.device import (
    FastPath,
    default_threads,
    fast_path,
    loader_workers,
    resolve_device,
)

HISTORY_COLUMNS: tuple[str, ...] = (
    "epoch",
    "train_loss",
    "train_acc",
    "valid_loss",
    "valid_acc",
    "seconds",
    "lr",
)


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Attributes
    ----------
    out_dir : Path
        Run folder.
    history : pd.DataFrame
        One row per epoch, columns :data:`HISTORY_COLUMNS`.
    best_checkpoint, last_checkpoint : Path
        ``best.pt`` (lowest validation loss) and ``last.pt`` (last epoch).
    checkpoint : Path
        The one chosen by ``TrainConfig.checkpoint_policy``.
    best_epoch : int
        Epoch of the lowest validation loss.
    stopped_early : bool
        Whether early stopping ended the run before ``max_epochs``.
    device : str
        Device the run used.
    resumed_from : int or None
        Last completed epoch found in ``last.pt`` when the call resumed a run.
    precision : str
        Autocast precision the run used: ``"fp32"``, ``"bf16"`` or ``"fp16"``.
    """

    out_dir: Path
    history: pd.DataFrame
    best_checkpoint: Path
    last_checkpoint: Path
    checkpoint: Path
    best_epoch: int
    stopped_early: bool
    device: str
    resumed_from: int | None = None
    precision: str = "fp32"


class EarlyStopping:
    """Stop after ``patience`` epochs without the validation loss dropping by over ``min_delta``.

    Notebook: 04_base_crnn.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = float("inf")
        self.best_epoch = 0
        self.bad_epochs = 0

    def update(self, loss: float, epoch: int) -> bool:
        """Record an epoch's validation loss; return True if it is a new best."""
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        """True once ``patience`` epochs in a row brought no improvement."""
        return self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        """Plain-data state, for checkpoints."""
        return {
            "best_loss": self.best_loss,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
        }

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict`."""
        self.best_loss, self.best_epoch, self.bad_epochs = (
            state["best_loss"],
            state["best_epoch"],
            state["bad_epochs"],
        )


def _config_dict(config) -> dict | None:
    return None if config is None else asdict(config)


def class_names(spectrogram_set) -> tuple[str, ...]:
    """The class names of a training set (its ``classes``; GTZAN's genres if it has none).

    Notebook: 04_base_crnn (through :func:`train`); ``genrelib train --data-dir`` (own collections).
    """
    return tuple(getattr(spectrogram_set, "classes", GENRES))


def _describe(model_name, model_options, train_set, valid_set, config, mean, std) -> dict:
    """The description part of every checkpoint of this run."""
    chunk_config = getattr(train_set, "chunk_config", None)
    return {
        "format": FORMAT,
        "genrelib_version": genrelib.__version__,
        "model_name": model_name,
        "model_options": dict(model_options),
        "n_mels": int(mean.shape[0]),
        "n_classes": len(class_names(train_set)),
        "class_names": list(class_names(train_set)),
        "mel_config": _config_dict(getattr(train_set, "mel_config", None)),
        "chunk_config": None if chunk_config is None else chunk_config.to_dict(),
        "normalization": {"mean": mean.tolist(), "std": std.tolist()} if config.normalize else None,
        "train_config": config.to_dict(),
        "n_train_chunks": len(train_set),
        "n_valid_chunks": len(valid_set),
    }


def _check_resumable(path: Path, saved: dict, description: dict) -> None:
    """Raise CheckpointError if ``last.pt`` was made by a run with other settings."""
    differences = [
        key
        for key in (
            "model_name",
            "model_options",
            "mel_config",
            "chunk_config",
            "class_names",
            "n_train_chunks",
            "n_valid_chunks",
        )
        if saved.get(key) != description[key]
    ]
    differences += [
        f"train_config.{key}"
        for key in RESUME_FIELDS
        if saved["train_config"].get(key) != description["train_config"][key]
    ]
    if differences:
        raise CheckpointError(
            f"{path} belongs to a run with other settings ({', '.join(differences)}); "
            "use another out_dir or resume=False"
        )


def _epoch_indices(n: int, config: TrainConfig, epoch: int) -> list[int]:
    """Shuffled training indices of ``epoch`` (a subset when ``max_train_chunks`` is set)."""
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    order = torch.randperm(n, generator=generator)
    if config.max_train_chunks is not None:
        order = order[: config.max_train_chunks]
    return order.tolist()


def _run_epoch(
    model: nn.Module,
    loader: DataLoader,
    path: FastPath,
    optimizer: torch.optim.Optimizer | None,
    scaler: torch.amp.GradScaler,
    description: str,
    progress: bool,
    on_batch_end: Callable[[int], None] | None = None,
) -> tuple[float, int, int]:
    """Train (``optimizer`` given) or evaluate over ``loader``; return loss sum, correct, seen.

    The sums stay on the device until the end (no host sync per batch) unless a progress
    bar shows them.
    """
    training = optimizer is not None
    model.train(training)
    criterion = nn.CrossEntropyLoss(reduction="sum")
    dtype = torch.float32 if path.device.type == "mps" else torch.float64
    totals = torch.zeros(2, dtype=dtype, device=path.device)  # loss sum, correct
    seen = 0
    bar = tqdm(loader, desc=description, disable=not progress, leave=False)
    with torch.set_grad_enabled(training):
        for batch_index, (inputs, labels) in enumerate(bar):
            inputs = path.inputs(inputs)
            labels = labels.to(path.device, non_blocking=path.pin_memory)
            with path.autocast():
                scores = model(inputs)
                loss = criterion(scores.float(), labels)
            if training:
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss / len(labels)).backward()
                scaler.step(optimizer)
                scaler.update()
            correct = (scores.argmax(dim=1) == labels).sum()
            totals += torch.stack([loss.detach().to(dtype), correct.to(dtype)])
            seen += len(labels)
            if progress:
                loss_sum, right = totals.tolist()
                bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{right / seen:.3f}")
            if on_batch_end is not None:
                on_batch_end(batch_index)
    loss_sum, right = totals.tolist()
    return loss_sum, int(right), seen


def _write_history(out_dir: Path, history: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
    atomic_write(out_dir / "history.csv", frame.to_csv(index=False))
    atomic_write(out_dir / "history.json", json.dumps(history, indent=1))
    return frame


class Trainer:
    """One call of :func:`train`, in named phases (as d2l's ``Trainer.fit`` -> ``fit_epoch``).

    :meth:`fit` runs :meth:`check_inputs`, :meth:`prepare_device`, :meth:`prepare_state`
    (resume or band statistics), :meth:`prepare_model`, :meth:`prepare_data`, then per
    epoch :meth:`fit_epoch` and :meth:`save_epoch`, and returns :meth:`result`.

    Notebook: 04_base_crnn.
    """

    def __init__(
        self,
        model_name: str,
        train_set,
        valid_set,
        config: TrainConfig | None = None,
        out_dir: str | Path = "run",
        model_options: dict | None = None,
        progress: bool = True,
        resume: bool = True,
        on_batch_end: Callable[[int, int], None] | None = None,
        on_epoch_end: Callable[[dict], None] | None = None,
    ) -> None:
        self.model_name, self.train_set, self.valid_set = model_name, train_set, valid_set
        self.config = TrainConfig() if config is None else config
        self.out_dir = Path(out_dir)
        self.model_options = dict(model_options or {})
        self.progress, self.resume = progress, resume
        self.on_batch_end, self.on_epoch_end = on_batch_end, on_epoch_end
        self.best_path, self.last_path = self.out_dir / "best.pt", self.out_dir / "last.pt"
        self.history: list[dict] = []
        self.start_epoch = 1

    def fit(self) -> TrainResult:
        """Train until ``max_epochs`` or early stopping; return the :class:`TrainResult`."""
        self.check_inputs()
        self.prepare_device()
        self.prepare_state()
        self.prepare_model()
        self.prepare_data()
        self.stopped_early = self.stopper.should_stop
        epochs = tqdm(
            range(self.start_epoch, self.config.max_epochs + 1),
            desc=f"training {self.model_name}",
            initial=self.start_epoch - 1,
            total=self.config.max_epochs,
            disable=not self.progress or self.stopped_early or not self.place.is_main,
        )
        for epoch in epochs:
            if self.stopped_early:
                break
            row = self.fit_epoch(epoch)
            self.save_epoch(epoch, row)
            epochs.set_postfix(
                valid_loss=f"{row['valid_loss']:.3f}", valid_acc=f"{row['valid_acc']:.3f}"
            )
            if self.on_epoch_end is not None and self.place.is_main:
                self.on_epoch_end(row)
            if self.stopper.should_stop:
                break
        epochs.close()
        return self.result()

    def check_inputs(self) -> None:
        """Raise ConfigError for unknown options, empty sets or mismatched sets."""
        check_model_options(self.model_name, self.model_options)
        if len(self.train_set) == 0 or len(self.valid_set) == 0:
            raise ConfigError(
                f"train and valid sets must not be empty (got {len(self.train_set)} and "
                f"{len(self.valid_set)} chunks)"
            )
        for attribute in ("mel_config", "chunk_config"):
            if getattr(self.train_set, attribute, None) != getattr(self.valid_set, attribute, None):
                raise ConfigError(f"train and valid sets were made with different {attribute}s")
        if class_names(self.train_set) != class_names(self.valid_set):
            raise ConfigError("train and valid sets name different classes")
        n_classes = len(class_names(self.train_set))
        for name, subset in (("train", self.train_set), ("valid", self.valid_set)):
            labels = np.asarray(subset.labels)
            if labels.min() < 0 or labels.max() >= n_classes:
                raise ConfigError(
                    f"the {name} set has labels outside [0, {n_classes}), the {n_classes} "
                    "classes it names"
                )

    def prepare_device(self) -> None:
        """Device, fast path, and this process's place in a torchrun run (threads, GPU)."""
        device = resolve_device(self.config.device)
        self.place = distributed.setup(device)
        if self.place.enabled:
            if self.config.batch_size % self.place.world_size:
                raise ConfigError(
                    f"batch_size {self.config.batch_size} must be a multiple of the "
                    f"{self.place.world_size} processes of this torchrun run"
                )
            if device.type == "cuda":
                device = torch.device("cuda", self.place.local_rank)
            elif device.type == "cpu":
                torch.set_num_threads(default_threads(self.place.local_world_size))
        self.path = fast_path(device, self.config.resolved_precision).activate()
        self.device = device

    def prepare_state(self) -> None:
        """Read ``last.pt`` to resume, or compute the band statistics; build the description."""
        config = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        last = self.last_path
        self.saved = read_checkpoint(last) if self.resume and last.exists() else None
        self.n_mels = int(np.asarray(self.train_set[0]).shape[0])
        if self.saved is not None:
            mean = np.asarray(self.saved["model_state"]["mean"]).reshape(-1)
            std = np.asarray(self.saved["model_state"]["std"]).reshape(-1)
        elif config.normalize:
            show = self.progress and self.place.is_main
            mean, std = band_statistics(self.train_set, config.norm_max_chunks, config.seed, show)
        else:
            mean = np.zeros(self.n_mels, dtype=np.float32)
            std = np.ones(self.n_mels, dtype=np.float32)
        self.mean, self.std = mean, std
        self.description = _describe(
            self.model_name, self.model_options, self.train_set, self.valid_set, config, mean, std
        )
        self.description["fast_path"] = self.path.describe()
        if self.saved is not None:
            _check_resumable(last, self.saved, self.description)

    def prepare_model(self) -> None:
        """Build the model, optimizer, scaler and stopper; restore them when resuming."""
        config, saved = self.config, self.saved
        torch.manual_seed(config.seed)
        core = build_model(
            self.model_name,
            n_mels=self.n_mels,
            n_classes=len(class_names(self.train_set)),
            **self.model_options,
        )
        self.model = self.path.prepare(NormalizedModel(core, self.mean, self.std))
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(parameters, lr=config.lr)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.path.needs_scaler)
        self.stopper = EarlyStopping(config.patience, config.min_delta)
        if self.place.rank > 0:  # other dropout masks than rank 0's
            torch.manual_seed(config.seed * 1_000_003 + self.place.rank)
        if saved is not None:
            self.model.load_state_dict(saved["model_state"])
            self.optimizer.load_state_dict(saved["optimizer_state"])
            if self.scaler.is_enabled() and saved["scaler_state"]:
                self.scaler.load_state_dict(saved["scaler_state"])
            self.stopper.load_state_dict(saved["early_stopping"])
            self.history = list(saved["history"])
            self.start_epoch = saved["epoch"] + 1
            states = saved.get("rank_rng_states") or [saved["rng_state"]]
            if len(states) == self.place.world_size:
                restore_rng_state(states[self.place.rank])
            else:  # resumed with another number of processes: rank 0's state, offset seeds
                restore_rng_state(saved["rng_state"])
                if self.place.rank > 0:
                    torch.manual_seed(config.seed * 1_000_003 + self.place.rank + saved["epoch"])
        self.trained = self.place.wrap(self.model)

    def prepare_data(self) -> None:
        """Datasets, loader settings and the (sharded) validation loader."""
        self.train_data = SpectrogramDataset(self.train_set)
        workers = loader_workers(self.config.num_workers, self.path, self.place.local_world_size)
        self.loader_options = {
            "batch_size": self.config.batch_size // self.place.world_size,
            "num_workers": workers,
            "pin_memory": self.path.pin_memory,
            "collate_fn": collate_chunks,
        }
        valid_data = SpectrogramDataset(self.valid_set)
        indices = list(range(len(valid_data)))[self.place.rank :: self.place.world_size]
        self.valid_loader = DataLoader(
            Subset(valid_data, indices),
            shuffle=False,
            persistent_workers=workers > 0,
            **self.loader_options,
        )

    def fit_epoch(self, epoch: int) -> dict:
        """Train one epoch and validate; return its history row (sums over all processes)."""
        started = time.perf_counter()
        order = self.place.shard(_epoch_indices(len(self.train_data), self.config, epoch))
        train_loader = DataLoader(
            Subset(self.train_data, order), shuffle=False, **self.loader_options
        )
        hook = None
        if self.on_batch_end is not None:
            hook = lambda batch: self.on_batch_end(epoch, batch)  # noqa: E731
        show = self.progress and self.place.is_main
        train_sums = _run_epoch(
            self.trained, train_loader, self.path, self.optimizer, self.scaler,
            f"epoch {epoch} train", show, hook,
        )  # fmt: skip
        self.place.sync_buffers(self.model)
        valid_sums = _run_epoch(
            self.model, self.valid_loader, self.path, None, self.scaler,
            f"epoch {epoch} valid", show,
        )  # fmt: skip
        train_loss, train_right, train_seen, valid_loss, valid_right, valid_seen = self.place.sum(
            [*train_sums, *valid_sums]
        )
        return {
            "epoch": epoch,
            "train_loss": train_loss / train_seen,
            "train_acc": train_right / train_seen,
            "valid_loss": valid_loss / valid_seen,
            "valid_acc": valid_right / valid_seen,
            "seconds": time.perf_counter() - started,
            "lr": self.optimizer.param_groups[0]["lr"],
        }

    def save_epoch(self, epoch: int, row: dict) -> None:
        """Early-stopping update, then (rank 0) ``best.pt``, ``last.pt`` and the history files."""
        self.history.append(row)
        improved = self.stopper.update(row["valid_loss"], epoch)
        self.stopped_early = self.stopper.should_stop and epoch < self.config.max_epochs
        rng_states = self.place.gather(capture_rng_state(all_devices=not self.place.enabled))
        if not self.place.is_main:
            return
        model_state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        common = {
            **self.description,
            "epoch": epoch,
            "metrics": row,
            "best_epoch": self.stopper.best_epoch,
            "model_state": model_state,
        }
        if improved:
            atomic_save(common, self.best_path)
        atomic_save(
            {
                **common,
                "history": self.history,
                "early_stopping": self.stopper.state_dict(),
                "stopped_early": self.stopped_early,
                "optimizer_state": self.optimizer.state_dict(),
                "scaler_state": self.scaler.state_dict(),
                "rng_state": rng_states[0],
                "rank_rng_states": rng_states if self.place.enabled else None,
            },
            self.last_path,
        )
        _write_history(self.out_dir, self.history)

    def result(self) -> TrainResult:
        """The :class:`TrainResult` of the run (rank 0 rewrites the history files)."""
        if self.place.is_main:
            frame = _write_history(self.out_dir, self.history)
        else:
            frame = pd.DataFrame(self.history, columns=list(HISTORY_COLUMNS))
        self.place.barrier()  # files are complete before any process reads them
        saved = self.saved
        return TrainResult(
            out_dir=self.out_dir,
            history=frame,
            best_checkpoint=self.best_path,
            last_checkpoint=self.last_path,
            checkpoint=self.best_path
            if self.config.checkpoint_policy == "best"
            else self.last_path,
            best_epoch=self.stopper.best_epoch,
            stopped_early=self.stopped_early or bool(saved and saved.get("stopped_early")),
            device=str(self.device),
            resumed_from=None if saved is None else saved["epoch"],
            precision=self.path.precision,
        )


def train(
    model_name: str,
    train_set,
    valid_set,
    config: TrainConfig | None = None,
    out_dir: str | Path = "run",
    model_options: dict | None = None,
    progress: bool = True,
    resume: bool = True,
    on_batch_end: Callable[[int, int], None] | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train model ``model_name`` on ``train_set``, early-stopping on ``valid_set``'s loss.

    Runs on the device's fast path unless ``config.precision`` is ``"fp32"``; under
    ``torchrun`` each process trains its share of every batch (DistributedDataParallel)
    and rank 0 alone writes files (:mod:`genrelib.training.distributed`).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    model_name : str
        One of :data:`genrelib.models.DEEP_MODELS`.
    train_set, valid_set : SpectrogramSet
        Training and validation chunks (same mel and chunk configs).
    config : TrainConfig or None
        Training settings (``None``: the defaults).
    out_dir : str or Path
        Run folder: ``best.pt``, ``last.pt``, ``history.csv``, ``history.json``.
    model_options : dict or None
        Options passed to :func:`genrelib.models.build_model`.
    progress : bool
        Show progress bars per epoch and per batch.
    resume : bool
        Continue from ``out_dir/last.pt`` when it exists (a finished run returns at once);
        ``False`` starts over and overwrites the folder's checkpoints.
    on_batch_end : callable or None
        Called as ``on_batch_end(epoch, batch_index)`` after every training batch.
    on_epoch_end : callable or None
        Called with the epoch's history row (a dict with the keys of
        :data:`HISTORY_COLUMNS`) once its checkpoints are written (on rank 0 only).

    Returns
    -------
    TrainResult

    Raises
    ------
    ConfigError
        For an unknown model or option, empty sets, or sets with different configs.
    DeviceUnavailableError
        If ``config.device`` names an accelerator this machine lacks.
    CheckpointError
        If ``last.pt`` is corrupt or belongs to a run with other settings, or a write fails.
    """
    trainer = Trainer(
        model_name, train_set, valid_set, config, out_dir, model_options, progress, resume,
        on_batch_end, on_epoch_end,
    )  # fmt: skip
    return trainer.fit()

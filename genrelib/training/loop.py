"""The training loop: early stopping, best and rolling checkpoints, resume, history files.

One epoch trains on (a fresh random subset of) the training chunks, measures loss and
accuracy on the validation chunks, then writes, each atomically:

* ``best.pt`` when the validation loss improved by more than ``min_delta``;
* ``last.pt`` always, with optimizer, scaler, random states and early-stopping state;
* ``history.csv`` and ``history.json``.

After an interruption, calling :func:`train` again with the same arguments continues
from the epoch after the one stored in ``last.pt``, in the same state, so the
history equals that of an uninterrupted run (on the same device and thread count).

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
from tqdm.auto import tqdm

import genrelib
from genrelib.config import GENRES
from genrelib.errors import CheckpointError, ConfigError
from genrelib.models import build_model, check_model_options
from genrelib.training.checkpoint import (
    FORMAT,
    atomic_save,
    atomic_write_text,
    capture_rng_state,
    read_checkpoint,
    restore_rng_state,
)
from genrelib.training.config import RESUME_FIELDS, TrainConfig
from genrelib.training.data import NormalizedModel, SpectrogramDataset, band_statistics
from genrelib.training.device import resolve_device

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


def _describe(model_name, model_options, train_set, valid_set, config, mean, std) -> dict:
    """The description part of every checkpoint of this run."""
    return {
        "format": FORMAT,
        "genrelib_version": genrelib.__version__,
        "model_name": model_name,
        "model_options": dict(model_options),
        "n_mels": int(mean.shape[0]),
        "n_classes": len(GENRES),
        "class_names": list(GENRES),
        "mel_config": _config_dict(getattr(train_set, "mel_config", None)),
        "chunk_config": _config_dict(getattr(train_set, "chunk_config", None)),
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
    device: torch.device,
    optimizer: torch.optim.Optimizer | None,
    scaler: torch.amp.GradScaler,
    use_amp: bool,
    description: str,
    progress: bool,
    on_batch_end: Callable[[int], None] | None = None,
) -> tuple[float, float]:
    """Train (``optimizer`` given) or evaluate over ``loader``; return mean loss and accuracy."""
    training = optimizer is not None
    model.train(training)
    criterion = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct, seen = 0.0, 0, 0
    bar = tqdm(loader, desc=description, disable=not progress, leave=False)
    with torch.set_grad_enabled(training):
        for batch_index, (inputs, labels) in enumerate(bar):
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                scores = model(inputs)
                loss = criterion(scores.float(), labels)
            if training:
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss / len(labels)).backward()
                scaler.step(optimizer)
                scaler.update()
            total_loss += loss.detach().item()
            correct += int((scores.argmax(dim=1) == labels).sum())
            seen += len(labels)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
            if on_batch_end is not None:
                on_batch_end(batch_index)
    return total_loss / seen, correct / seen


def _write_history(out_dir: Path, history: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(history, columns=list(HISTORY_COLUMNS))
    atomic_write_text(frame.to_csv(index=False), out_dir / "history.csv")
    atomic_write_text(json.dumps(history, indent=1), out_dir / "history.json")
    return frame


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

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    model_name : str
        One of :data:`genrelib.models.MODEL_NAMES`.
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
        :data:`HISTORY_COLUMNS`) once its checkpoints are written.

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
    config = TrainConfig() if config is None else config
    model_options = dict(model_options or {})
    check_model_options(model_name, model_options)
    if len(train_set) == 0 or len(valid_set) == 0:
        raise ConfigError(
            f"train and valid sets must not be empty (got {len(train_set)} and "
            f"{len(valid_set)} chunks)"
        )
    for attribute in ("mel_config", "chunk_config"):
        if getattr(train_set, attribute, None) != getattr(valid_set, attribute, None):
            raise ConfigError(f"train and valid sets were made with different {attribute}s")
    device = resolve_device(config.device)
    use_amp = config.amp and device.type == "cuda"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    best_path, last_path = out_dir / "best.pt", out_dir / "last.pt"

    saved = read_checkpoint(last_path) if resume and last_path.exists() else None
    n_mels = int(np.asarray(train_set[0]).shape[0])
    if saved is not None:
        mean = np.asarray(saved["model_state"]["mean"]).reshape(-1)
        std = np.asarray(saved["model_state"]["std"]).reshape(-1)
    elif config.normalize:
        mean, std = band_statistics(train_set, config.norm_max_chunks, config.seed, progress)
    else:
        mean, std = np.zeros(n_mels, dtype=np.float32), np.ones(n_mels, dtype=np.float32)
    description = _describe(model_name, model_options, train_set, valid_set, config, mean, std)
    if saved is not None:
        _check_resumable(last_path, saved, description)

    torch.manual_seed(config.seed)
    core = build_model(model_name, n_mels=n_mels, n_classes=len(GENRES), **model_options)
    model = NormalizedModel(core, mean, std).to(device)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    stopper = EarlyStopping(config.patience, config.min_delta)
    history: list[dict] = []
    start_epoch = 1
    if saved is not None:
        model.load_state_dict(saved["model_state"])
        optimizer.load_state_dict(saved["optimizer_state"])
        scaler.load_state_dict(saved["scaler_state"])
        stopper.load_state_dict(saved["early_stopping"])
        history = list(saved["history"])
        restore_rng_state(saved["rng_state"])
        start_epoch = saved["epoch"] + 1

    train_data, valid_data = SpectrogramDataset(train_set), SpectrogramDataset(valid_set)
    loader_options = {
        "batch_size": config.batch_size,
        "num_workers": config.num_workers,
        "pin_memory": device.type == "cuda",
        "persistent_workers": False,
    }
    valid_loader = DataLoader(valid_data, shuffle=False, **loader_options)
    stopped_early = stopper.should_stop
    epochs = tqdm(
        range(start_epoch, config.max_epochs + 1),
        desc=f"training {model_name}",
        initial=start_epoch - 1,
        total=config.max_epochs,
        disable=not progress or stopped_early,
    )
    for epoch in epochs:
        if stopped_early:
            break
        started = time.perf_counter()
        train_loader = DataLoader(
            Subset(train_data, _epoch_indices(len(train_data), config, epoch)),
            shuffle=False,
            **loader_options,
        )
        hook = (
            None
            if on_batch_end is None
            else (lambda batch, epoch=epoch: on_batch_end(epoch, batch))
        )
        train_loss, train_acc = _run_epoch(
            model,
            train_loader,
            device,
            optimizer,
            scaler,
            use_amp,
            f"epoch {epoch} train",
            progress,
            hook,
        )
        valid_loss, valid_acc = _run_epoch(
            model, valid_loader, device, None, scaler, use_amp, f"epoch {epoch} valid", progress
        )
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "valid_loss": valid_loss,
            "valid_acc": valid_acc,
            "seconds": time.perf_counter() - started,
            "lr": optimizer.param_groups[0]["lr"],
        }
        history.append(row)
        improved = stopper.update(valid_loss, epoch)
        stopped_early = stopper.should_stop and epoch < config.max_epochs
        model_state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        common = {
            **description,
            "epoch": epoch,
            "metrics": row,
            "best_epoch": stopper.best_epoch,
            "model_state": model_state,
        }
        if improved:
            atomic_save(common, best_path)
        atomic_save(
            {
                **common,
                "history": history,
                "early_stopping": stopper.state_dict(),
                "stopped_early": stopped_early,
                "optimizer_state": optimizer.state_dict(),
                "scaler_state": scaler.state_dict(),
                "rng_state": capture_rng_state(),
            },
            last_path,
        )
        _write_history(out_dir, history)
        epochs.set_postfix(valid_loss=f"{valid_loss:.3f}", valid_acc=f"{valid_acc:.3f}")
        if on_epoch_end is not None:
            on_epoch_end(row)
        if stopper.should_stop:
            break
    epochs.close()

    frame = _write_history(out_dir, history)
    return TrainResult(
        out_dir=out_dir,
        history=frame,
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        checkpoint=best_path if config.checkpoint_policy == "best" else last_path,
        best_epoch=stopper.best_epoch,
        stopped_early=stopped_early or bool(saved and saved.get("stopped_early")),
        device=str(device),
        resumed_from=None if saved is None else saved["epoch"],
    )

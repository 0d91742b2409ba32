"""Device and fast-path choice: autocast precision, memory format, TF32, threads, loaders.

:func:`genrelib.device.resolve_device` is the one device resolver (re-exported here).
:func:`fast_path` decides how a model runs on a device:

============  =====================================  ==================================
device        ``precision="auto"`` (the fast path)    ``precision="fp32"`` (reference)
============  =====================================  ==================================
CPU           bf16 autocast where the CPU has native  float32, contiguous tensors
              bf16 (``avx512_bf16``/``amx_bf16``,
              Arm ``bf16``), else float32; channels-
              last tensors in both cases
CUDA          bf16 autocast (fp16 + gradient scaler   float32, TF32 off
              on GPUs without bf16), TF32 matmuls and
              cuDNN, channels-last, pinned memory and
              non-blocking copies, cuDNN autotuning
Apple MPS     float32 (autocast there is not tested)  float32
============  =====================================  ==================================

Measured on a shared 2-core AMD EPYC with avx512_bf16 (``bench/bench_models.py``, fp32 and
fast steps interleaved): base CRNN training 2.8x (heavily loaded machine, 1 thread) to 3.5x
(lightly loaded, 2 threads) the float32 path, inference 1.8-2.6x. ``torch.compile`` is not
used: on that CPU it made the fast path slower (base CRNN, batch 8, 1 thread: training 1.75
against 3.17 chunks/s, inference 6.8 against 9.9; ``bench/bench_models.py --compile``), and
no GPU was at hand to measure it there.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from genrelib.device import resolve_device
from genrelib.errors import ConfigError
from genrelib.training.config import PRECISIONS

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}

__all__ = [
    "PRECISIONS",
    "FastPath",
    "cpu_has_native_bf16",
    "fast_path",
    "resolve_device",
]


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AVX512-BF16 or AMX, Arm BF16).

    ``torch.backends.cpu.get_cpu_capability()`` says only "AVX512" and oneDNN emulates
    bf16 on any AVX-512 CPU (slower than float32), so the CPU flags are read instead.
    """
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:  # macOS, Windows: no native-bf16 detection, stay on float32
        return False
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags = set(value.split())
            if platform.machine().lower() in ("aarch64", "arm64"):
                return "bf16" in flags
            return bool(flags & {"avx512_bf16", "amx_bf16"})
    return False


@dataclass(frozen=True)
class FastPath:
    """How a model runs on one device (see the module docstring for the choices).

    Notebook: 04_base_crnn.

    Attributes
    ----------
    device : torch.device
        Where the model runs.
    precision : {"fp32", "bf16", "fp16"}
        Autocast dtype actually used (``fp32``: no autocast).
    channels_last : bool
        Model and inputs in channels-last memory format.
    tf32 : bool
        TF32 matmuls and convolutions (CUDA).
    pin_memory : bool
        Page-locked host batches and non-blocking copies (CUDA).
    """

    device: torch.device
    precision: str = "fp32"
    channels_last: bool = False
    tf32: bool = False
    pin_memory: bool = False

    @property
    def memory_format(self) -> torch.memory_format:
        """``torch.channels_last`` or ``torch.contiguous_format``."""
        return torch.channels_last if self.channels_last else torch.contiguous_format

    @property
    def needs_scaler(self) -> bool:
        """float16 gradients need loss scaling; bfloat16 and float32 do not."""
        return self.precision == "fp16"

    def autocast(self) -> contextlib.AbstractContextManager:
        """Autocast context of :attr:`precision` (a no-op for fp32)."""
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=_DTYPES[self.precision])

    def activate(self) -> FastPath:
        """Set the process-wide switches of this path (TF32, cuDNN autotuning); return self."""
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = self.tf32
            torch.backends.cudnn.allow_tf32 = self.tf32
            torch.backends.cudnn.benchmark = self.channels_last  # fixed chunk shapes
        return self

    def prepare(self, model: nn.Module) -> nn.Module:
        """Move ``model`` to the device and memory format (in place); return it."""
        return model.to(self.device, memory_format=self.memory_format)

    def inputs(self, batch: torch.Tensor) -> torch.Tensor:
        """Move an input batch to the device (non-blocking from pinned memory)."""
        if batch.ndim != 4:
            return batch.to(self.device, non_blocking=self.pin_memory)
        return batch.to(self.device, memory_format=self.memory_format, non_blocking=self.pin_memory)

    def describe(self) -> dict:
        """Plain-data summary, stored in checkpoints and results."""
        return {
            "device": str(self.device),
            "precision": self.precision,
            "channels_last": self.channels_last,
            "tf32": self.tf32,
            "pin_memory": self.pin_memory,
            "threads": torch.get_num_threads(),
        }


def fast_path(device: str | torch.device = "auto", precision: str = "auto") -> FastPath:
    """Choose the fast path for ``device``: automatic (``"auto"``), forced, or off (``"fp32"``).

    Notebook: 04_base_crnn.

    Parameters
    ----------
    device : str or torch.device
        Anything :func:`resolve_device` accepts.
    precision : {"auto", "fp32", "bf16", "fp16"}
        ``"auto"`` picks the fastest safe precision of the device and turns on
        channels-last, TF32 and pinned memory where they apply; ``"fp32"`` is the plain
        float32 reference path; ``"bf16"``/``"fp16"`` force an autocast dtype.

    Raises
    ------
    ConfigError
        For an unknown precision, or fp16 asked for on a CPU or MPS device.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = resolve_device(device)
    if precision == "fp32":
        return FastPath(device)
    if device.type == "cuda":
        if precision == "auto":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return FastPath(device, precision, channels_last=True, tf32=True, pin_memory=True)
    if precision == "fp16":
        raise ConfigError(
            f"precision 'fp16' needs a CUDA GPU (device {device}); use 'auto', 'bf16' or 'fp32'"
        )
    if device.type == "mps":
        return FastPath(device, "fp32" if precision == "auto" else precision)
    if precision == "auto":
        precision = "bf16" if cpu_has_native_bf16() else "fp32"
    return FastPath(device, precision, channels_last=True)


def default_threads(local_world_size: int = 1) -> int:
    """Torch threads for one of ``local_world_size`` processes sharing this machine's cores.

    ``OMP_NUM_THREADS`` wins when set (torchrun sets it to 1 for several processes);
    otherwise the cores torch would use are divided among the processes.
    """
    if os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    return max(1, torch.get_num_threads() // max(1, local_world_size))


def loader_workers(requested: int | None, path: FastPath, local_world_size: int = 1) -> int:
    """DataLoader workers: ``requested``, or for ``None`` 0 on CPU and up to 4 on a GPU.

    On CPU the model uses every core and reading a chunk from the memory-mapped cache
    takes well under 1 % of a step, so worker processes would only steal cores; a GPU
    leaves the CPU idle, so workers overlap loading with compute there.
    """
    if requested is not None:
        return requested
    if path.device.type != "cuda":
        return 0
    return max(1, min(4, (os.cpu_count() or 1) // max(1, local_world_size) - 1))

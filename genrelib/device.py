"""The one device resolver of genrelib, used by the spectrograms, training, evaluation and predict.

Notebook: 02_preprocessing, 04_base_crnn, 08_external_songs.
"""

from __future__ import annotations

import torch

from genrelib.errors import ConfigError, DeviceUnavailableError

DEVICE_HELP = "use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Return the torch device for ``device``.

    Notebook: 02_preprocessing, 04_base_crnn, 08_external_songs.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` picks CUDA, then Apple MPS, then the CPU; ``None`` means the CPU;
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` and ``"mps"`` ask for one.

    Raises
    ------
    DeviceUnavailableError
        If the requested accelerator is not available on this machine.
    ConfigError
        If ``device`` is not a device name.
    """
    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; {DEVICE_HELP}") from None
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"device {device!r} was asked for but this machine has no usable CUDA GPU; "
                "use device='auto' or 'cpu'"
            )
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise DeviceUnavailableError(
                f"device {device!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA GPU(s)"
            )
    elif chosen.type == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceUnavailableError(
                f"device {device!r} (Apple MPS) is not available here; use 'auto' or 'cpu'"
            )
    elif chosen.type != "cpu":
        raise ConfigError(f"unsupported device {device!r}; {DEVICE_HELP}")
    return chosen

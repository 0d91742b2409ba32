"""Build a model by name, with scikit-learn style validation of its options.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

import inspect

from torch import nn

from genrelib import config
from genrelib.errors import ConfigError
from genrelib.models.crnn import CRNN, BaseCRNN, ExtendedCRNN
from genrelib.models.musicnn import MusicnnGRU
from genrelib.models.resnet import ResNetTransfer

DEEP_MODELS: tuple[str, ...] = config.DEEP_MODELS
"""The paper's models (chapters 04-07); :func:`build_model` also accepts :data:`TRANSFER_MODELS`."""

TRANSFER_MODELS: tuple[str, ...] = ("musicnn_gru",)
"""Models on musicnn's own input (96-band 16 kHz patches, chapter 06b), trained through
``genrelib.transfer`` rather than ``genrelib.experiments``."""

NETWORK_LABELS: dict[str, str] = {
    "base_crnn": "base CRNN",
    "extended_crnn": "extended CRNN",
    "resnet18": "ResNet-18",
}
"""Readable names of the paper's networks, for tables and legends (chapters 05, 06, 09)."""

_CLASSES: dict[str, type[nn.Module]] = {
    "base_crnn": BaseCRNN,
    "extended_crnn": ExtendedCRNN,
    "resnet18": ResNetTransfer,
    "musicnn_gru": MusicnnGRU,
}


def model_options(name: str) -> tuple[str, ...]:
    """Option names :func:`build_model` accepts for ``name`` (besides ``n_mels``, ``n_classes``).

    Notebook: 04_base_crnn.
    """
    if name not in _CLASSES:
        raise ConfigError(f"unknown model {name!r}; choose one of {DEEP_MODELS + TRANSFER_MODELS}")
    cls = _CLASSES[name]
    source = CRNN if issubclass(cls, CRNN) else cls
    excluded = {"self", "n_mels", "n_classes", "filters", "pools", "options"}
    names = [p for p in inspect.signature(source.__init__).parameters if p not in excluded]
    return tuple(names)


def build_model(name: str, n_mels: int = 192, n_classes: int = 10, **options) -> nn.Module:
    """Build model ``name`` for ``n_mels``-band spectrograms and ``n_classes`` genres.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    name : {"base_crnn", "extended_crnn", "resnet18"}
        Which model.
    n_mels : int
        Mel bands of the input.
    n_classes : int
        Number of genres.
    **options
        Model options, e.g. ``double_softmax=True``, ``gru_readout="first_layer"``,
        ``input_channels=3`` (CRNNs), ``pretrained=True``, ``faithful=True`` (ResNet).

    Returns
    -------
    nn.Module
        Takes ``(batch, channels, n_mels, n_frames)`` and returns ``(batch, n_classes)``
        logits (probabilities when ``double_softmax=True``).

    Raises
    ------
    ConfigError
        For an unknown model name or option, or an invalid option value.
    """
    check_model_options(name, options)
    return _CLASSES[name](n_mels=n_mels, n_classes=n_classes, **options)


def check_model_options(name: str, options: dict) -> None:
    """Raise ConfigError if ``name`` is not a model or ``options`` holds an option it lacks.

    Notebook: 04_base_crnn.
    """
    allowed = model_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {unknown} for model {name!r}; allowed: {list(allowed)}"
        )

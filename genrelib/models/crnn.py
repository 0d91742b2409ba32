"""Convolutional recurrent networks of the paper: the base CRNN and its extended variant.

Both share one design. A stack of convolutional blocks turns a log-mel spectrogram
``(batch, channels, n_mels, n_frames)`` into a feature map whose frequency axis has
been pooled down to a few rows; the rows and channels of every remaining time step
are flattened into one vector, and a stack of GRU layers reads those vectors in time
order. A dense layer maps the GRU state to one score per genre.

Every block applies, in this order::

    Conv2d(3x3, 'same') -> BatchNorm2d -> ELU -> MaxPool2d(freq, time) -> Dropout(0.1)

Normalising before the non-linearity is the usual reading of "batch norm" in a
conv block (and the order of the authors' code); pooling before dropout means the
dropout acts on the features the next block actually sees.

Notebook: 04_base_crnn, 05_extended_crnn.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from genrelib.errors import ConfigError

GruReadout = Literal["last", "first_layer"]
GRU_READOUTS: tuple[str, ...] = ("last", "first_layer")

BASE_FILTERS: tuple[int, ...] = (64, 128, 128, 128)
BASE_POOLS: tuple[tuple[int, int], ...] = ((2, 2), (4, 2), (4, 2), (4, 2))
EXTENDED_FILTERS: tuple[int, ...] = (64, 128, 256, 512, 512)
EXTENDED_POOLS: tuple[tuple[int, int], ...] = ((2, 2), (2, 2), (2, 2), (4, 1), (4, 1))


def conv_block(
    in_channels: int, out_channels: int, pool: tuple[int, int], dropout: float
) -> nn.Sequential:
    """One convolutional block: conv 3x3 'same' -> batch norm -> ELU -> max pool -> dropout.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels entering and leaving the block.
    pool : (int, int)
        Max-pooling size and stride along (frequency, time).
    dropout : float
        Dropout probability after pooling.

    Returns
    -------
    nn.Sequential
        Maps ``(batch, in_channels, F, T)`` to
        ``(batch, out_channels, F // pool[0], T // pool[1])``.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding="same"),
        nn.BatchNorm2d(out_channels),
        nn.ELU(),
        nn.MaxPool2d(kernel_size=pool, stride=pool),
        nn.Dropout(dropout),
    )


def fuse_for_inference(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode whose conv blocks give the same outputs with less work.

    Each :func:`conv_block` (conv -> batch norm -> ELU -> max pool -> dropout) becomes conv ->
    max pool -> ELU: at inference batch norm is a fixed affine map per channel, folded into
    the convolution's weights and bias (:func:`torch.nn.utils.fusion.fuse_conv_bn_eval`);
    ELU is increasing, so the maximum of ELU values is the ELU of the maximum, computed on
    4-8 times fewer values; dropout does nothing. On a 2-core CPU under bf16 autocast, batch
    norm and ELU took 46 % of the base CRNN's forward pass (``bench/bench_predict.py``). The
    outputs agree with the original to float rounding (tested). Train the original, never
    the copy: it has no batch norm left to learn.

    Notebook: 04_base_crnn, 08_external_songs (through :func:`~genrelib.evaluation.predict_proba`
    and ``genrelib predict`` with a checkpoint).

    Parameters
    ----------
    model : nn.Module
        Any model; its conv blocks are found wherever they sit.

    Returns
    -------
    nn.Module
        A fused copy (``model`` itself is left unchanged); a model without conv blocks
        (already fused, or another kind) comes back as it is, in eval mode.
    """
    if not any(_is_conv_block(module) for module in model.modules()):
        return model.eval()
    fused = copy.deepcopy(model).eval()
    for parent in list(fused.modules()):
        for name, child in parent.named_children():
            if _is_conv_block(child):
                conv, norm, activation, pool, _ = child
                setattr(
                    parent, name, nn.Sequential(fuse_conv_bn_eval(conv, norm), pool, activation)
                )
    return fused


def _is_conv_block(module: nn.Module) -> bool:
    kinds = (nn.Conv2d, nn.BatchNorm2d, nn.ELU, nn.MaxPool2d, nn.Dropout)
    return (
        isinstance(module, nn.Sequential)
        and len(module) == len(kinds)
        and all(isinstance(layer, kind) for layer, kind in zip(module, kinds, strict=True))
    )


class GruHead(nn.Module):
    """A stack of GRU layers over a sequence of feature vectors, then a dense layer.

    Notebook: 04_base_crnn, 06_resnet_transfer.

    Parameters
    ----------
    input_size : int
        Width of one feature vector of the sequence.
    n_classes : int
        Number of output scores.
    units : int
        Hidden units of every GRU layer.
    layers : int
        Number of stacked GRU layers.
    dropout : float
        Dropout between GRU layers (PyTorch applies it to the output of every layer but the last).
    readout : {"last", "first_layer"}
        ``"last"`` reads the final hidden state of the top GRU layer (correct);
        ``"first_layer"`` reads the final hidden state of the *first* layer, as the
        authors' code did (``h_n[0]``): the layers above it then receive no gradient.
    """

    def __init__(
        self,
        input_size: int,
        n_classes: int,
        units: int = 32,
        layers: int = 2,
        dropout: float = 0.3,
        readout: GruReadout = "last",
    ) -> None:
        super().__init__()
        if readout not in GRU_READOUTS:
            raise ConfigError(f"gru_readout must be one of {GRU_READOUTS}, got {readout!r}")
        self.readout = readout
        self.gru = nn.GRU(
            input_size,
            units,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.dense = nn.Linear(units, n_classes)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, steps, input_size)`` to scores ``(batch, n_classes)``."""
        _, h_n = self.gru(sequence)  # h_n: (layers, batch, units)
        state = h_n[-1] if self.readout == "last" else h_n[0]
        return self.dense(state)


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if value <= 0:
            raise ConfigError(f"{name} must be positive, got {value}")


def _check_probability(**values: float) -> None:
    for name, value in values.items():
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"{name} must be in [0, 1), got {value}")


class CRNN(nn.Module):
    """Convolutional blocks followed by a GRU head (the shared body of both paper CRNNs).

    Notebook: 04_base_crnn, 05_extended_crnn.

    Parameters
    ----------
    filters : sequence of int
        Output channels of each convolutional block.
    pools : sequence of (int, int)
        Max-pooling (frequency, time) of each block.
    n_mels : int
        Mel bands of the input (height of the spectrogram).
    n_classes : int
        Number of genres.
    input_channels : int
        Channels of the input (1 for a spectrogram; 3 for the RGB images of the authors' code).
    gru_units, gru_layers : int
        Size of the GRU stack.
    conv_dropout, gru_dropout : float
        Dropout after each block and between GRU layers.
    gru_readout : {"last", "first_layer"}
        See :class:`GruHead`.
    double_softmax : bool
        If true, ``forward`` returns softmax probabilities instead of logits: trained with
        ``CrossEntropyLoss`` this applies softmax twice, the authors' quirk.

    Notes
    -----
    Input ``(batch, input_channels, n_mels, n_frames)``; output ``(batch, n_classes)``.
    The GRU sees ``n_frames // prod(time pools)`` steps of width
    ``filters[-1] * (n_mels pooled by every frequency pool)``.
    """

    def __init__(
        self,
        filters: Sequence[int],
        pools: Sequence[tuple[int, int]],
        n_mels: int = 192,
        n_classes: int = 10,
        input_channels: int = 1,
        gru_units: int = 32,
        gru_layers: int = 2,
        conv_dropout: float = 0.1,
        gru_dropout: float = 0.3,
        gru_readout: GruReadout = "last",
        double_softmax: bool = False,
    ) -> None:
        super().__init__()
        if len(filters) != len(pools) or not filters:
            raise ConfigError(
                f"need one pool per conv block, got {len(filters)} filters and {len(pools)} pools"
            )
        _check_positive(
            n_mels=n_mels,
            n_classes=n_classes,
            input_channels=input_channels,
            gru_units=gru_units,
            gru_layers=gru_layers,
        )
        _check_probability(conv_dropout=conv_dropout, gru_dropout=gru_dropout)
        rows = n_mels
        for pool in pools:
            rows //= pool[0]
        if rows < 1:
            raise ConfigError(
                f"n_mels={n_mels} is too small: the frequency pools "
                f"{[p[0] for p in pools]} reduce it to 0 rows"
            )
        self.n_mels = n_mels
        self.input_channels = input_channels
        self.double_softmax = bool(double_softmax)
        self.time_reduction = 1
        for pool in pools:
            self.time_reduction *= pool[1]
        channels = [input_channels, *filters]
        self.blocks = nn.Sequential(
            *(
                conv_block(channels[i], channels[i + 1], tuple(pools[i]), conv_dropout)
                for i in range(len(filters))
            )
        )
        self.gru_input_size = filters[-1] * rows
        self.head = GruHead(
            self.gru_input_size, n_classes, gru_units, gru_layers, gru_dropout, gru_readout
        )

    @property
    def outputs_probabilities(self) -> bool:
        """True when ``forward`` returns probabilities (``double_softmax``) rather than logits."""
        return self.double_softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, input_channels, n_mels, n_frames)`` to ``(batch, n_classes)``."""
        if x.ndim != 4 or x.shape[1] != self.input_channels or x.shape[2] != self.n_mels:
            raise ConfigError(
                f"expected input (batch, {self.input_channels}, {self.n_mels}, n_frames), "
                f"got {tuple(x.shape)}"
            )
        if x.shape[3] < self.time_reduction:
            raise ConfigError(
                f"{x.shape[3]} frames are too few: the time pools need at least "
                f"{self.time_reduction}"
            )
        features = self.blocks(x)  # (batch, channels, rows, steps)
        batch, channels, rows, steps = features.shape
        sequence = features.permute(0, 3, 1, 2).reshape(batch, steps, channels * rows)
        scores = self.head(sequence)
        return torch.softmax(scores, dim=1) if self.double_softmax else scores


class BaseCRNN(CRNN):
    """The paper's base CRNN: 4 blocks of [64, 128, 128, 128] filters, 2 GRU layers of 32 units.

    Pools (frequency, time): (2, 2), (4, 2), (4, 2), (4, 2). With 192 mel bands the frequency
    axis shrinks 192 -> 96 -> 24 -> 6 -> 1, so the GRU reads 128 features per step.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    n_mels, n_classes, input_channels, **options
        As :class:`CRNN` (everything but ``filters`` and ``pools``).
    """

    def __init__(
        self, n_mels: int = 192, n_classes: int = 10, input_channels: int = 1, **options
    ) -> None:
        super().__init__(BASE_FILTERS, BASE_POOLS, n_mels, n_classes, input_channels, **options)


class ExtendedCRNN(CRNN):
    """The paper's extended CRNN: 5 blocks of [64, 128, 256, 512, 512] filters.

    Pools (frequency, time): (2, 2), (2, 2), (2, 2), (4, 1), (4, 1). With 192 mel bands the
    frequency axis shrinks 192 -> 96 -> 48 -> 24 -> 6 -> 1, so the GRU reads 512 features
    per step.

    Notebook: 05_extended_crnn.

    Parameters
    ----------
    n_mels, n_classes, input_channels, **options
        As :class:`CRNN` (everything but ``filters`` and ``pools``).
    """

    def __init__(
        self, n_mels: int = 192, n_classes: int = 10, input_channels: int = 1, **options
    ) -> None:
        super().__init__(
            EXTENDED_FILTERS, EXTENDED_POOLS, n_mels, n_classes, input_channels, **options
        )

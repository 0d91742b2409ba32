"""Layer tables and parameter counts: ours, the paper's, and what the authors' code implied.

Counting the paper's layers by hand shows its totals cannot include the GRU layers:
the four 3x3 convolutions of the base CRNN alone hold 369,664 parameters, leaving
2,384 of the paper's 372,048 for batch norm, two GRU layers and the dense layer.
Rebuilding the models the way the authors' code fed them (3-channel 288-band images)
and leaving the GRU out gives 372,042 and 3,914,058, six short of both paper totals,
and exactly the 11,176,842 the authors' ResNet notebook printed: a counter that skips
``nn.GRU`` weights (as hook-based summaries that only look for ``.weight``/``.bias``
attributes do) explains all three. The paper's 58,144,138 for the ResNet matches none
of these builds. :func:`parameter_comparison` puts the counts side by side.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from genrelib.errors import ConfigError
from genrelib.models.registry import build_model

PAPER_PARAMETERS: dict[str, int] = {
    "base_crnn": 372_048,
    "extended_crnn": 3_914_064,
    "resnet18": 58_144_138,
}
"""Total parameter counts printed in the paper."""

AUTHORS_PRINTED_PARAMETERS: dict[str, int] = {"resnet18": 11_176_842}
"""Totals the authors' notebooks printed (only the ResNet one is known)."""

AUTHORS_CODE_OPTIONS: dict[str, dict] = {
    "base_crnn": {"n_mels": 288, "input_channels": 3},
    "extended_crnn": {"n_mels": 288, "input_channels": 3},
    "resnet18": {"n_mels": 288, "faithful": True},
}
"""Builds matching the authors' code: 3-channel 288 x 432 images (ResNet: global pool)."""


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (buffers such as batch-norm running statistics excluded).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _shape_of(output) -> tuple[int, ...]:
    if isinstance(output, tuple):  # nn.GRU returns (output, h_n)
        output = output[0]
    return tuple(output.shape)


def layer_table(model: nn.Module, input_shape: Sequence[int]) -> pd.DataFrame:
    """One row per leaf layer of ``model``: name, type, output shape, parameters, trainable ones.

    Runs one forward pass of zeros with forward hooks; a layer called several times
    (e.g. ResNet's shared ReLU) is listed once, at its first call, so the ``params``
    column sums to :func:`count_parameters`.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    model : nn.Module
        The model.
    input_shape : sequence of int
        Input shape including the batch, e.g. ``(1, 1, 192, 988)``.

    Returns
    -------
    pd.DataFrame
        Columns ``name``, ``type``, ``output_shape``, ``params``, ``trainable``.
    """
    rows: dict[str, dict] = {}
    handles = []
    for name, module in model.named_modules():
        if name and not list(module.children()):

            def hook(module: nn.Module, _inputs, output, name: str = name) -> None:
                if name not in rows:
                    own = list(module.parameters(recurse=False))
                    rows[name] = {
                        "name": name,
                        "type": type(module).__name__,
                        "output_shape": _shape_of(output),
                        "params": sum(p.numel() for p in own),
                        "trainable": sum(p.numel() for p in own if p.requires_grad),
                    }

            handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(*input_shape, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return pd.DataFrame(
        list(rows.values()), columns=["name", "type", "output_shape", "params", "trainable"]
    )


RESNET_STAGES: tuple[str, ...] = (
    "conv1",
    "bn1",
    "relu",
    "maxpool",
    "layer1",
    "layer2",
    "layer3",
    "layer4",
)
"""The children of ResNet-18's backbone, in order (:class:`~genrelib.models.ResNetTransfer`)."""


def _part_name(name: str) -> str:
    """``blocks.2`` -> ``block 3``; ``backbone.4`` -> ``layer1``; ``head.gru`` -> ``GRU``."""
    kind, _, index = name.partition(".")
    if kind == "blocks":
        return f"block {int(index) + 1}"
    if kind == "backbone":
        return RESNET_STAGES[int(index)]
    return {"head.gru": "GRU", "head.dense": "dense"}.get(name, name)


def block_table(model: nn.Module, input_shape: Sequence[int]) -> pd.DataFrame:
    """A network by its parts: each conv block or ResNet stage, the GRU and the dense layer.

    Sums :func:`layer_table` over the layers of each part of a
    :class:`~genrelib.models.crnn.CRNN` (``blocks.<i>``) or of a
    :class:`~genrelib.models.ResNetTransfer` (``backbone.<i>``: :data:`RESNET_STAGES`),
    then ``head.gru`` and ``head.dense``.

    Notebook: 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    model : nn.Module
        A CRNN (base or extended) or the ResNet-18 transfer model.
    input_shape : sequence of int
        Input shape including the batch, e.g. ``(1, 1, 192, 259)``.

    Returns
    -------
    pd.DataFrame
        Index: the parts (``block 1`` ... or ``conv1`` ... ``layer4``, then ``GRU``,
        ``dense``); columns ``output`` (the part's output shape: ``(batch, channels, bands,
        frames)``, ``(batch, steps, units)`` for the GRU), ``parameters`` and ``trained``
        (those that get a gradient; 0 for a frozen stage).
    """
    layers = layer_table(model, input_shape)
    part = layers["name"].str.split(".").str[:2].str.join(".").map(_part_name)
    grouped = layers.assign(part=part).groupby("part", sort=False)
    table = grouped.agg(
        output=("output_shape", "last"), parameters=("params", "sum"), trained=("trainable", "sum")
    )
    table.index.name = None
    return table


def receptive_field(pools: Sequence[tuple[int, int]], kernel_size: int = 3) -> pd.DataFrame:
    """How much of the spectrogram one output cell of each conv block sees.

    Each block is a ``kernel_size`` convolution (stride 1) and a max pool whose size equals
    its stride (:func:`genrelib.models.crnn.conv_block`). Along each axis a layer of size
    ``k`` and stride ``s`` widens the receptive field ``r`` by ``(k - 1) * j``, where ``j``
    (the *jump*) is the distance in input cells between two neighbouring cells of the layer's
    input; then ``j`` is multiplied by ``s``. Start: ``r = 1``, ``j = 1``.

    Notebook: 04_base_crnn, 05_extended_crnn.

    Parameters
    ----------
    pools : sequence of (int, int)
        Max-pool (frequency, time) of each block, e.g. :data:`genrelib.models.crnn.BASE_POOLS`.
    kernel_size : int
        Square convolution kernel of every block.

    Returns
    -------
    pd.DataFrame
        One row per block (``block`` 1, 2, ...): ``bands`` and ``frames`` (receptive field
        of one output cell, in input mel bands and frames), ``band_step`` and
        ``frame_step`` (input cells between two neighbouring output cells).
    """
    if kernel_size < 1 or any(min(pool) < 1 for pool in pools):
        raise ConfigError(f"kernel_size and pools must be positive, got {kernel_size}, {pools}")
    field, jump, rows = [1, 1], [1, 1], []
    for block, pool in enumerate(pools, start=1):
        for axis in (0, 1):
            field[axis] += (kernel_size - 1) * jump[axis]  # the convolution
            field[axis] += (pool[axis] - 1) * jump[axis]  # the max pool
            jump[axis] *= pool[axis]
        rows.append(
            {
                "block": block,
                "bands": field[0],
                "frames": field[1],
                "band_step": jump[0],
                "frame_step": jump[1],
            }
        )
    return pd.DataFrame(rows)


def parameter_comparison(n_mels: int = 192) -> pd.DataFrame:
    """Parameter counts of the three models: the paper's, ours, and the authors'-code builds.

    ``ours`` is the model of this package on 1-channel ``n_mels``-band input;
    ``authors_code`` is the same architecture on the authors' 3-channel 288-band images
    (:data:`AUTHORS_CODE_OPTIONS`), which gives the base CRNN the 256-wide GRU input of
    their code; ``gru`` is the share of our count held by the GRU layers. Models are
    built with random weights (no download).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Returns
    -------
    pd.DataFrame
        Index: model name. Columns ``paper``, ``authors_printed`` (NaN where unknown),
        ``ours``, ``ours_trainable``, ``ours_gru``, ``authors_code``, ``authors_code_gru``,
        ``authors_code_without_gru``, ``paper_minus_without_gru`` (``paper`` minus the
        authors'-code count without its GRU: 6 for both CRNNs, so the paper's totals leave
        the GRU out, as does the ResNet total the authors' notebook printed).
    """
    records = []
    for name, paper in PAPER_PARAMETERS.items():
        ours = build_model(name, n_mels=n_mels)
        authors = build_model(name, **AUTHORS_CODE_OPTIONS[name])
        authors_gru = count_parameters(authors.head.gru)
        records.append(
            {
                "model": name,
                "paper": paper,
                "authors_printed": AUTHORS_PRINTED_PARAMETERS.get(name),
                "ours": count_parameters(ours),
                "ours_trainable": count_parameters(ours, trainable_only=True),
                "ours_gru": count_parameters(ours.head.gru),
                "authors_code": count_parameters(authors),
                "authors_code_gru": authors_gru,
                "authors_code_without_gru": count_parameters(authors) - authors_gru,
                "paper_minus_without_gru": paper - (count_parameters(authors) - authors_gru),
            }
        )
    return pd.DataFrame(records).set_index("model").astype("Int64")

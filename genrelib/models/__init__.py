"""The paper's three models, musicnn (pretrained on music), and a registry to build them by name.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 06b_music_transfer.
"""

from genrelib.models.crnn import CRNN, BaseCRNN, ExtendedCRNN, GruHead, conv_block
from genrelib.models.musicnn import Musicnn, MusicnnGRU, load_musicnn
from genrelib.models.registry import (
    DEEP_MODELS,
    NETWORK_LABELS,
    TRANSFER_MODELS,
    build_model,
    check_model_options,
    model_options,
)
from genrelib.models.resnet import ResNetTransfer, load_resnet18_weights, weights_cache_file
from genrelib.models.summary import (
    PAPER_PARAMETERS,
    block_table,
    count_parameters,
    layer_table,
    parameter_comparison,
    receptive_field,
)

__all__ = [
    "CRNN",
    "DEEP_MODELS",
    "NETWORK_LABELS",
    "PAPER_PARAMETERS",
    "BaseCRNN",
    "ExtendedCRNN",
    "GruHead",
    "Musicnn",
    "MusicnnGRU",
    "ResNetTransfer",
    "TRANSFER_MODELS",
    "block_table",
    "build_model",
    "check_model_options",
    "conv_block",
    "count_parameters",
    "layer_table",
    "load_musicnn",
    "load_resnet18_weights",
    "model_options",
    "parameter_comparison",
    "receptive_field",
    "weights_cache_file",
]

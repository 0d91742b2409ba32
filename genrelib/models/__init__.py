"""The paper's three models, musicnn (pretrained on music), and a registry to build them by name.

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 06b_music_transfer.

Names are imported on first use (``lazy_loader``), so ``genrelib predict`` loads only the
modules it calls.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["crnn", "musicnn", "registry", "resnet", "summary"],
    submod_attrs={
        "crnn": ["BaseCRNN", "CRNN", "ExtendedCRNN", "GruHead", "conv_block"],
        "musicnn": ["Musicnn", "MusicnnGRU", "load_musicnn"],
        "registry": [
            "DEEP_MODELS",
            "NETWORK_LABELS",
            "TRANSFER_MODELS",
            "build_model",
            "check_model_options",
            "model_options",
        ],
        "resnet": ["ResNetTransfer", "load_resnet18_weights", "weights_cache_file"],
        "summary": [
            "PAPER_PARAMETERS",
            "block_table",
            "count_parameters",
            "layer_table",
            "parameter_comparison",
            "receptive_field",
        ],
    },
)

"""Transfer from a network trained on music: the pretrained :mod:`genrelib.models.musicnn`.

One module per job:

==================  ==========================================================================
module              job
==================  ==========================================================================
``embeddings``      musicnn's tags, pooled embeddings and penultimate features of every patch
                    of every track, cached on disk (:func:`musicnn_embeddings`), and the cached
                    patches as a spectrogram set (:func:`musicnn_patch_set`)
``probes``          frozen-embedding probes under every split protocol (:func:`probe_predictions`,
                    one split: :func:`split_probe`)
``finetune``        the musicnn front end under a GRU head, fine-tuned and stored as a run
                    folder (:func:`run_finetune`)
``genre_probe``     the genre probe shipped with genrelib, ``genrelib predict``'s default
                    (:func:`load_genre_probe`, :func:`train_genre_probe`)
``inference``       a whole song's patches and a model's patch probabilities (``predict``)
==================  ==========================================================================

The names below are re-exported, so ``from genrelib.transfer import run_finetune`` works; each
is imported on first use (``lazy_loader``), so ``genrelib predict`` loads the inference modules
without the fine-tuning and probe-fitting ones (and their scikit-learn and SciPy statistics).

Notebook: 06b_music_transfer (and 08_external_songs through ``genrelib predict``).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=[
        "collection_probe",
        "embeddings",
        "finetune",
        "genre_probe",
        "inference",
        "novelty",
        "probes",
    ],
    submod_attrs={
        "embeddings": [
            "EMBEDDING_COLUMNS",
            "MUSICNN_DIR",
            "MusicnnEmbeddings",
            "N_TAGS",
            "PATCH_DIR",
            "PENULTIMATE",
            "embed_patches",
            "musicnn_cache_dir",
            "musicnn_chunk_config",
            "musicnn_embeddings",
            "musicnn_patch_set",
            "patches_per_track",
        ],
        "finetune": ["FINETUNE_LR", "finetune_config", "run_finetune"],
        "genre_probe": [
            "GENRE_PROBE_FILE",
            "GENRE_PROBE_SHA256",
            "GenreProbe",
            "genre_probe_info",
            "is_probe_file",
            "load_genre_probe",
            "save_genre_probe",
            "train_genre_probe",
        ],
        "inference": [
            "forward_patches",
            "is_musicnn_input",
            "musicnn_fast_path",
            "patch_outputs",
            "patch_probabilities",
            "song_novelty",
            "signal_patches",
            "song_patches",
        ],
        "probes": [
            "GENRE_PROBE_C",
            "PROBES",
            "PROBE_LABELS",
            "build_probe",
            "probe_predictions",
            "split_probe",
        ],
    },
)

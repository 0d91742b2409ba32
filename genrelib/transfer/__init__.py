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
is imported on first use, so ``genrelib predict`` loads the inference modules without the
fine-tuning and probe-fitting ones (and their scikit-learn and SciPy statistics).

Notebook: 06b_music_transfer (and 08_external_songs through ``genrelib predict``).
"""

from __future__ import annotations

import importlib

_EXPORTS: dict[str, str] = {
    "EMBEDDING_COLUMNS": "embeddings",
    "MUSICNN_DIR": "embeddings",
    "N_TAGS": "embeddings",
    "PATCH_DIR": "embeddings",
    "PENULTIMATE": "embeddings",
    "MusicnnEmbeddings": "embeddings",
    "embed_patches": "embeddings",
    "musicnn_cache_dir": "embeddings",
    "musicnn_chunk_config": "embeddings",
    "musicnn_embeddings": "embeddings",
    "musicnn_fast_path": "embeddings",
    "musicnn_patch_set": "embeddings",
    "patches_per_track": "embeddings",
    "signal_patches": "embeddings",
    "FINETUNE_LR": "finetune",
    "finetune_config": "finetune",
    "run_finetune": "finetune",
    "GENRE_PROBE_FILE": "genre_probe",
    "GENRE_PROBE_SHA256": "genre_probe",
    "GenreProbe": "genre_probe",
    "genre_probe_info": "genre_probe",
    "is_probe_file": "genre_probe",
    "load_genre_probe": "genre_probe",
    "save_genre_probe": "genre_probe",
    "train_genre_probe": "genre_probe",
    "is_musicnn_input": "inference",
    "patch_outputs": "inference",
    "patch_probabilities": "inference",
    "song_novelty": "inference",
    "song_patches": "inference",
    "GENRE_PROBE_C": "probes",
    "PROBE_LABELS": "probes",
    "PROBES": "probes",
    "build_probe": "probes",
    "probe_predictions": "probes",
    "split_probe": "probes",
}
"""The module under ``genrelib.transfer`` that defines each re-exported name."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    """Import the module defining ``name`` on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

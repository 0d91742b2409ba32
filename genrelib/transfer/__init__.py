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

The names below are re-exported, so ``from genrelib.transfer import run_finetune`` works.

Notebook: 06b_music_transfer (and 08_external_songs through ``genrelib predict``).
"""

from genrelib.transfer.embeddings import (
    EMBEDDING_COLUMNS,
    MUSICNN_DIR,
    N_TAGS,
    PATCH_DIR,
    PENULTIMATE,
    MusicnnEmbeddings,
    embed_patches,
    musicnn_cache_dir,
    musicnn_chunk_config,
    musicnn_embeddings,
    musicnn_fast_path,
    musicnn_patch_set,
    patches_per_track,
    signal_patches,
)
from genrelib.transfer.finetune import (
    FINETUNE_LR,
    finetune_config,
    run_finetune,
)
from genrelib.transfer.genre_probe import (
    GENRE_PROBE_FILE,
    GENRE_PROBE_SHA256,
    GenreProbe,
    genre_probe_info,
    is_probe_file,
    load_genre_probe,
    save_genre_probe,
    train_genre_probe,
)
from genrelib.transfer.inference import (
    is_musicnn_input,
    patch_outputs,
    patch_probabilities,
    song_novelty,
    song_patches,
)
from genrelib.transfer.probes import (
    GENRE_PROBE_C,
    PROBE_LABELS,
    PROBES,
    build_probe,
    probe_predictions,
    split_probe,
)

__all__ = [
    "EMBEDDING_COLUMNS",
    "FINETUNE_LR",
    "GENRE_PROBE_C",
    "GENRE_PROBE_FILE",
    "GENRE_PROBE_SHA256",
    "GenreProbe",
    "MUSICNN_DIR",
    "MusicnnEmbeddings",
    "N_TAGS",
    "PATCH_DIR",
    "PENULTIMATE",
    "PROBES",
    "PROBE_LABELS",
    "build_probe",
    "embed_patches",
    "finetune_config",
    "genre_probe_info",
    "is_musicnn_input",
    "is_probe_file",
    "load_genre_probe",
    "musicnn_cache_dir",
    "musicnn_chunk_config",
    "musicnn_embeddings",
    "musicnn_fast_path",
    "musicnn_patch_set",
    "patch_outputs",
    "patch_probabilities",
    "patches_per_track",
    "probe_predictions",
    "split_probe",
    "run_finetune",
    "save_genre_probe",
    "signal_patches",
    "song_novelty",
    "song_patches",
    "train_genre_probe",
]

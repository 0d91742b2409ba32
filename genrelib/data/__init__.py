"""The data layer: GTZAN on disk, the data home, downloads, metadata, checks, synthetic data.

Notebook: 01_dataset (and every chapter through :func:`resolve_data_dir`).
"""

from genrelib.data.download import (
    ARCHIVE_NAME,
    GTZAN_SHA256,
    MIRRORS,
    download_book,
    download_gtzan,
    download_mini,
)
from genrelib.data.gtzan import AUDIO_EXTENSIONS, find_genre_root, index_gtzan
from genrelib.data.home import DATA_ENV, DOWNLOAD_BOOK, BookData, book_data, data_home
from genrelib.data.metadata import SPLIT_NAMES, load_artist_index, load_fault_filtered_split
from genrelib.data.resolve import (
    AUTO_PROFILE,
    GTZAN_ENV,
    is_synthetic_source,
    resolve_data_dir,
    resolve_profile_name,
)
from genrelib.data.splits import PROTOCOLS, UNUSED, assign_splits
from genrelib.data.synthetic import synthesize_clip, synthetic_artist, synthetic_dataset
from genrelib.data.verify import KNOWN_FAULTS, good_tracks, summarize_report, verify_dataset

__all__ = [
    "ARCHIVE_NAME",
    "AUTO_PROFILE",
    "AUDIO_EXTENSIONS",
    "DATA_ENV",
    "DOWNLOAD_BOOK",
    "BookData",
    "book_data",
    "data_home",
    "download_book",
    "download_mini",
    "GTZAN_ENV",
    "GTZAN_SHA256",
    "KNOWN_FAULTS",
    "MIRRORS",
    "PROTOCOLS",
    "SPLIT_NAMES",
    "UNUSED",
    "assign_splits",
    "download_gtzan",
    "find_genre_root",
    "good_tracks",
    "index_gtzan",
    "is_synthetic_source",
    "load_artist_index",
    "load_fault_filtered_split",
    "resolve_data_dir",
    "resolve_profile_name",
    "summarize_report",
    "synthesize_clip",
    "synthetic_artist",
    "synthetic_dataset",
    "verify_dataset",
]

"""The data layer: GTZAN on disk, the data home, downloads, metadata, checks, synthetic data.

Notebook: 01_dataset (and every chapter through :func:`resolve_data_dir`).

Names are imported on first use (``lazy_loader``), so ``genrelib predict`` loads only the
modules it calls.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=[
        "collection",
        "download",
        "fetch",
        "gtzan",
        "home",
        "metadata",
        "regroup",
        "resolve",
        "splits",
        "synthetic",
        "verify",
    ],
    submod_attrs={
        "download": [
            "ARCHIVE_NAME",
            "GTZAN_SHA256",
            "MIRRORS",
            "download_book",
            "download_gtzan",
            "download_mini",
        ],
        "gtzan": ["AUDIO_EXTENSIONS", "find_genre_root", "index_gtzan"],
        "home": ["BookData", "DATA_ENV", "DOWNLOAD_BOOK", "book_data", "data_home"],
        "metadata": ["SPLIT_NAMES", "load_artist_index", "load_fault_filtered_split"],
        "resolve": [
            "AUTO_PROFILE",
            "GTZAN_ENV",
            "is_synthetic_source",
            "resolve_data_dir",
            "resolve_profile_name",
        ],
        "splits": ["PROTOCOLS", "UNUSED", "assign_splits"],
        "synthetic": ["synthesize_clip", "synthetic_artist", "synthetic_dataset"],
        "verify": ["KNOWN_FAULTS", "good_tracks", "summarize_report", "verify_dataset"],
    },
)

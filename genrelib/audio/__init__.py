"""Audio pipeline: decode -> mono 22,050 Hz -> chunks -> log-mel spectrograms -> cache.

Notebook: 02_preprocessing.

Names are imported on first use (``lazy_loader``), so ``genrelib predict`` loads only the
modules it calls.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submodules=["cache", "chunking", "io", "mel", "prefetch"],
    submod_attrs={
        "cache": ["SpectrogramSet", "build_spectrogram_set", "spectrogram_dir"],
        "chunking": ["chunk_signal", "chunk_song", "cut_track", "fix_length"],
        "io": ["AudioInfo", "audio_info", "decode_audio", "load_audio"],
        "mel": ["log_mel", "mel_filterbank"],
        "prefetch": ["SongReader"],
    },
)

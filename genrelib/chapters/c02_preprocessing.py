"""Chapter 02, preprocessing: chunking, the paper's mel spectrogram against its code, caching.

Notebook: 02_preprocessing.
"""

from genrelib.audio import build_spectrogram_set, chunk_signal, fix_length, load_audio, log_mel
from genrelib.audio.mel import TOLERANCE_DB, mel_filterbank
from genrelib.chapters.context import chapter_context
from genrelib.chapters.display import glue_values, rounded
from genrelib.config import CHUNK_LENGTHS, SAMPLE_RATE, ChunkConfig, MelConfig
from genrelib.exercises import check, filled
from genrelib.plots import (
    plot_hop_comparison,
    plot_mel_bands,
    plot_mel_spectrogram,
    plot_tone_spectrum,
    plot_waveform,
)

__all__ = [
    "CHUNK_LENGTHS",
    "SAMPLE_RATE",
    "TOLERANCE_DB",
    "ChunkConfig",
    "MelConfig",
    "build_spectrogram_set",
    "chapter_context",
    "check",
    "chunk_signal",
    "filled",
    "glue_values",
    "fix_length",
    "load_audio",
    "log_mel",
    "mel_filterbank",
    "plot_hop_comparison",
    "plot_mel_bands",
    "plot_mel_spectrogram",
    "plot_tone_spectrum",
    "plot_waveform",
    "rounded",
]

"""Audio pipeline: decode -> mono 22,050 Hz -> chunks -> log-mel spectrograms -> cache.

Notebook: 02_preprocessing.
"""

from genrelib.audio.cache import SpectrogramSet, build_spectrogram_set, spectrogram_dir
from genrelib.audio.chunking import chunk_signal, chunk_song, cut_track, fix_length
from genrelib.audio.io import AudioInfo, audio_info, load_audio
from genrelib.audio.mel import log_mel, mel_filterbank

__all__ = [
    "AudioInfo",
    "SpectrogramSet",
    "audio_info",
    "build_spectrogram_set",
    "chunk_signal",
    "chunk_song",
    "cut_track",
    "fix_length",
    "load_audio",
    "log_mel",
    "mel_filterbank",
    "spectrogram_dir",
]

"""Small real spectrogram sets for the model, training and evaluation tests.

Cuts the first seconds of a few real GTZAN clips (gtzan_mini) into short chunks, so a
test trains on real log-mel spectrograms of 192 bands x about 65 frames in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.audio.chunking import chunk_signal, fix_length
from genrelib.audio.io import load_audio
from genrelib.audio.mel import log_mel
from genrelib.config import ChunkConfig, MelConfig
from genrelib.data import index_gtzan

MEL = MelConfig.authors_code()  # hop 256: a 0.75-s chunk has 65 frames
CHUNKS = ChunkConfig(chunk_seconds=0.75, track_seconds=3.0)  # 3 whole chunks per track


class StandInSet:
    """In-memory stand-in with the SpectrogramSet interface (until genrelib.audio.cache exists)."""

    def __init__(self, chunks: pd.DataFrame, images: np.ndarray, mel_config, chunk_config) -> None:
        self.chunks = chunks.reset_index(drop=True)
        self.images = images
        self.mel_config = mel_config
        self.chunk_config = chunk_config

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, index: int) -> np.ndarray:
        return self.images[index]

    @property
    def labels(self) -> np.ndarray:
        return self.chunks["label"].to_numpy()

    def subset(self, mask_or_indices) -> StandInSet:
        indices = np.arange(len(self))[np.asarray(mask_or_indices)]
        return StandInSet(
            self.chunks.iloc[indices], self.images[indices], self.mel_config, self.chunk_config
        )


def spectrogram_set(gtzan_mini: Path, tracks_per_genre: int = 1):
    """Spectrograms of the first ``tracks_per_genre`` clips of every genre, 3 chunks each."""
    tracks = index_gtzan(gtzan_mini, with_duration=False)
    tracks = tracks.groupby("genre", sort=False).head(tracks_per_genre).reset_index(drop=True)
    rows, images = [], []
    for track in tracks.itertuples():
        y = fix_length(load_audio(track.path)[: CHUNKS.track_samples + 1000], CHUNKS, track.path)
        images.append(log_mel(chunk_signal(y, CHUNKS), MEL))
        for k in range(CHUNKS.chunks_per_track):
            rows.append((track.track_id, track.genre, track.label, track.artist, k, track.path))
    columns = ["track_id", "genre", "label", "artist", "chunk_index", "path"]
    return StandInSet(pd.DataFrame(rows, columns=columns), np.concatenate(images), MEL, CHUNKS)


def train_valid(gtzan_mini: Path):
    """Chunks 0-1 of one clip per genre for training (20), chunk 2 for validation (10)."""
    full = spectrogram_set(gtzan_mini)
    last = (full.chunks["chunk_index"] == CHUNKS.chunks_per_track - 1).to_numpy()
    return full.subset(~last), full.subset(last)

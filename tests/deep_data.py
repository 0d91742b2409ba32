"""Small real spectrogram sets for the training and evaluation tests.

Cuts the first 3 s of a few real GTZAN clips (gtzan_mini) into 0.75-s chunks through
the real spectrogram cache, so a test trains on real log-mel spectrograms of
192 bands x 65 frames in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from genrelib.audio import SpectrogramSet, build_spectrogram_set
from genrelib.config import PROFILES, ChunkConfig, MelConfig, Profile
from genrelib.data import index_gtzan

MEL = MelConfig.authors_code()  # hop 256: a 0.75-s chunk has 65 frames
CHUNKS = ChunkConfig(chunk_seconds=0.75, track_seconds=3.0)  # 3 whole chunks per track


def spectrogram_set(gtzan_mini: Path, tracks_per_genre: int = 1) -> SpectrogramSet:
    """Spectrograms of the first ``tracks_per_genre`` clips of every genre, 3 chunks each."""
    tracks = index_gtzan(gtzan_mini, with_duration=False)
    tracks = tracks.groupby("genre", sort=False).head(tracks_per_genre).reset_index(drop=True)
    return build_spectrogram_set(tracks, MEL, CHUNKS, progress=False)


def train_valid(gtzan_mini: Path) -> tuple[SpectrogramSet, SpectrogramSet]:
    """Chunks 0-1 of one clip per genre for training (20), chunk 2 for validation (10)."""
    full = spectrogram_set(gtzan_mini)
    last = (full.chunks["chunk_index"] == CHUNKS.chunks_per_track - 1).to_numpy()
    return full.subset(~last), full.subset(last)


def tiny_profile() -> Profile:
    """The smoke profile cut down for tests: 2-s tracks in 1-s chunks, 1 epoch of 8 chunks."""
    return PROFILES["smoke"].with_overrides(
        name="smoke",
        track_seconds=2.0,
        chunk_seconds=1.0,
        max_epochs=1,
        max_train_chunks=8,
        batch_size=8,
    )


def tiny_tracks(gtzan_mini: Path, tracks_per_genre: int = 3) -> pd.DataFrame:
    """Track table of the first ``tracks_per_genre`` real clips of every genre."""
    tracks = index_gtzan(gtzan_mini, with_duration=False)
    return tracks.groupby("genre", sort=False).head(tracks_per_genre).reset_index(drop=True)


def tiny_gtzan(gtzan_mini: Path, root: Path, tracks_per_genre: int = 3) -> Path:
    """A GTZAN-layout folder of links to the first ``tracks_per_genre`` real clips per genre."""
    for path in tiny_tracks(gtzan_mini, tracks_per_genre)["path"]:
        source = Path(path)
        target = root / "genres" / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
    return root

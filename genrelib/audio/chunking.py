"""Fix a track's length and cut it into equal chunks, as the paper does.

A GTZAN clip lasts 29.9-30.7 s. :func:`fix_length` trims it to ``track_seconds`` (or pads
a few samples of silence), :func:`chunk_signal` then cuts ``floor(track / chunk)``
chunks, so every track gives the same number of chunks. :func:`chunk_song` is the
variant for songs of any length (the external songs of chapter 08).

Notebook: 02_preprocessing.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from genrelib.config import SAMPLE_RATE, ChunkConfig
from genrelib.errors import ConfigError, TrackTooShortError


def _as_signal(y: np.ndarray, caller: str) -> np.ndarray:
    """Return ``y`` as a 1-D float32 array, or raise ConfigError."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ConfigError(f"{caller}: expected a mono signal of shape (n_samples,), got {y.shape}")
    return y.astype(np.float32, copy=False)


def _name(source: str) -> str:
    return source or "signal"


def fix_length(y: np.ndarray, chunk_config: ChunkConfig, source: str = "") -> np.ndarray:
    """Trim or zero-pad a track to ``chunk_config.track_samples``.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at ``chunk_config.sample_rate``.
    chunk_config : ChunkConfig
        Target length and padding tolerance.
    source : str
        Name of the file the signal came from, for error messages.

    Returns
    -------
    np.ndarray, float32, shape (chunk_config.track_samples,)
        The first ``track_samples`` samples, zero-padded at the end when the track is at
        most ``pad_tolerance_seconds`` short.

    Raises
    ------
    TrackTooShortError
        If the track is more than ``pad_tolerance_seconds`` shorter than ``track_seconds``.
    """
    y = _as_signal(y, "fix_length")
    target = chunk_config.track_samples
    missing = target - y.shape[0]
    if missing <= 0:
        return y[:target]
    tolerance = int(round(chunk_config.pad_tolerance_seconds * chunk_config.sample_rate))
    if missing > tolerance:
        seconds = y.shape[0] / chunk_config.sample_rate
        raise TrackTooShortError(
            f"{_name(source)}: lasts {seconds:.2f} s, shorter than track_seconds="
            f"{chunk_config.track_seconds:g} s minus the {chunk_config.pad_tolerance_seconds:g} s "
            "tolerance; drop the file or lower track_seconds"
        )
    return np.concatenate([y, np.zeros(missing, dtype=np.float32)])


def chunk_signal(y: np.ndarray, chunk_config: ChunkConfig) -> np.ndarray:
    """Cut a fixed-length track into ``chunk_config.chunks_per_track`` equal chunks.

    The samples after the last whole chunk (when ``chunk_seconds`` does not divide
    ``track_seconds``) are dropped.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    y : np.ndarray, shape (chunk_config.track_samples,)
        Output of :func:`fix_length`.
    chunk_config : ChunkConfig
        Chunk length.

    Returns
    -------
    np.ndarray, float32, shape (chunks_per_track, chunk_samples)
        A view of ``y`` (no copy) when ``y`` is a contiguous float32 array.

    Raises
    ------
    ConfigError
        If ``y`` does not have ``track_samples`` samples (call :func:`fix_length` first).
    """
    y = _as_signal(y, "chunk_signal")
    if y.shape[0] != chunk_config.track_samples:
        raise ConfigError(
            f"chunk_signal: expected {chunk_config.track_samples} samples "
            f"({chunk_config.track_seconds:g} s), got {y.shape[0]}; call fix_length first"
        )
    n, size = chunk_config.chunks_per_track, chunk_config.chunk_samples
    return y[: n * size].reshape(n, size)


def chunk_song(
    y: np.ndarray,
    chunk_seconds: float,
    sample_rate: int = SAMPLE_RATE,
    short: Literal["pad", "error"] = "pad",
    source: str = "",
) -> np.ndarray:
    """Cut a song of any length into ``floor(duration / chunk_seconds)`` chunks.

    The remainder after the last whole chunk is dropped. A song shorter than one chunk
    is zero-padded to one chunk (``short="pad"``) or rejected (``short="error"``).

    Notebook: 08_external_songs.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at ``sample_rate``.
    chunk_seconds : float
        Chunk length, in seconds.
    sample_rate : int
        Sample rate of ``y``, in Hz.
    short : {"pad", "error"}
        What to do with a song shorter than one chunk.
    source : str
        Name of the file the signal came from, for error messages.

    Returns
    -------
    np.ndarray, float32, shape (n_chunks, chunk_samples)
        ``n_chunks >= 1``.

    Raises
    ------
    TrackTooShortError
        If the song is shorter than one chunk and ``short="error"``.
    ConfigError
        If ``chunk_seconds`` or ``sample_rate`` is not positive, or ``short`` is unknown.
    """
    if short not in ("pad", "error"):
        raise ConfigError(f"chunk_song: short must be 'pad' or 'error', got {short!r}")
    if not chunk_seconds > 0 or not sample_rate > 0:
        raise ConfigError(
            f"chunk_song: chunk_seconds and sample_rate must be positive, "
            f"got {chunk_seconds!r} and {sample_rate!r}"
        )
    y = _as_signal(y, "chunk_song")
    size = int(round(chunk_seconds * sample_rate))
    n = y.shape[0] // size
    if n == 0:
        if short == "error":
            raise TrackTooShortError(
                f"{_name(source)}: lasts {y.shape[0] / sample_rate:.2f} s, shorter than one "
                f"{chunk_seconds:g} s chunk; use a longer song or short='pad'"
            )
        return np.concatenate([y, np.zeros(size - y.shape[0], dtype=np.float32)])[None, :]
    return y[: n * size].reshape(n, size)


def cut_track(y: np.ndarray, chunk_config: ChunkConfig, source: str = "") -> np.ndarray:
    """The chunks of one track under ``chunk_config``: fixed-length or variable-length.

    Fixed length (GTZAN): :func:`chunk_signal` of :func:`fix_length`. Variable length (a
    collection of your own, ``chunk_config.variable_length``): a track longer than
    ``track_seconds`` keeps its middle ``track_seconds`` (intros and endings are often
    quieter than the body of a song); then as many whole chunks as it holds.

    Notebook: 02_preprocessing (the spectrogram cache); ``genrelib train --data-dir``.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at ``chunk_config.sample_rate``.
    chunk_config : ChunkConfig
        Chunk length, track length (a cap with ``variable_length``) and pad tolerance.
    source : str
        Name of the file the signal came from, for error messages.

    Returns
    -------
    np.ndarray, float32, shape (n_chunks, chunk_samples)
        ``n_chunks == chunks_per_track`` for fixed length, in ``[1, chunks_per_track]`` else.

    Raises
    ------
    TrackTooShortError
        If the track is too short: shorter than ``track_seconds`` (fixed length) or than one
        chunk (variable length), beyond ``pad_tolerance_seconds``.
    """
    if not chunk_config.variable_length:
        return chunk_signal(fix_length(y, chunk_config, source=source), chunk_config)
    y = _as_signal(y, "cut_track")
    size = chunk_config.chunk_samples
    if y.shape[0] < size:
        tolerance = int(round(chunk_config.pad_tolerance_seconds * chunk_config.sample_rate))
        if size - y.shape[0] > tolerance:
            raise TrackTooShortError(
                f"{_name(source)}: lasts {y.shape[0] / chunk_config.sample_rate:.2f} s, shorter "
                f"than one {chunk_config.chunk_seconds:g} s chunk; drop the file or use shorter "
                "chunks"
            )
        return np.concatenate([y, np.zeros(size - y.shape[0], dtype=np.float32)])[None, :]
    kept = min(y.shape[0], chunk_config.track_samples) // size * size
    start = (y.shape[0] - kept) // 2
    return y[start : start + kept].reshape(-1, size)


def chunk_positions(counts) -> np.ndarray:
    """The index of every chunk within its track: ``0 .. n-1`` for each ``n`` of ``counts``.

    Notebook: 02_preprocessing (the chunk table of the spectrogram cache), 06b_music_transfer.

    Parameters
    ----------
    counts : array-like of int, shape (n_tracks,)
        Chunks of each track.

    Returns
    -------
    np.ndarray, int64, shape (sum(counts),)
    """
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum()), dtype=np.int64) - starts

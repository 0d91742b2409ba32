"""Decode an audio file into a mono float32 signal at genrelib's sample rate.

Decoding goes through libsndfile (the ``soundfile`` package), whose bundled build reads
WAV, AU, AIFF, FLAC, Ogg Vorbis/Opus and MP3. Only containers libsndfile does not know
(e.g. ``.m4a``, ``.aac``, ``.wma``) go to ``audioread``, which needs FFmpeg or GStreamer.

What a broken file does, measured with libsndfile 1.2:

* missing, empty, text or random bytes, a header cut short: libsndfile refuses to open
  it -> :class:`~genrelib.errors.AudioDecodeError`, which names a text file as such
  (libsndfile's own message, "File does not exist or is not a regular file", misleads);
  what its MP3 decoder prints on the terminal meanwhile is silenced;
* a PCM WAV/AU cut inside its sample data: libsndfile returns the complete frames that
  are there, i.e. a correctly shorter signal (the caller's length check decides);
* a header with no sample data at all -> :class:`~genrelib.errors.AudioDecodeError`;
* samples that decode to NaN or infinity (damaged float files) ->
  :class:`~genrelib.errors.AudioDecodeError`.

Notebook: 02_preprocessing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from genrelib.config import SAMPLE_RATE
from genrelib.errors import AudioDecodeError, ConfigError

_FIX = "re-encode the file (e.g. to WAV) or replace it"
_AUDIOREAD_SUFFIXES = frozenset({".m4a", ".aac", ".mp4", ".wma", ".webm", ".opus"})


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says about its audio.

    Notebook: 01_dataset.

    Attributes
    ----------
    sample_rate : int
        Sample rate, in Hz.
    channels : int
        Number of channels.
    frames : int
        Samples per channel.
    duration : float
        Length, in seconds.
    format : str
        Container and encoding, e.g. ``"WAV/PCM_16"``.
    """

    sample_rate: int
    channels: int
    frames: int
    duration: float
    format: str


def _check_file(path: Path) -> None:
    """Raise AudioDecodeError when ``path`` is missing, not a file or empty."""
    if not path.exists():
        raise AudioDecodeError(f"{path}: file not found; check the path")
    if not path.is_file():
        raise AudioDecodeError(f"{path}: not a regular file; pass the path of an audio file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(f"{path.name}: empty file (0 bytes); {_FIX}")


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence what C code writes to the process's stderr (libsndfile's mpg123 notes).

    Python's own ``sys.stderr`` is left alone; only file descriptor 2 is redirected.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _looks_like_text(path: Path) -> bool:
    """Whether the file starts with readable text (a misnamed text file, not audio)."""
    with open(path, "rb") as handle:
        start = handle.read(512)
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch.isspace() for ch in text)


_NOT_A_FILE = "File does not exist or is not a regular file"
"""How libsndfile words a file it recognises no format in (even when the file exists)."""


def _reason(error: Exception) -> str:
    """One-line reason from a decoder's exception."""
    text = getattr(error, "error_string", None) or str(error)
    if _NOT_A_FILE in text:  # the file exists (checked before): its bytes are no audio format
        return "no audio format recognised in its bytes"
    lines = text.strip().splitlines()
    return lines[-1] if lines else type(error).__name__


def audio_info(path: str | Path) -> AudioInfo:
    """Read the header of an audio file, without decoding its samples.

    Notebook: 01_dataset.

    Parameters
    ----------
    path : str or Path
        Audio file.

    Returns
    -------
    AudioInfo
        Sample rate, channels, frames, duration and format.

    Raises
    ------
    AudioDecodeError
        If the file is missing, empty or not audio that libsndfile can open.
    """
    path = Path(path)
    _check_file(path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioDecodeError(
            f"{path.name}: cannot read header ({_reason(error)}); {_FIX}"
        ) from None
    return AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        duration=float(info.duration),
        format=f"{info.format}/{info.subtype}",
    )


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    """Decode with libsndfile -> (samples (n, channels) float32, sample rate)."""
    with sf.SoundFile(str(path)) as handle:
        samples = handle.read(dtype="float32", always_2d=True)
        return samples, int(handle.samplerate)


def _read_audioread(path: Path) -> tuple[np.ndarray, int]:
    """Decode with audioread (FFmpeg/GStreamer) -> (samples (n, channels) float32, rate)."""
    import audioread

    with audioread.audio_open(str(path)) as handle:
        channels, rate = int(handle.channels), int(handle.samplerate)
        pcm = b"".join(handle)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels), rate


def _decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode ``path`` with the right backend, turning decoder errors into AudioDecodeError."""
    if path.suffix.lower() in _AUDIOREAD_SUFFIXES:
        try:
            return _read_audioread(path)
        except Exception as error:  # audioread raises many unrelated types
            raise AudioDecodeError(
                f"{path.name}: cannot decode ({_reason(error)}); install FFmpeg for "
                f"{path.suffix} files or convert the file to WAV/FLAC/MP3"
            ) from None
    try:
        with _quiet_stderr():
            return _read_soundfile(path)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        if _looks_like_text(path):
            raise AudioDecodeError(
                f"{path.name}: a text file, not audio; pass an audio file (WAV, FLAC, MP3, Ogg)"
            ) from None
        raise AudioDecodeError(f"{path.name}: cannot decode ({_reason(error)}); {_FIX}") from None


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode an audio file into a mono float32 signal at ``sample_rate``.

    Channels are averaged (mono mixdown); a file at another rate is resampled with
    :func:`resample` (soxr, the samples of ``librosa.resample(res_type="soxr_hq")``).

    Notebook: 02_preprocessing.

    Parameters
    ----------
    path : str or Path
        Audio file (WAV, AU, AIFF, FLAC, Ogg, MP3; other containers need FFmpeg).
    sample_rate : int
        Target sample rate, in Hz.

    Returns
    -------
    np.ndarray, float32, shape (n_samples,)
        The signal, in [-1, 1] for integer-coded files.

    Raises
    ------
    AudioDecodeError
        If the file is missing, empty, not audio, corrupt, holds no samples, or decodes
        to non-finite values. A PCM file cut inside its data decodes to the frames
        that are there (a shorter signal), not an error.
    ConfigError
        If ``sample_rate`` is not a positive integer.
    """
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ConfigError(
            f"load_audio: sample_rate must be a positive integer, got {sample_rate!r}"
        )
    mono, rate = decode_audio(path)
    return np.ascontiguousarray(resample(mono, rate, sample_rate), dtype=np.float32)


def decode_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Decode an audio file into a mono float32 signal at the file's own sample rate.

    The first half of :func:`load_audio`, which then resamples; a
    :class:`~genrelib.audio.prefetch.SongReader` runs it in a thread, ahead of the model.

    Notebook: 08_external_songs (through ``genrelib predict``).

    Parameters
    ----------
    path : str or Path
        Audio file.

    Returns
    -------
    mono : np.ndarray, float32, shape (n_samples,)
        The mean of the channels.
    sample_rate : int
        The file's sample rate, in Hz.

    Raises
    ------
    AudioDecodeError
        As :func:`load_audio`.
    """
    path = Path(path)
    _check_file(path)
    samples, rate = _decode(path)
    if samples.shape[0] == 0:
        raise AudioDecodeError(f"{path.name}: no audio samples (header only or cut short); {_FIX}")
    if not np.isfinite(samples).all():
        raise AudioDecodeError(f"{path.name}: decodes to NaN or infinite samples; {_FIX}")
    return mixdown(samples), rate


def mixdown(samples: np.ndarray) -> np.ndarray:
    """The mean of the channels, the samples of ``samples.mean(axis=1, dtype=np.float32)``.

    One column at a time: the mean over a short last axis costs 0.1-0.3 s on a 3-minute
    stereo song, the column sums 0.01 s (the same additions in the same order).

    Notebook: 02_preprocessing (through :func:`load_audio`).

    Parameters
    ----------
    samples : np.ndarray, float32, shape (n_samples, n_channels)

    Returns
    -------
    np.ndarray, float32, shape (n_samples,)
    """
    mono = samples[:, 0].copy()
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    if samples.shape[1] > 1:
        mono /= np.float32(samples.shape[1])
    return mono


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a mono signal as ``librosa.resample(y, res_type="soxr_hq")`` does, sample for
    sample, without importing librosa's audio module (and numba, a second per process).

    The same soxr call, then librosa's length rule: ``ceil(len(y) * target_sr / orig_sr)``
    samples, cut or zero-padded.

    Notebook: 02_preprocessing (through :func:`load_audio`).

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal.
    orig_sr, target_sr : int
        Its sample rate and the one wanted, in Hz.

    Returns
    -------
    np.ndarray, shape (ceil(n_samples * target_sr / orig_sr),), the dtype of ``y``
    """
    if orig_sr == target_sr:
        return y
    size = int(np.ceil(len(y) * float(target_sr) / orig_sr))
    out = soxr.resample(y, orig_sr, target_sr, quality="soxr_hq")[:size]
    return np.pad(out, (0, size - len(out))).astype(y.dtype, copy=False)

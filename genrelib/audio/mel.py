"""Log-mel spectrograms of audio chunks: a librosa reference and a batched torch path.

Both backends compute the same thing: a centred STFT (periodic Hann window, zero
padding of ``n_fft // 2`` samples at each end, librosa's default ``pad_mode="constant"``
since 0.10), the power spectrum, librosa's Slaney mel filterbank, then
``10 log10(max(amin, S)) - 10 log10(max(amin, ref))`` with ``ref`` 1.0 or the chunk's
maximum, and the ``top_db`` floor relative to each chunk's peak.

The torch path frames the padded chunks with ``unfold``, runs ``torch.fft.rfft`` (which,
unlike ``torch.stft`` on CPU, uses every core), keeps only the FFT bins the filterbank
touches (bins 1-743 of 1025 for fmax = 8 kHz) and applies the filterbank as one matmul.
On CPU it works on about :data:`CPU_FRAMES_PER_BATCH` frames at a time, which keeps the
working set in cache and was the fastest batch size measured on a 2-core machine.

Agreement with the librosa reference, measured on all 100 gtzan_mini clips cut into
3-s chunks, for both ``MelConfig.paper()`` and ``MelConfig.authors_code()``: the largest
absolute difference is 1.3e-3 dB over all bins (the quietest bins, near the ``top_db``
floor, where float32 rounding of the FFT matters most) and 2.2e-4 dB over the bins within
60 dB of each chunk's peak. The tests assert :data:`TOLERANCE_DB` (0.01 dB, about 8 times
the worst case) over all bins and a tenth of it over the loud bins; either is far below
anything a model could notice, as the values span 80 dB.

Notebook: 02_preprocessing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import librosa
import numpy as np
import torch
import torch.nn.functional as F

from genrelib.atomic import atomic_write
from genrelib.config import MelConfig, cache_dir
from genrelib.device import resolve_device
from genrelib.errors import ConfigError

Backend = Literal["torch", "librosa"]

FILTERBANK_DIR = "mel_filterbanks"
"""Folder of the cached filterbanks under genrelib's cache (:func:`filterbank`)."""

AMIN = 1e-10
"""Smallest power before the logarithm (librosa's ``amin``)."""

TOLERANCE_DB = 0.01
"""Largest difference, in dB, allowed between the torch and librosa backends."""

CPU_FRAMES_PER_BATCH = 1024
"""Frames computed at once on CPU (small batches stay in cache: fastest measured)."""

GPU_FRAMES_PER_BATCH = 65536
"""Frames computed at once on a GPU (about 0.5 GB of FFT output for n_fft 2048)."""


def mel_filterbank(mel_config: MelConfig) -> np.ndarray:
    """Return librosa's Slaney mel filterbank for ``mel_config`` (cached, read-only).

    Notebook: 02_preprocessing.

    Returns
    -------
    np.ndarray, float32, shape (n_mels, 1 + n_fft // 2)
    """
    return filterbank(
        mel_config.sample_rate,
        mel_config.n_fft,
        mel_config.n_mels,
        mel_config.fmin,
        mel_config.fmax,
    )


@lru_cache(maxsize=16)
def filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """librosa's Slaney mel filterbank, float32, read-only, cached in memory and on disk.

    Computed once per machine with ``librosa.filters.mel`` and kept in genrelib's cache
    (the file name holds the parameters and librosa's version): importing
    ``librosa.filters`` costs about a second per process, more than a song's log-mel.

    Notebook: 02_preprocessing (through :func:`mel_filterbank`); 08_external_songs (musicnn's).

    Returns
    -------
    np.ndarray, float32, shape (n_mels, 1 + n_fft // 2)
    """
    name = f"{sample_rate}-{n_fft}-{n_mels}-{fmin:g}-{fmax:g}-librosa{librosa.__version__}.npy"
    path = cache_dir() / FILTERBANK_DIR / name
    try:
        basis = np.load(path, allow_pickle=False)
    except (OSError, ValueError):  # not cached yet, or a damaged file: compute it again
        basis = librosa.filters.mel(
            sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float32
        )
        atomic_write(path, lambda handle: np.save(handle, basis, allow_pickle=False))
    basis.setflags(write=False)
    return basis


@lru_cache(maxsize=16)
def _torch_basis(mel_config: MelConfig, device: torch.device) -> tuple[torch.Tensor, int, int]:
    """Transposed filterbank restricted to its non-zero bins -> (basis (bins, n_mels), lo, hi)."""
    basis = mel_filterbank(mel_config)
    used = np.flatnonzero(basis.any(axis=0))
    lo, hi = int(used[0]), int(used[-1]) + 1
    tensor = torch.from_numpy(np.ascontiguousarray(basis[:, lo:hi].T)).to(device)
    return tensor, lo, hi


def _power_to_db(power: torch.Tensor, mel_config: MelConfig) -> torch.Tensor:
    """``librosa.power_to_db`` on a batch (batch, ...): reference and floor per item."""
    db = 10.0 * torch.log10(power.clamp_min(AMIN))
    dims = tuple(range(1, power.ndim))
    if mel_config.db_reference == "max":
        ref = power.amax(dim=dims, keepdim=True).clamp_min(AMIN)
        db = db - 10.0 * torch.log10(ref)
    if mel_config.top_db is not None:
        db = torch.maximum(db, db.amax(dim=dims, keepdim=True) - mel_config.top_db)
    return db


def _log_mel_torch(
    chunks: np.ndarray, mel_config: MelConfig, device: torch.device, frames_per_batch: int
) -> np.ndarray:
    n_fft, hop = mel_config.n_fft, mel_config.hop_length
    n_frames = mel_config.n_frames(chunks.shape[1])
    out = np.empty((chunks.shape[0], mel_config.n_mels, n_frames), dtype=np.float32)
    basis, lo, hi = _torch_basis(mel_config, device)
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float32, device=device)
    step = max(1, frames_per_batch // n_frames)
    with torch.inference_mode():
        for start in range(0, chunks.shape[0], step):
            x = torch.from_numpy(chunks[start : start + step]).to(device)
            frames = F.pad(x, (n_fft // 2, n_fft // 2)).unfold(-1, n_fft, hop) * window
            spectrum = torch.fft.rfft(frames)[..., lo:hi]
            power = spectrum.real.square() + spectrum.imag.square()
            db = _power_to_db(torch.matmul(power, basis), mel_config)
            out[start : start + step] = db.transpose(1, 2).cpu().numpy()
    return out


def _log_mel_librosa(chunks: np.ndarray, mel_config: MelConfig) -> np.ndarray:
    ref = np.max if mel_config.db_reference == "max" else 1.0
    n_frames = mel_config.n_frames(chunks.shape[1])
    out = np.empty((chunks.shape[0], mel_config.n_mels, n_frames), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        power = librosa.feature.melspectrogram(
            y=chunk,
            sr=mel_config.sample_rate,
            n_fft=mel_config.n_fft,
            hop_length=mel_config.hop_length,
            n_mels=mel_config.n_mels,
            fmin=mel_config.fmin,
            fmax=mel_config.fmax,
            center=True,
            pad_mode="constant",
            power=2.0,
        )
        out[i] = librosa.power_to_db(power, ref=ref, amin=AMIN, top_db=mel_config.top_db)
    return out


def log_mel(
    chunks: np.ndarray,
    mel_config: MelConfig,
    backend: Backend = "torch",
    device: str | torch.device | None = None,
    frames_per_batch: int | None = None,
) -> np.ndarray:
    """Log-mel spectrogram of each chunk, in dB.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    chunks : np.ndarray, shape (n_chunks, n_samples) or (n_samples,)
        Mono audio at ``mel_config.sample_rate``.
    mel_config : MelConfig
        Spectrogram parameters (``MelConfig.paper()`` or ``MelConfig.authors_code()``).
    backend : {"torch", "librosa"}
        ``"librosa"`` is the reference (one chunk at a time); ``"torch"`` is batched and
        agrees with it within :data:`TOLERANCE_DB` dB.
    device : str, torch.device or None
        Torch backend only: ``None``/``"cpu"``, ``"cuda"`` or ``"auto"`` (GPU if present).
    frames_per_batch : int or None
        Torch backend only: frames computed at once (bounds memory). ``None``:
        :data:`CPU_FRAMES_PER_BATCH` on CPU, :data:`GPU_FRAMES_PER_BATCH` on GPU.

    Returns
    -------
    np.ndarray, float32, shape (n_chunks, n_mels, n_frames) or (n_mels, n_frames)
        ``n_frames = mel_config.n_frames(n_samples)``; a 1-D input gives a 2-D output.

    Raises
    ------
    ConfigError
        If ``backend`` or the input shape is invalid.
    DeviceUnavailableError
        If ``device`` asks for a GPU this machine lacks.
    """
    if backend not in ("torch", "librosa"):
        raise ConfigError(f"log_mel: backend must be 'torch' or 'librosa', got {backend!r}")
    if frames_per_batch is not None and frames_per_batch < 1:
        raise ConfigError(f"log_mel: frames_per_batch must be >= 1, got {frames_per_batch}")
    array = np.asarray(chunks)
    if array.ndim not in (1, 2) or array.shape[-1] == 0:
        raise ConfigError(
            "log_mel: expected audio of shape (n_samples,) or (n_chunks, n_samples), "
            f"got {array.shape}"
        )
    batch = np.ascontiguousarray(np.atleast_2d(array), dtype=np.float32)
    if backend == "librosa":
        result = _log_mel_librosa(batch, mel_config)
    else:
        resolved = resolve_device(device)
        if frames_per_batch is None:
            on_gpu = resolved.type != "cpu"
            frames_per_batch = GPU_FRAMES_PER_BATCH if on_gpu else CPU_FRAMES_PER_BATCH
        result = _log_mel_torch(batch, mel_config, resolved, frames_per_batch)
    return result[0] if array.ndim == 1 else result

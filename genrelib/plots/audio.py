"""Figures of the audio pipeline: a waveform, a log-mel spectrogram, Table II vs the authors' code.

Notebook: 02_preprocessing.
"""

from __future__ import annotations

import librosa.display
import matplotlib.pyplot as plt
import numpy as np

from genrelib.audio.mel import log_mel
from genrelib.config import SAMPLE_RATE, MelConfig


def _db_label(mel_config: MelConfig) -> str:
    reference = "re 1.0" if mel_config.db_reference == "one" else "re chunk maximum"
    return f"power (dB {reference})"


def plot_waveform(
    y: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    chunk_seconds: float | None = None,
    title: str = "Waveform",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Waveform against time, with chunk boundaries if asked for.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal.
    sample_rate : int
        Sample rate of ``y``, in Hz.
    chunk_seconds : float or None
        Draw a dashed line at every multiple of this length, in seconds.
    title : str
        Axes title (name the track; say so when it is synthetic).
    ax : plt.Axes or None
        Axes to draw on (a new figure when ``None``).

    Returns
    -------
    plt.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.6))
    times = np.arange(len(y)) / sample_rate
    ax.plot(times, y, lw=0.4, color="tab:blue")
    if chunk_seconds:
        for boundary in np.arange(chunk_seconds, times[-1], chunk_seconds):
            ax.axvline(boundary, color="0.3", ls="--", lw=0.8)
    ax.set(xlabel="time (s)", ylabel="amplitude (full scale)", title=title, xlim=(0, times[-1]))
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax


def plot_mel_spectrogram(
    spectrogram: np.ndarray,
    mel_config: MelConfig,
    title: str = "Log-mel spectrogram",
    ax: plt.Axes | None = None,
    colorbar: bool = True,
) -> plt.Axes:
    """One log-mel spectrogram: time in seconds, frequency in Hz on a mel scale.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    spectrogram : np.ndarray, shape (n_mels, n_frames)
        Output of :func:`genrelib.audio.log_mel` (or one item of a ``SpectrogramSet``).
    mel_config : MelConfig
        The settings that made it (sets the time and frequency axes).
    title : str
        Axes title.
    ax : plt.Axes or None
        Axes to draw on (a new figure when ``None``).
    colorbar : bool
        Add a colour bar in dB.

    Returns
    -------
    plt.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    image = librosa.display.specshow(
        spectrogram,
        sr=mel_config.sample_rate,
        hop_length=mel_config.hop_length,
        n_fft=mel_config.n_fft,
        x_axis="s",
        y_axis="mel",
        fmin=mel_config.fmin,
        fmax=mel_config.fmax,
        cmap="magma",
        ax=ax,
    )
    ax.set(xlabel="time (s)", ylabel="frequency (Hz, mel scale)", title=title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, format="%+.0f", label=_db_label(mel_config))
    ax.figure.tight_layout()
    return ax


def plot_hop_comparison(
    chunk: np.ndarray,
    configs: tuple[MelConfig, MelConfig] = (MelConfig.paper(), MelConfig.authors_code()),
    title: str = "Same chunk, two spectrogram settings",
) -> plt.Figure:
    """Side by side: the paper's Table II (hop 67) vs the authors' code (hop 256) on one chunk.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    chunk : np.ndarray, shape (n_samples,)
        One mono chunk at the configs' sample rate.
    configs : tuple of two MelConfig
        Left and right settings.
    title : str
        Figure title (name the track; say so when it is synthetic).

    Returns
    -------
    plt.Figure
        Two panels, each titled with its hop (samples and ms) and its image size.
    """
    fig, axes = plt.subplots(1, len(configs), figsize=(12, 3.8), sharey=True)
    for ax, config in zip(np.atleast_1d(axes), configs, strict=True):
        spectrogram = log_mel(chunk, config)
        panel = (
            f"{config.name}: hop {config.hop_length} ({1000 * config.frame_seconds:.1f} ms), "
            f"{spectrogram.shape[0]} x {spectrogram.shape[1]}"
        )
        plot_mel_spectrogram(spectrogram, config, title=panel, ax=ax)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_tone_spectrum(
    power: np.ndarray,
    sample_rate: int,
    n_fft: int,
    tone_hz: float,
    half_width: int = 10,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """The FFT bins around a pure tone: where its energy lands, in dB below the peak.

    Notebook: 02_preprocessing (the STFT's frequency resolution).

    Parameters
    ----------
    power : np.ndarray, shape (1 + n_fft // 2,)
        Power of each FFT bin (e.g. averaged over the STFT's frames).
    sample_rate : int
        Sample rate, in Hz.
    n_fft : int
        FFT size, in samples (bins are ``sample_rate / n_fft`` Hz apart).
    tone_hz : float
        Frequency of the tone, marked by a line.
    half_width : int
        Bins shown on each side of the tone's bin.
    ax : plt.Axes or None
        Axes to draw on (a new figure when ``None``).

    Returns
    -------
    plt.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    bin_hz = sample_rate / n_fft
    centre = int(round(tone_hz / bin_hz))
    bins = np.arange(max(centre - half_width, 0), centre + half_width + 1)
    level = 10 * np.log10(np.maximum(power[bins], 1e-20) / power.max())
    ax.bar(bins * bin_hz, level - level.min(), bottom=level.min(), width=0.8 * bin_hz)
    ax.axvline(tone_hz, color="tab:red", lw=1.2, ls="--", label=f"the tone, {tone_hz:g} Hz")
    ax.set(
        xlabel=f"FFT bin centre frequency (Hz), bins {bin_hz:.2f} Hz apart",
        ylabel="power (dB below the peak)",
    )
    ax.legend(loc="upper left", frameon=False)  # the far bins are low: the corner is empty
    ax.grid(alpha=0.3, axis="y")
    ax.figure.tight_layout()
    return ax


def plot_mel_bands(
    centres: dict[str, np.ndarray],
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Centre frequency of each mel band, for one or more mel formulas; and their spacing.

    Notebook: 02_preprocessing (the mel scale).

    Parameters
    ----------
    centres : dict of str to np.ndarray, each shape (n_mels,)
        Band centre frequencies in Hz, keyed by the formula's name.
    ax : plt.Axes or None
        Axes to draw on (a new figure with two panels when ``None``: centres, spacing).

    Returns
    -------
    plt.Axes
        The left panel (band centres).
    """
    if ax is None:
        _, (ax, spacing_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
    else:
        spacing_ax = None
    for name, freqs in centres.items():
        ax.plot(np.arange(len(freqs)), freqs, label=name)
        if spacing_ax is not None:
            spacing_ax.plot(freqs[1:], np.diff(freqs), label=name)
    ax.set(xlabel="mel band index", ylabel="band centre (Hz)", title="Where the bands sit")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    if spacing_ax is not None:
        spacing_ax.set(
            xlabel="band centre (Hz)",
            ylabel="distance to the band below (Hz)",
            title="How wide the bands are",
        )
        spacing_ax.legend(loc="upper left", frameon=False)
        spacing_ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax

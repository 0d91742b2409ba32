"""Figures of the widgets: one clip (waveform and mel spectrograms) and a model's genre timeline.

Notebook: 01_dataset, 08_external_songs.
"""

from __future__ import annotations

from collections.abc import Sequence

import librosa
import matplotlib.pyplot as plt
import numpy as np

from genrelib.audio import log_mel
from genrelib.config import MelConfig

_DB_LABELS = {"one": "dB (re 1.0)", "max": "dB (re clip maximum)"}
_FREQUENCY_TICKS_HZ = (0, 500, 1000, 2000, 4000, 8000, 11025)
_MEL_TITLES = {
    "paper": "Table II of the paper (hop 67, dB re 1)",
    "authors_code": "the authors' code (hop 256, dB re max)",
}


def plot_clip(
    y: np.ndarray,
    mel_configs: Sequence[MelConfig],
    excerpt: tuple[float, float] | None = None,
    title: str = "",
) -> plt.Figure:
    """Waveform of a clip above its log-mel spectrogram under one or more mel settings.

    Notebook: 01_dataset (dataset explorer).

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at ``mel_configs[0].sample_rate``.
    mel_configs : sequence of MelConfig
        One spectrogram panel per config (e.g. ``MelConfig.paper()`` and
        ``MelConfig.authors_code()``), all at the same sample rate.
    excerpt : (start, stop) in seconds, optional
        Part of the clip played by the audio player, shaded on the waveform.
    title : str
        Figure title (say here when the clip is synthetic).

    Returns
    -------
    matplotlib.figure.Figure
    """
    sample_rate = mel_configs[0].sample_rate
    duration = len(y) / sample_rate
    heights = [1.0] + [1.6] * len(mel_configs)
    fig, axes = plt.subplots(
        len(heights),
        1,
        figsize=(9, 1.4 + 2.2 * len(mel_configs)),
        sharex=True,
        gridspec_kw={"height_ratios": heights},
        layout="constrained",
    )
    wave = axes[0]
    times = np.arange(len(y)) / sample_rate
    step = max(1, len(y) // 20_000)  # enough points for the envelope, a light figure
    wave.plot(times[::step], y[::step], color="tab:blue", linewidth=0.5)
    if excerpt is not None:
        wave.axvspan(*excerpt, color="tab:orange", alpha=0.2, label="excerpt in the player")
        wave.legend(loc="upper right", fontsize="small")
    wave.set(ylabel="amplitude\n(full scale)", xlim=(0, duration), title=title)
    for ax, config in zip(axes[1:], mel_configs, strict=True):
        spectrogram = log_mel(y, config)
        image = ax.imshow(
            spectrogram,
            aspect="auto",
            origin="lower",
            cmap="magma",
            interpolation="antialiased",
            extent=(0, spectrogram.shape[1] * config.frame_seconds, -0.5, config.n_mels - 0.5),
        )
        ticks = [f for f in _FREQUENCY_TICKS_HZ if config.fmin <= f <= config.fmax]
        centres = librosa.mel_frequencies(config.n_mels, fmin=config.fmin, fmax=config.fmax)
        ax.set_yticks(
            np.interp(ticks, centres, np.arange(config.n_mels)), [f"{f:g}" for f in ticks]
        )
        ax.set(
            ylabel="frequency (Hz)",
            title=f"log-mel spectrogram, {_MEL_TITLES.get(config.name, config.name)}",
        )
        fig.colorbar(image, ax=ax, label=_DB_LABELS[config.db_reference], pad=0.01)
    axes[-1].set_xlabel("time (s)")
    return fig


def plot_genre_timeline(
    probabilities: np.ndarray,
    chunk_seconds: float,
    class_names: Sequence[str],
    title: str = "",
) -> plt.Figure:
    """Heat map of a model's genre probabilities for each chunk, beside their mean.

    Notebook: 01_dataset (dataset explorer), 08_external_songs (try your own song).

    Parameters
    ----------
    probabilities : np.ndarray, shape (n_chunks, n_classes)
        Softmax output of each consecutive chunk; rows sum to 1.
    chunk_seconds : float
        Length of one chunk, in seconds (sets the time axis).
    class_names : sequence of str, length n_classes
        Genre names, in class-index order.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Left: probability per genre (rows) and chunk start time (columns); right: the
        mean over chunks, the three most likely genres highlighted.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    n_chunks, n_classes = probabilities.shape
    mean = probabilities.mean(axis=0)
    top = set(np.argsort(mean)[::-1][:3].tolist())
    fig, (heat, bars) = plt.subplots(
        1,
        2,
        figsize=(10, 3.6),
        sharey=True,
        gridspec_kw={"width_ratios": [4, 1]},
        layout="constrained",
    )
    image = heat.imshow(
        probabilities.T,
        aspect="auto",
        origin="upper",
        cmap="viridis",
        vmin=0.0,
        vmax=1.0,
        interpolation="nearest",
        extent=(0, n_chunks * chunk_seconds, n_classes - 0.5, -0.5),
    )
    heat.set_yticks(range(n_classes), list(class_names))
    heat.set(xlabel=f"time (s), one column per {chunk_seconds:g}-s chunk", ylabel="genre")
    heat.set_title(title, loc="left")
    colors = ["tab:orange" if k in top else "tab:gray" for k in range(n_classes)]
    bars.barh(range(n_classes), mean, color=colors)
    for k in sorted(top):
        bars.text(mean[k] + 0.02, k, f"{mean[k]:.0%}", va="center", fontsize="small")
    bars.set(xlim=(0, 1.15), xlabel="mean probability")
    fig.colorbar(image, ax=bars, label="probability", pad=0.02)
    return fig

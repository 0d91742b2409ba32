"""Is it music at all? Silence and noise get a warning instead of a bare confident genre.

A classifier answers for any input: a softmax always sums to one, so silence or hiss
still gets a genre, often with a high probability. Two measurements of the signal flag
what no genre describes:

* **silence**: the root-mean-square level of the analysed audio, in dB relative to full
  scale (dBFS), below :data:`SILENCE_DBFS`;
* **noise**: the median spectral flatness of its frames (the geometric over the arithmetic
  mean of the power spectrum: 1 for white noise, near 0 for tones) above
  :data:`NOISE_FLATNESS`.

Both thresholds were set from measurements on real music, in ``bench/bench_input_checks.py``
(frames of 2,048 samples, hop 512, at the 22,050 Hz of the CRNNs and the 16,000 Hz of
musicnn): over the 100 clips of ``gtzan_mini`` and the 8 external songs the quietest level
is -31.2 dBFS and the flattest median 0.070 at 22,050 Hz, 0.104 at 16,000 Hz (a metal clip);
white noise measures 0.56, near-silence -100 dBFS. The noise threshold sits at twice the
flattest music: pink noise (0.14-0.15), brown noise and hum (0.00) are not flagged, because
music comes too close to them for a flatness rule to tell them apart.

Notebook: 08_external_songs (``genrelib predict``), 11_own_collection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SILENCE_DBFS = -60.0
"""Below this RMS level (dBFS) the input is silence (music measured: -31.2 dBFS at least)."""

NOISE_FLATNESS = 0.2
"""Above this median spectral flatness the input is noise (music measured: 0.104 at most)."""

N_FFT = 2048
"""Frame length of the flatness measurement, in samples."""

HOP_LENGTH = 512
"""Hop between frames of the flatness measurement, in samples."""


@dataclass(frozen=True)
class InputCheck:
    """What the signal measures, and the warning it earns (if any).

    Notebook: 08_external_songs.

    Attributes
    ----------
    level_dbfs : float
        Root-mean-square level of the signal, in dB relative to full scale.
    flatness : float
        Median spectral flatness of its frames, in [0, 1].
    """

    level_dbfs: float
    flatness: float

    @property
    def warning(self) -> str | None:
        """``"silence"``, ``"noise"`` or ``None`` (it may be music)."""
        if self.level_dbfs < SILENCE_DBFS:
            return "silence"
        if self.flatness > NOISE_FLATNESS:
            return "noise"
        return None

    @property
    def message(self) -> str | None:
        """One line for the user, naming the measurement and its threshold; ``None`` if none."""
        if self.warning == "silence":
            measured = f"level {self.level_dbfs:.0f} dBFS < {SILENCE_DBFS:g} dBFS"
        elif self.warning == "noise":
            measured = f"spectral flatness {self.flatness:.2f} > {NOISE_FLATNESS:g}"
        else:
            return None
        return f"looks like {self.warning} ({measured}): the genre is not meaningful"


def check_signal(y: np.ndarray) -> InputCheck:
    """Measure the level and spectral flatness of a mono signal.

    Notebook: 08_external_songs.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio in [-1, 1], at any sample rate (the flatness does not depend on it).

    Returns
    -------
    InputCheck
    """
    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        return InputCheck(level_dbfs=float("-inf"), flatness=0.0)
    level = 10 * np.log10(float(np.mean(np.square(y, dtype=np.float64))) + 1e-24)
    if level < SILENCE_DBFS:  # the flatness of digital silence is meaningless
        return InputCheck(level_dbfs=float(level), flatness=0.0)
    return InputCheck(level_dbfs=float(level), flatness=float(np.median(spectral_flatness(y))))


AMIN = 1e-10
"""Floor of the power spectrum before the logarithm (librosa's ``amin``)."""

FRAMES_PER_BLOCK = 1024
"""Frames transformed at once (bounds memory: 8 MB of float32 a block)."""


def spectral_flatness(y: np.ndarray) -> np.ndarray:
    """Spectral flatness of each frame, as ``librosa.feature.spectral_flatness(y=y,
    n_fft=N_FFT, hop_length=HOP_LENGTH)`` computes it (within float32 rounding, tested).

    Centred frames (zero padding of ``N_FFT // 2`` on each side), a periodic Hann window,
    the power spectrum floored at :data:`AMIN`, then its geometric over its arithmetic mean.
    Written with numpy because importing ``librosa.feature`` costs over a second per process,
    more than the whole check.

    Notebook: 08_external_songs (through :func:`check_signal`).

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio.

    Returns
    -------
    np.ndarray, float64, shape (1 + n_samples // HOP_LENGTH,)
    """
    padded = np.pad(np.asarray(y, dtype=np.float32), N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP_LENGTH]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    flatness = np.empty(len(frames))
    for start in range(0, len(frames), FRAMES_PER_BLOCK):
        spectrum = np.fft.rfft(frames[start : start + FRAMES_PER_BLOCK] * window, axis=1)
        power = np.maximum(AMIN, np.abs(spectrum) ** 2)
        geometric = np.exp(np.mean(np.log(power), axis=1))
        flatness[start : start + FRAMES_PER_BLOCK] = geometric / np.mean(power, axis=1)
    return flatness

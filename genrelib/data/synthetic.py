"""A deterministic synthetic 10-genre dataset: the default data of the smoke profile.

Each genre is a small recipe (tempo range, swing, 16-step drum patterns, chord
progression and comping rhythm, bass line, melody density, register, timbre,
distortion), rendered with numpy only: wavetable notes, noise and sine-sweep drums.
Examples: metal is fast, double-kicked and distorted; classical has no drums and
sustained detuned string pads; reggae skanks on the offbeats over a one-drop; disco
kicks on every beat; jazz and blues swing. Every clip varies key, tempo, levels,
timbre and groove with its seed; clips ``2k`` and ``2k+1`` of a genre share a
pseudo-artist (``"synthetic <genre> <k>"``) whose sound they have in common, so
artist-disjoint splits are harder than track splits here too.

The audio is clearly synthetic and only exercises the pipeline: accuracies measured
on it say nothing about GTZAN.

Notebook: 01_dataset (and every chapter in the smoke profile).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from genrelib.config import GENRES, SAMPLE_RATE, _stable_key, cache_dir
from genrelib.errors import ConfigError
from genrelib.progress import tqdm

GENERATOR_VERSION = 1
"""Bumped whenever the recipes change, so older caches are not reused."""

CLIPS_PER_ARTIST = 2
"""Consecutive clips of a genre that share one pseudo-artist."""

_TABLE_SIZE = 4096
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_BLUES = (0, 3, 5, 6, 7, 10)
_PENTA = (0, 2, 4, 7, 9)

# chord qualities: semitones above the chord root
_MAJ, _MIN, _DOM7, _MIN7, _MAJ7, _POWER = (
    (0, 4, 7),
    (0, 3, 7),
    (0, 4, 7, 10),
    (0, 3, 7, 10),
    (0, 4, 7, 11),
    (0, 7, 12),
)


@dataclass(frozen=True)
class _Style:
    """Recipe of one genre. Patterns have 16 steps (sixteenth notes) per bar."""

    bpm: tuple[float, float]
    swing: float  # 0 straight, 1 triplet shuffle of the offbeat eighths
    kick: str
    snare: str
    hat: str
    progression: tuple[tuple[int, tuple[int, ...]], ...]  # (root semitone, quality) per bar
    comp: tuple[tuple[int, int], ...]  # (step, length in steps) of chord hits in a bar
    bass: tuple[tuple[int, int, int], ...]  # (step, length, semitones above chord root)
    melody_density: float  # probability of a note on each eighth
    scale: tuple[int, ...]
    chord_octave: int  # MIDI note of the key's root for chords
    harmonics: int
    tilt: float  # harmonic amplitudes fall as h ** -tilt
    attack: float  # seconds
    decay: float  # 1/seconds
    distortion: float  # tanh drive of the chord bus (0: clean)
    kick_808: bool = False
    ride: str = ""
    open_hat: str = ""
    detune: float = 0.0  # relative detune of a second voice (ensemble strings)
    loudness: float = 0.1  # target RMS


_I_IV_V = ((0, _MAJ), (5, _MAJ), (7, _MAJ), (5, _MAJ))
_STYLES: dict[str, _Style] = {
    "blues": _Style(
        (68, 88),
        1.0,
        "x.......x.......",
        "....x.......x...",
        "x.x.x.x.x.x.x.x.",
        ((0, _DOM7),) * 4
        + ((5, _DOM7),) * 2
        + ((0, _DOM7),) * 2
        + ((7, _DOM7), (5, _DOM7), (0, _DOM7), (7, _DOM7)),
        ((0, 2), (2, 2), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2), (14, 2)),
        ((0, 4, 0), (4, 4, 4), (8, 4, 7), (12, 4, 9)),
        0.35,
        _BLUES,
        55,
        8,
        1.2,
        0.005,
        4.0,
        2.0,
    ),
    "classical": _Style(
        (56, 76),
        0.0,
        "",
        "",
        "",
        ((0, _MAJ), (9, _MIN), (5, _MAJ), (7, _DOM7)),
        ((0, 16),),
        ((0, 16, 0),),
        0.45,
        _MAJOR,
        60,
        6,
        1.8,
        0.35,
        0.3,
        0.0,
        detune=0.004,
        loudness=0.05,
    ),
    "country": _Style(
        (96, 124),
        0.0,
        "x.......x.......",
        "....o.......o...",
        "x.x.x.x.x.x.x.x.",
        _I_IV_V,
        ((4, 1), (6, 1), (12, 1), (14, 1)),
        ((0, 4, 0), (8, 4, 7)),
        0.4,
        _PENTA,
        57,
        10,
        0.9,
        0.002,
        9.0,
        0.0,
    ),
    "disco": _Style(
        (114, 128),
        0.0,
        "x...x...x...x...",
        "....x.......x...",
        "o.o.o.o.o.o.o.o.",
        ((0, _MIN7), (5, _MIN7), (3, _MAJ7), (7, _MIN7)),
        ((2, 1), (6, 1), (10, 1), (14, 1)),
        (
            (0, 2, 0),
            (2, 2, 12),
            (4, 2, 0),
            (6, 2, 12),
            (8, 2, 0),
            (10, 2, 12),
            (12, 2, 0),
            (14, 2, 12),
        ),
        0.3,
        _MINOR,
        62,
        7,
        0.8,
        0.01,
        5.0,
        0.0,
        open_hat="..x...x...x...x.",
    ),
    "hiphop": _Style(
        (84, 96),
        0.25,
        "x......x..x.....",
        "....x.......x...",
        "x.x.x.x.x.xxx.x.",
        ((0, _MIN7), (0, _MIN7), (8, _MAJ7), (7, _MIN7)),
        ((0, 6), (8, 6)),
        ((0, 6, 0), (7, 3, 0), (10, 6, 0)),
        0.12,
        _MINOR,
        51,
        4,
        2.0,
        0.02,
        1.5,
        0.0,
        kick_808=True,
        loudness=0.12,
    ),
    "jazz": _Style(
        (120, 176),
        1.0,
        "o.......o.......",
        "....o.......o...",
        "....x.......x...",
        ((2, _MIN7), (7, _DOM7), (0, _MAJ7), (9, _DOM7)),
        ((6, 2), (14, 2)),
        ((0, 4, 0), (4, 4, 4), (8, 4, 7), (12, 4, 11)),
        0.55,
        _MAJOR,
        58,
        5,
        1.6,
        0.01,
        3.0,
        0.0,
        ride="x...x.x.x...x.x.",
        loudness=0.07,
    ),
    "metal": _Style(
        (140, 190),
        0.0,
        "xxxxxxxxxxxxxxxx",
        "....x.......x...",
        "",
        ((0, _POWER), (0, _POWER), (3, _POWER), (5, _POWER)),
        ((0, 2), (2, 2), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2), (14, 2)),
        ((0, 2, 0), (2, 2, 0), (4, 2, 0), (6, 2, 0), (8, 2, 0), (10, 2, 0), (12, 2, 0), (14, 2, 0)),
        0.1,
        _MINOR,
        40,
        10,
        0.7,
        0.002,
        1.0,
        12.0,
        ride="x...x...x...x...",
        loudness=0.2,
    ),
    "pop": _Style(
        (100, 128),
        0.0,
        "x.....x.x.......",
        "....x.......x...",
        "x.x.x.x.x.x.x.x.",
        ((0, _MAJ), (7, _MAJ), (9, _MIN), (5, _MAJ)),
        ((0, 3), (3, 3), (6, 2), (8, 3), (11, 3), (14, 2)),
        ((0, 3, 0), (3, 3, 0), (6, 2, 0), (8, 3, 0), (11, 3, 0), (14, 2, 0)),
        0.5,
        _MAJOR,
        64,
        6,
        1.0,
        0.005,
        2.5,
        0.0,
        loudness=0.13,
    ),
    "reggae": _Style(
        (68, 84),
        0.3,
        "........x.......",
        "........x.......",
        "x.x.x.x.x.x.x.x.",
        ((0, _MIN), (5, _MIN), (0, _MIN), (7, _MIN)),
        ((2, 1), (6, 1), (10, 1), (14, 1)),
        ((0, 3, 0), (4, 2, 7), (7, 1, 10), (8, 4, 0), (13, 2, 3)),
        0.15,
        _MINOR,
        60,
        8,
        1.0,
        0.002,
        14.0,
        0.0,
        loudness=0.1,
    ),
    "rock": _Style(
        (108, 140),
        0.0,
        "x.....x.x.......",
        "....x.......x...",
        "x.x.x.x.x.x.x.x.",
        ((0, _POWER), (10, _POWER), (5, _POWER), (0, _POWER)),
        ((0, 2), (2, 2), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2), (14, 2)),
        ((0, 2, 0), (2, 2, 0), (4, 2, 0), (6, 2, 0), (8, 2, 0), (10, 2, 0), (12, 2, 0), (14, 2, 0)),
        0.3,
        _PENTA,
        45,
        10,
        0.8,
        0.003,
        1.5,
        4.0,
        loudness=0.15,
    ),
}


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


class _Renderer:
    """Renders the events of one clip into a float64 buffer."""

    def __init__(self, n_samples: int, rng: np.random.Generator) -> None:
        self.n = n_samples
        self.rng = rng
        self._cache: dict[tuple, np.ndarray] = {}

    def place(self, out: np.ndarray, start: float, wave: np.ndarray, amp: float) -> None:
        """Add ``amp * wave`` into ``out`` from time ``start`` (seconds)."""
        begin = int(round(start * SAMPLE_RATE))
        if begin >= self.n or begin < 0:
            return
        stop = min(self.n, begin + len(wave))
        out[begin:stop] += amp * wave[: stop - begin]

    def note(
        self,
        table: np.ndarray,
        hz: float,
        seconds: float,
        attack: float,
        decay: float,
        detune: float = 0.0,
    ) -> np.ndarray:
        """Wavetable note with linear attack, exponential decay and a 10 ms release."""
        key = (id(table), round(hz, 3), round(seconds, 3), attack, decay, detune)
        if key not in self._cache:
            n = max(1, int(seconds * SAMPLE_RATE))
            t = np.arange(n) / SAMPLE_RATE
            index = (hz * t * _TABLE_SIZE).astype(np.int64) % _TABLE_SIZE
            wave = table[index]
            if detune:
                index2 = (hz * (1 + detune) * t * _TABLE_SIZE).astype(np.int64) % _TABLE_SIZE
                wave = 0.5 * (wave + table[index2])
            envelope = np.minimum(1.0, t / max(attack, 1e-4)) * np.exp(-decay * t)
            envelope *= np.minimum(1.0, (seconds - t) / 0.01).clip(0, 1)
            self._cache[key] = wave * envelope
        return self._cache[key]

    def drum(self, kind: str) -> np.ndarray:
        """One-shot drum sounds: kick, 808, snare, hat, open hat, ride."""
        if kind not in self._cache:
            t = np.arange(int(0.6 * SAMPLE_RATE)) / SAMPLE_RATE
            noise = self.rng.standard_normal(len(t))
            if kind in ("kick", "808"):
                low, length = (38.0, 0.6) if kind == "808" else (48.0, 0.25)
                freq = low + 90.0 * np.exp(-t * 35.0)
                wave = np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE) * np.exp(-t / length * 4)
            elif kind == "snare":
                tone = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t * 30)
                wave = (0.6 * noise * np.exp(-t * 22) + 0.5 * tone) * 0.8
            else:
                bright = np.diff(noise, prepend=0.0)
                rate = {"hat": 60.0, "open_hat": 12.0, "ride": 7.0}[kind]
                wave = 0.35 * bright * np.exp(-t * rate)
                if kind == "ride":
                    bell = sum(np.sin(2 * np.pi * f * t) for f in (3150.0, 4420.0, 5870.0))
                    wave += 0.08 * bell * np.exp(-t * 5)
            self._cache[kind] = wave
        return self._cache[kind]


def _wavetable(harmonics: int, tilt: float) -> np.ndarray:
    phase = np.arange(_TABLE_SIZE) / _TABLE_SIZE
    h = np.arange(1, harmonics + 1)
    table = (h**-tilt) @ np.sin(2 * np.pi * np.outer(h, phase))
    return table / np.abs(table).max()


def _step_times(
    n_bars: int, bpm: float, swing: float, jitter: float, rng: np.random.Generator
) -> np.ndarray:
    """Onset time (s) of every sixteenth step, shape (n_bars, 16), swung and humanised."""
    beat = 60.0 / bpm
    steps = np.arange(16) * beat / 4
    steps[2::4] += swing * beat / 6  # offbeat eighths move towards the triplet position
    times = np.arange(n_bars)[:, None] * 4 * beat + steps[None, :]
    return times + rng.normal(0.0, jitter, times.shape)


def synthesize_clip(genre: str, index: int, seconds: float, seed: int = 0) -> np.ndarray:
    """Render one deterministic synthetic clip of ``genre``.

    Notebook: 01_dataset.

    Parameters
    ----------
    genre : str
        One of :data:`~genrelib.config.GENRES`.
    index : int
        Clip number within the genre (>= 0); clips ``2k`` and ``2k+1`` share a
        pseudo-artist.
    seconds : float
        Length in seconds (> 0).
    seed : int
        Dataset seed; the same (genre, index, seconds, seed) always gives the same clip.

    Returns
    -------
    numpy.ndarray
        Shape (round(seconds * 22050),), float32, mono, in [-1, 1].
    """
    if genre not in _STYLES:
        raise ConfigError(f"unknown genre {genre!r}; choose one of {GENRES}")
    if index < 0 or seconds <= 0:
        raise ConfigError(f"need index >= 0 and seconds > 0, got index={index}, seconds={seconds}")
    style = _STYLES[genre]
    g = GENRES.index(genre)
    artist = np.random.default_rng([seed, g, 1_000_000 + index // CLIPS_PER_ARTIST])
    rng = np.random.default_rng([seed, g, index])
    n = int(round(seconds * SAMPLE_RATE))
    render = _Renderer(n, rng)

    # the pseudo-artist fixes a tempo centre, key centre and timbre; the clip varies them
    bpm = artist.uniform(*style.bpm) * rng.uniform(0.97, 1.03)
    key = int(artist.integers(0, 12) + rng.integers(-1, 2)) % 12
    tilt = style.tilt * artist.uniform(0.8, 1.25)
    levels = 10 ** (rng.uniform(-3, 3, size=4) / 20)  # drums, chords, bass, melody
    drive = style.distortion * artist.uniform(0.7, 1.4)
    table = _wavetable(style.harmonics, tilt)
    bass_table = _wavetable(3, 2.0)
    lead_table = _wavetable(max(2, style.harmonics // 2), tilt + 0.3)

    beat = 60.0 / bpm
    step = beat / 4
    n_bars = int(np.ceil(seconds / (4 * beat))) + 1
    times = _step_times(n_bars, bpm, style.swing, 0.004, rng)
    start_bar = int(rng.integers(0, len(style.progression)))

    drums = np.zeros(n)
    patterns = (
        ("808" if style.kick_808 else "kick", style.kick, 1.0),
        ("snare", style.snare, 0.8),
        ("hat", style.hat, 0.35),
        ("open_hat", style.open_hat, 0.35),
        ("ride", style.ride, 0.4),
    )
    for kind, pattern, gain in patterns:
        for s, symbol in enumerate(pattern):
            if symbol == ".":
                continue
            velocity = gain * (0.4 if symbol == "o" else 1.0)
            for bar in range(n_bars):
                amp = velocity * rng.uniform(0.8, 1.0)
                render.place(drums, times[bar, s], render.drum(kind), amp)

    chords = np.zeros(n)
    bass = np.zeros(n)
    for bar in range(n_bars):
        root, quality = style.progression[(start_bar + bar) % len(style.progression)]
        chord_root = style.chord_octave + key + root
        for s, length in style.comp:
            for interval in quality:
                wave = render.note(
                    table,
                    _midi_hz(chord_root + interval),
                    length * step,
                    style.attack,
                    style.decay,
                    style.detune,
                )
                render.place(chords, times[bar, s], wave, rng.uniform(0.8, 1.0) / len(quality))
        for s, length, interval in style.bass:
            hz = _midi_hz(36 + (key + root) % 12 + interval)
            wave = render.note(bass_table, hz, length * step * 0.9, 0.005, 2.0)
            render.place(bass, times[bar, s], wave, rng.uniform(0.8, 1.0))
    if drive:
        chords = np.tanh(drive * chords) / np.tanh(drive)

    melody = np.zeros(n)
    register = style.chord_octave + 12 + key
    degree = int(rng.integers(0, len(style.scale)))
    for bar in range(n_bars):
        for s in range(0, 16, 2):
            if rng.random() >= style.melody_density:
                continue
            degree = int(np.clip(degree + rng.integers(-2, 3), 0, 2 * len(style.scale) - 1))
            octave, position = divmod(degree, len(style.scale))
            hz = _midi_hz(register + 12 * octave + style.scale[position])
            length = step * (2 if rng.random() < 0.6 else 4)
            wave = render.note(lead_table, hz, length, min(style.attack, 0.05), style.decay)
            render.place(melody, times[bar, s], wave, rng.uniform(0.6, 1.0))

    mix = levels[0] * drums + levels[1] * chords + 0.8 * levels[2] * bass
    mix += 0.5 * levels[3] * melody + 1e-3 * rng.standard_normal(n)
    rms = np.sqrt(np.mean(mix**2)) + 1e-12
    mix *= style.loudness * rng.uniform(0.8, 1.25) / rms
    return np.tanh(mix).astype(np.float32)


def _dataset_key(n_per_genre: int, seconds: float, seed: int) -> str:
    payload = {
        "n_per_genre": n_per_genre,
        "seconds": float(seconds),
        "seed": seed,
        "version": GENERATOR_VERSION,
    }
    return _stable_key(payload)


def synthetic_artist(genre: str, index: int) -> str:
    """Pseudo-artist of synthetic clip ``index`` of ``genre``, e.g. ``"synthetic jazz 0"``.

    Notebook: 09_honest_evaluation.
    """
    return f"synthetic {genre} {index // CLIPS_PER_ARTIST}"


_README = """SYNTHETIC DATA - NOT GTZAN.

Generated by genrelib.data.synthetic (generator version {version}) with
n_per_genre={n_per_genre}, seconds={seconds}, seed={seed}: {total} clips at 22,050 Hz,
16-bit mono WAV, in the GTZAN folder layout genres/<genre>/<genre>.NNNNN.wav.
Each genre is a simple hand-written recipe (tempo, drum pattern, chords, bass,
timbre). It exists so that every chapter of the genrelib book runs in seconds
without GTZAN; results on it say nothing about real music.
"""


def synthetic_dataset(
    n_per_genre: int,
    seconds: float,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    progress: bool = True,
) -> Path:
    """Write (once) and return a synthetic dataset in the GTZAN layout.

    The dataset is built in a temporary folder and renamed into place, so a folder
    that exists is complete. It holds ``genres/<genre>/<genre>.NNNNN.wav`` (16-bit,
    22,050 Hz, mono), ``genres/track_metadata.csv`` (pseudo-artists, read by
    :func:`~genrelib.data.gtzan.index_gtzan`) and a ``README.txt`` saying it is
    synthetic.

    Notebook: 01_dataset (and every chapter in the smoke profile, through
    :func:`~genrelib.data.resolve.resolve_data_dir`).

    Parameters
    ----------
    n_per_genre : int
        Clips per genre (>= 1).
    seconds : float
        Length of each clip, in seconds (> 0).
    seed : int
        Dataset seed.
    root : path-like or None
        Parent folder; ``None`` means ``cache_dir() / "synthetic"``.
    progress : bool
        Show a progress bar while generating.

    Returns
    -------
    pathlib.Path
        ``<root>/<key>``, where ``key`` hashes the arguments and the generator version.
    """
    if int(n_per_genre) != n_per_genre or n_per_genre < 1:
        raise ConfigError(f"n_per_genre must be a positive integer, got {n_per_genre!r}")
    if not seconds > 0:
        raise ConfigError(f"seconds must be positive, got {seconds!r}")
    n_per_genre = int(n_per_genre)
    parent = Path(root) if root is not None else cache_dir() / "synthetic"
    target = parent / _dataset_key(n_per_genre, seconds, seed)
    if target.is_dir():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        rows = []
        jobs = [(genre, i) for genre in GENRES for i in range(n_per_genre)]
        for genre, i in tqdm(jobs, desc="synthetic clips", disable=not progress):
            folder = staging / "genres" / genre
            folder.mkdir(parents=True, exist_ok=True)
            track_id = f"{genre}.{i:05d}"
            clip = synthesize_clip(genre, i, seconds, seed)
            sf.write(folder / f"{track_id}.wav", clip, SAMPLE_RATE, subtype="PCM_16")
            rows.append((track_id, synthetic_artist(genre, i), f"synthetic {genre} clip {i}"))
        table = pd.DataFrame(rows, columns=["track_id", "artist", "title"])
        table.to_csv(staging / "genres" / "track_metadata.csv", index=False)
        (staging / "README.txt").write_text(
            _README.format(
                version=GENERATOR_VERSION,
                n_per_genre=n_per_genre,
                seconds=seconds,
                seed=seed,
                total=len(jobs),
            )
        )
        staging.chmod(0o755)  # mkdtemp makes it private
        os.replace(staging, target)
    except OSError:
        if not target.is_dir():  # another process may have finished first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

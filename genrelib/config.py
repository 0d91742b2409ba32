"""Configuration objects that travel from a notebook's parameters cell to the code that uses them.

Three small frozen dataclasses carry every setting that changes a result:

* :class:`MelConfig`, the mel spectrogram (the paper's Table II, or the authors' code);
* :class:`ChunkConfig`, how a track is trimmed and cut into chunks;
* :class:`Profile`, the size of a run (``smoke`` in CI, ``cpu`` on the real clips,
  ``full`` on the whole of GTZAN with a GPU).

Each has a stable :meth:`key` used to name caches and checkpoints, so nothing made
with one configuration is ever read back as if made with another.

Notebook: 02_preprocessing (and every chapter through its ``profile`` parameter).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from genrelib.errors import ConfigError

if TYPE_CHECKING:
    import joblib

SAMPLE_RATE = 22_050
"""Sample rate of GTZAN and of every signal inside genrelib, in Hz."""

AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
"""File extensions read as audio clips (compared case-insensitively)."""

PREDICT_BATCH_SIZE = 8
"""Chunks per forward pass when predicting songs (``genrelib predict --batch-size``). On a
2-core CPU the base CRNN predicted a 3-minute song in the same time with 8 as with 32
(``bench/bench_predict.py``) and peaked 340 MB lower; it changes no result."""

GENRES: tuple[str, ...] = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
"""The ten GTZAN genres, in the order used for class indices everywhere."""


def class_order(names) -> list[str]:
    """The order to show labels in: GTZAN's ten genres when every name is one, else sorted.

    A collection of your own (:mod:`genrelib.data.collection`) has labels of its own; its
    classes are its labels sorted, as torchvision's ``ImageFolder`` has them.

    Notebook: 01_dataset (GTZAN's genres); ``genrelib train --data-dir`` (a collection's labels).

    Parameters
    ----------
    names : iterable of str
        The labels present (e.g. a track table's ``genre`` column).
    """
    present = set(names)
    return list(GENRES) if present <= set(GENRES) else sorted(present)


CHUNK_LENGTHS: tuple[float, ...] = (30.0, 10.0, 3.0, 1.0)
"""Chunk lengths studied by the paper (its Table V), in seconds."""

SPLIT_PROTOCOLS: tuple[str, ...] = ("paper", "track", "artist", "fault-filtered")
"""Split protocols: the paper's random split over chunks, then track-level, artist-disjoint
and the fault-filtered lists (``genrelib.data.splits``)."""

EDITIONS: tuple[str, ...] = ("teacher", "student")
"""Book editions: ``teacher``, solutions collapsed under each exercise; ``student``, none."""
DOWNLOAD_SUBSETS: tuple[str, ...] = ("mini", "full")
"""What ``genrelib data download --subset`` fetches: the 100 ``gtzan_mini`` clips or all of
GTZAN (``genrelib.data.download``)."""

DEEP_MODELS: tuple[str, ...] = ("base_crnn", "extended_crnn", "resnet18")
"""Deep models of the paper (``genrelib.models``)."""

BASELINES: tuple[str, ...] = (
    "svm",
    "svm_tuned",
    "knn_1",
    "knn_5",
    "knn_tuned",
    "random_forest",
    "logistic_regression",
)
"""Table IV baselines (``genrelib.baselines``)."""

NO_TRAINING_ENV = "GENRELIB_NO_TRAINING"
"""Environment variable that switches training off: chapters only read stored runs back
(``genrelib book run --no-train``; :func:`genrelib.experiments.training_allowed`)."""

DEFAULT_BASELINES: tuple[str, ...] = ("svm_tuned", "knn_5", "random_forest", "logistic_regression")
"""Baselines chapter 09 runs by default (the tuned SVM is the paper's best Table IV model)."""


def _stable_key(payload: dict) -> str:
    """Return a short hash of a JSON-serialisable dict (used for cache and file names)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class MelConfig:
    """Parameters of the log-mel spectrogram.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    sample_rate : int
        Sample rate of the input signal, in Hz.
    n_fft : int
        FFT size, in samples.
    hop_length : int
        Hop between frames, in samples. The paper's Table II says 67 (3.0 ms);
        the authors' code used 256 (11.6 ms).
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Lowest and highest frequency of the mel filterbank, in Hz.
    db_reference : {"one", "max"}
        Reference of the dB conversion: ``"one"`` gives log-power in dB relative to
        1.0 (Table II), ``"max"`` relative to the loudest bin of each spectrogram
        (``librosa.power_to_db(S, ref=np.max)``, the authors' code).
    top_db : float or None
        Dynamic range kept below the peak, in dB (``None`` keeps all).
    name : str
        Human-readable name shown in tables and plots.
    """

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 2048
    hop_length: int = 67
    n_mels: int = 192
    fmin: float = 0.0
    fmax: float = 8000.0
    db_reference: Literal["one", "max"] = "one"
    top_db: float | None = 80.0
    name: str = "paper"

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.n_fft <= 0 or self.hop_length <= 0 or self.n_mels <= 0:
            raise ConfigError(
                f"MelConfig: sample_rate, n_fft, hop_length and n_mels must be positive, got {self}"
            )
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ConfigError(
                f"MelConfig: need 0 <= fmin < fmax <= sample_rate/2, got fmin={self.fmin}, "
                f"fmax={self.fmax}, sample_rate={self.sample_rate}"
            )
        if self.db_reference not in ("one", "max"):
            raise ConfigError(
                f"MelConfig: db_reference must be 'one' or 'max', got {self.db_reference!r}"
            )

    @classmethod
    def paper(cls) -> MelConfig:
        """Table II of the paper: 22,050 Hz, 192 mels up to 8 kHz, hop 67, log-power."""
        return cls()

    @classmethod
    def authors_code(cls) -> MelConfig:
        """What the authors' code computed: n_fft 2048, hop 256, dB relative to the maximum."""
        return cls(hop_length=256, db_reference="max", name="authors_code")

    @classmethod
    def named(cls, name: str) -> MelConfig:
        """Return the preset called ``name`` (``"paper"`` or ``"authors_code"``)."""
        presets = {"paper": cls.paper, "authors_code": cls.authors_code}
        if name not in presets:
            raise ConfigError(f"unknown mel preset {name!r}; choose one of {sorted(presets)}")
        return presets[name]()

    def n_frames(self, n_samples: int) -> int:
        """Number of spectrogram frames for ``n_samples`` input samples (centred frames)."""
        return 1 + n_samples // self.hop_length

    @property
    def frame_seconds(self) -> float:
        """Time between two frames, in seconds."""
        return self.hop_length / self.sample_rate

    def key(self) -> str:
        """Stable short hash of every field that changes the spectrogram."""
        payload = asdict(self)
        payload.pop("name")
        return _stable_key(payload)


@dataclass(frozen=True)
class ChunkConfig:
    """How a track is cut into chunks.

    Every track is first fixed to ``track_seconds`` (trimmed, or zero-padded by at most
    ``pad_tolerance_seconds``; GTZAN clips last 29.9-30.7 s), then split evenly into
    ``floor(track_seconds / chunk_seconds)`` chunks, as the paper does. Every chunk
    keeps the id of its track.

    With ``variable_length`` (a collection of your own, whose tracks last what they last),
    ``track_seconds`` is a cap instead: a longer track keeps its middle ``track_seconds``,
    a shorter one gives as many whole chunks as it holds (at least one: a track shorter
    than one chunk is zero-padded by at most ``pad_tolerance_seconds``, else refused).

    Notebook: 02_preprocessing.

    Parameters
    ----------
    chunk_seconds : float
        Length of one chunk, in seconds (the paper: 30, 10, 3 or 1).
    track_seconds : float
        Common length every track is fixed to before chunking, in seconds.
    pad_tolerance_seconds : float
        A track at most this much shorter than ``track_seconds`` is zero-padded; a
        shorter one raises :class:`~genrelib.errors.TrackTooShortError`.
    sample_rate : int
        Sample rate, in Hz.
    variable_length : bool
        Tracks give a varying number of chunks, at most ``chunks_per_track`` (above).
    """

    chunk_seconds: float = 3.0
    track_seconds: float = 30.0
    pad_tolerance_seconds: float = 0.5
    sample_rate: int = SAMPLE_RATE
    variable_length: bool = False

    def __post_init__(self) -> None:
        if self.chunk_seconds <= 0 or self.track_seconds <= 0:
            raise ConfigError(
                f"ChunkConfig: chunk_seconds and track_seconds must be positive, got {self}"
            )
        if self.chunk_seconds > self.track_seconds:
            raise ConfigError(
                f"ChunkConfig: chunk_seconds={self.chunk_seconds} is longer than "
                f"track_seconds={self.track_seconds}"
            )
        if self.pad_tolerance_seconds < 0:
            raise ConfigError("ChunkConfig: pad_tolerance_seconds must be >= 0")

    @property
    def chunk_samples(self) -> int:
        """Samples in one chunk."""
        return int(round(self.chunk_seconds * self.sample_rate))

    @property
    def track_samples(self) -> int:
        """Samples in one track after fixing its length."""
        return int(round(self.track_seconds * self.sample_rate))

    @property
    def chunks_per_track(self) -> int:
        """Number of chunks cut from one track (the most, with ``variable_length``)."""
        return self.track_samples // self.chunk_samples

    def to_dict(self) -> dict:
        """The fields, ``variable_length`` only when set (so fixed-length keys never change)."""
        fields = asdict(self)
        if not self.variable_length:
            del fields["variable_length"]
        return fields

    def key(self) -> str:
        """Stable short hash of every field that changes the chunks."""
        return _stable_key(self.to_dict())


ProfileName = Literal["smoke", "cpu", "full"]


@dataclass(frozen=True)
class Profile:
    """How big a run is: which data, how many epochs, which grid.

    ``smoke`` runs every chapter in seconds on the synthetic dataset (CI);
    ``cpu`` uses the real GTZAN clips you point ``data_dir`` at (e.g. 100 clips) on a CPU;
    ``full`` is the paper's setting on the whole of GTZAN, meant for a GPU.

    Notebook: every chapter (its ``profile`` parameter).

    Parameters
    ----------
    name : {"smoke", "cpu", "full"}
        Profile name.
    dataset : {"synthetic", "gtzan"}
        ``"synthetic"`` generates the embedded default dataset; ``"gtzan"`` needs a
        GTZAN folder (``data_dir`` parameter, ``--data-dir`` or ``GTZAN_DIR``).
    synthetic_per_genre : int
        Clips per genre of the synthetic dataset.
    synthetic_seconds : float
        Length of each synthetic clip, in seconds.
    mel : MelConfig
        Spectrogram parameters.
    track_seconds : float
        Common track length before chunking, in seconds.
    chunk_seconds : float
        Chunk length used by chapters 04-06, in seconds.
    chunk_grid : tuple of float
        Chunk lengths of the chapter 07 grid, in seconds.
    max_epochs : int
        Upper bound on training epochs (early stopping usually ends sooner).
    patience : int
        Early-stopping patience, in epochs without a better validation loss.
    batch_size : int
        Mini-batch size.
    n_seeds : int
        Seeds per configuration for multi-seed results.
    max_train_chunks : int or None
        Cap on training chunks per epoch (``None``: all). Keeps CPU profiles short.
    grid_models : tuple of str
        Models trained by the chapter 07 grid (names from ``genrelib.models``).
    """

    name: ProfileName
    dataset: Literal["synthetic", "gtzan"]
    synthetic_per_genre: int
    synthetic_seconds: float
    mel: MelConfig
    track_seconds: float
    chunk_seconds: float
    chunk_grid: tuple[float, ...]
    max_epochs: int
    patience: int
    batch_size: int
    n_seeds: int
    max_train_chunks: int | None = None
    grid_models: tuple[str, ...] = ("base_crnn", "extended_crnn", "resnet18")

    def chunk_config(self, chunk_seconds: float | None = None) -> ChunkConfig:
        """Return the :class:`ChunkConfig` for this profile (``chunk_seconds`` overrides)."""
        return ChunkConfig(
            chunk_seconds=self.chunk_seconds if chunk_seconds is None else float(chunk_seconds),
            track_seconds=self.track_seconds,
        )

    def with_overrides(self, **changes) -> Profile:
        """Return a copy with some fields changed (e.g. from a papermill parameter)."""
        return replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        dataset="synthetic",
        synthetic_per_genre=6,
        synthetic_seconds=30.0,
        mel=MelConfig.authors_code(),
        track_seconds=30.0,
        chunk_seconds=3.0,
        chunk_grid=(3.0, 1.0),  # the 30-s and 10-s cells carry 3-10x more audio per epoch
        max_epochs=2,
        patience=1,
        batch_size=16,
        n_seeds=2,
        max_train_chunks=128,
        grid_models=("base_crnn",),
    ),
    "cpu": Profile(
        name="cpu",
        dataset="gtzan",
        synthetic_per_genre=10,
        synthetic_seconds=30.0,
        # Hop 256 (the authors' code) makes 3.8x fewer frames than Table II's hop 67, which
        # is what keeps a CPU run to minutes per epoch; chapter 10 measures what hop 67 changes.
        mel=MelConfig.authors_code(),
        track_seconds=30.0,
        chunk_seconds=3.0,
        chunk_grid=CHUNK_LENGTHS,
        max_epochs=15,  # CPU budget: about 3-9 min per epoch for the base CRNN on 2 cores
        patience=10,
        batch_size=32,
        n_seeds=3,
        grid_models=("base_crnn", "extended_crnn"),
    ),
    "full": Profile(
        name="full",
        dataset="gtzan",
        synthetic_per_genre=100,
        synthetic_seconds=30.0,
        mel=MelConfig.paper(),
        track_seconds=30.0,
        chunk_seconds=1.0,
        chunk_grid=CHUNK_LENGTHS,
        max_epochs=200,
        patience=10,
        batch_size=64,
        n_seeds=5,
    ),
}
"""The three run sizes. Notebook: every chapter."""


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``.

    Notebook: every chapter (first code cell after the parameters).

    Raises
    ------
    ConfigError
        If ``name`` is not one of ``smoke``, ``cpu``, ``full``.
    """
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[name]


def cache_dir() -> Path:
    """Folder for caches (spectrograms, features, synthetic audio, downloads).

    ``$GENRELIB_CACHE`` if set, else ``~/.cache/genrelib``. Created on first use.

    Notebook: 02_preprocessing.
    """
    root = Path(os.environ.get("GENRELIB_CACHE", Path.home() / ".cache" / "genrelib"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def disk_memo(*parts: str) -> joblib.Memory:
    """The on-disk memo of one kind of result: ``joblib.Memory`` under ``cache_dir()/<parts>``.

    A function cached with it (``disk_memo("probes").cache(fit)``) is computed once per
    argument values and its own code, then read back, across processes and sessions.

    Notebook: 03_baselines (tempos), 06b_music_transfer (probe fits), 09_honest_evaluation
    (bootstrap draws).
    """
    import joblib  # imported on use: genrelib predict never needs it

    return joblib.Memory(cache_dir().joinpath(*parts), verbose=0)

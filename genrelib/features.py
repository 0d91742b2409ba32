"""The 57 hand-crafted features of the Kaggle GTZAN tables, computed from audio.

The paper's baselines (its Table IV) were trained on the Kaggle "GTZAN Dataset - Music
Genre Classification" feature tables: one row per 30-s clip (``features_30_sec.csv``) or
per 3-s chunk (``features_3_sec.csv``), 57 features each. This module recomputes those
features from audio, with the same column names and order, for any chunk length.

How the table was made was read back from its values and confirmed to float32 precision
on the real clips (see ``book/03_baselines.ipynb``):

* one short-time Fourier transform with librosa's defaults (``n_fft=2048``,
  ``hop_length=512``, Hann window, centred frames) but with *reflect* padding at the
  edges, librosa's default before version 0.10 (it is now zero padding);
* mean and variance over frames of ``chroma_stft`` (of the power spectrogram),
  ``rms``, ``spectral_centroid``, ``spectral_bandwidth``, ``spectral_rolloff``,
  ``zero_crossing_rate`` and 20 ``mfcc`` (of the dB mel power spectrogram);
* ``harmony`` and ``perceptr`` are the mean and variance of the *waveforms* of the
  harmonic and percussive parts of ``librosa.effects.hpss`` (hence means near zero):
  the inverse STFT is taken without a target length and then zero-padded or cut to the
  input length, as older librosa did;
* ``tempo`` is librosa's global tempo estimate (beats per minute) from the median-
  aggregated onset strength, the value ``librosa.beat.beat_track`` returns;
* the 30-s rows use the whole file (``length`` = 661,794 samples for most clips),
  the 3-s rows consecutive chunks of it.

The table of a collection of your own (``compute_features(..., collection=True)``) has two
more columns, ``track_id`` (the file's path in the collection) and ``group`` (the manifest's
group, else empty), and labels of its own; its chunk rows cut each track as the CRNNs do
(:func:`genrelib.audio.cut_track`, ``variable_length``).

Notebook: 03_baselines.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.ndimage import median_filter

from genrelib.atomic import atomic_write, file_lock
from genrelib.audio.chunking import cut_track
from genrelib.audio.io import load_audio
from genrelib.config import GENRES, SAMPLE_RATE, ChunkConfig, cache_dir, get_profile
from genrelib.data.gtzan import index_gtzan
from genrelib.data.resolve import resolve_data_dir
from genrelib.errors import AudioDecodeError, ConfigError, DatasetNotFoundError, GenrelibError
from genrelib.progress import tqdm

FEATURE_VERSION = "kaggle-v1"
"""Version of the feature recipe; part of every cache key (bump it when the recipe changes)."""

N_FFT = 2048
"""FFT size of every spectral feature, in samples."""

HOP_LENGTH = 512
"""Hop between frames of every frame-wise feature, in samples."""

N_MFCC = 20
"""Number of MFCCs."""

_FRAME_FEATURES: tuple[str, ...] = (
    "chroma_stft",
    "rms",
    "spectral_centroid",
    "spectral_bandwidth",
    "rolloff",
    "zero_crossing_rate",
    "harmony",
    "perceptr",
)

FEATURE_COLUMNS: tuple[str, ...] = (
    *(f"{name}_{stat}" for name in _FRAME_FEATURES for stat in ("mean", "var")),
    "tempo",
    *(f"mfcc{k}_{stat}" for k in range(1, N_MFCC + 1) for stat in ("mean", "var")),
)
"""The 57 feature columns, in the order of the Kaggle tables."""

TABLE_COLUMNS: tuple[str, ...] = ("filename", "length", *FEATURE_COLUMNS, "label")
"""Every column of a Kaggle-style feature table, in order."""

COLLECTION_COLUMNS: tuple[str, ...] = ("track_id", "group")
"""The columns a collection's feature table adds to :data:`TABLE_COLUMNS`."""


def signal_features(y: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Compute the 57 Kaggle-table features of one signal.

    Notebook: 03_baselines.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal, float, at ``sample_rate``. At least ``N_FFT`` samples.
    sample_rate : int
        Sample rate of ``y``, in Hz.

    Returns
    -------
    np.ndarray, shape (57,), float64
        Features in the order of :data:`FEATURE_COLUMNS`.

    Raises
    ------
    ConfigError
        If ``y`` is not 1-D or shorter than one FFT frame.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.shape[0] < N_FFT:
        raise ConfigError(
            f"signal_features needs a 1-D signal of at least {N_FFT} samples, got shape {y.shape}"
        )
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, pad_mode="reflect")
    magnitude = np.abs(stft)
    power = magnitude**2
    harmonic_stft, percussive_stft = hpss(stft)
    frame_features = {
        "chroma_stft": librosa.feature.chroma_stft(S=power, sr=sample_rate),
        "rms": librosa.feature.rms(
            y=y, frame_length=N_FFT, hop_length=HOP_LENGTH, pad_mode="reflect"
        ),
        "spectral_centroid": librosa.feature.spectral_centroid(S=magnitude, sr=sample_rate),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(S=magnitude, sr=sample_rate),
        "rolloff": librosa.feature.spectral_rolloff(S=magnitude, sr=sample_rate),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(
            y, frame_length=N_FFT, hop_length=HOP_LENGTH
        ),
        "harmony": _waveform(harmonic_stft, y.shape[0]),
        "perceptr": _waveform(percussive_stft, y.shape[0]),
    }
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sample_rate))
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)
    values: list[float] = []
    for name in _FRAME_FEATURES:
        values += _mean_var(frame_features[name])
    # The onset strength of librosa's tempo is the spectral flux of this very dB mel
    # spectrogram (same STFT, same mel bands): reusing it gives the same bits as tempo(y).
    onsets = librosa.onset.onset_strength(
        S=mel_db, sr=sample_rate, hop_length=HOP_LENGTH, aggregate=np.median
    )
    values.append(_tempo_of(onsets, sample_rate))
    for row in mfcc:
        values += _mean_var(row)
    return np.asarray(values, dtype=np.float64)


def tempo(y: np.ndarray, sample_rate: int = SAMPLE_RATE, pad_mode: str = "reflect") -> float:
    """Global tempo estimate of a signal, as in the Kaggle table's ``tempo`` column.

    librosa's tempo estimate from the median-aggregated onset strength (the value
    ``librosa.beat.beat_track`` returns). The spectrogram under the onset strength is
    padded with ``pad_mode`` at the edges: ``"reflect"`` (librosa before 0.10, what the
    table used) or ``"constant"`` (librosa's default since 0.10).

    Notebook: 03_baselines.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal.
    sample_rate : int
        Sample rate of ``y``, in Hz.
    pad_mode : {"reflect", "constant"}
        Edge padding of the centred STFT frames.

    Returns
    -------
    float
        Tempo, in beats per minute.
    """
    if pad_mode not in ("reflect", "constant"):
        raise ConfigError(f"pad_mode must be 'reflect' or 'constant', got {pad_mode!r}")
    onset_envelope = librosa.onset.onset_strength(
        y=np.asarray(y, dtype=np.float32),
        sr=sample_rate,
        hop_length=HOP_LENGTH,
        aggregate=np.median,
        pad_mode=pad_mode,
    )
    return _tempo_of(onset_envelope, sample_rate)


def _tempo_of(onset_envelope: np.ndarray, sample_rate: int) -> float:
    """librosa's global tempo (beats per minute) of an onset-strength envelope."""
    estimate = librosa.feature.tempo(
        onset_envelope=onset_envelope, sr=sample_rate, hop_length=HOP_LENGTH
    )
    return float(np.ravel(estimate)[0])


def hpss(stft: np.ndarray, kernel_size: int = 31) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive parts of an STFT: :func:`librosa.decompose.hpss`, 8x faster.

    The same soft masks from the same medians (over ``kernel_size`` frames for the harmonic
    part, ``kernel_size`` bins for the percussive one), so the same values to the bit
    (tested); only the median filters run differently (:func:`median_along`). On a 3-s
    chunk they took 55 % of :func:`signal_features`; 100 chunks' HPSS 12.3 -> 1.5 s
    (``bench/bench_features.py``).

    Notebook: 03_baselines.

    Parameters
    ----------
    stft : np.ndarray, complex, shape (..., n_bins, n_frames)
        A complex STFT, as :func:`librosa.stft` returns it.
    kernel_size : int
        Odd width of both median filters.

    Returns
    -------
    harmonic, percussive : np.ndarray, complex, shape (..., n_bins, n_frames)
    """
    magnitude, phase = librosa.magphase(stft)
    harmonic = median_along(magnitude, kernel_size, axis=-1)
    percussive = median_along(magnitude, kernel_size, axis=-2)
    harmonic_mask = librosa.util.softmask(harmonic, percussive, power=2.0, split_zeros=True)
    percussive_mask = librosa.util.softmask(percussive, harmonic, power=2.0, split_zeros=True)
    return (magnitude * harmonic_mask) * phase, (magnitude * percussive_mask) * phase


def median_along(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Running median of odd width ``size`` along one axis, edges mirrored.

    What ``scipy.ndimage.median_filter(values, size=(1, ..., size, ..., 1), mode="reflect")``
    returns, but through scipy's one-dimensional rank filter, which scipy uses for 1-D
    input only and which is 7-14x faster here (a 3-s chunk's 1025 x 130 magnitudes: 88 ->
    13 ms along time, 96 -> 7 ms along frequency): every line is padded with its own mirror
    image, the lines are laid end to end and filtered as one signal, and the padding is cut
    off again, so no window reaches into a neighbouring line.

    Notebook: 03_baselines (through :func:`hpss`).

    Parameters
    ----------
    values : np.ndarray, float, shape (...)
        Any array.
    size : int
        Odd window length (any: an axis shorter than the window is mirrored again).
    axis : int
        The axis to filter along.

    Returns
    -------
    np.ndarray, same shape and dtype as ``values``
    """
    if size % 2 != 1:
        raise ConfigError(f"median width must be odd, got {size}")
    lines = np.moveaxis(values, axis, -1)
    half = size // 2
    # numpy's "symmetric" padding is scipy.ndimage's "reflect" mode (d c b a | a b c d).
    padded = np.pad(lines, [(0, 0)] * (lines.ndim - 1) + [(half, half)], mode="symmetric")
    filtered = median_filter(padded.reshape(-1), size=size, mode="reflect").reshape(padded.shape)
    return np.ascontiguousarray(np.moveaxis(filtered[..., half : half + lines.shape[-1]], -1, axis))


def _waveform(stft: np.ndarray, n_samples: int) -> np.ndarray:
    """Inverse STFT without a target length, then zero-padded or cut to ``n_samples``."""
    return librosa.util.fix_length(librosa.istft(stft, hop_length=HOP_LENGTH), size=n_samples)


def _mean_var(values: np.ndarray) -> list[float]:
    """Mean and (population) variance of every value of ``values``, in float64."""
    return [float(np.mean(values, dtype=np.float64)), float(np.var(values, dtype=np.float64))]


def file_features(
    path: str | os.PathLike,
    chunk_seconds: float | None = None,
    sample_rate: int = SAMPLE_RATE,
    variable_length: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one audio file and compute the features of each of its chunks.

    Notebook: 03_baselines.

    Parameters
    ----------
    path : path-like
        Audio file.
    chunk_seconds : float or None
        ``None``: one row for the whole file, as the Kaggle 30-s table. Otherwise the
        file is fixed to 30 s and cut into ``floor(30 / chunk_seconds)`` chunks by
        :func:`genrelib.audio.chunking.chunk_signal`, one row each.
    sample_rate : int
        Sample rate the audio is resampled to, in Hz.
    variable_length : bool
        With ``chunk_seconds``: as many chunks as the file holds, from its middle 30 s at
        most (:func:`genrelib.audio.cut_track`), instead of fixing it to 30 s.

    Returns
    -------
    features : np.ndarray, shape (n_chunks, 57), float64
    lengths : np.ndarray, shape (n_chunks,), int64
        Samples in each chunk (the table's ``length`` column).

    Raises
    ------
    AudioDecodeError
        If the file cannot be decoded.
    TrackTooShortError
        If the file is too short for ``chunk_seconds``.
    """
    y = load_audio(path, sample_rate=sample_rate)
    if chunk_seconds is None:
        if y.shape[0] < N_FFT:
            raise AudioDecodeError(
                f"{path}: only {y.shape[0]} samples, fewer than one {N_FFT}-sample frame; "
                "remove or replace the file"
            )
        chunks = y[np.newaxis]
    else:
        config = ChunkConfig(
            chunk_seconds=float(chunk_seconds),
            sample_rate=sample_rate,
            variable_length=variable_length,
        )
        chunks = cut_track(y, config, source=str(path))
    features = np.stack([signal_features(chunk, sample_rate) for chunk in chunks])
    lengths = np.full(len(chunks), chunks.shape[1], dtype=np.int64)
    return features, lengths


def _cache_path(
    path: Path, chunk_seconds: float | None, sample_rate: int, root: Path, variable: bool
) -> Path:
    """Cache file of one audio file: keyed by path, size, mtime, chunk length, recipe."""
    stat = path.stat()
    parts = (
        path.resolve(),
        stat.st_size,
        stat.st_mtime_ns,
        chunk_seconds,
        sample_rate,
        FEATURE_VERSION,
        librosa.__version__,
    )
    if variable and chunk_seconds is not None:  # fixed-length keys stay those already cached
        parts += ("variable_length",)
    key = "|".join(str(part) for part in parts)
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return root / f"{digest}.npz"


def _write_npz(target: Path, features: np.ndarray, lengths: np.ndarray) -> None:
    """Write ``features`` and ``lengths`` to ``target`` atomically."""
    atomic_write(target, lambda handle: np.savez(handle, features=features, lengths=lengths))


def _cached_file_features(
    path: str,
    chunk_seconds: float | None,
    sample_rate: int,
    cache_root: Path | None,
    variable: bool = False,
) -> tuple[np.ndarray, np.ndarray] | str:
    """Features of one file, read from or written to the cache; a reason string on failure."""
    source = Path(path)
    try:
        if cache_root is None:
            return file_features(source, chunk_seconds, sample_rate, variable)
        target = _cache_path(source, chunk_seconds, sample_rate, cache_root, variable)
        if not target.is_file():
            with file_lock(target):  # a chapter computing it already: wait, then read it
                if not target.is_file():
                    features, lengths = file_features(source, chunk_seconds, sample_rate, variable)
                    _write_npz(target, features, lengths)
                    return features, lengths
        with np.load(target) as stored:
            return stored["features"], stored["lengths"]
    except (GenrelibError, OSError) as error:
        return str(error)


def _track_table(tracks: pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    """Return a table with path, track_id and genre columns from a data folder or a table."""
    if isinstance(tracks, pd.DataFrame):
        missing = {"path", "track_id", "genre"} - set(tracks.columns)
        if missing:
            raise ConfigError(
                f"compute_features: the tracks table lacks columns {sorted(missing)}; "
                "pass genrelib.data.index_gtzan(data_dir) or a data folder"
            )
        return tracks
    return index_gtzan(tracks, with_duration=False)


def compute_features(
    tracks: pd.DataFrame | str | os.PathLike,
    chunk_seconds: float | None = None,
    n_jobs: int = 1,
    cache: bool = True,
    cache_root: str | os.PathLike | None = None,
    sample_rate: int = SAMPLE_RATE,
    progress: bool = True,
    collection: bool = False,
) -> pd.DataFrame:
    """Compute a Kaggle-style feature table for a set of audio files, in parallel, cached.

    Each file is cached on disk under a key made of its path, size and modification
    time, ``chunk_seconds``, the sample rate, :data:`FEATURE_VERSION` and the librosa
    version, so a rerun only reads the cache and a changed file is recomputed.

    Notebook: 03_baselines.

    Parameters
    ----------
    tracks : pandas.DataFrame or path-like
        A GTZAN folder (indexed with :func:`genrelib.data.gtzan.index_gtzan`) or a table
        with columns ``path``, ``track_id`` and ``genre`` (one row per file).
    chunk_seconds : float or None
        ``None``: one row per whole file (the 30-s table); e.g. ``3.0``: one row per
        3-s chunk (the 3-s table). See :func:`file_features`.
    n_jobs : int
        Processes computing files in parallel (joblib; ``-1``: every core).
    cache : bool
        Read and write the per-file cache.
    cache_root : path-like or None
        Cache folder; default ``cache_dir()/features/<FEATURE_VERSION>``.
    sample_rate : int
        Sample rate, in Hz.
    progress : bool
        Show a tqdm progress bar.
    collection : bool
        ``tracks`` is a collection of your own
        (:attr:`Collection.tracks <genrelib.data.collection.Collection>`): tracks of any
        length (``variable_length`` chunks), and the columns of :data:`COLLECTION_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        Shape (n_rows, 60), columns :data:`TABLE_COLUMNS`: ``filename`` as the Kaggle
        tables name rows (``"blues.00000.wav"``; chunks ``"blues.00000.3.wav"``; in a
        collection the track id, chunks ``"<track id>#3"``), ``length`` (samples), the 57
        features and ``label`` (genre name); a collection's table adds ``track_id`` and
        ``group``. Files that
        could not be decoded are left out, listed in ``attrs["skipped"]`` as
        ``(path, reason)`` pairs, and a warning names them.

    Raises
    ------
    ConfigError
        If a parameter is invalid.
    DatasetNotFoundError
        If the folder holds no GTZAN clips, or no file could be decoded.
    """
    if chunk_seconds is not None and not chunk_seconds > 0:
        raise ConfigError(f"chunk_seconds must be positive or None, got {chunk_seconds!r}")
    if not isinstance(n_jobs, int) or n_jobs == 0:
        raise ConfigError(f"n_jobs must be a non-zero integer, got {n_jobs!r}")
    table = _track_table(tracks)
    root = None
    if cache:
        default_root = cache_dir() / "features" / FEATURE_VERSION
        root = Path(cache_root) if cache_root is not None else default_root
    jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_cached_file_features)(str(path), chunk_seconds, sample_rate, root, collection)
        for path in table["path"]
    )
    outcomes = list(tqdm(jobs, total=len(table), desc="features", disable=not progress))
    frames, skipped = [], []
    for track, outcome in zip(table.itertuples(index=False), outcomes, strict=True):
        if isinstance(outcome, str):
            skipped.append((track.path, outcome))
            continue
        features, lengths = outcome
        frame = pd.DataFrame(features, columns=list(FEATURE_COLUMNS))
        frame.insert(0, "length", lengths)
        frame.insert(
            0, "filename", _row_names(track.track_id, len(features), chunk_seconds, collection)
        )
        frame["label"] = track.genre
        if collection:
            frame["track_id"], frame["group"] = track.track_id, track.artist
        frames.append(frame)
    if not frames:
        raise DatasetNotFoundError(
            f"no audio file of the {len(table)} given could be decoded (first: {skipped[0][1]}); "
            "check the data folder"
            if skipped
            else "compute_features got an empty tracks table; pass a GTZAN folder"
        )
    result = pd.concat(frames, ignore_index=True)
    result.attrs["skipped"] = skipped
    if skipped:
        warnings.warn(
            f"{len(skipped)} file(s) skipped: "
            + "; ".join(f"{path} ({reason})" for path, reason in skipped),
            stacklevel=2,
        )
    return result


def _row_names(track_id: str, n_rows: int, chunk_seconds: float | None, collection: bool) -> list:
    """The ``filename`` of each row of one track (Kaggle's naming; a collection's track id)."""
    if chunk_seconds is None:
        return [track_id if collection else f"{track_id}.wav"]
    if collection:
        return [f"{track_id}#{index}" for index in range(n_rows)]
    return [f"{track_id}.{index}.wav" for index in range(n_rows)]


def is_collection_table(table: pd.DataFrame) -> bool:
    """Whether a feature table is a collection's (it has :data:`COLLECTION_COLUMNS`).

    Notebook: none (``genrelib baselines --features-csv`` of a collection).
    """
    return set(COLLECTION_COLUMNS) <= set(table.columns)


def track_ids(filenames: Iterable[str]) -> np.ndarray:
    """Track id of each row of a Kaggle-style table, from its ``filename`` column.

    ``"blues.00000.wav"`` (30-s row) and ``"blues.00000.3.wav"`` (3-s row) both give
    ``"blues.00000"``.

    Notebook: 03_baselines.

    Parameters
    ----------
    filenames : iterable of str
        Row names, shape (n_rows,).

    Returns
    -------
    np.ndarray, shape (n_rows,), object
        Track ids ``"<genre>.<NNNNN>"``.

    Raises
    ------
    ConfigError
        If a name does not start with ``<genre>.<number>``.
    """
    ids = []
    for name in filenames:
        parts = str(name).split(".")
        if len(parts) < 2 or parts[0] not in GENRES or not parts[1].isdigit():
            raise ConfigError(
                f"feature row {name!r} is not named like 'blues.00000.wav' or "
                "'blues.00000.3.wav'; fix the filename column of the feature table"
            )
        ids.append(f"{parts[0]}.{parts[1]}")
    return np.asarray(ids, dtype=object)


def read_feature_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Kaggle-style feature CSV (the shipped 30-s table or one written by genrelib).

    Notebook: 03_baselines.

    Parameters
    ----------
    path : path-like
        CSV with at least the columns ``filename``, the 57 features and ``label``.

    Returns
    -------
    pandas.DataFrame
        Shape (n_rows, 60), columns :data:`TABLE_COLUMNS` (``length`` is NaN if absent).

    Raises
    ------
    DatasetNotFoundError
        If the file does not exist.
    ConfigError
        If it lacks feature columns, has empty or non-numeric feature cells, or holds an
        unknown genre label.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        raise DatasetNotFoundError(
            f"feature table {source} does not exist; pass the path of features_30_sec.csv "
            "or write one with `genrelib features`"
        )
    try:
        table = pd.read_csv(source)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        reason = "it is empty" if isinstance(error, pd.errors.EmptyDataError) else "not CSV text"
        raise ConfigError(
            f"feature table {source} cannot be read ({reason}); pass a CSV such as "
            "features_30_sec.csv or one written by `genrelib features`"
        ) from None
    missing = [name for name in ("filename", *FEATURE_COLUMNS, "label") if name not in table]
    if missing:
        raise ConfigError(
            f"feature table {source} lacks columns {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}; it must be a Kaggle-style GTZAN table"
        )
    if "length" not in table:
        table["length"] = np.nan
    check_feature_values(table, f"feature table {source}", min_labels=1)
    if is_collection_table(table):  # a collection's labels are its own
        table["group"] = table["group"].astype(object).where(table["group"].notna(), "")
        return table[[*TABLE_COLUMNS, *COLLECTION_COLUMNS]]
    unknown = sorted(set(table["label"]) - set(GENRES))
    if unknown:
        raise ConfigError(
            f"feature table {source} has unknown genre labels {unknown[:5]}; a table of your "
            "own collection comes from `genrelib features --data-dir YOUR_COLLECTION`"
        )
    return table[list(TABLE_COLUMNS)]


def check_feature_values(
    features: pd.DataFrame, name: str = "feature table", min_labels: int = 2
) -> None:
    """Refuse empty or non-numeric feature cells and a table of fewer than ``min_labels`` labels.

    Notebook: 03_baselines (through :func:`read_feature_table` and
    :func:`genrelib.baselines.prepare_table`).

    Parameters
    ----------
    features : pandas.DataFrame
        A feature table with the :data:`FEATURE_COLUMNS`, ``filename`` and ``label``.
    name : str
        How the error names the table (its file, when read from one).
    min_labels : int
        Fewest labels the table must hold (2 to train a classifier; reading asks for 1).

    Raises
    ------
    ConfigError
        Naming the first bad cell's row and column, or the one label.
    """
    values = features[list(FEATURE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0.0))
    if bad.any().any():
        row, column = np.argwhere(bad.to_numpy())[0]
        raise ConfigError(
            f"{name} has {int(bad.to_numpy().sum())} empty or non-numeric cell(s), e.g. "
            f"row {row + 2} ({features['filename'].iloc[row]}), column "
            f"{FEATURE_COLUMNS[column]}; recompute those rows or drop them"
        )
    labels = features["label"].astype(str).unique()
    if len(labels) < min_labels:
        raise ConfigError(
            f"{name} has {len(features)} row(s) of {len(labels)} label "
            f"({', '.join(labels) or 'none'}); a classifier needs at least 2 labels"
        )


def write_feature_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a feature table to CSV atomically (temporary file, then rename).

    Notebook: 03_baselines.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`compute_features`, shape (n_rows, 60).
    path : path-like
        Destination CSV; its folder is created.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return atomic_write(Path(path).expanduser(), table.to_csv(index=False))


def feature_table(
    features_csv: str | Path | None = None,
    data_dir: str | Path | None = None,
    profile: str = "cpu",
    chunk_seconds: float | None = None,
    n_jobs: int = 1,
    cache: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A Kaggle-style feature table read from a CSV, or computed from a dataset's audio.

    Notebook: 03_baselines, 09_honest_evaluation (and ``genrelib baselines|protocols``).

    Parameters
    ----------
    features_csv : str or Path, optional
        A table such as the Kaggle ``features_30_sec.csv``; when given, audio is not read.
    data_dir : str or Path, optional
        GTZAN folder to compute features from (see ``resolve_data_dir``), or a collection
        of your own (:func:`~genrelib.data.collection.index_collection`).
    profile : str
        Profile deciding the dataset when ``data_dir`` is None (``smoke``: synthetic).
    chunk_seconds : float, optional
        One row per chunk of this length (None: one row per whole clip).
    n_jobs : int
        Parallel processes for the computation.
    cache : bool
        Read and write the per-file feature cache.

    Returns
    -------
    table : pandas.DataFrame
        Shape (n_rows, 60): ``filename``, ``length``, the 57 features, ``label``.
    artists : pandas.DataFrame or None
        The track index (with artists) of the audio used, or None for a CSV, whose
        artists come from the shipped GTZAN index.
    """
    from genrelib.data.collection import index_collection, is_own_collection

    if features_csv is not None:
        return read_feature_table(features_csv), None
    if is_own_collection(data_dir):
        tracks = index_collection(data_dir, with_duration=False).tracks
        table = compute_features(tracks, chunk_seconds, n_jobs, cache, collection=True)
        return table, tracks
    root = resolve_data_dir(get_profile(profile), data_dir)
    table = compute_features(root, chunk_seconds=chunk_seconds, n_jobs=n_jobs, cache=cache)
    return table, index_gtzan(root, with_duration=False)

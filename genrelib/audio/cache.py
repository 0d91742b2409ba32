"""Build, cache and serve the log-mel spectrograms of a table of tracks.

Each audio file gives one ``.npy`` file of shape (n_chunks, n_mels, n_frames), float32
(``n_chunks`` is ``chunks_per_track``, or fewer for a short track of a collection with
``variable_length``), stored under ``<cache root>/<mel_config.key()>-<chunk_config.key()>/`` and
named after the file's stem and a hash of (resolved path, size, mtime in ns): editing
or replacing an audio file, or changing any setting, gives a new cache entry; nothing
is ever read back under the wrong configuration. Files are written to a temporary
name in the same folder and moved into place with ``os.replace``, so an interrupted
run leaves no half-written spectrogram.

Spectrograms are stored as float32: float16 would halve the disk use (the paper's setting,
3-s chunks of 192 x 988, takes 7.6 MB a track, about 7.6 GB for all of GTZAN; the
authors' hop of 256 takes a quarter of that) but rounds dB values of 32-64 to steps of
0.03 dB, more than the 0.01 dB the two log-mel backends are held to.

Work is done in batches of a few files: each worker thread decodes its batch and runs
the torch backend of :func:`~genrelib.audio.mel.log_mel` on the stacked chunks.

Notebook: 02_preprocessing.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from genrelib.atomic import atomic_write
from genrelib.audio import mel as mel_module
from genrelib.audio.chunking import chunk_positions, cut_track
from genrelib.audio.io import load_audio
from genrelib.config import GENRES, ChunkConfig, MelConfig, cache_dir
from genrelib.errors import ConfigError, GenrelibError
from genrelib.progress import tqdm

REQUIRED_COLUMNS = ("path", "track_id", "genre", "label", "artist")
"""Columns the track table must have (as made by ``genrelib.data.index_gtzan``)."""

FILE_COLUMN = "spectrogram_file"
"""Column of :attr:`SpectrogramSet.chunks` holding the cache file of each chunk."""

_MAX_OPEN = 64


def spectrogram_dir(
    mel_config: MelConfig, chunk_config: ChunkConfig, cache_root: str | Path | None = None
) -> Path:
    """Folder holding the cached spectrograms of one (mel, chunk) configuration.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    mel_config, chunk_config : MelConfig, ChunkConfig
        The settings; their keys name the folder.
    cache_root : str, Path or None
        Root of the spectrogram cache (``cache_dir() / "spectrograms"`` when ``None``).

    Returns
    -------
    Path
        ``<cache_root>/<mel_config.key()>-<chunk_config.key()>`` (not created).
    """
    root = Path(cache_root) if cache_root is not None else cache_dir() / "spectrograms"
    return root / f"{mel_config.key()}-{chunk_config.key()}"


def audio_file_key(path: str | Path) -> str:
    """Hash of an audio file's identity: resolved path, size and modification time (ns).

    Notebook: 02_preprocessing.

    Raises
    ------
    OSError
        If the file cannot be stat'ed (e.g. it does not exist).
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    text = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_array(target: str | Path, array: np.ndarray) -> None:
    """Save ``array`` as ``.npy`` atomically (temporary file + ``os.replace``).

    Notebook: 02_preprocessing.
    """
    atomic_write(target, lambda handle: np.save(handle, array, allow_pickle=False))


def _record_config(folder: Path, mel_config: MelConfig, chunk_config: ChunkConfig) -> None:
    """Write ``config.json`` (the settings that made this folder) once."""
    target = folder / "config.json"
    if target.exists():
        return
    text = json.dumps({"mel": asdict(mel_config), "chunk": chunk_config.to_dict()}, indent=2)
    atomic_write(target, text)


def _read_chunks(path: str, chunk_config: ChunkConfig) -> np.ndarray | str:
    """Decode and chunk one file -> (n_chunks, chunk_samples), or the reason it failed."""
    try:
        return cut_track(load_audio(path, chunk_config.sample_rate), chunk_config, source=path)
    except GenrelibError as error:
        return str(error)


def _validated_table(tracks: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(tracks, pd.DataFrame):
        raise ConfigError(
            f"build_spectrogram_set: tracks must be a pandas DataFrame, got {type(tracks).__name__}"
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in tracks.columns]
    if missing:
        raise ConfigError(
            f"build_spectrogram_set: the track table lacks columns {missing}; "
            "build it with genrelib.data.index_gtzan"
        )
    if FILE_COLUMN in tracks.columns or "chunk_index" in tracks.columns:
        raise ConfigError(
            f"build_spectrogram_set: the track table must not have columns {FILE_COLUMN!r} "
            "or 'chunk_index' (it looks like a chunk table already)"
        )
    return tracks.reset_index(drop=True).assign(path=tracks["path"].astype(str).to_numpy())


def _process_batch(
    batch: Sequence[str],
    todo: dict[str, Path],
    mel_config: MelConfig,
    chunk_config: ChunkConfig,
    device: str | None,
) -> dict[str, str]:
    """Decode, compute and save a few files; return the reasons of those that failed."""
    decoded = {path: _read_chunks(path, chunk_config) for path in batch}
    good = [path for path in batch if isinstance(decoded[path], np.ndarray)]
    if good:
        stacked = np.concatenate([decoded[path] for path in good])
        spectra = mel_module.log_mel(stacked, mel_config, device=device)
        ends = np.cumsum([len(decoded[path]) for path in good])
        for path, end in zip(good, ends, strict=True):
            save_array(todo[path], spectra[end - len(decoded[path]) : end])
    return {path: decoded[path] for path in batch if path not in good}


@contextmanager
def _single_threaded_torch() -> Iterator[None]:
    """Run torch ops single-threaded inside (parallelism comes from our own threads)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _compute(
    todo: dict[str, Path],
    mel_config: MelConfig,
    chunk_config: ChunkConfig,
    device: str | None,
    tracks_per_batch: int,
    n_workers: int,
    progress: bool,
) -> dict[str, str]:
    """Compute and save the spectrograms of ``todo`` (audio path -> cache file).

    Each worker thread decodes a batch of files and runs the torch path on their
    stacked chunks with single-threaded torch ops: on a busy 2-core machine this was
    steadier and faster than one thread driving torch's OpenMP pool, whose barriers
    stall when a core is taken by another process.

    Returns the reasons of the files that could not be used (audio path -> reason).
    """
    paths = list(todo)
    batches = [paths[i : i + tracks_per_batch] for i in range(0, len(paths), tracks_per_batch)]
    failures: dict[str, str] = {}
    bar = tqdm(total=len(paths), desc="log-mel spectrograms", unit="file", disable=not progress)
    with bar, _single_threaded_torch(), ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = {
            pool.submit(_process_batch, batch, todo, mel_config, chunk_config, device): len(batch)
            for batch in batches
        }
        try:
            for future in as_completed(futures):
                failures.update(future.result())
                bar.update(futures[future])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return failures


def build_spectrogram_set(
    tracks: pd.DataFrame,
    mel_config: MelConfig,
    chunk_config: ChunkConfig,
    cache_root: str | Path | None = None,
    progress: bool = True,
    device: str | None = None,
    tracks_per_batch: int = 4,
    n_workers: int | None = None,
    classes: Sequence[str] = GENRES,
) -> SpectrogramSet:
    """Compute (or read from the cache) the log-mel spectrograms of every chunk of every track.

    Files that cannot be decoded, or that are too short, are skipped: they are listed in
    :attr:`SpectrogramSet.skipped` with the reason, and a warning says how many there
    were. A second call with the same table and settings reads everything from the cache.

    Notebook: 02_preprocessing.

    Parameters
    ----------
    tracks : pd.DataFrame
        One row per track with at least the columns path, track_id, genre, label and
        artist (``genrelib.data.index_gtzan``); other columns are kept.
    mel_config : MelConfig
        Spectrogram parameters.
    chunk_config : ChunkConfig
        Track length and chunk length.
    cache_root : str, Path or None
        Root of the spectrogram cache (``cache_dir() / "spectrograms"`` when ``None``).
    progress : bool
        Show a progress bar while computing.
    device : str or None
        Torch device of the computation (``None``/``"cpu"``, ``"cuda"``, ``"auto"``).
    tracks_per_batch : int
        Files one worker decodes and computes together.
    n_workers : int or None
        Worker threads (``None``: the number of CPU cores, at most 8).
    classes : sequence of str
        The class names the ``label`` column indexes (a collection's, else GTZAN's genres).

    Returns
    -------
    SpectrogramSet
        ``chunks_per_track`` chunks per usable track (with ``variable_length``, as many as
        each track gave), in table order.

    Raises
    ------
    ConfigError
        If the table lacks a required column or a parameter is invalid.
    """
    if n_workers is None:
        n_workers = min(8, os.cpu_count() or 1)
    if tracks_per_batch < 1 or n_workers < 1:
        raise ConfigError(
            "build_spectrogram_set: tracks_per_batch and n_workers must be >= 1, "
            f"got {tracks_per_batch} and {n_workers}"
        )
    if device is not None:
        mel_module.resolve_device(device)
    table = _validated_table(tracks)
    outside = ~table["label"].between(0, len(classes) - 1)
    if outside.any():
        raise ConfigError(
            f"build_spectrogram_set: track {table['track_id'][outside.idxmax()]!r} has label "
            f"{table['label'][outside.idxmax()]}, outside the {len(classes)} classes given"
        )
    folder = spectrogram_dir(mel_config, chunk_config, cache_root)
    folder.mkdir(parents=True, exist_ok=True)
    _record_config(folder, mel_config, chunk_config)

    reasons: dict[str, str] = {}
    files: dict[str, Path] = {}
    for path in dict.fromkeys(table["path"]):
        try:
            files[path] = folder / f"{Path(path).stem}-{audio_file_key(path)}.npy"
        except OSError as error:
            reasons[path] = f"{path}: cannot read the file ({error.strerror}); check the path"
    todo = {path: target for path, target in files.items() if not target.exists()}
    reasons.update(
        _compute(todo, mel_config, chunk_config, device, tracks_per_batch, n_workers, progress)
    )

    usable = table[~table["path"].isin(list(reasons))].reset_index(drop=True)
    if chunk_config.variable_length:
        per_track = [np.load(files[path], mmap_mode="r").shape[0] for path in usable["path"]]
    else:
        per_track = np.full(len(usable), chunk_config.chunks_per_track)
    chunks = usable.loc[usable.index.repeat(per_track)].reset_index(drop=True)
    chunks["chunk_index"] = chunk_positions(per_track)
    chunks[FILE_COLUMN] = [str(files[path]) for path in chunks["path"]]
    front = ["track_id", "genre", "label", "artist", "chunk_index", "path"]
    chunks = chunks[front + [column for column in chunks.columns if column not in front]]

    skipped = [(path, reasons[path]) for path in dict.fromkeys(table["path"]) if path in reasons]
    if skipped:
        n_files = len(set(files) | set(reasons))
        warnings.warn(
            f"build_spectrogram_set: skipped {len(skipped)} of {n_files} files, e.g. "
            f"{skipped[0][1]}; see SpectrogramSet.skipped",
            stacklevel=2,
        )
    return SpectrogramSet(chunks, mel_config, chunk_config, skipped=skipped, classes=classes)


class SpectrogramSet:
    """Log-mel spectrograms of chunks, read lazily from memory-mapped cache files.

    Pickles cheaply (open memory maps are not pickled), so it can go to DataLoader
    workers as is.

    Notebook: 02_preprocessing (and 04-07, as the input of training).

    Parameters
    ----------
    chunks : pd.DataFrame
        One row per chunk: track_id, genre, label, artist, chunk_index, path,
        ``spectrogram_file`` and any other column of the track table.
    mel_config, chunk_config : MelConfig, ChunkConfig
        The settings that made the spectrograms.
    skipped : sequence of (str, str)
        Files that could not be used, with the reason.
    classes : sequence of str
        The class names the ``label`` column indexes, as torchvision's ``ImageFolder``
        has them: a collection's labels, or GTZAN's genres.
    """

    def __init__(
        self,
        chunks: pd.DataFrame,
        mel_config: MelConfig,
        chunk_config: ChunkConfig,
        skipped: Sequence[tuple[str, str]] = (),
        classes: Sequence[str] = GENRES,
    ) -> None:
        self.chunks = chunks.reset_index(drop=True)
        self.mel_config = mel_config
        self.chunk_config = chunk_config
        self.skipped = list(skipped)
        self.classes = tuple(classes)
        self._files = self.chunks[FILE_COLUMN].to_numpy(dtype=object)
        self._rows = self.chunks["chunk_index"].to_numpy(dtype=np.int64)
        self._open: OrderedDict[str, np.ndarray] = OrderedDict()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_open"] = OrderedDict()
        return state

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return (
            f"SpectrogramSet({len(self)} chunks of shape {self.shape}, "
            f"{self.chunks['track_id'].nunique()} tracks, mel={self.mel_config.name!r}, "
            f"chunk={self.chunk_config.chunk_seconds:g} s, skipped={len(self.skipped)})"
        )

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of one item: (n_mels, n_frames)."""
        return (self.mel_config.n_mels, self.mel_config.n_frames(self.chunk_config.chunk_samples))

    @property
    def labels(self) -> np.ndarray:
        """Class index of each chunk, int64, shape (n,)."""
        return self.chunks["label"].to_numpy(dtype=np.int64)

    def _array(self, file: str) -> np.ndarray:
        """Memory map of a cache file (a few are kept open, least recently used closed)."""
        array = self._open.pop(file, None)
        if array is None:
            array = np.load(file, mmap_mode="r")
            if len(self._open) >= _MAX_OPEN:
                self._open.popitem(last=False)
        self._open[file] = array
        return array

    def __getitem__(self, index: int) -> np.ndarray:
        """Spectrogram of chunk ``index``: float32 array of shape (n_mels, n_frames)."""
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"SpectrogramSet index must be an integer, got {type(index).__name__}")
        return np.array(self._array(self._files[index])[self._rows[index]], dtype=np.float32)

    def subset(self, selection: np.ndarray | pd.Series | Sequence[int]) -> SpectrogramSet:
        """Return the chunks picked by a boolean mask (length ``len(self)``) or integer positions.

        Notebook: 04_base_crnn (train/valid/test sets).
        """
        picked = np.asarray(selection)
        if picked.dtype == bool:
            if picked.shape != (len(self),):
                raise ConfigError(
                    f"SpectrogramSet.subset: boolean mask of length {picked.shape} "
                    f"for {len(self)} chunks"
                )
            picked = np.flatnonzero(picked)
        elif picked.size and not np.issubdtype(picked.dtype, np.integer):
            raise ConfigError("SpectrogramSet.subset: pass a boolean mask or integer positions")
        return SpectrogramSet(
            self.chunks.iloc[picked.astype(np.int64)],
            self.mel_config,
            self.chunk_config,
            skipped=self.skipped,
            classes=self.classes,
        )

    def band_stats(self, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of each mel band over every chunk and frame.

        Computed file by file (float64 sums), for input normalisation fitted on a
        training set.

        Notebook: 04_base_crnn.

        Returns
        -------
        mean, std : np.ndarray, float32, shape (n_mels,)
        """
        total = np.zeros(self.mel_config.n_mels)
        squares = np.zeros(self.mel_config.n_mels)
        count = 0
        groups = pd.Series(self._rows).groupby(self._files, sort=False)
        for file, rows in tqdm(groups, desc="band statistics", disable=not progress):
            block = np.asarray(self._array(file)[np.sort(rows.to_numpy())], dtype=np.float64)
            total += block.sum(axis=(0, 2))
            squares += np.square(block).sum(axis=(0, 2))
            count += block.shape[0] * block.shape[2]
        if count == 0:
            raise ConfigError("SpectrogramSet.band_stats: the set is empty")
        mean = total / count
        std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
        return mean.astype(np.float32), std.astype(np.float32)

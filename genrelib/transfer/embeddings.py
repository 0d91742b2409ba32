"""musicnn embeddings of every patch of every track, computed in batches and cached on disk.

Every 187-frame patch (2.99 s) of every track gets musicnn's tag probabilities, its
``[mean_pool, max_pool]`` embedding (1506 values) and its penultimate features (200), cached
per audio file (named like the spectrogram cache: file stem and a hash of path, size and
modification time, under a folder keyed by the input settings and the weights).

Notebook: 06b_music_transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from genrelib.audio import SpectrogramSet
from genrelib.audio.cache import FILE_COLUMN, audio_file_key, save_array
from genrelib.audio.chunking import chunk_positions, cut_track, fix_length
from genrelib.audio.io import load_audio
from genrelib.config import ChunkConfig, cache_dir
from genrelib.errors import ConfigError, GenrelibError
from genrelib.models.musicnn import (
    EMBEDDING_SIZE,
    PATCH_FRAMES,
    PATCH_SECONDS,
    SAMPLE_RATE,
    WEIGHT_FILES,
    Musicnn,
    MusicnnInput,
    load_musicnn,
    musicnn_chunk_config,
)
from genrelib.progress import tqdm
from genrelib.training import resolve_device
from genrelib.training.device import fast_path
from genrelib.transfer.inference import forward_patches, musicnn_fast_path, signal_patches

N_TAGS = 50
PENULTIMATE = 200
EMBEDDING_COLUMNS: dict[str, slice] = {
    "tags": slice(0, N_TAGS),
    "pooled": slice(N_TAGS, N_TAGS + EMBEDDING_SIZE),
    "mean_pool": slice(N_TAGS, N_TAGS + EMBEDDING_SIZE // 2),
    "max_pool": slice(N_TAGS + EMBEDDING_SIZE // 2, N_TAGS + EMBEDDING_SIZE),
    "penultimate": slice(N_TAGS + EMBEDDING_SIZE, N_TAGS + EMBEDDING_SIZE + PENULTIMATE),
}
"""Columns of a cached embedding file (n_patches, 1756): tags, then [mean, max] pool, then
the penultimate features."""


MUSICNN_DIR = "musicnn"
PATCH_DIR = "patches"


def patches_per_track(track_seconds: float = 30.0) -> int:
    """Number of musicnn patches of a track fixed to ``track_seconds``.

    Notebook: 06b_music_transfer.
    """
    samples = musicnn_chunk_config(track_seconds).track_samples
    return 1 + (1 + samples // MusicnnInput().hop_length - PATCH_FRAMES) // PATCH_FRAMES


def _weights_tag(model_name: str) -> str:
    return f"{model_name}-{WEIGHT_FILES[model_name][1][:8]}"


def musicnn_cache_dir(
    track_seconds: float = 30.0,
    cache_root: str | Path | None = None,
    variable_length: bool = False,
) -> Path:
    """Folder of the musicnn caches of one track length (patches, and embeddings per model).

    Notebook: 06b_music_transfer.

    Returns
    -------
    Path
        ``<cache_root or cache_dir()/musicnn>/<input key>-<chunk key>`` (not created).
    """
    root = Path(cache_root) if cache_root is not None else cache_dir() / MUSICNN_DIR
    chunk_key = musicnn_chunk_config(track_seconds, variable_length).key()
    return root / f"{MusicnnInput().key()}-{chunk_key}"


def embed_patches(
    model: Musicnn,
    patches: np.ndarray,
    batch_size: int = 32,
    device: str | torch.device | None = None,
    precision: str = "auto",
) -> np.ndarray:
    """Tags, pooled embedding and penultimate features of patches, in batches.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    model : Musicnn
        From :func:`~genrelib.models.musicnn.load_musicnn`.
    patches : np.ndarray, shape (n_patches, 96, 187)
        Log-mel patches.
    batch_size : int
        Patches per forward pass.
    device : str, torch.device or None
        ``None``: the model's device (the model is moved to ``device``).
    precision : {"auto", "fp32", "bf16", "fp16"}
        The device's fast path (:func:`genrelib.training.device.fast_path`: ``"auto"`` is
        bf16 autocast on a CPU with native bf16); ``"fp32"``: the reference
        (what the equivalence test against the original TensorFlow model checks).

    Returns
    -------
    np.ndarray, float32, shape (n_patches, 1756)
        Columns as :data:`EMBEDDING_COLUMNS`.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    device = next(model.parameters()).device if device is None else torch.device(device)
    path = musicnn_fast_path(device, precision)
    model = path.prepare(model)

    def outputs(x: torch.Tensor) -> torch.Tensor:
        f = model.features(x)
        return torch.cat([f["tags"], f["mean_pool"], f["max_pool"], f["penultimate"]], dim=1)

    out = forward_patches(outputs, patches, batch_size, path)
    if not out:
        return np.zeros((0, N_TAGS + EMBEDDING_SIZE + PENULTIMATE), dtype=np.float32)
    return torch.cat(out).numpy()


@dataclass
class MusicnnEmbeddings:
    """musicnn outputs of every patch of every track.

    Notebook: 06b_music_transfer.

    Attributes
    ----------
    chunks : pd.DataFrame
        One row per patch: the track table's columns plus ``chunk_index`` and ``start``
        (seconds), in track order.
    values : np.ndarray, float32, shape (n_patches, 1756)
        Columns as :data:`EMBEDDING_COLUMNS`.
    model : str
        ``"MSD_musicnn"`` or ``"MTT_musicnn"``.
    skipped : list of (str, str)
        Files that could not be used, with the reason.
    """

    chunks: pd.DataFrame
    values: np.ndarray
    model: str
    skipped: list = field(default_factory=list)

    def features(self, kind: str = "pooled") -> np.ndarray:
        """One block of columns: ``tags`` (n, 50), ``pooled`` (n, 1506), ``mean_pool``,
        ``max_pool`` (n, 753) or ``penultimate`` (n, 200)."""
        if kind not in EMBEDDING_COLUMNS:
            raise ConfigError(f"kind must be one of {tuple(EMBEDDING_COLUMNS)}, got {kind!r}")
        return self.values[:, EMBEDDING_COLUMNS[kind]]

    def track_means(self, kind: str = "tags") -> pd.DataFrame:
        """Mean over the patches of each track: one row per track, one column per feature."""
        values = pd.DataFrame(self.features(kind))
        values["track_id"] = self.chunks["track_id"].to_numpy()
        return values.groupby("track_id", sort=False).mean()


def _file_patches(path: str, chunk_config: ChunkConfig, folder: Path, key: str) -> np.ndarray:
    """The cached patches of one file (computed and saved on the first call)."""
    target = folder / PATCH_DIR / f"{Path(path).stem}-{key}.npy"
    if target.exists():
        return np.load(target)
    y = load_audio(path, SAMPLE_RATE)
    if chunk_config.variable_length:  # whole patches' worth of samples from the middle
        y = cut_track(y, chunk_config, source=path).reshape(-1)
    else:
        y = fix_length(y, chunk_config, source=path)
    patches = signal_patches(y)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_array(target, patches)
    return patches


def _check_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("path", "track_id", "genre", "label", "artist") if c not in tracks]
    if missing:
        raise ConfigError(
            f"the track table lacks columns {missing}; build it with genrelib.data.index_gtzan"
        )
    return tracks.reset_index(drop=True).assign(path=tracks["path"].astype(str).to_numpy())


def _chunk_table(table: pd.DataFrame, counts: dict[str, int]) -> pd.DataFrame:
    usable = table[table["path"].isin(list(counts))].reset_index(drop=True)
    repeats = usable["path"].map(counts).to_numpy()
    chunks = usable.loc[usable.index.repeat(repeats)].reset_index(drop=True)
    chunks["chunk_index"] = chunk_positions(repeats)
    chunks["start"] = chunks["chunk_index"] * PATCH_SECONDS
    front = ["track_id", "genre", "label", "artist", "chunk_index", "start", "path"]
    return chunks[front + [c for c in chunks.columns if c not in front]]


def musicnn_embeddings(
    tracks: pd.DataFrame,
    model_name: str = "MSD_musicnn",
    track_seconds: float = 30.0,
    batch_size: int = 32,
    device: str = "cpu",
    cache_root: str | Path | None = None,
    progress: bool = True,
    precision: str = "fp32",
    variable_length: bool = False,
) -> MusicnnEmbeddings:
    """musicnn outputs of every patch of every track, from the cache or computed in batches.

    Each track is decoded at 16 kHz, fixed to ``track_seconds``, turned into musicnn
    patches (cached too: fine-tuning reads them), and the patches of a few files go through
    the network together. Undecodable or too-short files are skipped and listed.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    tracks : pd.DataFrame
        Track table (:func:`genrelib.data.index_gtzan`).
    model_name : {"MSD_musicnn", "MTT_musicnn"}
        Which pretrained network.
    track_seconds : float
        Common track length (30 s: 10 patches per GTZAN clip).
    batch_size : int
        Patches per forward pass.
    device : str
        ``"cpu"``, ``"cuda"``, ``"auto"``...
    cache_root : str, Path or None
        Root of the musicnn cache (``cache_dir()/musicnn`` when ``None``).
    progress : bool
        Show a progress bar over the files.
    precision : {"fp32", "auto", "bf16", "fp16"}
        Precision of the network (:func:`embed_patches`). ``"fp32"`` by default: the
        probes and the shipped genre probe were fitted on float32 embeddings, and these are
        the cached ones; another precision that resolves to other than fp32 is cached
        beside them (``<weights>-bf16``), never mixed in.
    variable_length : bool
        Tracks of any length (a collection of your own): at most ``track_seconds`` from the
        middle of each, as many patches as that holds (:func:`musicnn_chunk_config`).

    Returns
    -------
    MusicnnEmbeddings
        ``values`` of shape (n_patches, 1756).
    """
    table = _check_tracks(tracks)
    target_device = resolve_device(device)
    chunk_config = musicnn_chunk_config(track_seconds, variable_length)
    folder = musicnn_cache_dir(track_seconds, cache_root, variable_length)
    resolved = fast_path(target_device, precision).precision
    out_dir = folder / (_weights_tag(model_name) + ("" if resolved == "fp32" else f"-{resolved}"))
    out_dir.mkdir(parents=True, exist_ok=True)
    model: Musicnn | None = None
    reasons: dict[str, str] = {}
    arrays: dict[str, np.ndarray] = {}
    pending: list[tuple[str, Path, np.ndarray]] = []

    def flush() -> None:
        nonlocal model
        if not pending:
            return
        if model is None:
            model = load_musicnn(model_name, device=target_device)
        values = embed_patches(
            model, np.concatenate([p for _, _, p in pending]), batch_size, precision=resolved
        )
        start = 0
        for path, target, patches in pending:
            arrays[path] = values[start : start + len(patches)]
            save_array(target, arrays[path])
            start += len(patches)
        pending.clear()

    paths = list(dict.fromkeys(table["path"]))
    for path in tqdm(paths, desc=f"{model_name} embeddings", unit="file", disable=not progress):
        try:
            key = audio_file_key(path)
        except OSError as error:
            reasons[path] = f"{path}: cannot read the file ({error.strerror}); check the path"
            continue
        target = out_dir / f"{Path(path).stem}-{key}.npy"
        if target.exists():
            arrays[path] = np.load(target)
            continue
        try:
            patches = _file_patches(path, chunk_config, folder, key)
        except GenrelibError as error:
            reasons[path] = str(error)
            continue
        pending.append((path, target, patches))
        if sum(len(p) for _, _, p in pending) >= batch_size:
            flush()
    flush()
    chunks = _chunk_table(table, {path: len(arrays[path]) for path in paths if path in arrays})
    values = (
        np.concatenate([arrays[path] for path in paths if path in arrays])
        if arrays
        else np.zeros((0, N_TAGS + EMBEDDING_SIZE + PENULTIMATE), dtype=np.float32)
    )
    skipped = [(path, reasons[path]) for path in paths if path in reasons]
    return MusicnnEmbeddings(chunks, values.astype(np.float32), model_name, skipped)


def musicnn_patch_set(
    tracks: pd.DataFrame,
    track_seconds: float = 30.0,
    cache_root: str | Path | None = None,
    progress: bool = True,
) -> SpectrogramSet:
    """The musicnn patches of every track as a :class:`~genrelib.audio.SpectrogramSet`.

    Items are ``(96, 187)`` log-mel patches read from the cache, so the Trainer and
    :func:`genrelib.evaluation.predict_proba` take them as they take spectrograms.

    Notebook: 06b_music_transfer.

    Returns
    -------
    SpectrogramSet
        ``mel_config`` is a :class:`~genrelib.models.musicnn.MusicnnInput`,
        ``chunk_config`` is :func:`musicnn_chunk_config`.
    """
    table = _check_tracks(tracks)
    chunk_config = musicnn_chunk_config(track_seconds)
    folder = musicnn_cache_dir(track_seconds, cache_root)
    files: dict[str, str] = {}
    counts: dict[str, int] = {}
    skipped = []
    paths = list(dict.fromkeys(table["path"]))
    for path in tqdm(paths, desc="musicnn patches", unit="file", disable=not progress):
        try:
            key = audio_file_key(path)
            patches = _file_patches(path, chunk_config, folder, key)
        except OSError as error:
            skipped.append((path, f"{path}: cannot read the file ({error}); check the path"))
            continue
        except GenrelibError as error:
            skipped.append((path, str(error)))
            continue
        files[path] = str(folder / PATCH_DIR / f"{Path(path).stem}-{key}.npy")
        counts[path] = len(patches)
    chunks = _chunk_table(table, counts)
    chunks[FILE_COLUMN] = chunks["path"].map(files)
    return SpectrogramSet(chunks, MusicnnInput(), chunk_config, skipped=skipped)

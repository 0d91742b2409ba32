"""Transfer from a network trained on music: musicnn embeddings, probe, fine-tuning, default model.

Three uses of the pretrained :mod:`genrelib.models.musicnn`:

* **embeddings** (:func:`musicnn_embeddings`): every 187-frame patch (2.99 s) of every
  track gets musicnn's tag probabilities, its ``[mean_pool, max_pool]`` embedding (1506
  values) and its penultimate features (200), computed in batches and cached on disk per
  audio file (named like the spectrogram cache: file stem and a hash of path, size and
  modification time, under a folder keyed by the input settings and the weights);
* **a frozen-embedding probe** (:func:`probe_predictions`): a standardised logistic
  regression (or RBF SVM) on the patch embeddings, fitted on the train (and valid) tracks
  of a split protocol; a track's genre is the argmax of its mean patch probability. The
  output is the predictions table of :mod:`genrelib.protocols`, so chapter 09's intervals
  (seeds, then test tracks) apply unchanged;
* **fine-tuning** (:func:`run_finetune`): the musicnn front end as backbone under the
  paper's GRU head (:class:`~genrelib.models.musicnn.MusicnnGRU`), trained by genrelib's
  Trainer (:func:`genrelib.training.train`) on the cached patches, with the split of the
  chapters' networks (:func:`genrelib.experiments.split_chunks`, 80/10/10), and stored as
  a run folder that :func:`genrelib.experiments.collect_results` and
  :func:`genrelib.protocols.experiment_predictions` read.

And the model ``genrelib predict`` uses when no checkpoint is given: the genre probe
shipped in ``genrelib/models/weights/musicnn_genre_probe.npz``
(:data:`GENRE_PROBE_FILE`, :func:`load_genre_probe`), trained on the 100 real GTZAN clips
we have (see :func:`train_genre_probe` for what it is and how well it does).

Notebook: 06b_music_transfer (and 08_external_songs through ``genrelib predict``).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch import nn
from tqdm.auto import tqdm

import genrelib
from genrelib.atomic import atomic_write
from genrelib.audio import SpectrogramSet
from genrelib.audio.cache import FILE_COLUMN, audio_file_key, save_array
from genrelib.audio.chunking import fix_length
from genrelib.audio.io import load_audio
from genrelib.config import GENRES, ChunkConfig, Profile, cache_dir
from genrelib.data.splits import PROTOCOLS, assign_splits
from genrelib.errors import ConfigError, GenrelibError, TrackTooShortError, WeightsUnavailableError
from genrelib.evaluation import evaluate_probabilities, predict_proba, track_predictions
from genrelib.experiments import (
    PREDICTIONS_FILE,
    RESULT_FILE,
    SETUP_IGNORED,
    SPLITS,
    data_fingerprint,
    read_result,
    split_chunks,
)
from genrelib.models.musicnn import (
    EMBEDDING_SIZE,
    N_MELS,
    PATCH_FRAMES,
    PATCH_SECONDS,
    SAMPLE_RATE,
    WEIGHT_FILES,
    WEIGHTS_DIR,
    Musicnn,
    MusicnnInput,
    load_musicnn,
    log_mel_torch,
    musicnn_patches,
)
from genrelib.training import TrainConfig, load_checkpoint, resolve_device, train

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

PROBES: tuple[str, ...] = ("logistic_regression", "svm")
"""Probes :func:`probe_predictions` fits on the frozen embeddings."""

PROBE_LABELS: dict[str, str] = {
    "logistic_regression": "musicnn + logistic regression (frozen)",
    "svm": "musicnn + SVM (frozen)",
    "musicnn_gru": "musicnn front end + GRU (fine-tuned)",
}
"""Readable names of the transfer systems, for tables and plots."""

FINETUNE_LR = 1e-3
"""Adam learning rate of fine-tuning (one rate for the new head and the pretrained backbone)."""

MUSICNN_DIR = "musicnn"
PATCH_DIR = "patches"

GENRE_PROBE_FILE = WEIGHTS_DIR / "musicnn_genre_probe.npz"
"""The genre probe ``genrelib predict`` uses by default (written by :func:`save_genre_probe`)."""

GENRE_PROBE_SHA256 = "bb9c883e385bd641cd826f0fe09a27b5354379b66826b5ade3376ff12076210d"
"""sha256 of :data:`GENRE_PROBE_FILE`, checked at load."""

GENRE_PROBE_C = 0.1
"""Inverse regularisation of the shipped probe's logistic regression (standardised inputs)."""


def musicnn_chunk_config(track_seconds: float = 30.0) -> ChunkConfig:
    """Track length and patch length of musicnn's input, at 16 kHz.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    track_seconds : float
        Every track is trimmed (or zero-padded by at most 0.5 s) to this length first;
        30 s gives 1876 frames and 10 patches.

    Returns
    -------
    ChunkConfig
        ``chunk_seconds`` is one patch (2.992 s), ``sample_rate`` 16,000 Hz.
    """
    return ChunkConfig(
        chunk_seconds=PATCH_SECONDS, track_seconds=float(track_seconds), sample_rate=SAMPLE_RATE
    )


def patches_per_track(track_seconds: float = 30.0) -> int:
    """Number of musicnn patches of a track fixed to ``track_seconds``.

    Notebook: 06b_music_transfer.
    """
    samples = musicnn_chunk_config(track_seconds).track_samples
    return 1 + (1 + samples // MusicnnInput().hop_length - PATCH_FRAMES) // PATCH_FRAMES


def _weights_tag(model_name: str) -> str:
    return f"{model_name}-{WEIGHT_FILES[model_name][1][:8]}"


def musicnn_cache_dir(track_seconds: float = 30.0, cache_root: str | Path | None = None) -> Path:
    """Folder of the musicnn caches of one track length (patches, and embeddings per model).

    Notebook: 06b_music_transfer.

    Returns
    -------
    Path
        ``<cache_root or cache_dir()/musicnn>/<input key>-<chunk key>`` (not created).
    """
    root = Path(cache_root) if cache_root is not None else cache_dir() / MUSICNN_DIR
    return root / f"{MusicnnInput().key()}-{musicnn_chunk_config(track_seconds).key()}"


def signal_patches(y: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
    """musicnn patches of a whole 16 kHz signal: log-mel of the whole signal, then 187-frame cuts.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at 16 kHz.
    device : str or torch.device
        Where to compute the spectrogram.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, 96, 187)
    """
    log_mel = log_mel_torch(torch.from_numpy(np.asarray(y, dtype=np.float32)).to(device))
    return musicnn_patches(log_mel.cpu().numpy())


def embed_patches(
    model: Musicnn,
    patches: np.ndarray,
    batch_size: int = 32,
    device: str | torch.device | None = None,
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
        ``None``: the model's device.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, 1756)
        Columns as :data:`EMBEDDING_COLUMNS`.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    device = next(model.parameters()).device if device is None else torch.device(device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch_size]))
            f = model.features(batch[:, None].to(device))
            parts = [f["tags"], f["mean_pool"], f["max_pool"], f["penultimate"]]
            out.append(torch.cat(parts, dim=1).float().cpu())
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
    y = fix_length(load_audio(path, SAMPLE_RATE), chunk_config, source=path)
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
    chunks["chunk_index"] = np.concatenate([np.arange(n) for n in repeats]) if len(repeats) else []
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

    Returns
    -------
    MusicnnEmbeddings
        ``values`` of shape (n_patches, 1756).
    """
    table = _check_tracks(tracks)
    target_device = resolve_device(device)
    chunk_config = musicnn_chunk_config(track_seconds)
    folder = musicnn_cache_dir(track_seconds, cache_root)
    out_dir = folder / _weights_tag(model_name)
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
        values = embed_patches(model, np.concatenate([p for _, _, p in pending]), batch_size)
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


def build_probe(name: str = "logistic_regression", seed: int = 0) -> Pipeline:
    """Standard scaling then a linear probe (logistic regression) or an RBF SVM.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    name : {"logistic_regression", "svm"}
        Which probe.
    seed : int
        Seed of the solver (kept for symmetry; both are deterministic).

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    if name == "logistic_regression":
        # newton-cg to a 1e-3 tolerance: 7 iterations, 25 times faster than lbfgs to 1e-4 here
        model = LogisticRegression(C=GENRE_PROBE_C, solver="newton-cg", tol=1e-3, max_iter=200)
    elif name == "svm":
        model = SVC(C=1.0, random_state=seed)
    else:
        raise ConfigError(f"unknown probe {name!r}; choose one of {PROBES}")
    return Pipeline([("scale", StandardScaler()), ("model", model)])


def _probe_scores(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    """(n, n_classes) scores whose row mean ranks a track's genres (probabilities or margins)."""
    if hasattr(pipeline, "predict_proba") and isinstance(pipeline[-1], LogisticRegression):
        scores = pipeline.predict_proba(x)
    else:
        scores = pipeline.decision_function(x)
    full = np.full((len(x), len(GENRES)), -np.inf if scores.min() < 0 else 0.0)
    full[:, pipeline.classes_] = scores
    return full


def probe_predictions(
    embeddings: MusicnnEmbeddings,
    protocols: Sequence[str] = PROTOCOLS,
    seeds: Iterable[int] = range(10),
    probes: Sequence[str] = ("logistic_regression",),
    kind: str = "pooled",
    progress: bool = True,
) -> pd.DataFrame:
    """Test predictions of frozen-embedding probes under every protocol and seed.

    The split is the networks' (:func:`genrelib.data.assign_splits`, 80/10/10, so the test
    tracks are those of the CRNN runs of the same seed); the probe is fitted on the train
    and valid patches (it needs no early stopping) and scores the test patches; each test
    track's genre is the argmax of its mean patch score (probabilities or SVM margins).

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    embeddings : MusicnnEmbeddings
        From :func:`musicnn_embeddings`.
    protocols : sequence of str
        From :data:`genrelib.data.splits.PROTOCOLS`.
    seeds : iterable of int
        Seeds of the splits (``fault-filtered``, a fixed split, runs the first only).
    probes : sequence of str
        From :data:`PROBES`.
    kind : str
        Which embedding block (:meth:`MusicnnEmbeddings.features`).
    progress : bool
        Show a progress bar.

    Returns
    -------
    pd.DataFrame
        One row per test track of every run: ``model``, ``protocol``, ``seed``,
        ``track_id``, ``true``, ``predicted`` (genre indices), as
        :data:`genrelib.protocols.PREDICTION_COLUMNS`.
    """
    seeds = [int(s) for s in seeds]
    bad = [p for p in protocols if p not in PROTOCOLS] + [p for p in probes if p not in PROBES]
    if bad or not seeds:
        raise ConfigError(f"unknown protocol(s)/probe(s) {bad} or no seed; see {PROTOCOLS}")
    x = embeddings.features(kind)
    chunks = embeddings.chunks
    frames = []
    runs = sum(1 if p == "fault-filtered" else len(seeds) for p in protocols) * len(probes)
    bar = tqdm(total=runs, desc="probes", disable=not progress)
    for protocol in protocols:
        # the fault-filtered split is fixed and both probes are deterministic: further seeds
        # would repeat the run and shrink the seed-then-track interval without new evidence
        for seed in seeds[:1] if protocol == "fault-filtered" else seeds:
            split = assign_splits(chunks, protocol, seed=seed).to_numpy()
            train_rows, test_rows = np.isin(split, ("train", "valid")), split == "test"
            if not test_rows.any() or len(np.unique(chunks["label"][train_rows])) < 2:
                raise ConfigError(
                    f"protocol {protocol!r} leaves no test track or fewer than 2 training "
                    "genres; use more tracks"
                )
            for name in probes:
                probe = build_probe(name, seed).fit(x[train_rows], chunks["label"][train_rows])
                scores = _probe_scores(probe, x[test_rows])
                tracks = track_predictions(chunks[test_rows], _as_probabilities(scores))
                frames.append(
                    pd.DataFrame(
                        {
                            "model": name,
                            "protocol": protocol,
                            "seed": seed,
                            "track_id": tracks["track_id"].to_numpy(),
                            "true": tracks["label"].to_numpy(np.int64),
                            "predicted": tracks["pred_mean"].to_numpy(np.int64),
                        }
                    )
                )
                bar.update()
    bar.close()
    return pd.concat(frames, ignore_index=True)


def _as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Rows that keep the argmax of the mean score: probabilities as they are, margins softmaxed."""
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4):
        return scores
    finite = np.where(np.isfinite(scores), scores, -1e9)
    shifted = np.exp(finite - finite.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def finetune_config(budget: Mapping[str, Any], **overrides) -> TrainConfig:
    """Training settings of a fine-tuning run with ``budget`` (epochs, patches per epoch...).

    Inputs are not standardised: musicnn's own input batch norm does that, with the
    statistics it learnt on the Million Song Dataset.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    budget : mapping
        :class:`~genrelib.training.TrainConfig` fields bounding the run (the chapter's:
        :data:`genrelib.chapters.context.FINETUNE_BUDGETS`).
    **overrides
        Further fields (seed, device...).
    """
    values = {
        **budget,
        "lr": FINETUNE_LR,
        "normalize": False,
        "amp": False,
    }
    values.update(overrides)
    return TrainConfig(**values)


def _finetune_key(
    protocol: str, seed: int, options: dict, config: TrainConfig, tracks: pd.DataFrame
) -> str:
    payload = {
        "options": options,
        "train": {
            k: v
            for k, v in config.to_dict().items()
            if k not in SETUP_IGNORED  # as run_experiment's keys: results-neutral settings
        },
        "input": asdict(MusicnnInput()),
        "data": data_fingerprint(tracks),
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:10]
    return f"musicnn_gru-3s-{protocol}-seed{seed}-{digest}"


def _set_metrics(chunks: pd.DataFrame, probabilities: np.ndarray, prefix: str, seed: int) -> dict:
    evaluation = evaluate_probabilities(chunks, probabilities, seed=seed)
    frame = evaluation.metrics.set_index(["level", "metric"])
    row = {}
    for level, name in (("chunk", "chunk"), ("track_mean", "track")):
        for metric in ("accuracy", "f1_micro", "f1_macro"):
            values = frame.loc[(level, metric)]
            row[f"{prefix}_{name}_{metric}"] = float(values["estimate"])
            if metric != "f1_micro":
                row[f"{prefix}_{name}_{metric}_low"] = float(values["low"])
                row[f"{prefix}_{name}_{metric}_high"] = float(values["high"])
    return row


def run_finetune(
    tracks: pd.DataFrame,
    profile: Profile,
    results_root: str | Path,
    budget: Mapping[str, Any],
    protocol: str = "track",
    seed: int = 0,
    model_options: dict | None = None,
    device: str = "auto",
    progress: bool = True,
    cache_root: str | Path | None = None,
    **train_overrides,
) -> dict:
    """Fine-tune the musicnn front end under a GRU head, or read the finished run back.

    The run lives in ``<results_root>/runs/<key>/`` with the files of
    :func:`genrelib.experiments.run_experiment` (``best.pt``, ``last.pt``, ``history.csv``,
    ``test_predictions.csv``, ``result.json``), so ``collect_results(results_root)`` and
    ``experiment_predictions`` read it.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    tracks : pd.DataFrame
        Track table.
    profile : Profile
        Sets the track length (and is recorded in the result row).
    results_root : str or Path
        Folder of this chapter's runs (e.g. ``results/cpu/music_transfer``).
    budget : mapping
        Epochs, patches per epoch, batch size, patience (:func:`finetune_config`).
    protocol : str
        Split protocol (the chapters' 80/10/10 split, :func:`genrelib.experiments.split_chunks`).
    seed : int
        Seed of the split and of the training.
    model_options : dict or None
        Options of :class:`~genrelib.models.musicnn.MusicnnGRU`.
    device : str
        Training device.
    progress : bool
        Show progress bars.
    cache_root : str, Path or None
        Root of the musicnn cache.
    **train_overrides
        :class:`~genrelib.training.TrainConfig` fields replacing :func:`finetune_config`'s.

    Returns
    -------
    dict
        The result row (keys as :func:`genrelib.experiments.run_experiment`'s).
    """
    options = {"backbone": "MSD_musicnn", **(model_options or {})}
    config = finetune_config(budget, seed=seed, device=device, **train_overrides)
    results_root = Path(results_root)
    run_dir = results_root / "runs" / _finetune_key(protocol, seed, options, config, tracks)
    stored = read_result(run_dir)
    if stored is not None:
        return stored
    patches = musicnn_patch_set(tracks, profile.track_seconds, cache_root, progress)
    split = split_chunks(patches, protocol, seed).to_numpy()
    sets = {name: patches.subset(split == name) for name in SPLITS}
    result = train("musicnn_gru", sets["train"], sets["valid"], config, run_dir, options, progress)
    model, _ = load_checkpoint(result.checkpoint, device=result.device)
    synthetic = tracks["artist"].astype(str).str.startswith("synthetic ").all()
    row = {
        "key": run_dir.name,
        "name": f"musicnn_gru-3s-{protocol}-seed{seed}",
        "run_dir": str(run_dir.relative_to(results_root)),
        "model": "musicnn_gru",
        "chunk_seconds": round(PATCH_SECONDS, 3),
        "protocol": protocol,
        "seed": seed,
        "model_options": json.dumps(options, sort_keys=True),
        "mel": "musicnn",
        "hop_length": MusicnnInput().hop_length,
        "profile": profile.name,
        "data": "synthetic" if synthetic else "gtzan",
        "data_fingerprint": data_fingerprint(tracks),
        "n_skipped_files": len(patches.skipped),
        "max_epochs": config.max_epochs,
        "patience": config.patience,
        "batch_size": config.batch_size,
        "max_train_chunks": config.max_train_chunks,
        "lr": config.lr,
    }
    for name, subset in sets.items():
        row[f"n_{name}_chunks"] = len(subset)
        row[f"n_{name}_tracks"] = int(subset.chunks["track_id"].nunique())
    for name, subset in sets.items():
        if name == "train" and config.max_train_chunks and len(subset) > config.max_train_chunks:
            # score as many training patches as an epoch trains on (as run_experiment does)
            picked = np.random.default_rng(seed).choice(len(subset), config.max_train_chunks, False)
            subset = subset.subset(np.sort(picked))
            row["n_train_eval_chunks"] = len(subset)
        probabilities = predict_proba(
            model, subset, batch_size=32, device=result.device, progress=progress
        )
        row.update(_set_metrics(subset.chunks, probabilities, name, seed))
        if name == "test":
            table = pd.DataFrame(
                {
                    "track_id": subset.chunks["track_id"].to_numpy(),
                    "chunk_index": subset.chunks["chunk_index"].to_numpy(),
                    "true": subset.chunks["label"].to_numpy(),
                    "predicted": probabilities.argmax(axis=1),
                }
            )
            for k, genre in enumerate(GENRES):
                table[f"p_{genre}"] = probabilities[:, k].round(6)
            atomic_write(run_dir / PREDICTIONS_FILE, table.to_csv(index=False))
    history = result.history
    row.update(
        {
            "epochs_run": len(history),
            "best_epoch": result.best_epoch,
            "stopped_early": bool(result.stopped_early),
            "train_seconds": float(history["seconds"].sum()),
            "seconds_per_epoch": float(history["seconds"].mean()),
            "device": result.device,
            "genrelib_version": genrelib.__version__,
            "torch_version": torch.__version__,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    )
    atomic_write(run_dir / RESULT_FILE, json.dumps(row, indent=1))
    return row


class GenreProbe(nn.Module):
    """musicnn followed by a linear genre probe: patches in, genre scores out.

    ``scores = W ((e - mean) / scale) + b`` with ``e`` the ``[mean_pool, max_pool]``
    embedding; softmax gives the logistic regression's probabilities.

    Notebook: 06b_music_transfer, 08_external_songs.

    Parameters
    ----------
    backbone : Musicnn
        Pretrained musicnn.
    mean, scale : np.ndarray, shape (1506,)
        The probe's standardisation.
    coef : np.ndarray, shape (n_classes, 1506)
    intercept : np.ndarray, shape (n_classes,)
    """

    def __init__(self, backbone: Musicnn, mean, scale, coef, intercept) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, dtype=np.float32)))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, dtype=np.float32)))
        self.linear = nn.Linear(coef.shape[1], coef.shape[0])
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(np.asarray(coef, dtype=np.float32)))
            self.linear.bias.copy_(torch.as_tensor(np.asarray(intercept, dtype=np.float32)))

    @property
    def outputs_probabilities(self) -> bool:
        """False: ``forward`` returns logits."""
        return False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map patches ``(batch, 1, 96, 187)`` to genre logits ``(batch, n_classes)``."""
        return self.linear((self.backbone.embed(x) - self.mean) / self.scale)


def train_genre_probe(
    embeddings: MusicnnEmbeddings, n_folds: int = 5, seed: int = 0
) -> tuple[dict[str, np.ndarray], dict]:
    """Fit the shipped genre probe on all patches, and measure it by track-disjoint CV.

    A logistic regression (``C`` = :data:`GENRE_PROBE_C`) on standardised ``[mean_pool,
    max_pool]`` embeddings of every patch. Its honest accuracy is that of ``n_folds``-fold
    cross-validation grouped by track (no track's patches on both sides), at track level
    (mean patch probability); the folds are *not* artist-disjoint: on GTZAN's indices
    00000-00009 several genres hold one artist, so this still leaks the artist's sound.

    Notebook: 06b_music_transfer.

    Returns
    -------
    arrays : dict of str to np.ndarray
        ``mean``, ``scale`` (1506,), ``coef`` (10, 1506), ``intercept`` (10,).
    info : dict
        What it was trained on and its CV accuracy (``cv_track_accuracy``,
        ``cv_chunk_accuracy``, per fold too).
    """
    x = embeddings.features("pooled")
    y = embeddings.chunks["label"].to_numpy()
    groups = embeddings.chunks["track_id"].to_numpy()
    folds = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed)
    track_hits, chunk_hits, per_fold = 0, 0, []
    for train_rows, test_rows in folds.split(x, y, groups):
        probe = build_probe("logistic_regression").fit(x[train_rows], y[train_rows])
        scores = _probe_scores(probe, x[test_rows])
        tracks = track_predictions(embeddings.chunks.iloc[test_rows], scores)
        hits = int((tracks["pred_mean"] == tracks["label"]).sum())
        track_hits += hits
        chunk_hits += int((scores.argmax(axis=1) == y[test_rows]).sum())
        per_fold.append(hits / len(tracks))
    probe = build_probe("logistic_regression").fit(x, y)
    scaler, model = probe.named_steps["scale"], probe.named_steps["model"]
    if list(model.classes_) != list(range(len(GENRES))):
        raise ConfigError("the genre probe needs every genre in its training data")
    n_tracks = embeddings.chunks["track_id"].nunique()
    info = {
        "what": "logistic regression on MSD_musicnn [mean_pool, max_pool] patch embeddings",
        "C": GENRE_PROBE_C,
        "trained_on": f"{n_tracks} GTZAN clips, {len(x)} patches of 2.99 s",
        "track_ids": sorted(map(str, set(groups))),
        "cv": f"{n_folds}-fold, grouped by track (not by artist), seed {seed}",
        "cv_track_accuracy": track_hits / n_tracks,
        "cv_chunk_accuracy": chunk_hits / len(x),
        "cv_fold_track_accuracy": per_fold,
        "class_names": list(GENRES),
        "backbone": embeddings.model,
        "backbone_sha256": WEIGHT_FILES[embeddings.model][1],
        "genrelib_version": genrelib.__version__,
    }
    arrays = {
        "mean": scaler.mean_.astype(np.float32),
        "scale": scaler.scale_.astype(np.float32),
        "coef": model.coef_.astype(np.float32),
        "intercept": model.intercept_.astype(np.float32),
    }
    return arrays, info


def save_genre_probe(arrays: dict[str, np.ndarray], info: dict, target: str | Path) -> str:
    """Write a genre probe as a deterministic ``.npz`` (stored, fixed dates); return its sha256.

    Notebook: 06b_music_transfer.
    """
    content = dict(arrays)
    content["info_json"] = np.frombuffer(json.dumps(info, sort_keys=True).encode(), np.uint8)
    target = Path(target)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(content):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, content[name], version=(1, 0), allow_pickle=False)
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, buffer.getvalue())
    return hashlib.sha256(target.read_bytes()).hexdigest()


def genre_probe_info(path: str | Path | None = None) -> dict:
    """What the shipped genre probe was trained on, and its cross-validated accuracy.

    Notebook: 06b_music_transfer, 08_external_songs.
    """
    with np.load(_checked_probe(path)) as archive:
        return json.loads(bytes(archive["info_json"]).decode())


def _checked_probe(path: str | Path | None) -> Path:
    path = Path(path) if path is not None else GENRE_PROBE_FILE
    fix = (
        "reinstall genrelib (the file ships with it) or rebuild it with tools/build_genre_probe.py"
    )
    if not path.is_file():
        raise WeightsUnavailableError(f"{path}: genre probe file missing; {fix}")
    if path == GENRE_PROBE_FILE:
        found = hashlib.sha256(path.read_bytes()).hexdigest()
        if found != GENRE_PROBE_SHA256:
            raise WeightsUnavailableError(
                f"{path}: sha256 {found[:12]}... differs from the shipped "
                f"{GENRE_PROBE_SHA256[:12]}... (altered file); {fix}"
            )
    return path


def load_genre_probe(
    device: str = "auto", path: str | Path | None = None
) -> tuple[GenreProbe, dict]:
    """The default genre model: pretrained MSD_musicnn and the shipped probe, with its meta.

    ``meta`` has the keys ``genrelib predict`` needs (``class_names``, ``mel_config``,
    ``chunk_config``, ``model_name`` = ``"musicnn_probe"``) plus ``probe`` (its info).

    Notebook: 08_external_songs.

    Raises
    ------
    WeightsUnavailableError
        If the musicnn weights or the probe file are missing or altered.
    """
    checked = _checked_probe(path)
    with np.load(checked) as archive:
        arrays = {name: archive[name] for name in archive.files}
    info = json.loads(bytes(arrays.pop("info_json")).decode())
    target = resolve_device(device)
    backbone = load_musicnn(info["backbone"], device="cpu")
    model = GenreProbe(
        backbone, arrays["mean"], arrays["scale"], arrays["coef"], arrays["intercept"]
    )
    meta = {
        "model_name": "musicnn_probe",
        "class_names": info["class_names"],
        "mel_config": asdict(MusicnnInput()),
        "chunk_config": asdict(musicnn_chunk_config()),
        "probe": info,
    }
    return model.to(target).eval(), meta


def is_musicnn_input(meta: dict) -> bool:
    """Whether a model's meta says it takes musicnn patches (probe or fine-tuned musicnn_gru).

    Notebook: 08_external_songs.
    """
    mel = meta.get("mel_config") or {}
    return mel.get("name") == MusicnnInput().name and mel.get("n_mels") == N_MELS


def song_patches(
    y: np.ndarray, short: str = "pad", min_fraction: float = 0.5, source: str = "song"
) -> tuple[np.ndarray, bool]:
    """musicnn patches of a whole song at 16 kHz, under ``genrelib predict``'s short-song rule.

    A song shorter than one patch is zero-padded to one patch when it holds at least
    ``min_fraction`` of it (``short="pad"``), and rejected otherwise, or always with
    ``short="error"``.

    Notebook: 08_external_songs.

    Returns
    -------
    patches : np.ndarray, float32, shape (n_patches, 96, 187)
    padded : bool

    Raises
    ------
    TrackTooShortError
        If the song is too short under the rule.
    """
    size = MusicnnInput().patch_samples
    if len(y) >= size:
        return signal_patches(y), False
    seconds = len(y) / SAMPLE_RATE
    if short == "error" or len(y) < min_fraction * size:
        least = "one" if short == "error" else f"{min_fraction:g} of a"
        raise TrackTooShortError(
            f"{source}: lasts {seconds:.2f} s, shorter than {least} {PATCH_SECONDS:.2f}-s "
            "musicnn patch; use a longer song"
        )
    return signal_patches(np.pad(np.asarray(y, dtype=np.float32), (0, size - len(y)))), True


def patch_probabilities(model: nn.Module, patches: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Softmax genre probabilities of musicnn patches, in batches.

    Notebook: 08_external_songs.

    Parameters
    ----------
    model : nn.Module
        :class:`GenreProbe` or a fine-tuned ``musicnn_gru`` (patches in, logits out).
    patches : np.ndarray, shape (n_patches, 96, 187)
    batch_size : int

    Returns
    -------
    np.ndarray, float32, shape (n_patches, n_classes)
    """
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch_size]))
            out.append(torch.softmax(model(batch[:, None].to(device)).float(), 1).cpu())
    return torch.cat(out).numpy().astype(np.float32)

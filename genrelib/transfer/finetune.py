"""Fine-tuning: the musicnn front end under the paper's GRU head, stored as a run folder.

:class:`~genrelib.models.musicnn.MusicnnGRU` is trained by genrelib's Trainer
(:func:`genrelib.training.train`) on the cached patches, with the split of the chapters'
networks (:func:`genrelib.experiments.split_chunks`, 80/10/10); the run folder is one that
:func:`genrelib.experiments.collect_results` and
:func:`genrelib.protocols.experiment_predictions` read.

Notebook: 06b_music_transfer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genrelib.atomic import atomic_write
from genrelib.config import GENRES, Profile
from genrelib.evaluation import evaluate_probabilities, predict_proba
from genrelib.experiments import (
    PREDICTIONS_FILE,
    RESULT_FILE,
    SETUP_IGNORED,
    SPLITS,
    check_training_allowed,
    data_fingerprint,
    read_result,
    split_chunks,
    split_metrics,
    training_record,
)
from genrelib.models.musicnn import (
    PATCH_SECONDS,
    MusicnnInput,
)
from genrelib.training import TrainConfig, load_checkpoint, train
from genrelib.transfer.embeddings import (
    musicnn_patch_set,
)

FINETUNE_LR = 1e-3
"""Adam learning rate of fine-tuning (one rate for the new head and the pretrained backbone)."""


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
    check_training_allowed(run_dir, f"musicnn fine-tuning ({protocol} split, seed {seed})")
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
        evaluation = evaluate_probabilities(subset.chunks, probabilities, seed=seed)
        row.update(split_metrics(evaluation, name))
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
    row.update(training_record(result))
    atomic_write(run_dir / RESULT_FILE, json.dumps(row, indent=1))
    return row

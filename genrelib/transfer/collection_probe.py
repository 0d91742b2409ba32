"""A musicnn probe for your own collection: its labels, its folds, one file to predict with.

``genrelib probe fit`` embeds (at most) the middle 30 s of every track with the pretrained musicnn
(cached), measures a logistic-regression probe by k-fold cross-validation that never puts a
track (or a group, when the manifest names groups) on both sides, then fits it on every
track and writes it in the format of the shipped genre probe, class names included, so
that ``genrelib predict --model FILE`` answers in the collection's labels.

Notebook: 11_own_collection (``genrelib probe fit``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

import genrelib
from genrelib.atomic import check_output_file
from genrelib.data.collection import Collection, collection_folds
from genrelib.errors import ConfigError
from genrelib.evaluation import exact_interval, track_predictions
from genrelib.models.musicnn import WEIGHT_FILES
from genrelib.transfer.embeddings import musicnn_embeddings
from genrelib.transfer.genre_probe import probe_arrays, save_genre_probe, with_novelty
from genrelib.transfer.probes import GENRE_PROBE_C, build_probe


@dataclass(frozen=True)
class ProbeFit:
    """A fitted collection probe and its cross-validated accuracy.

    Notebook: 11_own_collection (``genrelib probe fit``).

    Attributes
    ----------
    arrays : dict of str to np.ndarray
        ``mean``, ``scale`` (1506,), ``coef`` (n_classes, 1506), ``intercept`` (n_classes,),
        ``centroids`` (n_classes, 1506) and ``far_distance`` (:mod:`genrelib.transfer.novelty`).
    info : dict
        What it was trained on, ``class_names`` and the cross-validated accuracy.
    confusion : pandas.DataFrame
        Out-of-fold track counts, rows true and columns predicted labels.
    skipped : list of (str, str)
        Files left out, with the reason (unreadable, or shorter than one musicnn patch).
    """

    arrays: dict
    info: dict
    confusion: pd.DataFrame
    skipped: list

    @property
    def accuracy(self) -> tuple[float, float, float]:
        """Out-of-fold track accuracy with its exact binomial 95 % interval (fractions)."""
        counts = self.confusion.to_numpy()
        hits, total = int(np.trace(counts)), int(counts.sum())
        return (hits / total, *exact_interval(hits, total))


def _scores(probe, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over every class (0 for a class the fold's training lacked)."""
    full = np.zeros((len(x), n_classes))
    full[:, probe.classes_] = probe.predict_proba(x)
    return full


def fit_collection_probe(
    collection: Collection,
    seconds: float = 30.0,
    n_folds: int = 5,
    seed: int = 0,
    device: str = "auto",
    progress: bool = True,
) -> ProbeFit:
    """Embed a collection with musicnn, cross-validate a linear probe on it, fit it on all.

    Notebook: 11_own_collection (``genrelib probe fit``).

    Parameters
    ----------
    collection : Collection
        The indexed collection (:func:`~genrelib.data.collection.index_collection`).
    seconds : float
        Most seconds of each track used, from its middle; a shorter track gives the whole
        musicnn patches it holds (one at least: a track shorter than a patch is skipped and
        listed).
    n_folds : int
        Folds of the cross-validation (every label needs at least this many tracks).
    seed : int
        Seed of the folds.
    device : str
        Device of musicnn (``"auto"``: the GPU when there is one).
    progress : bool
        Show a progress bar over the files.

    Returns
    -------
    ProbeFit

    Raises
    ------
    ConfigError
        If a label keeps fewer tracks than folds once unusable files are left out.
    """
    embeddings = musicnn_embeddings(
        collection.tracks,
        track_seconds=seconds,
        device=device,
        progress=progress,
        variable_length=True,
    )
    used = collection.tracks[collection.tracks["path"].isin(set(embeddings.chunks["path"]))]
    usable = replace(collection, tracks=used.reset_index(drop=True))
    folds = pd.Series(collection_folds(usable, n_folds, seed), index=usable.tracks["track_id"])
    chunks = embeddings.chunks
    x, y = embeddings.features("pooled"), chunks["label"].to_numpy()
    patch_folds = chunks["track_id"].map(folds).to_numpy()
    n_classes = len(collection.classes)
    predicted = []
    for fold in range(n_folds):
        train, test = patch_folds != fold, patch_folds == fold
        probe = build_probe("logistic_regression").fit(x[train], y[train])
        predicted.append(track_predictions(chunks[test], _scores(probe, x[test], n_classes)))
    tracks = pd.concat(predicted, ignore_index=True)
    confusion = pd.crosstab(
        pd.Categorical(
            tracks["label"].map(dict(enumerate(collection.classes))), collection.classes
        ),
        pd.Categorical(
            tracks["pred_mean"].map(dict(enumerate(collection.classes))), collection.classes
        ),
        rownames=["true"],
        colnames=["predicted"],
        dropna=False,
    )
    probe = build_probe("logistic_regression").fit(x, y)
    if list(probe.classes_) != list(range(n_classes)):
        raise ConfigError("every label needs usable tracks to fit the probe on")
    arrays = with_novelty(probe_arrays(probe), embeddings)
    hits = int(np.trace(confusion.to_numpy()))
    grouped = (usable.tracks["artist"] != "").any()
    info = {
        "what": "logistic regression on MSD_musicnn [mean_pool, max_pool] patch embeddings",
        "C": GENRE_PROBE_C,
        "trained_on": (
            f"{len(usable.tracks)} tracks of {collection.root.name} (at most {seconds:g} s each), "
            f"{len(x)} patches of 2.99 s"
        ),
        "cv": f"{n_folds}-fold, {'group' if grouped else 'track'}-disjoint, seed {seed}",
        "cv_track_accuracy": hits / len(tracks),
        "class_names": list(collection.classes),
        "backbone": embeddings.model,
        "backbone_sha256": WEIGHT_FILES[embeddings.model][1],
        "genrelib_version": genrelib.__version__,
    }
    return ProbeFit(arrays, info, confusion, list(embeddings.skipped))


def check_probe_target(target: str | Path) -> Path:
    """Refuse, before any work, an output path a probe cannot be written to.

    Notebook: none (``genrelib probe fit --out``).

    Raises
    ------
    ConfigError
        If ``target`` is a folder or its folder does not exist.
    """
    return check_output_file(target, "--out", "my.probe")


def write_probe(fit: ProbeFit, target: str | Path) -> Path:
    """Write a fitted probe, atomically, where :func:`genrelib.predict.load_model` reads it.

    Notebook: 11_own_collection (``genrelib probe fit --out``).
    """
    target = check_probe_target(target)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        save_genre_probe(fit.arrays, fit.info, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target

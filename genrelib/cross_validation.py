"""Every track tested once: k-fold cross-validation of the baselines under a split protocol.

On the book's 100 clips one 80/20 split tests 20 tracks, and a score on 20 tracks has a
95 % interval about 40 points wide. Cross-validation cuts the tracks into ``n_folds``
folds, trains on all but one and tests on that one, ``n_folds`` times: every track is
tested exactly once, by a model that never saw it, and the score rests on all 100.

The folds follow the same protocols as the single splits of :mod:`genrelib.data.splits`:

``"paper"``
    Rows (chunks) are dealt into folds at random, stratified by genre: chunks of one
    track land in several folds, the leak of the paper's random split.
``"track"``
    Whole tracks are dealt into folds (stratified by genre): no track on both sides.
``"artist"``
    Whole artists are dealt into folds (an artist missing from the index counts as an
    artist of its own): no artist on both sides, where the index allows.

The fixed fault-filtered split has no folds; it stays a single split.

Notebook: 03_baselines, 09_honest_evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from genrelib.baselines import fit_predict, prepare_table
from genrelib.config import DEFAULT_BASELINES
from genrelib.data.splits import artist_keys
from genrelib.errors import ConfigError
from genrelib.run_cache import baseline_runs, cached_runs

CV_PROTOCOLS: tuple[str, ...] = ("paper", "track", "artist")
"""Protocols that can be cross-validated (``fault-filtered`` is one fixed split)."""

N_FOLDS = 5
"""Folds of the book's cross-validation: each fold tests a fifth of the tracks."""


def fold_groups(table: pd.DataFrame, protocol: str) -> np.ndarray | None:
    """What a fold keeps whole under ``protocol``: nothing (rows), tracks or artists.

    Notebook: 03_baselines.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``track_id`` (and ``artist`` for ``"artist"``).
    protocol : {"paper", "track", "artist"}
        See the module docstring.

    Returns
    -------
    numpy.ndarray or None
        Shape (n_rows,): the group of each row; ``None`` for ``"paper"`` (rows are free).
    """
    if protocol not in CV_PROTOCOLS:
        raise ConfigError(
            f"protocol {protocol!r} cannot be cross-validated; choose one of {CV_PROTOCOLS} "
            "(fault-filtered is one fixed split)"
        )
    if protocol == "paper":
        return None
    if protocol == "track":
        return table["track_id"].astype(str).to_numpy()
    return artist_keys(table).to_numpy()


def assign_folds(
    table: pd.DataFrame, protocol: str, n_folds: int = N_FOLDS, seed: int = 0
) -> np.ndarray:
    """Fold of each row: stratified by genre, rows, tracks or artists kept whole.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``label`` (genre index), ``track_id`` and, for ``"artist"``, ``artist``.
    protocol : {"paper", "track", "artist"}
        See the module docstring.
    n_folds : int
        Number of folds, at least 2.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    numpy.ndarray
        Shape (n_rows,), ints in ``[0, n_folds)``; every row is in exactly one fold.

    Raises
    ------
    ConfigError
        On an unknown protocol, ``n_folds < 2``, or fewer groups than folds.
    """
    groups = fold_groups(table, protocol)
    if n_folds < 2:
        raise ConfigError(f"n_folds must be at least 2, got {n_folds}")
    units = len(table) if groups is None else len(np.unique(groups))
    if units < n_folds:
        kind = {"paper": "rows", "track": "tracks", "artist": "artists"}[protocol]
        raise ConfigError(
            f"{n_folds}-fold cross-validation under {protocol!r} needs at least {n_folds} "
            f"{kind}, the table has {units}; use fewer folds or more tracks"
        )
    labels = table["label"].to_numpy()
    if groups is None:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed)
    folds = np.full(len(table), -1, dtype=np.int64)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(table)), labels, groups)):
        folds[test] = fold
    return folds


def _one_run(table: pd.DataFrame, run: Mapping, n_jobs: int) -> pd.DataFrame:
    """Out-of-fold predictions of one run (model, protocol, seed, folds): every row once."""
    model, protocol, seed, n_folds = run["model"], run["protocol"], run["seed"], run["n_folds"]
    folds = assign_folds(table, protocol, n_folds, seed)
    predicted = np.empty(len(table), dtype=np.int64)
    for fold in range(n_folds):
        split = pd.Series(np.where(folds == fold, "test", "train"), index=table.index)
        predicted[folds == fold], _ = fit_predict(table, split, model, protocol, seed, n_jobs)
    return pd.DataFrame(
        {
            "fold": folds,
            "track_id": table["track_id"].to_numpy(),
            "true": table["label"].to_numpy(),
            "predicted": predicted,
        }
    )


def cross_validated_predictions(
    features: pd.DataFrame,
    protocols: Sequence[str] = CV_PROTOCOLS,
    seeds: Iterable[int] = (0,),
    models: Sequence[str] = DEFAULT_BASELINES,
    n_folds: int = N_FOLDS,
    artists: pd.DataFrame | None = None,
    n_jobs: int = 1,
    cache: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Out-of-fold test predictions of the baselines: every row tested once per seed.

    Each (model, protocol, seed) is one ``n_folds``-fold cross-validation; inside each
    training part the tuned models pick C or k by their own grouped folds
    (:func:`genrelib.baselines.fit_predict`). Finished runs are stored in the cache
    (:func:`genrelib.run_cache.cached_predictions`), so a second chapter asking for the
    same run reads the first one's predictions instead of refitting.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    features : pandas.DataFrame
        Kaggle-style feature table, shape (n_rows, 60): one row per track or per chunk.
    protocols : sequence of str
        From :data:`CV_PROTOCOLS`.
    seeds : iterable of int
        Seeds of the fold assignment and the models; each seed tests every row once.
    models : sequence of str
        Baselines from :data:`genrelib.config.BASELINES`.
    n_folds : int
        Folds per cross-validation.
    artists : pandas.DataFrame or None
        ``track_id, artist`` table; ``None``: the shipped GTZAN artist index.
    n_jobs : int
        Parallel jobs inside the models.
    cache : bool
        Read and write finished runs in the cache.
    progress : bool
        Show a tqdm progress bar (one step per run).

    Returns
    -------
    pandas.DataFrame
        One row per feature row, model, protocol and seed: ``model``, ``protocol``,
        ``seed``, ``fold``, ``track_id``, ``true``, ``predicted`` (genre indices), the
        columns of :data:`genrelib.protocols.PREDICTION_COLUMNS` plus ``fold``.

    Raises
    ------
    ConfigError
        On an unknown protocol or model, no seed, or fewer tracks or artists than folds.
    """
    runs = baseline_runs(
        protocols, seeds, models, CV_PROTOCOLS, kind="cross-validation", n_folds=n_folds
    )
    table = prepare_table(features, artists)
    compute = partial(_one_run, table, n_jobs=n_jobs)
    predictions = cached_runs(table, runs, compute, cache, progress, desc="cross-validation")
    return predictions[["model", "protocol", "seed", "fold", "track_id", "true", "predicted"]]

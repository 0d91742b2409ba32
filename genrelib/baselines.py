"""Classical baselines on the 57 hand-crafted features (the paper's Table IV).

Seven scikit-learn pipelines, each a :class:`~sklearn.preprocessing.StandardScaler`
followed by a classifier, trained on a Kaggle-style feature table
(:mod:`genrelib.features`) under a split protocol of :mod:`genrelib.data.splits`, for
several seeds, with every result kept as one tidy row.

About the metric: for single-label data every test row is one true positive or one
false positive plus one false negative, so micro-averaged F1 equals accuracy. The
paper's "F1" column matches micro F1 (accuracy); macro F1 (the unweighted mean of the
per-genre F1 scores) is reported beside it and is close on GTZAN's balanced classes.

Notebook: 03_baselines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from genrelib.config import BASELINES, GENRES
from genrelib.data.metadata import load_artist_index
from genrelib.data.splits import PROTOCOLS, assign_splits
from genrelib.errors import ConfigError
from genrelib.features import (
    FEATURE_COLUMNS,
    check_feature_values,
    is_collection_table,
    track_ids,
)
from genrelib.progress import tqdm

MODEL_LABELS: dict[str, str] = {
    "svm": "SVM (C=1)",
    "svm_tuned": "SVM (tuned C)",
    "knn_1": "KNN (k=1)",
    "knn_5": "KNN (k=5)",
    "knn_tuned": "KNN (tuned k)",
    "random_forest": "Random forest",
    "logistic_regression": "Logistic regression",
}
"""Readable name of each baseline, for tables and plots."""

SVM_C_GRID: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
"""Values of C searched by ``svm_tuned`` (the paper's tuned SVM used C=10)."""

KNN_K_GRID: tuple[int, ...] = tuple(range(1, 21))
"""Values of k searched by ``knn_tuned``."""

PAPER_TABLE_IV = pd.DataFrame(
    {
        "model": ["svm", "svm_tuned", "knn_1", "knn_5", "random_forest", "logistic_regression"],
        "paper_f1_30s": [69.63, 78.03, 66.67, 69.41, 68.04, 67.0],
        "paper_f1_3s": [85.98, 91.61, 91.47, 89.67, 87.65, 72.89],
    }
)
"""The paper's Table IV: test F1 in % on the Kaggle 30-s and 3-s tables, random 80/20
split over rows (as printed in the paper; ``knn_tuned`` has no row there)."""

PROTOCOL_NAMES: dict[str, str] = {"paper": "random"}
"""How a table names a protocol when its code name would mislead (``paper`` is the paper's
random split, not the paper's own numbers)."""

TEST_FRACTION = 0.2
"""Share of rows (``paper``) or tracks (``track``, ``artist``) held out for testing."""


def build_baseline(
    name: str,
    seed: int = 0,
    cv: object = 5,
    n_jobs: int = 1,
) -> BaseEstimator:
    """Return the unfitted pipeline of one baseline: standard scaling, then the model.

    ``svm_tuned`` and ``knn_tuned`` are a :class:`~sklearn.model_selection.GridSearchCV`
    around the pipeline (over :data:`SVM_C_GRID` and :data:`KNN_K_GRID`, accuracy),
    refitted on the whole training set with the best value.

    Notebook: 03_baselines.

    Parameters
    ----------
    name : str
        One of :data:`BASELINES`.
    seed : int
        Seed of the random forest.
    cv : int or cross-validation splitter
        Folds of the grid searches.
    n_jobs : int
        Parallel jobs of the random forest and of the grid searches.

    Returns
    -------
    sklearn.base.BaseEstimator
        A :class:`~sklearn.pipeline.Pipeline` or a grid search around one.

    Raises
    ------
    ConfigError
        If ``name`` is unknown.
    """
    classifiers = {
        "svm": lambda: SVC(C=1.0),
        "svm_tuned": lambda: SVC(),
        "knn_1": lambda: KNeighborsClassifier(n_neighbors=1),
        "knn_5": lambda: KNeighborsClassifier(n_neighbors=5),
        "knn_tuned": lambda: KNeighborsClassifier(),
        "random_forest": lambda: RandomForestClassifier(random_state=seed, n_jobs=n_jobs),
        "logistic_regression": lambda: LogisticRegression(max_iter=2000),
    }
    if name not in classifiers:
        raise ConfigError(f"unknown baseline {name!r}; choose one of {BASELINES}")
    pipeline = Pipeline([("scale", StandardScaler()), ("model", classifiers[name]())])
    grids = {
        "svm_tuned": {"model__C": list(SVM_C_GRID)},
        "knn_tuned": {"model__n_neighbors": list(KNN_K_GRID)},
    }
    if name in grids:
        return GridSearchCV(pipeline, grids[name], cv=cv, scoring="accuracy", n_jobs=n_jobs)
    return pipeline


def prepare_table(features: pd.DataFrame, artists: pd.DataFrame | None) -> pd.DataFrame:
    """Check a feature table and add the columns the splits and folds need.

    Notebook: 03_baselines.

    Parameters
    ----------
    features : pandas.DataFrame
        Kaggle-style feature table, shape (n_rows, >= 59), with ``filename`` and ``label``;
        a collection's (:func:`genrelib.features.is_collection_table`) has its own labels
        and gives each row's track and group itself.
    artists : pandas.DataFrame or None
        ``track_id, artist`` table; ``None``: the shipped GTZAN artist index (unused for a
        collection's table).

    Returns
    -------
    pandas.DataFrame
        The rows, index reset, with ``track_id``, ``label`` (class index: GTZAN's genres,
        or a collection's labels sorted), ``genre`` (name) and ``artist`` (empty when the
        index does not know the track; a collection's ``group``).

    Raises
    ------
    ConfigError
        On missing columns, empty or non-numeric feature cells, fewer than two labels,
        unknown genre labels or a malformed artist table.
    """
    missing = [name for name in ("filename", *FEATURE_COLUMNS, "label") if name not in features]
    if missing:
        raise ConfigError(
            f"feature table lacks columns {missing[:5]}; pass genrelib.features output "
            "or a Kaggle-style table read with genrelib.features.read_feature_table"
        )
    check_feature_values(features)
    if is_collection_table(features):
        classes = sorted(set(features["label"].astype(str)))  # as Collection.classes
        return features.reset_index(drop=True).assign(
            label=features["label"].astype(str).map(classes.index).astype(np.int64).to_numpy(),
            genre=features["label"].astype(str).to_numpy(),
            track_id=features["track_id"].astype(str).to_numpy(),
            artist=features["group"].fillna("").astype(str).to_numpy(),
        )
    unknown = sorted(set(features["label"]) - set(GENRES))
    if unknown:
        raise ConfigError(f"feature table has unknown genre labels {unknown[:5]}")
    table = features.reset_index(drop=True)
    table = table.assign(
        track_id=track_ids(table["filename"]),
        label=table["label"].map(GENRES.index).astype(np.int64),
        genre=table["label"],
    )
    index = load_artist_index() if artists is None else artists
    if not {"track_id", "artist"} <= set(index.columns):
        raise ConfigError("artists must be a table with columns track_id and artist")
    artist_of = dict(zip(index["track_id"], index["artist"], strict=True))
    table["artist"] = table["track_id"].map(artist_of).fillna("")
    return table


def split_rows(
    table: pd.DataFrame, protocol: str, seed: int = 0, artists: pd.DataFrame | None = None
) -> pd.Series:
    """Assign each feature row to ``"train"``, ``"test"`` (or ``"unused"``).

    ``paper``: random 80/20 over rows, the paper's split; for chunk rows it puts
    chunks of one track on both sides. ``track`` and ``artist``: 80/20 over tracks or
    artists (:func:`genrelib.data.splits.assign_splits` with its train and valid sets
    merged into train). ``fault-filtered``: the fixed artist-disjoint lists, train and
    valid for training, test for testing; other tracks are ``"unused"``.

    Notebook: 03_baselines.

    Parameters
    ----------
    table : pandas.DataFrame
        Feature table, shape (n_rows, >= 59), with ``filename`` and ``label``.
    protocol : {"paper", "track", "artist", "fault-filtered"}
        Split protocol.
    seed : int
        Seed of the shuffle (``fault-filtered`` ignores it).
    artists : pandas.DataFrame or None
        ``track_id, artist`` table; ``None``: the shipped GTZAN artist index.

    Returns
    -------
    pandas.Series
        Shape (n_rows,), values ``"train"``, ``"test"``, ``"unused"``.
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown split protocol {protocol!r}; choose one of {PROTOCOLS}")
    if "track_id" not in table or "artist" not in table:
        table = prepare_table(table, artists)
    fractions = (1 - TEST_FRACTION - 0.1, 0.1, TEST_FRACTION)
    split = assign_splits(table, protocol, seed=seed, fractions=fractions)
    return split.replace({"valid": "train"})


def _cv_for(protocol: str, groups: np.ndarray, labels: np.ndarray, seed: int) -> tuple:
    """Grid-search folds: stratified over rows (paper) or grouped by artist/track."""
    smallest_class = int(np.bincount(labels).min(initial=0)) if len(labels) else 0
    if protocol == "paper":
        folds = min(5, smallest_class)
        return StratifiedKFold(max(folds, 2), shuffle=True, random_state=seed), None
    folds = min(5, len(np.unique(groups)), smallest_class)
    return StratifiedGroupKFold(max(folds, 2), shuffle=True, random_state=seed), groups


def _bootstrap_tracks(
    correct: np.ndarray, tracks: np.ndarray, n_bootstrap: int, ci: float, seed: int
) -> tuple[float, float]:
    """Percentile CI of accuracy, resampling whole test tracks (all their rows together)."""
    _, inverse = np.unique(tracks, return_inverse=True)
    hits = np.bincount(inverse, weights=correct.astype(np.float64))
    sizes = np.bincount(inverse).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, len(sizes), size=(n_bootstrap, len(sizes)))
    scores = hits[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    tail = (1 - ci) / 2
    return float(np.quantile(scores, tail)), float(np.quantile(scores, 1 - tail))


_TUNED = ("svm_tuned", "knn_tuned")
"""Baselines that tune a setting by cross-validation on the training rows."""


def fit_predict(
    table: pd.DataFrame, split: pd.Series, name: str, protocol: str, seed: int, n_jobs: int
) -> tuple[np.ndarray, BaseEstimator]:
    """Fit one baseline on the train rows and predict the test rows.

    The tuned models choose C or k by folds of the training rows: stratified over rows
    under ``paper``, grouped by artist (else track) under the other protocols.

    Notebook: 03_baselines.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`prepare_table`, shape (n_rows, ...).
    split : pandas.Series
        Shape (n_rows,): ``"train"``, ``"test"`` (other values are left out).
    name : str
        One of :data:`BASELINES`.
    protocol : str
        Protocol of the split (it sets the grid-search folds).
    seed : int
        Seed of the model and the grid-search folds.
    n_jobs : int
        Parallel jobs inside the model.

    Returns
    -------
    predicted : numpy.ndarray
        Shape (n_test,): genre indices of the test rows, in table order.
    estimator : sklearn.base.BaseEstimator
        The fitted pipeline (or grid search).

    Raises
    ------
    ConfigError
        If the split leaves no train or no test row.
    """
    train = (split == "train").to_numpy()
    test = (split == "test").to_numpy()
    if not train.any() or not test.any():
        raise ConfigError(
            f"protocol {protocol!r} leaves no train or no test rows for this feature table "
            f"({int(train.sum())} train, {int(test.sum())} test); "
            "use more tracks or protocol 'paper'"
        )
    x = table[list(FEATURE_COLUMNS)].to_numpy(dtype=np.float64)
    y = table["label"].to_numpy()
    groups = np.where(table["artist"] != "", table["artist"], table["track_id"])
    present = np.unique(y[train], return_counts=True)
    if len(present[0]) < 2:
        raise ConfigError(
            f"protocol {protocol!r} leaves {int(train.sum())} training row(s) of one label; "
            "a classifier needs 2: use more tracks per label"
        )
    if name in _TUNED and present[1].min() < 2:
        label = table["genre"].to_numpy()[y == present[0][present[1].argmin()]][0]
        raise ConfigError(
            f"protocol {protocol!r} leaves 1 training row of {label!r}; {name} chooses its "
            "setting by cross-validation, which needs 2 rows of every label: use more tracks"
        )
    cv, cv_groups = _cv_for(protocol, groups[train], y[train], seed)
    estimator = build_baseline(name, seed=seed, cv=cv, n_jobs=n_jobs)
    try:
        if isinstance(estimator, GridSearchCV):
            estimator.fit(x[train], y[train], groups=None if cv_groups is None else cv_groups)
        else:
            estimator.fit(x[train], y[train])
    except ValueError as error:  # e.g. a tuning fold left with one label on a tiny table
        reason = str(error).strip().splitlines()[-1]
        raise ConfigError(
            f"{name} cannot be fitted on the {int(train.sum())} training rows of protocol "
            f"{protocol!r} ({reason}); use more tracks per label or an untuned model"
        ) from None
    return estimator.predict(x[test]), estimator


def run_baselines(
    features: pd.DataFrame,
    split_protocol: str | Sequence[str] = ("paper", "fault-filtered"),
    seeds: Iterable[int] = range(10),
    models: Sequence[str] = BASELINES,
    artists: pd.DataFrame | None = None,
    n_jobs: int = 1,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    progress: bool = True,
) -> pd.DataFrame:
    """Train and test every baseline under every protocol and seed.

    The seed sets the split (``paper``, ``track``, ``artist``), the random forest and the
    grid-search folds. Under ``fault-filtered`` the split is fixed, so the deterministic
    models (SVM, KNN, logistic regression) give the same score for every seed.

    Notebook: 03_baselines.

    Parameters
    ----------
    features : pandas.DataFrame
        Kaggle-style feature table, shape (n_rows, 60) (:mod:`genrelib.features`).
    split_protocol : str or sequence of str
        Protocols of :data:`genrelib.data.splits.PROTOCOLS` (see :func:`split_rows`).
    seeds : iterable of int
        Seeds, one run each.
    models : sequence of str
        Baselines, from :data:`BASELINES`.
    artists : pandas.DataFrame or None
        ``track_id, artist`` table (e.g. ``index_gtzan(data_dir)``); ``None``: the shipped
        GTZAN artist index. Used by the ``artist`` protocol and to group grid-search
        folds by artist under the track-disjoint protocols.
    n_jobs : int
        Parallel jobs inside the random forest and the grid searches.
    n_bootstrap : int
        Resamples of the per-run test-track bootstrap.
    ci : float
        Confidence level of the intervals, in (0, 1).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per model x protocol x seed: ``model``, ``protocol``, ``seed``,
        ``n_train``, ``n_test`` (rows), ``n_test_tracks``, ``accuracy``, ``f1_macro``,
        ``f1_micro`` (fractions in [0, 1]; ``f1_micro == accuracy``), ``test_ci_low``,
        ``test_ci_high`` (bootstrap CI of accuracy over test tracks, chunks of a track
        resampled together), ``best_params`` (JSON, tuned models) and ``fit_seconds``.

    Raises
    ------
    ConfigError
        On an unknown model or protocol, a malformed table, or a protocol that leaves
        no train or test rows.
    """
    protocols = [split_protocol] if isinstance(split_protocol, str) else list(split_protocol)
    seeds = [int(seed) for seed in seeds]
    unknown = [name for name in models if name not in BASELINES]
    if unknown:
        raise ConfigError(f"unknown baselines {unknown}; choose from {BASELINES}")
    bad = [protocol for protocol in protocols if protocol not in PROTOCOLS]
    if bad:
        raise ConfigError(f"unknown split protocols {bad}; choose from {PROTOCOLS}")
    if not seeds or not models or not protocols:
        raise ConfigError("run_baselines needs at least one seed, one model and one protocol")
    if not 0 < ci < 1 or n_bootstrap < 1:
        raise ConfigError(f"need 0 < ci < 1 and n_bootstrap >= 1, got {ci}, {n_bootstrap}")
    if is_collection_table(features) and "fault-filtered" in protocols:
        raise ConfigError(
            "protocol 'fault-filtered' lists GTZAN's faulty clips; a collection's feature table "
            "takes protocols paper, track or artist"
        )
    table = prepare_table(features, artists)
    rows = []
    total = len(protocols) * len(seeds) * len(models)
    with tqdm(total=total, desc="baselines", disable=not progress) as bar:
        for protocol in protocols:
            for seed in seeds:
                split = split_rows(table, protocol, seed)
                test = (split == "test").to_numpy()
                y_test = table["label"].to_numpy()[test]
                for name in models:
                    start = time.perf_counter()
                    predicted, estimator = fit_predict(table, split, name, protocol, seed, n_jobs)
                    seconds = time.perf_counter() - start
                    low, high = _bootstrap_tracks(
                        predicted == y_test,
                        table["track_id"].to_numpy()[test],
                        n_bootstrap,
                        ci,
                        seed,
                    )
                    best = estimator.best_params_ if isinstance(estimator, GridSearchCV) else {}
                    rows.append(
                        {
                            "model": name,
                            "protocol": protocol,
                            "seed": seed,
                            "n_train": int((split == "train").sum()),
                            "n_test": int(test.sum()),
                            "n_test_tracks": int(table.loc[test, "track_id"].nunique()),
                            "accuracy": accuracy_score(y_test, predicted),
                            "f1_macro": f1_score(y_test, predicted, average="macro"),
                            "f1_micro": f1_score(y_test, predicted, average="micro"),
                            "test_ci_low": low,
                            "test_ci_high": high,
                            "best_params": json.dumps(best, sort_keys=True),
                            "fit_seconds": seconds,
                        }
                    )
                    bar.update()
    return pd.DataFrame(rows)


def summarise(
    results: pd.DataFrame,
    by: Sequence[str] = ("model", "protocol"),
    ci: float = 0.95,
    n_bootstrap: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean, spread and confidence intervals of :func:`run_baselines` results.

    Two intervals, because they answer two questions. ``seed_ci_low/high`` is a
    percentile bootstrap over *seeds* of the mean micro F1: how much the mean moves
    with the split and the model's randomness (it has zero width when every seed gives
    the same score, e.g. deterministic models on the fixed fault-filtered split).
    ``test_ci_low/high`` is the median over seeds of each run's bootstrap over *test
    tracks*: how much one run's score depends on which tracks happened to be tested.

    Notebook: 03_baselines.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of :func:`run_baselines`.
    by : sequence of str
        Grouping columns (add e.g. ``"table"`` when results of several tables are
        concatenated).
    ci : float
        Confidence level, in (0, 1).
    n_bootstrap : int
        Resamples of the bootstrap over seeds.
    seed : int
        Seed of that bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n_seeds``, ``accuracy_mean``,
        ``f1_macro_mean``, ``f1_micro_mean``, ``f1_micro_std`` (over seeds, ddof=1; 0 for
        one seed), ``seed_ci_low``, ``seed_ci_high``, ``test_ci_low``, ``test_ci_high``
        (fractions in [0, 1]).
    """
    if not 0 < ci < 1:
        raise ConfigError(f"ci must be in (0, 1), got {ci}")
    missing = [name for name in (*by, "f1_micro", "test_ci_low") if name not in results]
    if missing:
        raise ConfigError(f"results lack columns {missing}; pass run_baselines output")
    rng = np.random.default_rng(seed)
    tail = (1 - ci) / 2
    rows = []
    for keys, group in results.groupby(list(by), sort=False):
        scores = group["f1_micro"].to_numpy(dtype=np.float64)
        means = scores[rng.integers(0, len(scores), size=(n_bootstrap, len(scores)))].mean(axis=1)
        rows.append(
            {
                **dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True)),
                "n_seeds": len(group),
                "accuracy_mean": group["accuracy"].mean(),
                "f1_macro_mean": group["f1_macro"].mean(),
                "f1_micro_mean": scores.mean(),
                "f1_micro_std": float(np.std(scores, ddof=1)) if len(scores) > 1 else 0.0,
                "seed_ci_low": float(np.quantile(means, tail)),
                "seed_ci_high": float(np.quantile(means, 1 - tail)),
                "test_ci_low": group["test_ci_low"].median(),
                "test_ci_high": group["test_ci_high"].median(),
            }
        )
    return pd.DataFrame(rows)


def paper_comparison(summary: pd.DataFrame, table: str = "30s") -> pd.DataFrame:
    """Put measured accuracy (= micro F1) beside the paper's Table IV cell of the same model.

    Notebook: 03_baselines.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`genrelib.protocols.protocol_summary`: ``model``, ``protocol``,
        ``accuracy``, ``accuracy_sd``, ``accuracy_low``, ``accuracy_high`` (fractions).
    table : {"30s", "3s"}
        Which of the paper's columns to compare with.

    Returns
    -------
    pandas.DataFrame
        One row per model x protocol of ``summary``: ``model``, ``label`` (readable
        name), ``protocol``, ``paper_f1`` (the paper's %, NaN for ``knn_tuned``),
        ``ours_f1`` (mean over seeds), ``ours_sd`` (standard deviation over seeds),
        ``ours_low``, ``ours_high`` (bootstrap interval over seeds and test tracks),
        ``difference`` (ours - paper, percentage points); all in %.
    """
    if table not in ("30s", "3s"):
        raise ConfigError(f"table must be '30s' or '3s', got {table!r}")
    missing = [c for c in ("model", "protocol", "accuracy", "accuracy_sd") if c not in summary]
    if missing:
        raise ConfigError(f"summary lacks columns {missing}; pass protocol_summary output")
    paper = PAPER_TABLE_IV.set_index("model")[f"paper_f1_{table}"]
    result = pd.DataFrame(
        {
            "model": summary["model"].to_numpy(),
            "label": summary["model"].map(MODEL_LABELS).to_numpy(),
            "protocol": summary["protocol"].to_numpy(),
            "paper_f1": summary["model"].map(paper).to_numpy(dtype=np.float64),
            "ours_f1": 100 * summary["accuracy"].to_numpy(),
            "ours_sd": 100 * summary["accuracy_sd"].to_numpy(),
            "ours_low": 100 * summary["accuracy_low"].to_numpy(),
            "ours_high": 100 * summary["accuracy_high"].to_numpy(),
        }
    )
    result["difference"] = result["ours_f1"] - result["paper_f1"]
    return result


def table_iv(summary: pd.DataFrame, table: str = "30s") -> pd.DataFrame:
    """The paper's Table IV cells beside ours, one column per split protocol.

    Notebook: 03_baselines.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`genrelib.protocols.protocol_summary` (``by=("model", "protocol")``).
    table : {"30s", "3s"}
        Which column of the paper's table to show.

    Returns
    -------
    pandas.DataFrame
        Index: model labels. Columns: ``"paper (one random split)"`` (the paper's F1, %),
        then one column per protocol, ``"ours, <name> split"`` (:data:`PROTOCOL_NAMES`), as
        ``"mean ± sd"`` strings (accuracy = micro F1 in %, mean and standard deviation over
        seeds).
    """
    wide = paper_comparison(summary, table=table)
    cells = wide.assign(
        ours=wide["ours_f1"].map("{:.1f}".format) + " ± " + wide["ours_sd"].map("{:.1f}".format)
    )
    protocols = list(dict.fromkeys(summary["protocol"]))
    out = cells.pivot(index="label", columns="protocol", values="ours")[protocols]
    out = out.rename(columns=lambda name: f"ours, {PROTOCOL_NAMES.get(name, name)} split")
    paper = (
        cells.groupby("label")["paper_f1"]
        .first()
        .map(lambda value: "" if np.isnan(value) else f"{value:.1f}")
    )
    out.insert(0, "paper (one random split)", paper)
    out.columns.name = None
    out.index.name = "model"
    return out.reindex([MODEL_LABELS[model] for model in summary["model"].unique()])

"""The same models under the four split protocols: predictions, intervals and gaps.

Chapter 09 asks how much of a GTZAN score comes from the split rather than the model.
Every model is run under each protocol of :data:`genrelib.data.splits.PROTOCOLS` and
several seeds, and its test predictions are kept as one tidy table (one row per test
row: chunk or track). From that table:

* :func:`protocol_summary` gives accuracy and macro F1 per model and protocol, the mean
  over seeds, with a two-level bootstrap interval: resample the seeds (the split and the
  model's randomness), then the test *tracks* of each drawn seed (all chunks of a track
  together), so both sources of spread are in one interval;
* :func:`protocol_gap` gives the drop from a reference protocol (the paper's random split)
  to each other one, with an interval from independent draws of the two protocols (their
  test sets differ, so there is no pairing to exploit);
* :func:`recall_by_protocol` gives the recall of every genre.

Baselines (:func:`baseline_predictions`) and trained networks
(:func:`experiment_predictions`, from :func:`genrelib.experiments.run_experiment` runs)
give the same table, so both go through the same numbers and figures.

Notebook: 09_honest_evaluation.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from genrelib.baselines import fit_predict, prepare_table, split_rows
from genrelib.config import DEFAULT_BASELINES, GENRES, disk_memo
from genrelib.data.splits import PROTOCOLS
from genrelib.errors import ConfigError
from genrelib.evaluation import (
    bootstrap_weights,
    check_bootstrap,
    group_counts,
    scores_from_counts,
    track_predictions,
)
from genrelib.experiments import load_test_predictions
from genrelib.run_cache import baseline_runs, cached_runs

PREDICTION_COLUMNS: tuple[str, ...] = ("model", "protocol", "seed", "track_id", "true", "predicted")
"""Columns of a predictions table (``true``/``predicted``: genre indices into GENRES)."""

SUMMARY_METRICS: tuple[str, ...] = ("accuracy", "f1_macro")
"""Metrics of :func:`protocol_summary` and :func:`protocol_gap`."""

PUBLISHED_FAULT_FILTERED = pd.DataFrame(
    {
        "source": ["castellon2021codified"],
        "system": ["pre-trained audio representations, shallow probe on top"],
        "accuracy_low": [77.0],
        "accuracy_high": [80.0],
        "note": [
            "about 77-80 % test accuracy for the strongest pre-trained representations "
            "(their Table of results; see the paper for each system)"
        ],
    }
)
"""Published accuracies (%) on the fault-filtered split of Kereliuk, Sturm & Larsen (2015),
as reported by the cited work (bibliography key in ``source``); not measured here."""


def _check_predictions(predictions: pd.DataFrame) -> None:
    missing = [name for name in PREDICTION_COLUMNS if name not in predictions.columns]
    if missing:
        raise ConfigError(
            f"predictions lack columns {missing}; pass baseline_predictions or "
            "experiment_predictions output"
        )
    if predictions.empty:
        raise ConfigError("predictions table is empty")


def _split_run(table: pd.DataFrame, run: Mapping, n_jobs: int) -> pd.DataFrame:
    """Test predictions of one run (model, protocol, seed) on its single 80/20 split."""
    model, protocol, seed = run["model"], run["protocol"], run["seed"]
    split = split_rows(table, protocol, seed)
    predicted, _ = fit_predict(table, split, model, protocol, seed, n_jobs)
    test = table[(split == "test").to_numpy()]
    return pd.DataFrame(
        {
            "track_id": test["track_id"].to_numpy(),
            "true": test["label"].to_numpy(),
            "predicted": predicted,
        }
    )


def shared_across_split(
    features: pd.DataFrame,
    protocols: Sequence[str] = ("paper", "track", "artist"),
    seed: int = 0,
    artists: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What a split puts on both sides: test tracks and test artists also seen in training.

    Under the paper's random split over chunk rows, most test tracks have sibling chunks
    in training; a split over tracks leaves none, but can still share artists.

    Notebook: 03_baselines.

    Parameters
    ----------
    features : pandas.DataFrame
        Kaggle-style feature table, shape (n_rows, 60): one row per track or per chunk.
    protocols : sequence of str
        Protocols of :func:`genrelib.baselines.split_rows`.
    seed : int
        Seed of the splits.
    artists : pandas.DataFrame or None
        ``track_id, artist`` table; ``None``: the shipped GTZAN artist index.

    Returns
    -------
    pandas.DataFrame
        One row per protocol: ``protocol``, ``test_tracks``, ``tracks_in_train`` (test
        tracks with a row in training), ``test_artists`` (known artists among the test
        tracks), ``artists_in_train`` (of those, the ones with a track in training).
    """
    table = prepare_table(features, artists)
    rows = []
    for protocol in protocols:
        split = split_rows(table, protocol, seed).to_numpy()
        train, test = table[split == "train"], table[split == "test"]
        known_test = set(test.loc[test["artist"] != "", "artist"])
        rows.append(
            {
                "protocol": protocol,
                "test_tracks": test["track_id"].nunique(),
                "tracks_in_train": len(set(test["track_id"]) & set(train["track_id"])),
                "test_artists": len(known_test),
                "artists_in_train": len(known_test & set(train["artist"])),
            }
        )
    return pd.DataFrame(rows)


def baseline_predictions(
    features: pd.DataFrame,
    protocols: Sequence[str] = PROTOCOLS,
    seeds: Iterable[int] = range(3),
    models: Sequence[str] = DEFAULT_BASELINES,
    artists: pd.DataFrame | None = None,
    n_jobs: int = 1,
    cache: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Test predictions of the baselines under every protocol and seed.

    Each (model, protocol, seed) is fitted on the split of
    :func:`genrelib.baselines.split_rows` (80/20, train and valid merged). Finished runs
    are stored in the cache (:func:`genrelib.run_cache.cached_predictions`): chapter 03
    and chapter 09 read the same runs and print the same numbers.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    features : pandas.DataFrame
        Kaggle-style feature table, shape (n_rows, 60): one row per track (30-s table) or
        per chunk (e.g. 3-s rows).
    protocols : sequence of str
        Protocols from :data:`~genrelib.data.splits.PROTOCOLS`.
    seeds : iterable of int
        Seeds of the splits and models.
    models : sequence of str
        Baselines from :data:`genrelib.config.BASELINES`.
    artists : pandas.DataFrame or None
        ``track_id, artist`` table; ``None``: the shipped GTZAN artist index.
    n_jobs : int
        Parallel jobs inside the models.
    cache : bool
        Read and write finished runs in the cache.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per test row of every run: :data:`PREDICTION_COLUMNS`.

    Raises
    ------
    ConfigError
        On an unknown protocol or model, no seed, or a protocol that leaves no test row.
    """
    runs = baseline_runs(protocols, seeds, models, PROTOCOLS, kind="split")
    table = prepare_table(features, artists)
    predictions = cached_runs(
        table, runs, partial(_split_run, table, n_jobs=n_jobs), cache, progress
    )
    return predictions[list(PREDICTION_COLUMNS)]


def experiment_predictions(
    rows: Iterable[Mapping], results_root: str | Path, level: str = "track"
) -> pd.DataFrame:
    """Test predictions of finished :func:`~genrelib.experiments.run_experiment` runs.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    rows : iterable of mapping
        Result rows of :func:`~genrelib.experiments.run_experiment` (or rows of
        :func:`~genrelib.experiments.collect_results`).
    results_root : str or Path
        The ``results_root`` the runs were made in (``run_dir`` is relative to it).
    level : {"track", "chunk"}
        ``"track"``: one row per test track, the genre of its mean chunk probability (the
        chapters' headline); ``"chunk"``: one row per test chunk.

    Returns
    -------
    pandas.DataFrame
        :data:`PREDICTION_COLUMNS`; ``model`` is the model name plus its options, if any.
    """
    if level not in ("track", "chunk"):
        raise ConfigError(f"level must be 'track' or 'chunk', got {level!r}")
    frames = []
    for row in rows:
        chunks, probabilities = load_test_predictions(Path(results_root) / row["run_dir"])
        options = row.get("model_options", "{}")
        name = row["model"] + ("" if options in ("{}", "", None) else f" {options}")
        if level == "track":
            tracks = track_predictions(chunks, probabilities)
            true, predicted, ids = tracks["label"], tracks["pred_mean"], tracks["track_id"]
        else:
            true, predicted, ids = chunks["label"], probabilities.argmax(axis=1), chunks["track_id"]
        frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "protocol": row["protocol"],
                    "seed": int(row["seed"]),
                    "track_id": np.asarray(ids),
                    "true": np.asarray(true, dtype=np.int64),
                    "predicted": np.asarray(predicted, dtype=np.int64),
                }
            )
        )
    if not frames:
        raise ConfigError("experiment_predictions got no finished runs")
    return pd.concat(frames, ignore_index=True)


def _group_rng(seed: int, keys: object) -> np.random.Generator:
    """Bootstrap generator of one group, seeded by ``seed`` and the group's keys.

    A group's interval is then the same whichever other groups share the table (chapter
    03 scores seven baselines, chapter 09 four of them: their common rows must agree).
    """
    parts = keys if isinstance(keys, tuple) else (keys,)
    return np.random.default_rng([seed, zlib.crc32(repr(tuple(map(str, parts))).encode())])


def _two_level_draws(
    group: pd.DataFrame, n_boot: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-seed scores (shape (n_seeds,)) and ``n_boot`` seed-then-track bootstrap draws.

    Each draw picks ``n_seeds`` seeds with replacement and, for every pick, an
    independent resample of that seed's test tracks; the draw is the mean of the picks'
    metrics.
    """
    seeds = sorted(group["seed"].unique())
    k, n_classes = len(seeds), len(GENRES)
    per_seed = {metric: np.empty((k, n_boot * k)) for metric in SUMMARY_METRICS}
    points = {metric: np.empty(k) for metric in SUMMARY_METRICS}
    for s, (_, runs) in enumerate(group.groupby("seed", sort=True)):
        codes, uniques = pd.factorize(runs["track_id"])
        y_true, y_pred = runs["true"].to_numpy(np.int64), runs["predicted"].to_numpy(np.int64)
        tp, true, pred = group_counts(y_true, y_pred, codes, len(uniques), n_classes)
        point = scores_from_counts(tp.sum(axis=0), true.sum(axis=0), pred.sum(axis=0))
        weights = bootstrap_weights(rng, n_boot * k, len(uniques))
        resampled = scores_from_counts(weights @ tp, weights @ true, weights @ pred)
        per_seed["accuracy"][s] = resampled["accuracy"]
        per_seed["f1_macro"][s] = resampled["f1_macro"]
        for metric in SUMMARY_METRICS:
            points[metric][s] = point[metric]
    picks = rng.integers(0, k, size=(n_boot, k))
    columns = np.arange(n_boot)[:, None] * k + np.arange(k)[None, :]
    draws = {metric: per_seed[metric][picks, columns].mean(axis=1) for metric in SUMMARY_METRICS}
    return points, draws


BOOTSTRAP_CACHE_VERSION = "1"
"""Part of every cached draw's key: bump it when :func:`_two_level_draws` changes."""

DRAW_COLUMNS = ["seed", "track_id", "true", "predicted"]
"""The columns of a group's predictions its bootstrap draws depend on."""


def _draws_of(
    columns: tuple[np.ndarray, ...], n_boot: int, seed: int, keys: tuple[str, ...], version: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """:func:`_two_level_draws` of one group, from what its result depends on (the cache key)."""
    group = pd.DataFrame(dict(zip(DRAW_COLUMNS, columns, strict=True)))
    return _two_level_draws(group, n_boot, _group_rng(seed, keys))


def group_draws(
    group: pd.DataFrame, n_boot: int, seed: int, keys: object
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-seed scores and bootstrap draws of one group, computed once and cached on disk.

    Chapters 03 and 09 summarise the same baseline predictions, and :func:`protocol_gap`
    draws again what :func:`protocol_summary` drew for the same group (its generator is
    seeded by the group's keys), so each group's draws are kept in the cache
    (:func:`~genrelib.config.disk_memo`, ``bootstrap``), keyed by the group's
    :data:`DRAW_COLUMNS`, ``n_boot``, ``seed``, ``keys`` and
    :data:`BOOTSTRAP_CACHE_VERSION`: 5000 resamples of 1000 tracks are 0.2 s of draws.

    Notebook: 03_baselines, 09_honest_evaluation (through :func:`protocol_summary` and
    :func:`protocol_gap`).

    Parameters
    ----------
    group : pandas.DataFrame
        One group's rows of a predictions table (:data:`PREDICTION_COLUMNS`).
    n_boot : int
        Bootstrap draws.
    seed : int
        Seed of the bootstrap.
    keys : object
        The group's keys (a value or a tuple), which seed its generator.

    Returns
    -------
    per_seed, draws : dict of str to np.ndarray
        For each of :data:`SUMMARY_METRICS`: the score of every seed, shape (n_seeds,), and
        the ``n_boot`` seed-then-track bootstrap draws, shape (n_boot,).
    """
    memory = disk_memo("bootstrap")
    columns = (  # plain arrays: their bytes are the key, whatever the frame's layout
        group["seed"].to_numpy(np.int64),
        group["track_id"].to_numpy(str),
        group["true"].to_numpy(np.int64),
        group["predicted"].to_numpy(np.int64),
    )
    parts = tuple(map(str, keys if isinstance(keys, tuple) else (keys,)))
    return memory.cache(_draws_of)(columns, n_boot, seed, parts, BOOTSTRAP_CACHE_VERSION)


def protocol_summary(
    predictions: pd.DataFrame,
    by: Sequence[str] = ("model", "protocol"),
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy and macro F1 per group, mean over seeds, with seed-and-track bootstrap intervals.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Output of :func:`baseline_predictions` or :func:`experiment_predictions`.
    by : sequence of str
        Grouping columns (each group's seeds are pooled).
    n_boot : int
        Bootstrap draws.
    confidence : float
        Coverage of the intervals, in (0, 1).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n_seeds``, ``n_test_tracks`` and
        ``n_test_rows`` (mean per seed), then for each metric of :data:`SUMMARY_METRICS`
        the estimate (mean over seeds), ``<metric>_low``, ``<metric>_high`` (the
        seed-and-track bootstrap interval) and ``<metric>_sd`` (standard deviation over
        seeds, ddof=1; 0 for one seed), all fractions.
    """
    _check_predictions(predictions)
    tail = check_bootstrap(n_boot, confidence)
    rows = []
    for keys, group in predictions.groupby(list(by), sort=False):
        per_seed, draws = group_draws(group, n_boot, seed, keys)
        sizes = group.groupby("seed").agg(tracks=("track_id", "nunique"), rows=("true", "size"))
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        row.update(
            n_seeds=len(sizes),
            n_test_tracks=float(sizes["tracks"].mean()),
            n_test_rows=float(sizes["rows"].mean()),
        )
        for metric in SUMMARY_METRICS:
            low, high = np.percentile(draws[metric], [tail, 100 - tail])
            sd = float(np.std(per_seed[metric], ddof=1)) if len(sizes) > 1 else 0.0
            row.update(
                {
                    metric: float(per_seed[metric].mean()),
                    f"{metric}_low": low,
                    f"{metric}_high": high,
                    f"{metric}_sd": sd,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def protocol_gap(
    predictions: pd.DataFrame,
    reference: str = "paper",
    by: Sequence[str] = ("model",),
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Drop of each metric from the ``reference`` protocol to every other protocol.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Output of :func:`baseline_predictions` or :func:`experiment_predictions`.
    reference : str
        Protocol the others are compared with (the paper's random split by default).
    by : sequence of str
        Columns naming one system (the protocol is added).
    n_boot, confidence, seed
        As in :func:`protocol_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per system and protocol other than ``reference``: the ``by`` columns,
        ``protocol``, ``metric``, ``reference_value``, ``value``, ``gap``
        (``reference_value - value``, fractions; positive: the reference scores higher),
        ``gap_low``, ``gap_high``.

    Raises
    ------
    ConfigError
        If a system has no predictions under ``reference``.
    """
    _check_predictions(predictions)
    tail = check_bootstrap(n_boot, confidence)
    rows = []
    for keys, system in predictions.groupby(list(by), sort=False):
        keys = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        if reference not in set(system["protocol"]):
            raise ConfigError(
                f"{keys} has no predictions under the reference protocol {reference!r}"
            )
        ref_points, ref_draws = group_draws(
            system[system["protocol"] == reference], n_boot, seed, (*keys.values(), reference)
        )
        for protocol, group in system.groupby("protocol", sort=False):
            if protocol == reference:
                continue
            points, draws = group_draws(group, n_boot, seed, (*keys.values(), protocol))
            for metric in SUMMARY_METRICS:
                low, high = np.percentile(ref_draws[metric] - draws[metric], [tail, 100 - tail])
                rows.append(
                    {
                        **keys,
                        "protocol": protocol,
                        "metric": metric,
                        "reference_value": ref_points[metric].mean(),
                        "value": points[metric].mean(),
                        "gap": ref_points[metric].mean() - points[metric].mean(),
                        "gap_low": low,
                        "gap_high": high,
                    }
                )
    return pd.DataFrame(rows)


def recall_by_protocol(
    predictions: pd.DataFrame, by: Sequence[str] = ("model", "protocol")
) -> pd.DataFrame:
    """Recall of every genre per group, over the test rows of all seeds pooled.

    Notebook: 09_honest_evaluation.

    Returns
    -------
    pandas.DataFrame
        Long table: the ``by`` columns, ``genre``, ``recall`` (fraction; NaN for a genre
        with no test row), ``n_test_rows``.
    """
    _check_predictions(predictions)
    hit = predictions["true"] == predictions["predicted"]
    frame = predictions.assign(genre=np.asarray(GENRES, dtype=object)[predictions["true"]], hit=hit)
    table = (
        frame.groupby([*by, "genre"], sort=False)["hit"]
        .agg(recall="mean", n_test_rows="size")
        .reset_index()
    )
    full = (
        frame[list(by)]
        .drop_duplicates()
        .merge(pd.DataFrame({"genre": list(GENRES)}), how="cross")
        .merge(table, on=[*by, "genre"], how="left")
    )
    full["n_test_rows"] = full["n_test_rows"].fillna(0).astype(int)
    return full


def shared_cells(
    summary: pd.DataFrame, models: Sequence[str], prefix: str = "acc30"
) -> dict[str, float]:
    """Accuracy cells (%, one decimal) under names that another page can glue too.

    Chapters 03 and 09 print the same baseline cells of the 30-s rows; each glues them
    under ``<prefix>_<protocol>_<model>`` (hyphens as underscores), and the site test
    checks that every name both pages glue has one value.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`protocol_summary` (``model``, ``protocol``, ``accuracy``).
    models : sequence of str
        The models whose cells to name.
    prefix : str
        Start of every name.

    Returns
    -------
    dict
        Name -> accuracy in %, rounded to one decimal as the pages print it.
    """
    rows = summary[summary["model"].isin(models)]
    return {
        f"{prefix}_{protocol}_{model}".replace("-", "_"): round(100 * float(accuracy), 1)
        for protocol, model, accuracy in zip(
            rows["protocol"], rows["model"], rows["accuracy"], strict=True
        )
    }

"""One stored copy of each baseline run, so that every chapter prints the same numbers.

Chapters 03 and 09 (and the intro, through their headlines) score the same baselines on
the same feature tables. A run (model, protocol, seed, split or folds) is fitted once;
its test predictions are written to the cache under a key made of the table's content,
the run's description, scikit-learn's version and :data:`RUN_CACHE_VERSION`, and any
later request for the same run reads them back. The same predictions give the same
numbers on every page, and the second chapter does not refit.

Notebook: 03_baselines, 09_honest_evaluation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd
import sklearn

from genrelib.atomic import atomic_write
from genrelib.config import cache_dir
from genrelib.errors import ConfigError
from genrelib.progress import tqdm

RUN_CACHE_VERSION = "1"
"""Part of every key: bump it when the way a run is fitted or stored changes."""

KEY_COLUMNS: tuple[str, ...] = ("track_id", "label", "artist")
"""Columns of a prepared table that, with the features, define what a run sees."""


def table_fingerprint(table: pd.DataFrame) -> str:
    """Hash of a prepared feature table's content (row order included).

    Notebook: 03_baselines.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`genrelib.baselines.prepare_table`.

    Returns
    -------
    str
        Hex SHA-256 of the feature values, track ids, labels and artists.
    """
    from genrelib.features import FEATURE_COLUMNS

    columns = [*FEATURE_COLUMNS, *KEY_COLUMNS]
    hashed = pd.util.hash_pandas_object(table[columns], index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def run_key(fingerprint: str, run: Mapping[str, object]) -> str:
    """Cache key of one run on one table.

    Notebook: 03_baselines.

    Parameters
    ----------
    fingerprint : str
        :func:`table_fingerprint` of the table the run sees.
    run : mapping
        What defines the run (kind, model, protocol, seed, folds), JSON-serialisable.

    Returns
    -------
    str
        Hex SHA-256 (first 32 characters).
    """
    description = {
        "run": dict(run),
        "table": fingerprint,
        "sklearn": sklearn.__version__,
        "version": RUN_CACHE_VERSION,
    }
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cached_predictions(
    fingerprint: str,
    run: Mapping[str, object],
    compute: Callable[[], pd.DataFrame],
    cache: bool = True,
    root: str | Path | None = None,
) -> pd.DataFrame:
    """The predictions of one run: read from the cache, else computed and stored.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    fingerprint : str
        :func:`table_fingerprint` of the table the run sees (part of the key).
    run : mapping
        What defines the run, JSON-serialisable.
    compute : callable
        Returns the run's predictions as a DataFrame of plain columns.
    cache : bool
        ``False``: compute and neither read nor write.
    root : str, Path or None
        Cache folder; ``None``: ``cache_dir()/baseline_runs``.

    Returns
    -------
    pandas.DataFrame
        The predictions (read back with the dtypes they were written with).
    """
    if not cache:
        return compute()
    folder = Path(root) if root is not None else cache_dir() / "baseline_runs"
    path = folder / f"{run_key(fingerprint, run)}.csv"
    if path.is_file():
        return pd.read_csv(path, dtype={"track_id": str})
    predictions = compute()
    atomic_write(path, predictions.to_csv(index=False))
    return predictions


def baseline_runs(
    protocols: Sequence[str],
    seeds: Iterable[int],
    models: Sequence[str],
    allowed: Sequence[str],
    **settings: object,
) -> list[dict[str, object]]:
    """Describe every (protocol, seed, model) run of a request, after checking it.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    protocols, seeds, models
        What to run; models from :data:`genrelib.config.BASELINES`.
    allowed : sequence of str
        The protocols this kind of run accepts.
    **settings
        Added to every run's description (e.g. ``kind``, ``n_folds``).

    Returns
    -------
    list of dict
        One description per run, protocol-major: ``protocol``, ``seed``, ``model`` and the
        settings.

    Raises
    ------
    ConfigError
        On an unknown protocol or model, or no protocol, seed or model.
    """
    from genrelib.config import BASELINES

    seeds = [int(seed) for seed in seeds]
    bad = [p for p in protocols if p not in allowed] + [m for m in models if m not in BASELINES]
    if bad:
        raise ConfigError(
            f"unknown protocol(s) or baseline(s) {bad}; choose from {tuple(allowed)} and "
            f"{BASELINES}"
        )
    if not seeds or not protocols or not models:
        raise ConfigError("a baseline run needs at least one protocol, seed and model")
    return [
        {"protocol": protocol, "seed": seed, "model": model, **settings}
        for protocol in protocols
        for seed in seeds
        for model in models
    ]


def cached_runs(
    table: pd.DataFrame,
    runs: Sequence[Mapping[str, object]],
    compute: Callable[[Mapping[str, object]], pd.DataFrame],
    cache: bool = True,
    progress: bool = True,
    desc: str = "baselines",
) -> pd.DataFrame:
    """The predictions of every run, each read from the cache or computed and stored.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`genrelib.baselines.prepare_table`.
    runs : sequence of mapping
        Output of :func:`baseline_runs`.
    compute : callable
        Given one run's description, returns its predictions.
    cache : bool
        Read and write the cache.
    progress : bool
        Show a tqdm progress bar, one step per run.
    desc : str
        The bar's label.

    Returns
    -------
    pandas.DataFrame
        Every run's predictions, with its ``model``, ``protocol`` and ``seed`` columns.
    """
    fingerprint = table_fingerprint(table) if cache else ""  # hashed once, not once a run
    frames = []
    for run in tqdm(runs, desc=desc, disable=not progress):
        predictions = cached_predictions(fingerprint, run, partial(compute, run), cache)
        frames.append(
            predictions.assign(model=run["model"], protocol=run["protocol"], seed=run["seed"])
        )
    return pd.concat(frames, ignore_index=True)

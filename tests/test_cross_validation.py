"""Cross-validation, the run cache and chapter 03's leak and interval helpers, on real data."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import genrelib.cross_validation as cross_validation
import genrelib.protocols as protocols
from genrelib.baselines import prepare_table
from genrelib.chapters.c03_baselines import feature_families
from genrelib.config import GENRES
from genrelib.cross_validation import (
    assign_folds,
    cross_validated_predictions,
    fold_groups,
)
from genrelib.errors import ConfigError
from genrelib.evaluation import exact_interval, recall_intervals
from genrelib.features import FEATURE_COLUMNS, read_feature_table
from genrelib.plots.baselines import plot_leak_counts
from genrelib.protocols import (
    baseline_predictions,
    protocol_gap,
    protocol_summary,
    shared_across_split,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def table(shared_data: Path) -> pd.DataFrame:
    """200 real clips of the Kaggle table: the first 20 of each genre (several artists each)."""
    full = read_feature_table(shared_data / "features" / "features_30_sec.csv")
    return full.groupby("label", sort=False).head(20).reset_index(drop=True)


@pytest.fixture(scope="module")
def prepared(table: pd.DataFrame) -> pd.DataFrame:
    return prepare_table(table, None)


@pytest.mark.parametrize("protocol", ["paper", "track", "artist"])
def test_every_row_is_in_one_fold_and_groups_stay_whole(
    prepared: pd.DataFrame, protocol: str
) -> None:
    folds = assign_folds(prepared, protocol, n_folds=5, seed=1)
    assert folds.shape == (len(prepared),) and set(folds) == set(range(5))
    genres_per_fold = pd.Series(prepared["label"]).groupby(folds).nunique()
    if protocol != "artist":  # whole artists cannot always fill every genre of every fold
        assert np.ptp(np.bincount(folds)) <= 0.1 * len(prepared) / 5  # a fifth each
        assert (genres_per_fold == len(GENRES)).all()  # stratified: every genre in every fold
    groups = fold_groups(prepared, protocol)
    if groups is not None:
        assert pd.Series(folds).groupby(groups).nunique().max() == 1
    assert (assign_folds(prepared, protocol, n_folds=5, seed=1) == folds).all()
    assert not (assign_folds(prepared, protocol, n_folds=5, seed=2) == folds).all()


def test_artist_folds_keep_real_artists_apart(prepared: pd.DataFrame) -> None:
    folds = assign_folds(prepared, "artist", seed=0)
    known = prepared["artist"] != ""
    assert known.sum() > 100  # the shipped index names most of these clips' artists
    assert prepared[known].assign(fold=folds[known]).groupby("artist")["fold"].nunique().max() == 1
    track_folds = assign_folds(prepared, "track", seed=0)
    spread = prepared[known].assign(fold=track_folds[known]).groupby("artist")["fold"].nunique()
    assert spread.max() > 1  # folds over tracks do put one artist on both sides


def test_every_track_is_tested_once_per_seed(table: pd.DataFrame) -> None:
    predictions = cross_validated_predictions(
        table, ("track", "artist"), seeds=[0, 1], models=["knn_5"], progress=False
    )
    assert len(predictions) == len(table) * 2 * 2
    per_run = predictions.groupby(["protocol", "seed"])["track_id"]
    assert (per_run.nunique() == len(table)).all() and (per_run.size() == len(table)).all()
    assert set(predictions["fold"]) == set(range(5))
    summary = protocol_summary(predictions).set_index("protocol")
    assert (summary["n_test_tracks"] == len(table)).all()
    # real features: well above chance (10 %), below the leak-free ceiling
    assert (summary["accuracy"] > 0.3).all() and (summary["accuracy"] < 0.95).all()
    assert (summary["accuracy_low"] < summary["accuracy"]).all()
    assert (summary["accuracy"] < summary["accuracy_high"]).all()


def test_a_stored_run_is_read_back_and_a_changed_table_is_refitted(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = {"seeds": [3], "models": ["logistic_regression"], "progress": False}
    first = cross_validated_predictions(table, ["track"], **run)
    split = baseline_predictions(table, ["paper"], **run)

    def no_fit(*args, **kwargs):
        raise AssertionError("a stored run must not be fitted again")

    monkeypatch.setattr(cross_validation, "fit_predict", no_fit)
    monkeypatch.setattr(protocols, "fit_predict", no_fit)
    again = cross_validated_predictions(table, ["track"], **run)
    pd.testing.assert_frame_equal(again, first, check_dtype=False)
    split_again = baseline_predictions(table, ["paper"], **run)
    pd.testing.assert_frame_equal(split_again, split, check_dtype=False)
    changed = table.copy()
    changed.loc[0, "tempo"] += 1.0
    with pytest.raises(AssertionError, match="must not be fitted"):
        cross_validated_predictions(changed, ["track"], **run)


def test_a_group_interval_does_not_depend_on_the_other_groups(table: pd.DataFrame) -> None:
    predictions = baseline_predictions(
        table, ["paper", "artist"], [0, 1], ["knn_5", "logistic_regression"], progress=False
    )
    both = protocol_summary(predictions).set_index(["model", "protocol"])
    alone = protocol_summary(predictions[predictions["model"] == "knn_5"])
    alone = alone.set_index(["model", "protocol"])
    pd.testing.assert_frame_equal(both.loc[alone.index], alone)
    gap = protocol_gap(predictions).set_index(["model", "protocol", "metric"])
    # the gap's reference value is the summary's estimate of the random split
    reference = both.xs("paper", level="protocol")["accuracy"]
    accuracy_gap = gap.xs("accuracy", level="metric")
    assert accuracy_gap["reference_value"].droplevel("protocol").equals(reference)


def test_bad_requests_are_config_errors(table: pd.DataFrame, prepared: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="cannot be cross-validated"):
        assign_folds(prepared, "fault-filtered")
    with pytest.raises(ConfigError, match="at least 2"):
        assign_folds(prepared, "track", n_folds=1)
    with pytest.raises(ConfigError, match="needs at least 500 tracks"):
        assign_folds(prepared, "track", n_folds=500)
    with pytest.raises(ConfigError, match="unknown protocol"):
        cross_validated_predictions(table, ["random"], progress=False)
    with pytest.raises(ConfigError, match="at least one"):
        cross_validated_predictions(table, ["track"], seeds=[], progress=False)


def test_shared_across_split_counts_leaked_tracks_and_artists(table: pd.DataFrame) -> None:
    chunks = pd.concat([table.assign(filename=table["filename"])] * 3, ignore_index=True)
    shared = shared_across_split(chunks, ("paper", "track", "artist"), seed=0).set_index("protocol")
    # three rows per track: a random split over rows puts most test tracks on both sides
    assert shared.loc["paper", "tracks_in_train"] > 0.8 * shared.loc["paper", "test_tracks"]
    assert shared.loc["track", "tracks_in_train"] == shared.loc["artist", "tracks_in_train"] == 0
    assert 0 < shared.loc["track", "artists_in_train"] <= shared.loc["track", "test_artists"]
    assert shared.loc["artist", "artists_in_train"] == 0
    figure = plot_leak_counts(shared.reset_index())
    assert len(figure.axes[0].patches) >= 6
    matplotlib.pyplot.close(figure)


def test_recall_intervals_are_exact_binomial_per_genre() -> None:
    y_true = np.array([0] * 10 + [1] * 4)
    y_pred = np.array([0] * 7 + [1] * 3 + [1, 1, 0, 0])
    recall = recall_intervals(y_true, y_pred, class_names=("a", "b", "c")).set_index("genre")
    assert recall.loc["a", "estimate"] == pytest.approx(0.7) and recall.loc["a", "n"] == 10
    assert (recall.loc["a", "low"], recall.loc["a", "high"]) == pytest.approx(exact_interval(7, 10))
    assert recall.loc["b", "estimate"] == pytest.approx(0.5)
    assert np.isnan(recall.loc["c", "estimate"]) and recall.loc["c", "n"] == 0


def test_feature_families_reads_one_clip_by_family(table: pd.DataFrame) -> None:
    values = table.iloc[0][list(FEATURE_COLUMNS)].to_dict()
    shown = feature_families(values).data
    assert len(shown) == 11 and shown["unit"].str.len().gt(0).sum() >= 5
    assert shown.loc["brightness: spectral centroid", "mean over frames"] == pytest.approx(
        values["spectral_centroid_mean"]
    )
    assert shown.loc["rhythm: tempo", "mean over frames"] == values["tempo"]

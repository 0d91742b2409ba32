"""Tests of genrelib.protocols on the real Kaggle 30-s table and on a tiny real training run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deep_data import tiny_profile, tiny_tracks
from sklearn.metrics import accuracy_score, f1_score, recall_score

from genrelib.baselines import run_baselines
from genrelib.chapters.c09_honest_evaluation import percent_table
from genrelib.config import GENRES
from genrelib.data import load_fault_filtered_split
from genrelib.errors import ConfigError
from genrelib.experiments import Experiment, run_experiment
from genrelib.features import read_feature_table
from genrelib.protocols import (
    PREDICTION_COLUMNS,
    baseline_predictions,
    experiment_predictions,
    protocol_gap,
    protocol_summary,
    recall_by_protocol,
    shared_cells,
)


@pytest.fixture(scope="module")
def table(shared_data: Path) -> pd.DataFrame:
    return read_feature_table(shared_data / "features" / "features_30_sec.csv")


@pytest.fixture(scope="module")
def knn(table: pd.DataFrame) -> pd.DataFrame:
    """KNN (k=5) predictions under the random and the fault-filtered split, two seeds."""
    return baseline_predictions(
        table, ("paper", "fault-filtered"), seeds=(0, 1), models=("knn_5",), progress=False
    )


def test_baseline_predictions_follow_the_splits(knn: pd.DataFrame, table: pd.DataFrame) -> None:
    assert list(knn.columns) == list(PREDICTION_COLUMNS)
    sizes = knn.groupby(["protocol", "seed"])["track_id"].nunique()
    assert (sizes.loc["paper"] == int(0.2 * len(table))).all()
    fault_test = set(load_fault_filtered_split()["test"])
    for seed in (0, 1):
        chosen = knn[(knn["protocol"] == "fault-filtered") & (knn["seed"] == seed)]
        assert set(chosen["track_id"]) == fault_test
    # the labels are the table's
    truth = dict(zip(table["filename"].str.replace(".wav", ""), table["label"], strict=True))
    assert (knn["true"].map(lambda k: GENRES[k]) == knn["track_id"].map(truth)).all()


def test_predictions_reproduce_run_baselines(knn: pd.DataFrame, table: pd.DataFrame) -> None:
    reference = run_baselines(
        table, ("paper", "fault-filtered"), seeds=(0, 1), models=("knn_5",), progress=False
    ).set_index(["protocol", "seed"])
    for (protocol, seed), group in knn.groupby(["protocol", "seed"]):
        assert accuracy_score(group["true"], group["predicted"]) == pytest.approx(
            reference.loc[(protocol, seed), "accuracy"]
        )
        assert f1_score(group["true"], group["predicted"], average="macro") == pytest.approx(
            reference.loc[(protocol, seed), "f1_macro"]
        )


def test_summary_is_the_mean_over_seeds_with_an_interval(knn: pd.DataFrame) -> None:
    summary = protocol_summary(knn, n_boot=400).set_index("protocol")
    for protocol, group in knn.groupby("protocol"):
        per_seed = group.groupby("seed").apply(
            lambda g: pd.Series(
                {
                    "accuracy": accuracy_score(g["true"], g["predicted"]),
                    "f1_macro": f1_score(g["true"], g["predicted"], average="macro"),
                }
            )
        )
        for metric in ("accuracy", "f1_macro"):
            row = summary.loc[protocol]
            assert row[metric] == pytest.approx(per_seed[metric].mean())
            assert row[f"{metric}_low"] < row[metric] < row[f"{metric}_high"]
        assert summary.loc[protocol, "n_seeds"] == 2


def test_interval_includes_the_spread_over_seeds() -> None:
    # seed 0 gets every track right, seed 1 every track wrong: resampling seeds must show it
    tracks = [f"blues.{k:05d}" for k in range(20)]
    right = pd.DataFrame({"model": "m", "protocol": "paper", "seed": 0, "track_id": tracks})
    right = right.assign(true=0, predicted=0)
    wrong = right.assign(seed=1, predicted=1)
    summary = protocol_summary(pd.concat([right, wrong]), n_boot=2000).iloc[0]
    assert summary["accuracy"] == pytest.approx(0.5)
    assert summary["accuracy_low"] == 0.0 and summary["accuracy_high"] == 1.0
    alone = protocol_summary(right, n_boot=200).iloc[0]
    assert alone["accuracy_low"] == alone["accuracy_high"] == 1.0


def test_macro_f1_interval_ignores_genres_a_resample_misses() -> None:
    # one correct test track per genre: every resample misses genres, yet stays perfect
    ids = [f"{genre}.00000" for genre in GENRES]
    perfect = pd.DataFrame({"model": "m", "protocol": "track", "seed": 0, "track_id": ids})
    perfect = perfect.assign(true=range(len(GENRES)), predicted=range(len(GENRES)))
    row = protocol_summary(perfect, n_boot=300).iloc[0]
    assert row["f1_macro"] == row["f1_macro_low"] == row["f1_macro_high"] == 1.0


def test_gap_random_split_over_fault_filtered(knn: pd.DataFrame) -> None:
    gap = protocol_gap(knn, n_boot=400)
    summary = protocol_summary(knn, n_boot=10).set_index("protocol")
    assert set(gap["protocol"]) == {"fault-filtered"}
    for _, row in gap.iterrows():
        metric = row["metric"]
        expected = summary.loc["paper", metric] - summary.loc["fault-filtered", metric]
        assert row["gap"] == pytest.approx(expected)
        assert row["gap_low"] < row["gap"] < row["gap_high"]
    # the random split's leak is larger than the bootstrap noise on this table
    assert (gap["gap_low"] > 0).all()
    with pytest.raises(ConfigError, match="reference protocol"):
        protocol_gap(knn, reference="artist")


def test_recall_matches_scikit_learn(knn: pd.DataFrame) -> None:
    recall = recall_by_protocol(knn)
    assert len(recall) == 2 * len(GENRES)
    for protocol, group in knn.groupby("protocol"):
        expected = recall_score(
            group["true"], group["predicted"], labels=range(len(GENRES)), average=None
        )
        ours = recall[recall["protocol"] == protocol].set_index("genre").loc[list(GENRES)]
        np.testing.assert_allclose(ours["recall"], expected)


def test_bad_inputs_are_config_errors(table: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="unknown protocol"):
        baseline_predictions(table, ("random",), progress=False)
    with pytest.raises(ConfigError, match="lack columns"):
        protocol_summary(pd.DataFrame({"model": ["m"]}))


def test_experiment_predictions_from_a_real_run(gtzan_mini: Path, tmp_path: Path) -> None:
    profile = tiny_profile()
    tracks = tiny_tracks(gtzan_mini)
    experiment = Experiment.from_profile(profile, "base_crnn", "track", seed=0)
    row = run_experiment(experiment, tracks, profile, tmp_path, False, {"device": "cpu"})
    by_track = experiment_predictions([row], tmp_path)
    assert by_track["track_id"].is_unique and len(by_track) == row["n_test_tracks"]
    assert accuracy_score(by_track["true"], by_track["predicted"]) == pytest.approx(
        row["test_track_accuracy"]
    )
    by_chunk = experiment_predictions([row], tmp_path, level="chunk")
    assert len(by_chunk) == row["n_test_chunks"]
    assert accuracy_score(by_chunk["true"], by_chunk["predicted"]) == pytest.approx(
        row["test_chunk_accuracy"]
    )


def test_percent_table_formats_estimate_and_interval() -> None:
    summary = pd.DataFrame(
        {
            "model": ["svm_tuned"],
            "protocol": ["paper"],
            "accuracy": [0.745],
            "accuracy_low": [0.702],
            "accuracy_high": [0.787],
            "f1_macro": [0.742],
            "f1_macro_low": [0.693],
            "f1_macro_high": [0.781],
            "n_test_tracks": [200.0],
        }
    )
    row = percent_table(summary).iloc[0]
    assert row["accuracy (%)"] == "74.5 [70.2, 78.7]"
    assert row["macro F1 (%)"] == "74.2 [69.3, 78.1]"
    assert row["test tracks"] == 200 and row.name == ("SVM (tuned C)", "paper")


def test_shared_cells_name_each_cell_as_both_chapters_glue_it() -> None:
    summary = pd.DataFrame(
        {
            "model": ["svm_tuned", "knn_5", "svm"],
            "protocol": ["fault-filtered", "paper", "paper"],
            "accuracy": [0.48449, 0.655, 0.7],
        }
    )
    cells = shared_cells(summary, ["svm_tuned", "knn_5"])
    assert cells == {"acc30_fault_filtered_svm_tuned": 48.4, "acc30_paper_knn_5": 65.5}


def test_group_draws_are_drawn_once_and_read_back(knn: pd.DataFrame, tmp_path, monkeypatch) -> None:
    """A group's bootstrap draws come from the cache the second time (chapter 03, then 09),
    the same arrays; other predictions are drawn anew."""
    from genrelib import protocols

    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path))
    group = knn[knn["protocol"] == "paper"]
    keys = ("knn_5", "paper")
    expected = protocols._two_level_draws(group, 300, protocols._group_rng(0, keys))
    first = protocols.group_draws(group, 300, 0, keys)

    def draw_again(*args: object) -> None:
        raise AssertionError("drawn again")

    monkeypatch.setattr(protocols, "_two_level_draws", draw_again)
    again = protocols.group_draws(group.copy(), 300, 0, keys)
    for got in (first, again):
        for computed, wanted in zip(got, expected, strict=True):
            for metric in protocols.SUMMARY_METRICS:
                np.testing.assert_array_equal(computed[metric], wanted[metric])
    changed = group.assign(predicted=(group["predicted"] + 1) % len(GENRES))
    with pytest.raises(AssertionError, match="drawn again"):
        protocols.group_draws(changed, 300, 0, keys)
    with pytest.raises(AssertionError, match="drawn again"):
        protocols.group_draws(group, 300, 1, keys)  # another bootstrap seed

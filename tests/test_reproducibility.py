"""Tests of genrelib.reproducibility: shapes, early-stopping replay on real runs, relabelling,
the paired test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deep_data import train_valid

from genrelib.config import GENRES, MelConfig
from genrelib.errors import ConfigError
from genrelib.evaluation import confusion_table
from genrelib.reproducibility import (
    DIFFERENCES,
    fewest_discordant,
    paired_test,
    paired_verdict,
    recall_misattribution,
    relabel_confusion,
    spectrogram_shapes,
    stopping_points,
)
from genrelib.training import TrainConfig, train


def test_spectrogram_shapes_follow_the_hop() -> None:
    shapes = spectrogram_shapes([MelConfig.paper(), MelConfig.authors_code()], 3.0)
    samples = 3 * 22_050
    assert list(shapes["n_frames"]) == [1 + samples // 67, 1 + samples // 256]
    assert shapes["frame_ms"].iloc[0] == pytest.approx(1000 * 67 / 22_050)
    assert (shapes["values"] == shapes["n_mels"] * shapes["n_frames"]).all()
    with pytest.raises(ConfigError):
        spectrogram_shapes([MelConfig.paper()], 0)


def test_stopping_points_on_a_written_history() -> None:
    losses = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77, 0.78]
    history = pd.DataFrame(
        {"epoch": range(1, 10), "valid_loss": losses, "valid_acc": np.linspace(0.1, 0.9, 9)}
    )
    points = stopping_points(history, [1, 2, 3, 10]).set_index("patience")
    # patience 1 stops at the first epoch without improvement (3), best epoch 2
    assert points.loc[1, ["stop_epoch", "best_epoch"]].tolist() == [3, 2]
    # patience 2: epochs 3 and 4 are worse than epoch 2 -> stops at 4
    assert points.loc[2, ["stop_epoch", "best_epoch"]].tolist() == [4, 2]
    # patience 3: epoch 5 improves, then 6, 7, 8 do not -> stops at 8, best 5
    assert points.loc[3, ["stop_epoch", "best_epoch"]].tolist() == [8, 5]
    assert not points.loc[10, "stopped_early"] and points.loc[10, "stop_epoch"] == 9
    assert points.loc[3, "best_valid_acc"] == pytest.approx(history["valid_acc"][4])
    with pytest.raises(ConfigError):
        stopping_points(history, [0])


@pytest.mark.slow  # trains end to end
def test_replay_matches_a_real_run_with_the_shorter_patience(
    gtzan_mini: Path, tmp_path: Path
) -> None:
    train_set, valid_set = train_valid(gtzan_mini)
    common = {"max_epochs": 4, "batch_size": 8, "seed": 3, "device": "cpu", "lr": 3e-3}
    long = train(
        "base_crnn",
        train_set,
        valid_set,
        TrainConfig(patience=4, **common),
        tmp_path / "a",
        progress=False,
    )
    short = train(
        "base_crnn",
        train_set,
        valid_set,
        TrainConfig(patience=1, **common),
        tmp_path / "b",
        progress=False,
    )
    replay = stopping_points(long.history, [1]).iloc[0]
    assert replay["stop_epoch"] == len(short.history)
    assert replay["best_epoch"] == short.best_epoch
    np.testing.assert_allclose(
        long.history["valid_loss"][: len(short.history)], short.history["valid_loss"], rtol=1e-5
    )


def test_relabelled_confusion_keeps_counts_and_moves_names() -> None:
    y_true = np.repeat(np.arange(len(GENRES)), 3)
    y_pred = y_true.copy()
    y_pred[::3] = (y_pred[::3] + 1) % len(GENRES)
    confusion = confusion_table(y_true, y_pred)
    names = list(GENRES[1:]) + [GENRES[0]]
    shown = relabel_confusion(confusion, names)
    np.testing.assert_array_equal(shown.to_numpy(), confusion.to_numpy())
    # the row labelled "classical" now holds blues' counts
    assert shown.loc["classical"].tolist() == confusion.loc["blues"].tolist()
    with pytest.raises(ConfigError):
        relabel_confusion(confusion, ["blues"] * len(GENRES))


def test_differences_table_is_complete() -> None:
    assert DIFFERENCES["key"].is_unique and len(DIFFERENCES) == 10
    assert DIFFERENCES[["paper", "authors_code", "genrelib_default"]].notna().all().all()


def test_recall_misattribution_moves_each_recall_to_the_shifted_name() -> None:
    y_true = np.repeat(np.arange(len(GENRES)), 4)
    y_pred = y_true.copy()
    y_pred[: 4 * 3 : 2] = 9  # blues, classical and country lose half their tracks to rock
    confusion = confusion_table(y_true, y_pred)
    names = list(GENRES[1:]) + [GENRES[0]]
    table = recall_misattribution(confusion, names)
    assert table.loc["blues", "recall"] == 50 and table.loc["disco", "recall"] == 100
    # the name at blues' position is "classical": classical is shown blues' 50 %
    assert table.loc["classical", "as_labelled"] == 50
    assert table.loc["country", "as_labelled"] == 50 and table.loc["disco", "as_labelled"] == 50
    assert table.loc["disco", "points"] == 50 and table.loc["hiphop", "points"] == 0
    assert sorted(table["as_labelled"]) == sorted(table["recall"])


def test_paired_test_counts_discordant_tracks_only() -> None:
    index = pd.MultiIndex.from_product([[0, 1], [f"t{i}" for i in range(10)]])
    a = pd.Series([True] * 20, index=index)
    b = a.copy()
    b.iloc[:6] = False  # a alone right on 6 tracks
    test = paired_test(a, b)
    assert (test["only_a"], test["only_b"], test["n_tracks"]) == (6, 0, 20)
    assert test["p_value"] == pytest.approx(2 * 0.5**6) and paired_verdict(test) == "differ"
    b.iloc[:1] = True  # 5 discordant: 2 x 0.5**5 = 0.0625
    assert paired_verdict(paired_test(a, b)) == "cannot tell apart"
    # concordant tracks do not matter; the order of the index does not either
    assert paired_test(a, a)["p_value"] == 1.0
    assert paired_test(a, b.iloc[::-1])["only_a"] == 5
    assert fewest_discordant() == 6 and fewest_discordant(0.01) == 8
    with pytest.raises(ConfigError, match="same test tracks"):
        paired_test(a, b.iloc[:-1])

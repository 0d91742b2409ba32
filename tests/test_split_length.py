"""The Table V grid on real clips: same tracks and split per cell, tidy table, reuse, figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deep_data import tiny_profile, tiny_tracks

import genrelib.experiments as experiments
from genrelib.chapters.c07_split_length import run_grid
from genrelib.errors import ConfigError
from genrelib.plots.split_length import (
    plot_accuracy_vs_length,
    plot_epochs_vs_length,
    plot_examples_vs_length,
    plot_training_time_vs_length,
)
from genrelib.split_length import (
    PAPER_BEST,
    TABLE_V_COLUMNS,
    capped_cells,
    cell_name,
    chosen_on_validation,
    expected_best_of,
    grid_table,
    read_table_v,
    table_v,
    write_table_v,
)

PROFILE = tiny_profile()  # smoke-sized: 2-s tracks, one epoch of 8 chunks
LENGTHS = (2.0, 1.0, 0.5)


@pytest.fixture(scope="module")
def grid(gtzan_mini: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("table_v")
    tracks = tiny_tracks(gtzan_mini)
    rows = run_grid(tracks, PROFILE, root, ["base_crnn"], LENGTHS, device="cpu", progress=False)
    return root, tracks, rows


@pytest.mark.slow  # the grid trains three cells end to end
def test_every_cell_shares_tracks_split_and_seed(grid) -> None:
    _, tracks, rows = grid
    assert rows["chunk_seconds"].tolist() == list(LENGTHS)
    assert set(rows["protocol"]) == {"track"} and set(rows["seed"]) == {0}
    assert rows["data_fingerprint"].nunique() == 1
    for split in ("train", "valid", "test"):
        assert rows[f"n_{split}_tracks"].nunique() == 1
    # smoke narrowing (training_inputs): up to 3 chunks per track, never past the 2-s tracks
    per_track = [min(3, int(2.0 // c)) for c in LENGTHS]
    expected = rows["n_train_tracks"].iloc[0] * np.array(per_track)
    np.testing.assert_array_equal(rows["n_train_chunks"].to_numpy(), expected)


@pytest.mark.slow  # the grid trains three cells end to end
def test_table_v_is_written_from_the_stored_runs_and_read_back(grid) -> None:
    root, _, rows = grid
    table = grid_table(rows, root)
    assert list(table.columns) == list(TABLE_V_COLUMNS)
    assert table["chunk_seconds"].tolist() == sorted(LENGTHS, reverse=True)
    by_length = rows.set_index("chunk_seconds")
    for row in table.itertuples():
        source = by_length.loc[row.chunk_seconds]
        assert row.test_f1 == pytest.approx(source["test_chunk_f1_micro"])
        assert row.valid_f1 == pytest.approx(source["valid_chunk_f1_micro"])
        assert row.epochs_run == source["epochs_run"] == 1
        assert row.chunks_per_epoch == min(source["n_train_chunks"], PROFILE.max_train_chunks)
    path = write_table_v(table, root)
    assert path.name == "table_v.csv"
    pd.testing.assert_frame_equal(read_table_v(root), table, check_dtype=False)
    assert table_v(rows.iloc[:0]).empty


@pytest.mark.slow  # the grid trains three cells end to end
def test_a_finished_grid_is_read_back_without_training(
    grid, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, tracks, rows = grid

    def no_training(*args, **kwargs):
        raise AssertionError("a finished cell must not train again")

    monkeypatch.setattr(experiments, "train", no_training)
    again = run_grid(tracks, PROFILE, root, ["base_crnn"], LENGTHS, progress=False)
    assert again["key"].tolist() == rows["key"].tolist()


def test_parameters_are_validated(gtzan_mini: Path, tmp_path: Path) -> None:
    tracks = tiny_tracks(gtzan_mini)
    for models, lengths, protocol in (
        (["vgg"], LENGTHS, "track"),
        ([], LENGTHS, "track"),
        (["base_crnn"], (0.0,), "track"),
        (["base_crnn"], LENGTHS, "random"),
    ):
        with pytest.raises(ConfigError):
            run_grid(tracks, PROFILE, tmp_path, models, lengths, protocol, progress=False)
    with pytest.raises(ConfigError, match="run the chapter 07 grid"):
        read_table_v(tmp_path)


@pytest.mark.slow  # the grid trains three cells end to end
def test_figures(grid) -> None:
    root, _, rows = grid
    table = grid_table(rows, root)
    fig = plot_accuracy_vs_length(table, paper_best=PAPER_BEST, title="t")
    chunk_panel, track_panel = fig.axes
    line = chunk_panel.lines[0]
    np.testing.assert_allclose(np.asarray(line.get_xdata(), dtype=float), sorted(LENGTHS))
    expected = 100 * table.sort_values("chunk_seconds")["test_chunk_accuracy"]
    np.testing.assert_allclose(np.asarray(line.get_ydata(), dtype=float), expected)
    assert track_panel.get_title() == "track (mean) level"
    assert chunk_panel.get_xscale() == "log" and chunk_panel.get_ylabel() == "test accuracy (%)"
    ax = plot_training_time_vs_length(table)
    assert len(ax.lines) == 2 and ax.get_xlabel() == "chunk length (s)"
    ax = plot_examples_vs_length(table)
    np.testing.assert_array_equal(
        ax.lines[0].get_ydata(), table.sort_values("chunk_seconds")["n_train_chunks"]
    )
    with pytest.raises(ConfigError, match="empty"):
        plot_examples_vs_length(table.iloc[:0])


def test_grid_reading_helpers_flag_caps_and_pick_on_validation() -> None:
    table = pd.DataFrame(
        {
            "model": ["base_crnn", "base_crnn", "extended_crnn"],
            "chunk_seconds": [30.0, 3.0, 3.0],
            "valid_f1": [0.6, 0.8, 0.8],
            "stopped_early": [False, True, True],
        }
    )
    assert capped_cells(table)["chunk_seconds"].tolist() == [30.0]
    chosen = chosen_on_validation(table)  # a tie goes to the first cell in table order
    assert cell_name(chosen) == "base CRNN, 3-s chunks"
    with pytest.raises(ConfigError, match="empty"):
        chosen_on_validation(table.iloc[:0])


def test_expected_best_of_equal_cells_matches_a_simulation() -> None:
    assert expected_best_of(0.7, 10, 1) == pytest.approx(0.7)
    draws = np.random.default_rng(0).binomial(10, 0.7, size=(100_000, 8)).max(axis=1)
    assert expected_best_of(0.7, 10, 8) == pytest.approx(draws.mean() / 10, abs=0.002)
    assert expected_best_of(1.0, 10, 8) == 1.0
    with pytest.raises(ConfigError):
        expected_best_of(1.5, 10, 8)


def test_epochs_figure_marks_the_cap_and_the_best_epoch() -> None:
    table = pd.DataFrame(
        {
            "model": ["base_crnn", "base_crnn"],
            "chunk_seconds": [30.0, 3.0],
            "epochs_run": [100, 40],
            "best_epoch": [100, 30],
            "max_epochs": [100, 100],
            "stopped_early": [False, True],
        }
    )
    fig = plot_epochs_vs_length(table)
    bars = fig.axes[0].patches
    assert [b.get_height() for b in bars] == [100, 40]  # longest chunk first
    assert [bool(b.get_hatch()) for b in bars] == [True, False]

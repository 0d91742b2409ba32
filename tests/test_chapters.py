"""genrelib.chapters: the chapter context and the glue that serves one chapter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deep_data import tiny_gtzan, tiny_profile, tiny_tracks

from genrelib import config
from genrelib.chapters import chapter_context
from genrelib.chapters.c08_external_songs import chapter_checkpoint, chapter_model
from genrelib.chapters.c09_honest_evaluation import deep_inputs
from genrelib.chapters.c10_reproducibility import (
    COMPARED,
    comparison_setup,
    comparisons_view,
    differences_table,
    paired_comparisons,
    plot_paired_scores,
)
from genrelib.chapters.context import training_inputs
from genrelib.config import get_profile
from genrelib.errors import ConfigError, DatasetNotFoundError
from genrelib.predict import load_model


def test_smoke_without_data_dir_is_synthetic(tmp_path: Path) -> None:
    ch = chapter_context("smoke", results_dir=tmp_path / "results", seed=2)
    assert ch.synthetic and ch.smoke and ch.kind == "SYNTHETIC"
    assert ch.results == tmp_path / "results" and ch.results.is_dir()
    assert len(ch.tracks) == 10 * ch.profile.synthetic_per_genre
    banner = ch.banner("more.").data
    assert "SYNTHETIC" in banner and "more." in banner
    # nothing is downloaded in the test's data home: the banner gives the command
    assert "`genrelib data download --book`" in banner
    assert ch.seeds() == [2, 3, 4] and ch.seeds(2) == [2, 3] and ch.seeds(at_least=1) == [2, 3]


def test_a_data_dir_is_real_data_in_any_profile(gtzan_mini: Path, tmp_path: Path) -> None:
    ch = chapter_context("smoke", gtzan_mini, results_dir=tmp_path)
    from genrelib.chapters.display import shown_path

    # the page names the folder relative to the project, never as a local absolute path
    assert not ch.synthetic and ch.kind == "real" and shown_path(gtzan_mini) in ch.source
    assert not Path(shown_path(gtzan_mini)).is_absolute()  # ../../work/shared/... from /tmp/x
    assert f" {gtzan_mini}" not in ch.source
    assert len(ch.tracks) == 100
    assert len(ch.feature_tracks()) <= 30  # smoke: three clips per genre at most
    cpu = chapter_context("cpu", gtzan_mini, results_dir=tmp_path)
    assert not cpu.smoke and len(cpu.feature_tracks()) == 100 and len(cpu.seeds()) == 10


def test_training_chapters_narrow_only_the_smoke_profile(gtzan_mini: Path, tmp_path: Path) -> None:
    ch = chapter_context("smoke", gtzan_mini, results_dir=tmp_path, training=True)
    assert len(ch.tracks) == 30 and ch.tracks.groupby("genre").size().eq(3).all()
    assert ch.profile.chunk_config().chunks_per_track == 3 and ch.profile.name == "smoke"
    assert len(ch.all_tracks) == 100
    tracks = tiny_tracks(gtzan_mini, tracks_per_genre=5)
    assert training_inputs(tracks, get_profile("smoke"), 10.0)[1].track_seconds == 30.0
    same, cpu = training_inputs(tracks, get_profile("cpu"))
    assert len(same) == 50 and cpu == get_profile("cpu")


def test_data_is_read_only_when_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapter 08 given a checkpoint needs no GTZAN folder."""
    monkeypatch.delenv("GTZAN_DIR", raising=False)
    ch = chapter_context("cpu", results_dir=tmp_path)
    assert not ch.synthetic
    with pytest.raises(DatasetNotFoundError, match="needs GTZAN"):
        ch.tracks  # noqa: B018
    with pytest.raises(ConfigError, match="unknown profile"):
        chapter_context("huge")


def test_chapter_profiles_of_09_and_10(gtzan_mini: Path, tmp_path: Path) -> None:
    smoke = chapter_context("smoke", results_dir=tmp_path)
    profile, tracks, protocols, seeds = deep_inputs(smoke, [0, 1, 2])
    assert profile.max_epochs == 1 and seeds == [0, 1] and "fault-filtered" not in protocols
    assert tracks["artist"].is_unique and len(tracks) <= 30
    comparison = comparison_setup(smoke, n_seeds=2)
    assert comparison.patience_grid == (1, 3) and comparison.seeds == [0, 1]
    assert comparison.overrides == {"patience": 3, "max_epochs": 4} and len(comparison.tracks) == 30
    cpu = chapter_context("cpu", gtzan_mini, results_dir=tmp_path)
    assert deep_inputs(cpu, [0, 1, 2])[2][-1] == "fault-filtered"
    assert comparison_setup(cpu).profile.max_epochs == 40
    assert comparison_setup(cpu).seeds == [0] and comparison_setup(smoke).seeds == [0, 1]


def test_paired_comparisons_pool_seeds_and_name_every_setting() -> None:
    tracks = pd.MultiIndex.from_product(
        [[0, 1, 2], [f"t{i}" for i in range(10)]], names=["seed", "track_id"]
    )
    rng = np.random.default_rng(0)
    names = {name for _, tried, against in COMPARED for name in (tried, against)}
    outcomes = {name: pd.Series(rng.random(30) < 0.6, index=tracks) for name in names}
    outcomes["double softmax"] = outcomes["reference"].copy()
    outcomes["double softmax"].iloc[:7] = ~outcomes["reference"].iloc[:7]
    table = paired_comparisons(outcomes).set_index("difference")
    assert list(table.index) == [key for key, _, _ in COMPARED] and (table["n_seeds"] == 3).all()
    row = table.loc["double_softmax"]
    assert row["only_a"] + row["only_b"] == 7 and row["n_tracks"] == 30
    per_seed = outcomes["reference"].groupby(level="seed").mean()
    assert row["against_accuracy"] == pytest.approx(100 * per_seed.mean())
    assert comparisons_view(table.reset_index()).to_html().count("<tr>") == len(COMPARED) + 1
    figure = plot_paired_scores(outcomes, COMPARED)
    arrows = [child for child in figure.axes[0].texts]  # one per comparison and seed
    assert len(figure.axes) == 1 and len(arrows) == 3 * len(COMPARED)
    assert "measured here" not in differences_table().to_html()


@pytest.mark.slow  # trains end to end
def test_chapter_checkpoint_reuses_chapter_04s_run_and_keeps_only_best(
    gtzan_mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(config.PROFILES, "smoke", tiny_profile())
    data = tiny_gtzan(gtzan_mini, tmp_path / "gtzan")
    ch = chapter_context("smoke", data, results_dir=tmp_path / "results")
    path, row = chapter_checkpoint(ch.profile, ch.tracks, ch.results, progress=False)
    assert path.is_file() and row["model"] == "base_crnn" and row["data"] == "gtzan"
    assert load_model(path, "cpu")[1]["chunk_config"]["chunk_seconds"] == ch.profile.chunk_seconds
    assert sorted(p.name for p in path.parent.glob("*.pt")) == ["best.pt"], "smoke keeps best.pt"
    written = (path.parent / "result.json").stat().st_mtime_ns

    again, stored = chapter_checkpoint(ch.profile, ch.tracks, ch.results, progress=False)
    assert again == path and stored["key"] == row["key"]
    assert (path.parent / "result.json").stat().st_mtime_ns == written, "found, not retrained"

    ch.run(ch.experiment("base_crnn", "track"), *training_inputs(ch.tracks, ch.profile))
    assert path.is_file(), "a run read back keeps what the chapter that trained it kept"

    crnn = chapter_model(ch, None, "crnn", device="cpu")  # chapter 04's run, found again
    assert crnn.source == str(path) and crnn.trained_on == "gtzan" and not crnn.synthetic
    assert crnn.kind == "base_crnn" and f"`{row['name']}`" in crnn.description
    passed = chapter_model(ch, path, "best", device="cpu")  # a checkpoint wins over the default
    assert passed.trained_on == "unknown" and "passed as a parameter" in passed.description
    assert (path.parent / "result.json").stat().st_mtime_ns == written, "found, not retrained"

    other = ch.tracks.drop(index=0)  # other data: chapter 04's run does not apply
    fresh, fresh_row = chapter_checkpoint(ch.profile, other, ch.results, progress=False)
    assert fresh.is_file() and fresh_row["key"] != row["key"]
    assert json.loads((fresh.parent / "result.json").read_text())["n_test_tracks"] >= 1


def test_grid_headlines_pick_no_cell_on_the_test_set(tmp_path: Path) -> None:
    """The grid's headlines are its mean and the cell chosen on validation, flagged if capped."""
    import pandas as pd

    from genrelib.chapters.c07_split_length import chapter_context, record_grid_headlines
    from genrelib.summary import read_headlines

    ch = chapter_context("smoke", None, results_dir=tmp_path)
    cells = [  # the best test cell (1.0) is not the one validation picks (valid_f1 0.9)
        ("base_crnn", 30.0, 0.9, 0.5, False),
        ("base_crnn", 3.0, 0.7, 1.0, True),
    ]
    table = pd.DataFrame(
        [
            {"model": m, "chunk_seconds": s, "valid_f1": v, "test_track_accuracy": t,
             "test_track_accuracy_low": t / 2, "test_track_accuracy_high": 1.0,
             "stopped_early": stopped, "key": f"{m}-{s}"}
            for m, s, v, t, stopped in cells
        ]
    )  # fmt: skip
    record_grid_headlines(ch, table, "track")
    rows = read_headlines("smoke", tmp_path).set_index("result")["ours"]
    assert rows["grid of 2 cells (models x chunk lengths), test track accuracy, mean"] == 75.0
    chosen = "cell chosen on validation F1 (base CRNN, 30-s chunks), test track accuracy"
    assert rows[chosen] == 50.0
    data = read_headlines("smoke", tmp_path).set_index("result")["data"]
    assert "1 of 2 ended by the epoch cap" in data.iloc[0] and "epoch cap" in data[chosen]


def test_display_helpers_round_escape_and_hide_local_paths(tmp_path: Path) -> None:
    import pandas as pd

    from genrelib.chapters.display import markdown_text, rounded, shown_path

    html = rounded(pd.DataFrame({"x": [3.038549, None], "n": [1200, 3]}, dtype=object)).to_html()
    assert "3.04" in html and "3.038549" not in html and "1,200" in html
    assert "nan" not in html.lower().replace("nan-", "") and "&lt;NA&gt;" not in html
    assert markdown_text("Kevin_MacLeod_-_Vibe_Ace") == r"Kevin\_MacLeod\_-\_Vibe\_Ace"
    assert shown_path(tmp_path / "runs" / "best.pt", start=tmp_path) == "runs/best.pt"
    assert not shown_path(tmp_path / "best.pt", start=tmp_path / "a" / "b").startswith("/")


def test_csv_download_carries_the_whole_table_in_the_link() -> None:
    import base64
    import io
    import re

    import pandas as pd

    from genrelib.chapters.display import csv_download

    table = pd.DataFrame(
        {"model": ["svm_tuned", "knn_5"], "accuracy": [0.7301234, 0.5], "n": [20, 20]}
    )
    link = csv_download(table, "table iv.csv", "every <metric>").data
    encoded = re.search(r'href="data:text/csv;base64,([^"]+)"', link).group(1)
    read_back = pd.read_csv(io.BytesIO(base64.b64decode(encoded)))
    assert read_back.columns.tolist() == ["model", "accuracy", "n"]  # an unnamed index is left out
    assert read_back["accuracy"].tolist() == [0.7301, 0.5] and read_back["n"].tolist() == [20, 20]
    assert 'download="table iv.csv"' in link
    assert "Download every &lt;metric&gt; (CSV, 2 rows x 3 columns)" in link
    indexed = csv_download(table.set_index("model"), "t.csv", "it").data
    assert "2 rows x 3 columns" in indexed  # a named index is a column of the file


def test_figures_use_whole_epochs_and_label_genres_without_test_clips() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from genrelib.plots import plot_recall_with_ci, plot_training_curves
    from genrelib.plots.evaluation import NO_TEST_CLIPS

    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "train_loss": [2.0, 1.5, 1.2],
            "valid_loss": [2.1, 1.9, 1.8],
            "train_acc": [0.2, 0.4, 0.5],
            "valid_acc": [0.1, 0.2, 0.3],
        }
    )
    fig = plot_training_curves(history)
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)
    plt.close(fig)
    fig = plot_recall_with_ci(pd.Series({"blues": 0.0, "jazz": float("nan")}))
    labels = [text.get_text() for text in fig.axes[0].texts]
    assert labels == [NO_TEST_CLIPS]
    plt.close(fig)


def test_chapter_08_defaults_to_the_shipped_musicnn_probe(tmp_path: Path) -> None:
    ch = chapter_context("smoke", results_dir=tmp_path)
    chosen = chapter_model(ch, None, "best", device="cpu")
    assert chosen.kind == "musicnn probe" and chosen.trained_on == "gtzan"
    assert chosen.meta["class_names"] == list(config.GENRES) and "chapter 6b" in chosen.description
    assert not (tmp_path / "runs").exists(), "the shipped probe trains nothing"
    with pytest.raises(ConfigError, match="default_model"):
        chapter_model(ch, None, "newest")


def test_downloads_and_results_are_shown_from_their_own_folders(tmp_path, monkeypatch) -> None:
    """A data home or results folder outside the project never shows as ``../../tmp/...``."""
    from genrelib.chapters.display import shown_path

    monkeypatch.setenv("GENRELIB_DATA", str(tmp_path / "home"))
    monkeypatch.setenv("GENRELIB_RESULTS", str(tmp_path / "elsewhere"))
    clips = tmp_path / "home" / "gtzan_mini" / "genres"
    assert shown_path(clips) == "gtzan_mini/genres"
    assert shown_path(tmp_path / "elsewhere" / "cpu" / "table_v.csv") == "results/cpu/table_v.csv"


def test_chapter_08_songs_and_the_vote_of_their_chunks(tmp_path: Path) -> None:
    """Without a songs folder the chapter writes one synthetic song; the vote table shows how
    a song's chunks vote, by mean probability and by chunks won."""
    import numpy as np

    from genrelib.chapters.c08_external_songs import SONG_GENRES, chapter_songs, chunk_vote
    from genrelib.predict import SongPrediction

    (tmp_path / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg").write_bytes(b"")
    songs, expected = chapter_songs(tmp_path)
    assert [s.name for s in songs] == ["Kevin_MacLeod_-_Vibe_Ace.hq.ogg"]
    assert expected == SONG_GENRES
    (song,), expected = chapter_songs(None, seed=1)
    assert song.is_file() and expected == {song.stem: "classical, then metal (SYNTHETIC)"}
    probabilities = np.array([[0.6, 0.4, 0.0], [0.6, 0.4, 0.0], [0.0, 0.9, 0.1]], np.float32)
    result = SongPrediction(
        "song.ogg", 9.0, 9.0, 3.0, np.array([0.0, 3.0, 6.0]), probabilities, ("a", "b", "c")
    )
    vote = chunk_vote(result, top=2)
    assert list(vote.index) == ["b", "a"]  # b: highest mean (0.57), though a wins 2 chunks
    assert vote["chunks won"].tolist() == [1, 2] and result.vote == "a"


def test_a_songs_label_names_it_and_its_top_genres() -> None:
    import numpy as np

    from genrelib.chapters.c08_external_songs import song_label
    from genrelib.predict import SongPrediction

    probabilities = np.array([[0.7, 0.2, 0.1]], np.float32)
    result = SongPrediction("a_b.ogg", 4.2, 3.0, 3.0, np.zeros(1), probabilities, ("x", "y", "z"))
    assert song_label(result).data == r"**a\_b.ogg** (4 s): x 70%, y 20%, z 10%"


@pytest.mark.parametrize("value", [3, 0.4567, "the Kaggle 30-s table", np.float32(2.5)])
def test_hidden_glue_writes_what_myst_nb_glue_writes(value: object, monkeypatch) -> None:
    """The chapters glue without importing myst-nb's glue (1.8 s a kernel): same output."""
    import myst_nb.ext.glue

    from genrelib.chapters import display

    shown: list[tuple] = []

    def record(*objects: object, **options: object) -> None:
        shown.append((objects, options))

    monkeypatch.setattr(myst_nb.ext.glue, "ipy_display", record)
    monkeypatch.setattr(display, "display", record)
    plain = value.item() if isinstance(value, np.generic) else value
    myst_nb.ext.glue.glue("n_clips", plain, display=False)
    display.glue_values(n_clips=value)
    assert len(shown) == 2 and shown[0] == shown[1]
    assert display.GLUE_PREFIX == myst_nb.ext.glue.GLUE_PREFIX


def test_zero_padded_tempo_is_measured_once_per_file(
    gtzan_mini: Path, tmp_path, monkeypatch
) -> None:
    """Chapter 03's tempo table reads a clip's tempo back from the cache until the file changes."""
    import os
    import shutil

    from genrelib.chapters import c03_baselines
    from genrelib.features import tempo

    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path / "cache"))
    clip = tmp_path / "blues.00000.wav"
    shutil.copy(gtzan_mini / "genres" / "blues" / "blues.00000.wav", clip)
    first = c03_baselines.zero_padded_tempo(clip)
    assert first == tempo(c03_baselines.load_audio(clip), pad_mode="constant")

    def unreadable(path: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(c03_baselines, "load_audio", unreadable)
    assert c03_baselines.zero_padded_tempo(clip) == first  # from the cache
    os.utime(clip, ns=(0, 0))  # the file changed: measured again
    with pytest.raises(AssertionError, match="read again"):
        c03_baselines.zero_padded_tempo(clip)

"""Chapter 11's glue: the demonstration collection, its files, the probe's distances, the songs.

Notebook: 11_own_collection (executed whole in the smoke profile by tests/test_notebooks.py).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf

from genrelib.chapters import chapter_context
from genrelib.chapters.c11_own_collection import (
    artist_note,
    budget_note,
    collection_checks,
    collection_embeddings,
    collection_results,
    demo_collection_dir,
    demo_size,
    file_table,
    fit_collection_probe,
    index_collection,
    plot_collection_files,
    plot_novelty_distances,
    predict_songs,
    regroup_tracks,
    save_probe,
    signal_checks,
    song_answers,
    train_on_collection,
    training_distances,
)
from genrelib.data import index_gtzan
from genrelib.predict import write_synthetic_song


@pytest.fixture(scope="module")
def small(gtzan_mini: Path, tmp_path_factory: pytest.TempPathFactory):
    """A regrouped collection of 5 real clips per label, and its chapter context."""
    ch = chapter_context("cpu", gtzan_mini / "genres", results_dir=tmp_path_factory.mktemp("r"))
    folder = tmp_path_factory.mktemp("collections") / "small"
    tracks = index_gtzan(gtzan_mini / "genres", with_duration=False)
    return ch, index_collection(regroup_tracks(tracks, folder, per_label=5, seed=3))


def test_the_demonstration_collection_is_named_after_its_clips_and_profile(
    gtzan_mini: Path, tmp_path: Path
) -> None:
    smoke = chapter_context("smoke", None, results_dir=tmp_path)
    real = chapter_context("smoke", gtzan_mini / "genres", results_dir=tmp_path)
    cpu = chapter_context("cpu", gtzan_mini / "genres", results_dir=tmp_path)
    names = {demo_collection_dir(ch).name for ch in (smoke, real, cpu)}
    assert len(names) == 3 and all(name.startswith("demo-") for name in names)
    assert demo_collection_dir(cpu).name.startswith("demo-cpu-")
    assert (demo_size(smoke), demo_size(cpu)) == (6, None)
    assert collection_results(cpu) == cpu.results / "own_collection"


def test_file_table_reads_each_format_from_its_header(small) -> None:
    _, collection = small
    files = file_table(collection)
    assert len(files) == 15 and set(files["format"]) == {"wav", "flac", "ogg"}
    by_format = files.groupby("format")
    assert by_format["seconds"].max()["flac"] == pytest.approx(8.0, abs=0.01)
    assert by_format["seconds"].max()["ogg"] == pytest.approx(20.0, abs=0.05)
    assert set(by_format["channels"].max()) == {1, 2}
    assert set(files["sample_rate"]) == {22_050, 44_100}
    fig = plot_collection_files(files)
    assert len(fig.axes[0].collections) >= 3  # one set of points per format
    plt.close(fig)


def test_input_checks_pass_the_music_and_flag_silence_and_noise(small) -> None:
    _, collection = small
    checks = collection_checks(collection)
    assert len(checks) == 15 and (checks["warning"] == "").all()
    assert checks["level_dbfs"].max() < 0 and checks["flatness"].max() < 0.2
    made_up = signal_checks(collection.tracks["path"].iloc[0]).set_index("input")["warning"]
    assert made_up.tolist() == ["", "silence", "silence", "noise"]


@pytest.mark.slow  # musicnn on 15 clips and 2 songs
def test_the_probe_threshold_is_the_95th_percentile_of_the_training_distances(
    small, tmp_path: Path
) -> None:
    ch, collection = small
    fit = fit_collection_probe(collection, seconds=30.0, device="cpu", progress=False)
    distances = training_distances(fit, collection_embeddings(ch, collection))
    assert len(distances) == 15 and set(distances.index) == set(collection.tracks["track_id"])
    assert np.quantile(distances, 0.95) == pytest.approx(float(fit.arrays["far_distance"]), 1e-4)
    probe = save_probe(ch, fit)
    assert probe.parent == collection_results(ch) and probe.is_file()
    noise = tmp_path / "noise.wav"
    sf.write(noise, 0.1 * np.random.default_rng(0).standard_normal(16_000 * 10), 16_000)
    song = write_synthetic_song(tmp_path / "song.wav", ("classical", "metal"), 6.0)
    answers = song_answers(predict_songs([song, noise], probe, device="cpu", progress=False))
    assert list(answers["song"]) == ["song.wav", "noise.wav"]
    assert set(answers["predicted"]) <= set(collection.classes)
    assert answers.loc[1, "warning"] == "noise"
    assert (answers["distance"] > 0).all()
    fig = plot_novelty_distances(distances, answers, float(fit.arrays["far_distance"]))
    assert len(fig.axes[0].get_yticklabels()) == 3
    plt.close(fig)


@pytest.mark.slow  # trains 2 epochs
def test_a_crnn_run_on_the_collection_lives_in_the_chapter_folder(
    gtzan_mini: Path, tmp_path: Path
) -> None:
    ch = chapter_context("smoke", gtzan_mini / "genres", results_dir=tmp_path)
    tracks = index_gtzan(gtzan_mini / "genres", with_duration=False)
    labels = {"soft": ("classical",), "loud": ("metal",)}
    collection = index_collection(regroup_tracks(tracks, tmp_path / "two", labels, per_label=4))
    row = train_on_collection(ch, collection)
    run = collection_results(ch) / row["run_dir"]
    assert run.is_dir() and (run / "result.json").is_file()
    assert row["n_test_tracks"] == 2 and row["epochs_run"] == 2
    assert not (run / "last.pt").exists(), "a smoke run keeps no checkpoint no chapter reads"
    again = train_on_collection(ch, collection)
    assert again["key"] == row["key"], "read back, not trained again"


def test_the_budget_note_says_what_ended_a_run() -> None:
    row = {"stopped_early": True, "best_epoch": 20, "epochs_run": 30, "max_epochs": 100}
    assert budget_note(row).startswith("Early stopping ended the run")
    capped = {**row, "stopped_early": False, "epochs_run": 15, "max_epochs": 15}
    assert "best validation loss at epoch 20" in budget_note(capped)
    assert "still falling" in budget_note({**capped, "best_epoch": 15})


def test_the_artist_note_names_single_artist_genres_of_the_demonstration_only(
    gtzan_mini: Path, tmp_path: Path, small, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A demonstration folder of 3 clips per label, in a cache of its own: the session's
    # cache holds the real one, which the published chapters of tests/test_site.py read.
    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path / "cache"))
    ch = chapter_context("cpu", gtzan_mini / "genres", results_dir=tmp_path)
    tracks = index_gtzan(gtzan_mini / "genres", with_duration=False)
    demo = index_collection(regroup_tracks(tracks, demo_collection_dir(ch), per_label=3))
    note = artist_note(ch, demo)
    assert "classical and rock each come from a single artist" in note
    assert artist_note(ch, small[1]) == ""

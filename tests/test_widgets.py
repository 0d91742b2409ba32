"""The explorer and "try your own song" widgets, driven headless on real clips and songs."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile
from deep_data import CHUNKS, MEL, train_valid
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import select_figure_formats
from IPython.utils.capture import capture_output

from genrelib.audio import build_spectrogram_set, load_audio, log_mel
from genrelib.config import GENRES, SAMPLE_RATE, MelConfig
from genrelib.data import index_gtzan
from genrelib.errors import CheckpointError, ConfigError
from genrelib.evaluation import predict_proba
from genrelib.models.crnn import fuse_for_inference
from genrelib.predict import predict_songs
from genrelib.training import TrainConfig, load_checkpoint, train
from genrelib.widgets import (
    DEFAULT_MODEL,
    STATIC_EXCERPT_SECONDS,
    DatasetExplorer,
    SongPredictor,
    StaticView,
    explore_dataset,
    try_your_song,
)

SHORT_SONG = "admiralbob77_-_Choice_-_Drum-bass.hq.ogg"  # 25 s, 44.1 kHz stereo Ogg


@pytest.fixture(scope="module")
def tracks(gtzan_mini: Path) -> pd.DataFrame:
    return index_gtzan(gtzan_mini)


@pytest.fixture(scope="module")
def checkpoint(gtzan_mini: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base CRNN trained for one short epoch on real 0.75-s chunks."""
    train_set, valid_set = train_valid(gtzan_mini)
    config = TrainConfig(batch_size=4, max_epochs=1, max_train_chunks=8, device="cpu", seed=0)
    out = tmp_path_factory.mktemp("widget_model")
    return train("base_crnn", train_set, valid_set, config, out, progress=False).best_checkpoint


def _decoded(wav: bytes) -> np.ndarray:
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    assert rate == SAMPLE_RATE
    return samples


def _panel(view, row: int) -> np.ndarray:
    """Data of the image drawn in the ``row``-th panel of a view's first figure."""
    return np.asarray(view.figures[0].axes[row].images[0].get_array())


def test_explorer_follows_its_dropdowns_and_mel_toggle(tracks: pd.DataFrame) -> None:
    explorer = explore_dataset(tracks, interactive=True, label="real clips")
    assert isinstance(explorer, DatasetExplorer)
    assert explorer.genre.options == GENRES
    assert explorer.clip.value == "blues.00000"
    blues = load_audio(tracks.set_index("track_id").loc["blues.00000", "path"])
    heard = _decoded(bytes(explorer.player.value))
    assert len(heard) == len(blues)  # the whole clip, peak-normalised
    assert np.corrcoef(heard, blues)[0, 1] > 0.999
    np.testing.assert_allclose(_panel(explorer.view, 1), log_mel(blues, MelConfig.paper()))
    first_png = bytes(explorer.images.children[0].value)
    assert first_png.startswith(b"\x89PNG")

    explorer.genre.value = "metal"
    metal_ids = tracks.loc[tracks["genre"] == "metal", "track_id"].tolist()
    assert [value for _, value in explorer.clip.options] == metal_ids
    assert explorer.clip.value == "metal.00000"
    assert "metal.00000" in explorer.message.value
    assert explorer.images.children[0].value != first_png

    explorer.clip.value = "metal.00003"
    metal = load_audio(tracks.set_index("track_id").loc["metal.00003", "path"])
    assert len(_decoded(bytes(explorer.player.value))) == len(metal)
    paper_png = bytes(explorer.images.children[0].value)

    explorer.mel.value = "authors_code"
    spectrogram = _panel(explorer.view, 1)
    assert spectrogram.shape[1] == MelConfig.authors_code().n_frames(len(metal))
    np.testing.assert_allclose(spectrogram, log_mel(metal, MelConfig.authors_code()))
    assert "authors' code" in explorer.view.figures[0].axes[1].get_title()
    assert explorer.images.children[0].value != paper_png
    assert explorer.view.probabilities is None and len(explorer.images.children) == 1


def test_explorer_shows_the_models_chunk_probabilities(
    tracks: pd.DataFrame, checkpoint: Path
) -> None:
    explorer = DatasetExplorer(tracks, checkpoint=checkpoint)
    explorer.genre.value = "jazz"
    y = load_audio(tracks.set_index("track_id").loc["jazz.00000", "path"])
    probabilities = explorer.view.probabilities
    assert probabilities.shape == (len(y) // CHUNKS.chunk_samples, len(GENRES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # the first 3 s agree with the training pipeline (spectrogram cache + predict_proba), the
    # model fused for inference as predict fuses it (same sums, same bf16 roundings)
    model = fuse_for_inference(load_checkpoint(checkpoint)[0])
    jazz = tracks[tracks["track_id"] == "jazz.00000"]
    reference = predict_proba(
        model, build_spectrogram_set(jazz, MEL, CHUNKS, progress=False), progress=False
    )
    np.testing.assert_allclose(probabilities[: len(reference)], reference, atol=1e-4)
    heat_map = explorer.view.figures[1].axes[0].images[0].get_array()
    np.testing.assert_allclose(heat_map, probabilities.T, rtol=1e-6)
    assert len(explorer.images.children) == 2
    assert explorer.view.top["genre"].iloc[0] in explorer.message.value


def test_static_explorer_renders_players_and_figures(tracks: pd.DataFrame) -> None:
    view = explore_dataset(tracks, interactive=False, label="real clips")
    assert isinstance(view, StaticView)
    assert [v.heading.split("`")[1] for v in view.views] == [
        "classical.00000",
        "metal.00000",
        "hiphop.00000",
    ]
    assert all(len(v.excerpt) == STATIC_EXCERPT_SECONDS * SAMPLE_RATE for v in view.views)
    figure = view.figures[0]
    titles = [ax.get_title() for ax in figure.axes]
    assert any("Table II" in t for t in titles) and any("authors' code" in t for t in titles)
    assert all(ax.get_ylabel() for ax in figure.axes)  # every panel and colour bar labelled
    select_figure_formats(InteractiveShell.instance(), {"png"})  # as the inline backend does
    with capture_output() as captured:
        view._ipython_display_()
    kinds = [
        next(k for k in ("image/png", "text/html", "text/markdown") if k in o.data)
        for o in captured.outputs
    ]
    assert kinds == ["text/markdown", "text/html", "image/png"] * 3
    assert "<audio" in captured.outputs[1].data["text/html"]


@pytest.mark.slow  # predicts two whole songs
def test_song_predictor_from_a_path_and_an_upload(
    checkpoint: Path, shared_data: Path, gtzan_mini: Path
) -> None:
    predictor = try_your_song(checkpoint, interactive=True)
    assert isinstance(predictor, SongPredictor)
    path = shared_data / "external_songs" / SHORT_SONG
    predictor.path.value = str(path)
    predictor.button.click()
    song = predictor.view
    n_chunks = len(load_audio(path)) // CHUNKS.chunk_samples
    assert song.probabilities.shape == (n_chunks, len(GENRES))
    assert list(song.top.columns) == ["genre", "probability", "share_of_chunks"]
    assert len(song.top) == 3 and song.top["probability"].is_monotonic_decreasing
    assert song.top["probability"].iloc[0] == pytest.approx(song.probabilities.mean(0).max())
    assert predictor.message.value.count("<li>") == 3
    assert len(predictor.images.children) == 2

    clip = gtzan_mini / "genres" / "reggae" / "reggae.00001.wav"
    content = clip.read_bytes()
    predictor.upload.value = (
        {
            "name": "my song.wav",
            "type": "audio/wav",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.now(timezone.utc),
        },
    )
    assert "my song.wav" in predictor.message.value
    assert predictor.view.probabilities.shape[0] == len(load_audio(clip)) // CHUNKS.chunk_samples
    # Predict after an upload classifies the uploaded song again, not "give a path"
    predictor.button.click()
    assert "my song.wav" in predictor.message.value
    assert "Give the path" not in predictor.message.value
    assert predictor.player.value and len(predictor.images.children) == 2

    broken = clip.parent.parent.parent.parent / "not-there.mp3"
    assert predictor.predict_path(broken) is None
    assert (
        "cannot classify" in predictor.message.value and "not-there.mp3" in predictor.message.value
    )
    # the failure replaces the last song's player and figures
    assert predictor.player.value == b"" and predictor.player.layout.display == "none"
    assert predictor.images.children == ()
    predictor.predict_path(path)
    assert predictor.player.value and predictor.player.layout.display is None
    # with neither a path nor an upload, the hint replaces the last song
    predictor.uploaded, predictor.path.value = None, ""
    predictor.button.click()
    assert predictor.message.value.startswith("Give the path")
    assert predictor.player.value == b"" and predictor.images.children == ()


def test_static_song_view(checkpoint: Path, shared_data: Path) -> None:
    view = try_your_song(
        checkpoint, interactive=False, songs=[shared_data / "external_songs" / SHORT_SONG]
    )
    (song,) = view.views
    assert len(song.figures) == 2 and song.top is not None
    labels = [ax.get_xlabel() for ax in song.figures[1].axes]
    assert "mean probability" in labels and any("time (s)" in label for label in labels)


def test_noise_gets_no_genre_in_the_song_view(checkpoint: Path, tmp_path: Path) -> None:
    noise = tmp_path / "hiss.wav"
    soundfile.write(noise, np.random.default_rng(0).normal(0, 0.1, 3 * SAMPLE_RATE), SAMPLE_RATE)
    (song,) = try_your_song(checkpoint, interactive=False, songs=[noise]).views
    assert song.check.warning == "noise" and song.top is not None
    assert song.verdict.startswith("**looks like noise (spectral flatness")
    assert "Most likely" not in song.verdict


def test_a_song_far_from_every_class_says_so_above_its_genres(shared_data: Path) -> None:
    """The drum-and-bass song lies beyond the shipped probe's threshold (20.1 > 16.2), as
    ``genrelib predict`` says: the JupyterLab predictor and the static view say it too."""
    song = shared_data / "external_songs" / SHORT_SONG
    predictor = SongPredictor(DEFAULT_MODEL)
    view = predictor.predict_path(song)
    distance, threshold = view.novelty
    assert distance > threshold and view.top is not None
    assert view.warning.startswith(
        f"far from every class it was trained on (distance {distance:.1f}"
    )
    message = predictor.message.value
    assert message.index("far from every class") < message.index("<ol>")
    assert view.verdict.startswith("**far from every class") and "Most likely" in view.verdict
    (cli,) = predict_songs([song], progress=False, device="cpu")
    assert cli.warning == "far" and cli.distance == pytest.approx(distance, abs=0.2)
    near = predictor.predict_path(shared_data / "gtzan_mini" / "genres" / "jazz" / "jazz.00001.wav")
    assert near.warning is None and "far from" not in predictor.message.value


def test_bad_parameters_raise_clear_errors(tracks: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lacks columns"):
        explore_dataset(tracks.drop(columns="path"))
    with pytest.raises(ConfigError, match="not in the tracks table"):
        explore_dataset(tracks, interactive=False, clips=["blues.99999"])
    with pytest.raises(ConfigError, match="unknown mel preset"):
        DatasetExplorer(tracks, mel="hop_512")
    with pytest.raises(CheckpointError, match="does not exist"):
        DatasetExplorer(tracks, checkpoint=tmp_path / "best.pt")
    with pytest.raises(ConfigError, match="needs songs"):
        try_your_song(tmp_path / "best.pt", interactive=False)


def test_by_default_widgets_appear_only_where_a_jupyter_server_runs_the_kernel(
    tracks: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain papermill saves the static views, not a widget's text (``VBox(children=...``)."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert isinstance(explore_dataset(tracks), StaticView)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/book/01_dataset.ipynb")
    assert isinstance(explore_dataset(tracks), DatasetExplorer)

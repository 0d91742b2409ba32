"""Whole-song prediction on real clips and songs: formats, rates, trims, bad files, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile
from deep_data import CHUNKS, MEL, spectrogram_set, train_valid

import genrelib.audio.prefetch as prefetch_module
import genrelib.predict as predict_module
from genrelib.audio import SongReader, audio_info, load_audio
from genrelib.cli import main
from genrelib.config import GENRES, SAMPLE_RATE
from genrelib.data import index_gtzan, synthesize_clip
from genrelib.errors import (
    AudioDecodeError,
    CheckpointError,
    ConfigError,
    DatasetNotFoundError,
    TrackTooShortError,
)
from genrelib.evaluation import predict_proba
from genrelib.plots.predict import plot_probability_timelines, plot_song_confidence
from genrelib.predict import (
    MIN_PAD_FRACTION,
    PredictionFailure,
    SongPrediction,
    expected_genre,
    list_songs,
    load_model,
    predict_song,
    predict_songs,
    prediction_table,
    song_excerpt,
    write_synthetic_song,
)
from genrelib.training import TrainConfig, train

EXTERNAL_SONG = "admiralbob77_-_Choice_-_Drum-bass.hq.ogg"  # 25 s, 44.1 kHz stereo Ogg Vorbis


@pytest.fixture(scope="module")
def checkpoint(gtzan_mini: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base CRNN trained for one short epoch on real 0.75-s chunks (hop 256)."""
    train_set, valid_set = train_valid(gtzan_mini)
    config = TrainConfig(batch_size=4, max_epochs=1, max_train_chunks=8, device="cpu", seed=0)
    out = tmp_path_factory.mktemp("predict_model")
    return train("base_crnn", train_set, valid_set, config, out, progress=False).best_checkpoint


@pytest.fixture(scope="module")
def clip(gtzan_mini: Path) -> Path:
    """The first real clip of the first genre (the one the spectrogram-set fixture also uses)."""
    return Path(index_gtzan(gtzan_mini, with_duration=False)["path"].iloc[0])


def _write(path: Path, y: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    soundfile.write(path, y, rate)
    return path


def test_song_prediction_matches_the_training_pipeline(
    checkpoint: Path, clip: Path, gtzan_mini: Path
) -> None:
    song = predict_song(clip, checkpoint, device="cpu", progress=False)
    n_samples = len(load_audio(clip))
    assert song.n_chunks == n_samples // CHUNKS.chunk_samples
    assert song.chunk_seconds == CHUNKS.chunk_seconds
    step = CHUNKS.chunk_samples / SAMPLE_RATE  # 0.75 s to the nearest sample
    np.testing.assert_allclose(song.chunk_starts, np.arange(song.n_chunks) * step)
    assert song.probabilities.shape == (song.n_chunks, len(GENRES))
    np.testing.assert_allclose(song.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert song.duration == pytest.approx(n_samples / SAMPLE_RATE)
    assert song.analysed_seconds == pytest.approx(song.n_chunks * step)

    # The first 3 s of the clip are the chunks the training cache holds for this track:
    # the song path (decode, chunk, torch mel, model) must give the same probabilities.
    cached = spectrogram_set(gtzan_mini)
    mine = (cached.chunks["track_id"] == f"{clip.stem}").to_numpy()
    model, _ = load_model(checkpoint, "cpu")
    expected = predict_proba(model, cached.subset(mine), device="cpu", progress=False)
    np.testing.assert_allclose(song.probabilities[: len(expected)], expected, atol=1e-4)

    mean = song.probabilities.mean(axis=0)
    assert [g for g, _ in song.ranking] == [GENRES[k] for k in np.argsort(-mean, kind="stable")]
    assert song.top3 == song.ranking[:3] and song.genre == song.ranking[0][0]
    assert song.max_probability == pytest.approx(mean.max())
    votes = np.bincount(song.probabilities.argmax(axis=1), minlength=len(GENRES))
    assert votes[GENRES.index(song.vote)] == votes.max()
    assert 0.0 <= song.entropy <= np.log2(len(GENRES)) + 1e-9
    assert song.seconds > 0


def test_trim_keeps_the_first_seconds_and_batches_do_not_matter(
    checkpoint: Path, clip: Path
) -> None:
    whole = predict_song(clip, checkpoint, device="cpu", progress=False)
    trimmed = predict_song(clip, checkpoint, trim_seconds=3.0, batch_size=1, progress=False)
    n = (3 * SAMPLE_RATE) // CHUNKS.chunk_samples  # whole chunks in the first 3 s
    assert trimmed.n_chunks == n == 3
    assert trimmed.analysed_seconds == pytest.approx(n * CHUNKS.chunk_samples / SAMPLE_RATE)
    assert trimmed.duration == pytest.approx(whole.duration)
    # bf16 fast path: other batch sizes pick other kernels, probabilities move by ~1e-4
    np.testing.assert_allclose(trimmed.probabilities, whole.probabilities[:n], atol=5e-4)


def test_stereo_44k_file_predicts_like_the_mono_original(
    checkpoint: Path, clip: Path, tmp_path: Path
) -> None:
    y = load_audio(clip)[: 6 * SAMPLE_RATE]
    mono = _write(tmp_path / "mono.wav", y)
    up = librosa.resample(y, orig_sr=SAMPLE_RATE, target_sr=44_100, res_type="soxr_hq")
    stereo = _write(tmp_path / "stereo.flac", np.stack([up, up], axis=1), 44_100)
    assert audio_info(stereo).channels == 2 and audio_info(stereo).sample_rate == 44_100
    model = load_model(checkpoint, "cpu")
    a = predict_song(mono, model, progress=False)
    b = predict_song(stereo, model, progress=False)
    assert a.n_chunks == b.n_chunks == (6 * SAMPLE_RATE) // CHUNKS.chunk_samples
    # Resampling to 44.1 kHz and back is close to transparent below 8 kHz (the mel's fmax).
    np.testing.assert_allclose(a.probabilities, b.probabilities, atol=0.02)
    assert a.genre == b.genre


def test_external_ogg_song(checkpoint: Path, shared_data: Path) -> None:
    path = shared_data / "external_songs" / EXTERNAL_SONG
    info = audio_info(path)
    assert (info.sample_rate, info.channels) == (44_100, 2)
    song = predict_song(path, checkpoint, progress=False)
    assert song.duration == pytest.approx(info.duration, abs=0.01)
    assert song.n_chunks == round(song.duration * SAMPLE_RATE) // CHUNKS.chunk_samples
    assert song.to_dict()["top3"][0]["genre"] == song.genre


def test_short_songs_are_padded_from_half_a_chunk(checkpoint: Path, clip: Path, tmp_path: Path):
    y = load_audio(clip)
    half = int(MIN_PAD_FRACTION * CHUNKS.chunk_samples)
    padded_file = _write(tmp_path / "short.wav", y[: half + 100])
    song = predict_song(padded_file, checkpoint, progress=False)
    assert song.padded and song.n_chunks == 1
    assert song.analysed_seconds == pytest.approx((half + 100) / SAMPLE_RATE)

    too_short = _write(tmp_path / "tiny.wav", y[: half - 100])
    with pytest.raises(TrackTooShortError, match=r"tiny\.wav: lasts 0\.37 s.*0\.75-s chunk"):
        predict_song(too_short, checkpoint, progress=False)
    with pytest.raises(TrackTooShortError, match=r"short\.wav: lasts 0\.38 s, shorter than one"):
        predict_song(padded_file, checkpoint, short="error", progress=False)
    whole = predict_song(
        _write(tmp_path / "exact.wav", y[: CHUNKS.chunk_samples]), checkpoint, progress=False
    )
    assert not whole.padded and whole.n_chunks == 1


def test_bad_files_are_reported_and_the_rest_predicted(
    checkpoint: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 20)
    tiny = _write(tmp_path / "tiny.wav", load_audio(clip)[:1000])
    other = Path(str(clip).replace(".00000.", ".00001."))
    loads = []
    real_load = predict_module.load_checkpoint
    monkeypatch.setattr(
        predict_module, "load_checkpoint", lambda *a, **k: loads.append(a) or real_load(*a, **k)
    )
    paths = [clip, corrupt, tmp_path / "missing.mp3", tiny, other]
    results = predict_songs(paths, checkpoint, device="cpu", progress=False)
    assert len(loads) == 1, "the checkpoint is loaded once for all songs"
    assert [r.ok for r in results] == [True, False, False, False, True]
    assert [r.path for r in results] == [str(p) for p in paths]
    assert isinstance(results[0], SongPrediction) and isinstance(results[1], PredictionFailure)
    assert results[1].kind == "AudioDecodeError" and "corrupt.wav" in results[1].error
    assert results[2].kind == "AudioDecodeError" and "missing.mp3" in results[2].error
    assert results[3].kind == "TrackTooShortError" and "tiny.wav" in results[3].error
    alone = predict_song(other, checkpoint, progress=False)
    np.testing.assert_allclose(results[4].probabilities, alone.probabilities, atol=1e-6)


def test_songs_decode_one_ahead_in_a_thread(
    checkpoint: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader decodes song i + 1 while song i is predicted, never further ahead; a song
    that fails to decode fails when read; a reader of other songs is refused."""
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 20)
    paths = [clip, corrupt, Path(str(clip).replace(".00000.", ".00001.")), clip]
    started = []
    real_decode = prefetch_module.decode_audio

    def recorded(path: Path) -> tuple[np.ndarray, int]:
        started.append((threading.current_thread().name, Path(path)))
        return real_decode(path)

    monkeypatch.setattr(prefetch_module, "decode_audio", recorded)
    with SongReader(paths) as reader:
        mono, rate = reader.read(0)
        deadline = time.monotonic() + 30
        while len(started) < 2 and time.monotonic() < deadline:  # the next one is decoding
            time.sleep(0.01)
        assert [path for _, path in started] == paths[:2]  # and none further: 2 waits for read(1)
        assert all(name.startswith("genrelib-decode") for name, _ in started)
        np.testing.assert_array_equal(mono, load_audio(clip, sample_rate=rate))
        with pytest.raises(AudioDecodeError, match="corrupt.wav"):
            reader.read(1)
        assert reader.read(2)[0].shape == load_audio(paths[2], sample_rate=rate).shape
        assert len(started) == 4
    with pytest.raises(ConfigError, match="reader must read the given paths"):
        predict_songs(paths[:2], checkpoint, progress=False, reader=SongReader(paths[1:]))


def test_parameters_and_checkpoints_are_validated(checkpoint: Path, clip: Path, tmp_path: Path):
    for bad in ({"trim_seconds": 0}, {"batch_size": 0}, {"short": "loop"}):
        with pytest.raises(ConfigError):
            predict_song(clip, checkpoint, progress=False, **bad)
    with pytest.raises(CheckpointError, match="does not exist"):
        predict_songs([clip], tmp_path / "none.pt", progress=False)
    with pytest.raises(ConfigError, match="checkpoint path or a"):
        predict_song(clip, 42, progress=False)


def test_cli_text_json_and_exit_codes(
    checkpoint: Path, clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    corrupt = tmp_path / "broken.ogg"
    corrupt.write_bytes(b"OggS" + bytes(range(256)) * 4)

    assert main(["predict", str(clip), "--checkpoint", str(checkpoint), "--no-progress"]) == 0
    out = capsys.readouterr().out
    song = predict_song(clip, checkpoint, progress=False)
    assert out.startswith(
        f"{clip.name}: {song.duration:.1f} s long, {song.analysed_seconds:.1f} s analysed in "
        f"{song.n_chunks} chunk(s)"
    )
    for rank, (genre, probability) in enumerate(song.top3, start=1):
        assert f"{rank}. {genre:<10} {probability:6.1%}" in out
    assert f"majority vote of the chunks: {song.vote}" in out

    argv = ["predict", str(clip), str(corrupt), "--checkpoint", str(checkpoint), "--json"]
    assert main([*argv, "--trim", "3", "--chunks", "--no-progress"]) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["ok"] for row in rows] == [True, False]
    assert rows[0]["n_chunks"] == 3 and len(rows[0]["probabilities"]) == 3
    trimmed = predict_song(clip, checkpoint, trim_seconds=3, progress=False)
    assert [t["genre"] for t in rows[0]["top3"]] == [g for g, _ in trimmed.top3]
    assert rows[1]["kind"] == "AudioDecodeError" and "broken.ogg" in rows[1]["error"]
    assert "broken.ogg" in captured.err and "Traceback" not in captured.err

    assert main(["predict", str(clip), "--checkpoint", str(tmp_path / "no.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err


def test_cli_reports_the_seconds_a_trim_analyses(
    checkpoint: Path, clip: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["predict", str(clip), "--checkpoint", str(checkpoint), "--no-progress"]
    assert main([*argv, "--trim", "3"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    song = predict_song(clip, checkpoint, trim_seconds=3, progress=False)
    assert 2 < song.analysed_seconds <= 3  # whole 0.75-s chunks of the first 3 s
    expected = f"30.0 s long, {song.analysed_seconds:.1f} s analysed (first 3 s, --trim) in 3 chunk"
    assert expected in first
    assert main([*argv, "--trim", "60"]) == 0  # longer than the clip: nothing was cut
    assert "--trim" not in capsys.readouterr().out.splitlines()[0]


def test_a_missing_song_is_reported_before_torch_is_imported(
    checkpoint: Path, tmp_path: Path
) -> None:
    """A typo in a song path costs a fraction of a second, and the message says 'song'."""
    code = (
        "import sys; from genrelib.cli import main; "
        f"status = main(['predict', {str(tmp_path / 'nope.mp3')!r}, '--checkpoint', "
        f"{str(checkpoint)!r}]); "
        "print(status, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["1", "False"]
    assert "nope.mp3: song not found" in done.stderr and "dataset" not in done.stderr


def test_a_text_file_named_mp3_is_named_as_text_without_decoder_noise(
    checkpoint: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_text("hello, this is not a song\n")
    assert main(["predict", str(fake), "--checkpoint", str(checkpoint), "--no-progress"]) == 1
    captured = capfd.readouterr()
    message = "fake.mp3: a text file, not audio; pass an audio file (WAV, FLAC, MP3, Ogg)"
    assert captured.err == f"genrelib: error: {message}\n"  # one line, no decoder notes
    assert "mpg123" not in captured.out and "Illegal" not in captured.out


def test_summaries_are_tidy_rows_and_use_the_checkpoints_spectrogram(
    checkpoint: Path, clip: Path
) -> None:
    song = predict_song(clip, checkpoint, progress=False)
    table = pd.DataFrame([song.to_dict(), song.to_dict(chunks=True)])
    assert {"path", "genre", "vote", "max_probability", "entropy_bits", "seconds"} <= set(table)
    assert table["genre"].tolist() == [song.genre] * 2
    _, meta = load_model(checkpoint, "cpu")
    assert meta["mel_config"]["hop_length"] == MEL.hop_length  # what predict_song used


def test_table_expected_genres_excerpts_and_figures(
    checkpoint: Path, clip: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "bad.wav"
    corrupt.write_bytes(b"not audio at all")
    results = predict_songs([clip, corrupt], checkpoint, progress=False)
    song = results[0]
    keys = {"blues": "jazz", f"{clip.stem}": f"{song.genre} / something", "x": "none of the ten"}
    assert expected_genre(clip, keys) == f"{song.genre} / something"  # longest matching key
    assert expected_genre(tmp_path / "other.ogg", keys) == "unknown"
    table = prediction_table(results, keys)
    assert table["ok"].tolist() == [True, False] and "bad.wav" in table.loc[1, "error"]
    first = table.iloc[0]
    assert (first["predicted"], first["second"]) == (song.top3[0][0], song.top3[1][0])
    assert first["probability"] == pytest.approx(song.max_probability)
    assert bool(first["agrees"])
    other = prediction_table(results[:1], {clip.stem: "none of the ten"})
    assert other.loc[0, "agrees"] is None
    wrong = next(g for g in GENRES if g != song.genre)
    assert not prediction_table(results[:1], {clip.stem: wrong}).loc[0, "agrees"]

    excerpt = song_excerpt(clip, seconds=4.0, sample_rate=11_025)
    assert excerpt.shape == (4 * 11_025,)
    y = load_audio(clip, sample_rate=11_025)
    middle = (len(y) - len(excerpt)) // 2
    np.testing.assert_array_equal(excerpt, y[middle : middle + len(excerpt)])
    assert len(song_excerpt(clip, start=1e6, seconds=4.0)) == 4 * 11_025  # clamped to the end

    fig = plot_probability_timelines([song, song], labels=["a", "b"], title="t")
    panel = fig.axes[0]
    heights = [patch.get_paths()[0].vertices[:, 1].max() for patch in panel.collections]
    assert len(panel.collections) == len(GENRES) and max(heights) == pytest.approx(1.0, abs=1e-4)
    table["group"] = ["in", "out"]
    ax = plot_song_confidence(table)
    assert len(ax.texts) == 1 and ax.get_xlabel().endswith("(bits)")


def test_song_folders_and_the_synthetic_song(tmp_path: Path) -> None:
    song = write_synthetic_song(tmp_path / "demo.wav", ("classical", "metal"), 2.0, seed=3)
    y = load_audio(song)
    assert len(y) == 4 * SAMPLE_RATE
    np.testing.assert_allclose(
        y[: 2 * SAMPLE_RATE], synthesize_clip("classical", 0, 2.0, seed=3), atol=1 / 32768
    )
    np.testing.assert_allclose(
        y[2 * SAMPLE_RATE :], synthesize_clip("metal", 1, 2.0, seed=3), atol=1 / 32768
    )
    (tmp_path / "notes.txt").write_text("not a song")
    (tmp_path / "B.FLAC").write_bytes(b"")
    assert [p.name for p in list_songs(tmp_path)] == ["B.FLAC", "demo.wav"]
    with pytest.raises(DatasetNotFoundError, match="no audio file"):
        list_songs(_empty(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="not a folder"):
        list_songs(tmp_path / "nowhere")
    with pytest.raises(ConfigError):
        write_synthetic_song(tmp_path / "x.wav", ("polka",))


def _empty(parent: Path) -> Path:
    folder = parent / "empty"
    folder.mkdir()
    return folder


@pytest.mark.slow  # a fresh interpreter predicts a whole song
def test_predict_and_the_crnn_models_run_without_torchvision(
    checkpoint: Path, shared_data: Path, tmp_path: Path
) -> None:
    """A broken torchvision (CPU torch beside a CUDA torchvision) breaks only the ResNet model."""
    song = shared_data / "external_songs" / EXTERNAL_SONG
    code = (
        "import json, sys; sys.modules['torchvision'] = None\n"
        "from genrelib.cli import main\n"
        "from genrelib.errors import ConfigError\n"
        "from genrelib.models import build_model\n"
        f"assert main(['predict', {str(song)!r}, '--json']) == 0\n"
        f"assert main(['predict', {str(song)!r}, '--checkpoint', {str(checkpoint)!r}]) == 0\n"
        "build_model('base_crnn')\n"
        "try:\n"
        "    build_model('resnet18')\n"
        "except ConfigError as error:\n"
        "    print('RESNET:', error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RESNET: the ResNet-18 model needs torchvision" in done.stdout
    assert "same index" in done.stdout


def test_predict_imports_only_what_inference_uses() -> None:
    """``import genrelib.predict`` (every ``genrelib predict`` call) loads neither the fitting
    code of the transfer package (scikit-learn, SciPy's statistics through
    ``genrelib.evaluation``) nor torchvision, pandas, SciPy or the download code; the names
    stay importable from the packages."""
    heavy = (
        "sklearn",
        "scipy",
        "pandas",
        "torchvision",
        "genrelib.evaluation",
        "genrelib.experiments",
        "genrelib.data.download",
        "genrelib.audio.cache",
        "genrelib.transfer.embeddings",
    )
    code = (
        "import sys, genrelib.predict\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
        "from genrelib.transfer import run_finetune, train_genre_probe\n"
        "print(run_finetune.__module__, 'genrelib.evaluation' in sys.modules)\n"
        "from genrelib.data import download_book, index_gtzan\n"
        "from genrelib.audio import build_spectrogram_set\n"
        "print(download_book.__module__, build_spectrogram_set.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [
        "",
        "genrelib.transfer.finetune True",
        "genrelib.data.download genrelib.audio.cache",
    ]


@pytest.mark.slow  # two processes load musicnn
def test_a_song_is_predicted_without_importing_librosa_s_analysis_modules(
    shared_data: Path,
) -> None:
    """After a first call has cached the mel filterbank, predicting a song loads neither
    librosa's filters, features and audio modules nor numba or SciPy's signal package (over two
    seconds per process): the flatness and the resampling are computed without them."""
    song = shared_data / "external_songs" / "admiralbob77_-_Choice_-_Drum-bass.hq.ogg"
    heavy = ("numba", "librosa.filters", "librosa.feature", "librosa.core.audio", "scipy.signal")
    code = (
        "import sys\nfrom genrelib.predict import predict_song\n"
        "print(predict_song(sys.argv[1], device='cpu', progress=False).top3[0][0])\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, str(song)], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for _ in range(2)
    ]
    assert runs[0][0] == runs[1][0] and runs[1][1] == ""

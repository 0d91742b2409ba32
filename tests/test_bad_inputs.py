"""Bad input gets one clear line naming the file or the option as the user typed it.

One test per case of issue 36's table; silence and noise never get a bare confident genre.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from genrelib.audio.io import load_audio
from genrelib.cli import main
from genrelib.input_checks import (
    HOP_LENGTH,
    N_FFT,
    NOISE_FLATNESS,
    SILENCE_DBFS,
    check_signal,
    spectral_flatness,
)

RATE = 22_050


def _noise(seconds: float = 10.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * RATE)).astype(np.float32)


@pytest.fixture
def features_csv(shared_data: Path) -> Path:
    return shared_data / "features" / "features_30_sec.csv"


def _error(capsys: pytest.CaptureFixture) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "song.wav", "--trim", "-5"], "argument --trim: -5 s is not more than 0 s"),
        (["predict", "song.wav", "--batch-size", "0"], "argument --batch-size: 0 is less than 1"),
        (["train", "--epochs", "0"], "argument --epochs: 0 is less than 1"),
        (["train", "--seed", "-3"], "argument --seed: -3 is less than 0"),
        (["train", "--chunk-seconds", "0"], "argument --chunk-seconds: 0 s is not more than 0 s"),
        (["baselines", "--seeds", "0"], "argument --seeds: 0 is less than 1"),
        (["baselines", "--jobs", "0"], "argument --jobs: 0 processes: give 1 or more, or -1"),
        (["book", "train", "--max-epochs", "x"], "--max-epochs: 'x' is not a whole number"),
    ],
)
def test_an_out_of_range_option_is_named_as_typed(argv, message: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    assert message in _error(capsys)


@pytest.mark.parametrize("command", [["train"], ["features", "--out", "x.csv"]])
def test_chunks_longer_than_the_tracks_are_refused_before_any_work(command, capsys) -> None:
    assert main([*command, "--profile", "smoke", "--chunk-seconds", "40"]) == 2
    assert "--chunk-seconds 40 is longer than the 30-s tracks it cuts; give at most 30" in (
        _error(capsys)
    )


def test_chunks_without_json_is_an_error(tmp_path: Path, capsys) -> None:
    song = tmp_path / "song.wav"
    sf.write(song, _noise(), RATE)
    assert main(["predict", str(song), "--chunks"]) == 2
    assert "--chunks adds each chunk's probabilities to the JSON: add --json" in _error(capsys)


def test_random_bytes_named_mp3_are_not_called_missing(tmp_path: Path, capsys) -> None:
    fake = tmp_path / "song.mp3"
    fake.write_bytes(np.random.default_rng(0).bytes(50_000))
    assert main(["predict", str(fake), "--no-progress"]) == 1
    line = _error(capsys)
    assert "song.mp3: cannot decode (no audio format recognised in its bytes)" in line
    assert "does not exist" not in line


@pytest.mark.slow  # loads musicnn and predicts one song
def test_json_keeps_a_missing_song_in_its_place(shared_data: Path, capsys) -> None:
    song = str(next((shared_data / "external_songs").glob("Hungarian_Dance*.ogg")))
    assert main(["predict", "missing.wav", song, "--json", "--no-progress"]) == 1
    entries = json.loads(capsys.readouterr().out)
    assert [entry["path"] for entry in entries] == ["missing.wav", song]
    assert entries[0]["ok"] is False and "song not found" in entries[0]["error"]
    assert entries[1]["ok"] is True and entries[1]["warning"] is None


@pytest.mark.parametrize("command", [["train"], ["data", "info"], ["features", "--out", "x.csv"]])
def test_a_data_dir_that_is_a_file_says_so(command, shared_data: Path, capsys) -> None:
    song = next((shared_data / "external_songs").glob("*.ogg"))
    assert main([*command, "--data-dir", str(song)]) == 2
    assert f"{song} is a file, not a folder" in _error(capsys)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "cannot be read (it is empty)"),
        (np.random.default_rng(1).bytes(3000), "cannot be read (not CSV text)"),
    ],
)
def test_an_unreadable_feature_table_is_one_line(tmp_path: Path, content, message, capsys) -> None:
    table = tmp_path / "table.csv"
    table.write_bytes(content)
    assert main(["baselines", "--features-csv", str(table)]) == 2
    assert f"feature table {table} {message}" in _error(capsys)


def test_a_feature_table_with_an_empty_cell_or_one_label_is_refused(
    features_csv: Path, tmp_path: Path, capsys
) -> None:
    rows = features_csv.read_text().splitlines()
    cells = rows[5].split(",")
    cells[3] = ""
    holed = tmp_path / "holed.csv"
    holed.write_text("\n".join([*rows[:5], ",".join(cells), *rows[6:]]) + "\n")
    assert main(["baselines", "--features-csv", str(holed), "--seeds", "1"]) == 2
    assert "1 empty or non-numeric cell(s), e.g. row 6 (blues.00004.wav), column " in (
        _error(capsys)
    )
    few = tmp_path / "few.csv"
    few.write_text("\n".join(rows[:4]) + "\n")
    assert main(["baselines", "--features-csv", str(few), "--seeds", "1"]) == 2
    assert "3 row(s) of 1 label (blues); a classifier needs at least 2 labels" in _error(capsys)


def test_too_few_rows_for_a_tuned_model_is_one_line(
    features_csv: Path, tmp_path: Path, capsys
) -> None:
    rows = features_csv.read_text().splitlines()
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("\n".join([rows[0], *rows[1:4], rows[101]]) + "\n")  # 3 blues, 1 classical
    argv = ["baselines", "--features-csv", str(tiny), "--seeds", "1", "--models", "svm_tuned"]
    assert main([*argv, "--protocols", "paper"]) == 2
    assert "use more tracks per label" in _error(capsys)


@pytest.mark.parametrize("command", [["baselines"], ["features", "--data-dir", "."]])
def test_out_pointing_at_a_folder_is_refused_before_any_work(
    command, features_csv: Path, tmp_path: Path, capsys
) -> None:
    source = [] if "features" in command else ["--features-csv", str(features_csv)]
    assert main([*command, *source, "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} is a folder; give a file name" in _error(capsys)
    missing = tmp_path / "no" / "out.csv"
    assert main([*command, *source, "--out", str(missing)]) == 2
    assert f"folder {missing.parent} does not exist" in _error(capsys)


def test_silence_and_noise_are_flagged_and_music_is_not(gtzan_mini: Path) -> None:
    silent = check_signal(np.zeros(RATE * 5, dtype=np.float32))
    quiet = check_signal((1e-5 * _noise()).astype(np.float32))
    noise = check_signal(_noise())
    assert silent.warning == quiet.warning == "silence" and quiet.level_dbfs < SILENCE_DBFS
    assert noise.warning == "noise" and noise.flatness > NOISE_FLATNESS
    assert "looks like noise (spectral flatness 0.56 > 0.2)" in noise.message
    flattest = gtzan_mini / "genres" / "metal" / "metal.00004.wav"  # the flattest clip measured
    for rate in (22_050, 16_000):
        music = check_signal(load_audio(flattest, rate))
        assert music.warning is None and music.message is None, rate


def test_flatness_is_librosa_s(gtzan_mini: Path, shared_data: Path) -> None:
    """The numpy flatness gives librosa's frames (to float32 rounding): the thresholds measured
    with librosa still hold."""
    clips = [gtzan_mini / "genres" / "metal" / "metal.00004.wav"]
    clips.append(shared_data / "external_songs" / "sorohanro_-_solo-trumpet-06.hq.ogg")
    signals = [load_audio(clip, rate) for clip in clips for rate in (22_050, 16_000)]
    signals += [_noise(), _noise()[:700], np.sin(np.arange(RATE) / 5).astype(np.float32)]
    for y in signals:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # librosa: n_fft larger than 700
            reference = librosa.feature.spectral_flatness(y=y, n_fft=N_FFT, hop_length=HOP_LENGTH)
        np.testing.assert_allclose(spectral_flatness(y), reference[0], rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # loads musicnn and predicts two files
def test_predict_gives_silence_and_noise_no_bare_genre(tmp_path: Path, capsys) -> None:
    sf.write(tmp_path / "silence.wav", np.zeros(RATE * 10, dtype=np.float32), RATE)
    sf.write(tmp_path / "white.wav", _noise(), RATE)
    assert main(["predict", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "looks like silence (level -240 dBFS < -60 dBFS): the genre is not meaningful" in out
    assert "looks like noise (spectral flatness" in out and "majority vote" not in out
    shutil.copy(tmp_path / "white.wav", tmp_path / "again.wav")
    assert main(["predict", str(tmp_path / "again.wav"), "--json", "--no-progress"]) == 0
    entry = json.loads(capsys.readouterr().out)[0]
    assert entry["warning"] == "noise" and "not meaningful" in entry["warning_message"]

"""Tests of genrelib.data.collection: a labelled folder or manifest built from the shared clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from genrelib.cli import main
from genrelib.data.collection import (
    content_duplicates,
    index_collection,
    is_gtzan_folder,
    read_manifest,
)
from genrelib.errors import DatasetNotFoundError


def _clips(gtzan_mini: Path, genre: str, n: int) -> list[Path]:
    return sorted((gtzan_mini / "genres" / genre).iterdir())[:n]


@pytest.fixture
def mymusic(gtzan_mini: Path, tmp_path: Path) -> Path:
    """lofi (2 jazz clips, one in a sub-folder), techno (2 disco clips, as FLAC), opera (1
    classical clip, 44.1 kHz stereo OGG); every label holds a file named ``My Song 1``."""
    root = tmp_path / "mymusic"
    jazz = _clips(gtzan_mini, "jazz", 2)
    (root / "lofi" / "side b").mkdir(parents=True)
    shutil.copy(jazz[0], root / "lofi" / "My Song 1.wav")
    shutil.copy(jazz[1], root / "lofi" / "side b" / "My Song 1.wav")
    (root / "techno").mkdir()
    for k, clip in enumerate(_clips(gtzan_mini, "disco", 2), start=1):
        y, sr = sf.read(clip)
        sf.write(root / "techno" / f"My Song {k}.flac", y, sr)
    (root / "opera").mkdir()
    y, sr = librosa.load(_clips(gtzan_mini, "classical", 1)[0], sr=44_100, duration=5.0)
    sf.write(root / "opera" / "My Song 1.ogg", np.stack([y, 0.5 * y], axis=1), 44_100)
    (root / "opera" / "notes.txt").write_text("not audio")
    return root


def test_labels_come_from_the_folders_and_ids_from_the_paths(mymusic: Path) -> None:
    collection = index_collection(mymusic)
    assert collection.classes == ("lofi", "opera", "techno")
    tracks = collection.tracks
    assert len(tracks) == 5 and tracks["track_id"].is_unique, "same file names, distinct tracks"
    assert set(tracks["track_id"]) >= {"lofi/My Song 1.wav", "lofi/side b/My Song 1.wav"}
    assert collection.counts().to_dict() == {"lofi": 2, "opera": 1, "techno": 2}
    opera = tracks.set_index("track_id").loc["opera/My Song 1.ogg"]
    assert opera["label"] == 1 and opera["duration"] == pytest.approx(5.0, abs=0.05)
    assert (tracks["label"] == tracks["genre"].map({"lofi": 0, "opera": 1, "techno": 2})).all()


def test_a_manifest_gives_groups_and_relative_paths(mymusic: Path) -> None:
    manifest = mymusic / "manifest.csv"
    pd.DataFrame(
        {
            "path": ["lofi/My Song 1.wav", "techno/My Song 1.flac", "techno/My Song 2.flac"],
            "label": ["chill", "dance", "dance"],
            "group": ["artist a", "artist b", "artist b"],
        }
    ).to_csv(manifest, index=False)
    collection = index_collection(manifest)
    assert collection.classes == ("chill", "dance")
    assert collection.tracks["artist"].tolist() == ["artist a", "artist b", "artist b"]
    assert read_manifest(manifest)["path"].map(Path.is_file).all()


@pytest.mark.parametrize(
    "content, message",
    [
        ("file,genre\na.wav,x\n", "lacks column"),
        ("path,label\nmissing.wav,x\n", "do not exist"),
        ("path,label\n,x\n", "row 2"),
        (b"\x00\x01\x02binary", "lacks column|not a readable CSV"),
    ],
)
def test_a_bad_manifest_is_one_clear_error(tmp_path: Path, content, message: str) -> None:
    manifest = tmp_path / "bad.csv"
    (manifest.write_bytes if isinstance(content, bytes) else manifest.write_text)(content)
    with pytest.raises(DatasetNotFoundError, match=message):
        index_collection(manifest)


def test_too_few_labels_or_no_audio_is_refused(mymusic: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="at least 2"):
        index_collection(mymusic.parent)  # one label folder: mymusic
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        index_collection(tmp_path / "nowhere")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError, match="holds no audio"):
        index_collection(tmp_path / "empty")


def test_the_same_audio_under_two_labels_is_found(mymusic: Path) -> None:
    assert content_duplicates(index_collection(mymusic).tracks).empty
    shutil.copy(mymusic / "lofi" / "My Song 1.wav", mymusic / "techno" / "copy.wav")
    twins = content_duplicates(index_collection(mymusic).tracks)
    assert twins["track_id"].tolist() == ["lofi/My Song 1.wav", "techno/copy.wav"]
    assert twins["digest"].nunique() == 1


def test_data_verify_reports_a_collection_per_label(
    mymusic: Path, gtzan_mini: Path, capsys: pytest.CaptureFixture
) -> None:
    assert is_gtzan_folder(gtzan_mini) and not is_gtzan_folder(mymusic)
    assert main(["data", "verify", "--data-dir", str(mymusic)]) == 0
    out = capsys.readouterr().out
    assert "5 audio files, 3 labels" in out and "5 good, 0 bad, 0 duplicated audio" in out
    assert [line.split()[:3] for line in out.splitlines() if line.startswith("lofi")] == [
        ["lofi", "2", "2"]
    ]
    (mymusic / "techno" / "broken.wav").write_text("not audio at all")
    shutil.copy(mymusic / "lofi" / "My Song 1.wav", mymusic / "opera" / "aria.wav")
    assert main(["data", "verify", "--data-dir", str(mymusic)]) == 1
    out = capsys.readouterr().out
    assert "techno/broken.wav" in out and "the same audio under 2 names" in out
    assert "opera/aria.wav (opera)" in out and "6 good, 1 bad, 1 duplicated audio" in out

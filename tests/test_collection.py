"""Tests of genrelib.data.collection: a labelled folder or manifest built from the shared clips."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from genrelib.cli import main
from genrelib.data.collection import (
    collection_folds,
    content_duplicates,
    index_collection,
    is_gtzan_folder,
    read_manifest,
    split_collection,
)
from genrelib.errors import ConfigError, DatasetNotFoundError


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


@pytest.fixture
def regrouped(gtzan_mini: Path, tmp_path: Path) -> Path:
    """Three labels of 6 tracks (jazz as "smooth", metal as "loud", classical as "calm"),
    with a manifest naming two artists per label (3 tracks each)."""
    root = tmp_path / "regrouped"
    rows = []
    for label, genre in (("smooth", "jazz"), ("loud", "metal"), ("calm", "classical")):
        (root / label).mkdir(parents=True)
        for k, clip in enumerate(_clips(gtzan_mini, genre, 6)):
            shutil.copy(clip, root / label / clip.name)
            rows.append((f"{label}/{clip.name}", label, f"{label} artist {k // 3}"))
    pd.DataFrame(rows, columns=["path", "label", "group"]).to_csv(root / "groups.csv", index=False)
    return root


def test_a_split_keeps_tracks_and_groups_whole_and_every_label_everywhere(regrouped: Path) -> None:
    plain = index_collection(regrouped, with_duration=False)
    split = split_collection(plain, seed=1)
    per_set = pd.crosstab(plain.tracks["genre"], split)
    assert (per_set > 0).all().all(), f"every label in every set:\n{per_set}"
    grouped = index_collection(regrouped / "groups.csv", with_duration=False)
    split = split_collection(grouped, seed=1)
    assert split.groupby(grouped.tracks["artist"]).nunique().eq(1).all(), "a group on two sides"
    folds = collection_folds(grouped, n_folds=2, seed=0)
    assert pd.Series(folds).groupby(grouped.tracks["artist"]).nunique().eq(1).all()
    folds = collection_folds(plain, n_folds=5, seed=0)
    assert sorted(np.bincount(folds)) == [3, 3, 4, 4, 4]


def test_a_label_with_too_few_tracks_is_one_clear_error(mymusic: Path, regrouped: Path) -> None:
    with pytest.raises(ConfigError, match="label 'opera' has 1 track.*at least 3 per label"):
        split_collection(index_collection(mymusic, with_duration=False))
    with pytest.raises(ConfigError, match="label 'calm' has 6 track.*7-fold.*at least 7"):
        collection_folds(index_collection(regrouped, with_duration=False), n_folds=7)


def test_probe_fit_refuses_bad_options_before_any_work(
    mymusic: Path, tmp_path: Path, capsys
) -> None:
    assert main(["probe", "fit", "--data-dir", str(mymusic), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    out = str(tmp_path / "no" / "my.probe")
    assert main(["probe", "fit", "--data-dir", str(mymusic), "--out", out]) == 2
    assert "does not exist" in capsys.readouterr().err
    target = str(tmp_path / "my.probe")
    assert main(["probe", "fit", "--data-dir", str(mymusic), "--out", target, "--folds", "2"]) == 2
    assert "label 'opera' has 1 track" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["probe", "fit", "--data-dir", str(mymusic), "--out", target, "--folds", "1"])
    assert "1 is less than 2" in capsys.readouterr().err
    song = str(mymusic / "lofi" / "My Song 1.wav")
    assert main(["predict", song, "--model", target]) == 2
    assert "write it with `genrelib probe fit`" in capsys.readouterr().err


@pytest.mark.slow  # musicnn embeddings of 8 clips
def test_a_two_label_probe_predicts_in_the_collection_s_labels(
    gtzan_mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import torch

    from genrelib.predict import load_model
    from genrelib.transfer import musicnn_embeddings
    from genrelib.transfer.probes import build_probe

    root = tmp_path / "two"
    for label, genre in (("quiet", "classical"), ("noisy", "metal")):
        (root / label / "deep").mkdir(parents=True)
        for clip in _clips(gtzan_mini, genre, 4):
            shutil.copy(clip, root / label / "deep" / clip.name)
    target = tmp_path / "two.probe"
    assert (
        main(["probe", "fit", "--data-dir", str(root), "--out", str(target), "--folds", "2"]) == 0
    )
    out = capsys.readouterr().out
    assert "2 labels, 8 tracks used (0 skipped); 2-fold, track-disjoint" in out
    assert re.search(r"track accuracy \d+\.\d% \[\d+\.\d%, \d+\.\d%\]", out)
    model, meta = load_model(target, device="cpu")
    assert meta["class_names"] == ["noisy", "quiet"]
    # the stored two-row probe gives sklearn's probabilities on the same embeddings
    collection = index_collection(root, with_duration=False)
    embeddings = musicnn_embeddings(collection.tracks, progress=False)
    x, y = embeddings.features("pooled"), embeddings.chunks["label"].to_numpy()
    expected = build_probe("logistic_regression").fit(x, y).predict_proba(x)
    z = (torch.as_tensor(x) - model.mean) / model.scale
    got = torch.softmax(model.linear(z), dim=1).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert main(["predict", str(root / "quiet"), "--model", str(target), "--no-progress"]) == 0
    answers = re.findall(r"majority vote of the chunks: (\w+)", capsys.readouterr().out)
    assert len(answers) == 4 and set(answers) <= {"noisy", "quiet"}

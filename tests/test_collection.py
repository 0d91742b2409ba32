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
    embeddings = musicnn_embeddings(collection.tracks, progress=False, variable_length=True)
    x, y = embeddings.features("pooled"), embeddings.chunks["label"].to_numpy()
    expected = build_probe("logistic_regression").fit(x, y).predict_proba(x)
    z = (torch.as_tensor(x) - model.mean) / model.scale
    got = torch.softmax(model.linear(z), dim=1).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert main(["predict", str(root / "quiet"), "--model", str(target), "--no-progress"]) == 0
    answers = re.findall(r"majority vote of the chunks: (\w+)", capsys.readouterr().out)
    assert len(answers) == 4 and set(answers) <= {"noisy", "quiet"}


def test_a_variable_length_track_gives_the_chunks_it_holds_from_its_middle() -> None:
    from genrelib.audio import cut_track
    from genrelib.config import ChunkConfig
    from genrelib.errors import TrackTooShortError

    sr = 100
    fixed = ChunkConfig(chunk_seconds=3.0, track_seconds=9.0, sample_rate=sr)
    free = ChunkConfig(chunk_seconds=3.0, track_seconds=9.0, sample_rate=sr, variable_length=True)
    ramp = np.arange(12 * sr, dtype=np.float32)  # 12 s: longer than the 9-s cap
    np.testing.assert_array_equal(cut_track(ramp, fixed), ramp[: 9 * sr].reshape(3, -1))
    np.testing.assert_array_equal(cut_track(ramp, free), ramp[150:1050].reshape(3, -1))
    assert cut_track(ramp[: 7 * sr], free).shape == (2, 3 * sr), "7 s holds two whole chunks"
    padded = cut_track(ramp[:280], free)  # 2.8 s: within the 0.5-s tolerance of one chunk
    assert padded.shape == (1, 300) and not padded[0, 280:].any()
    with pytest.raises(TrackTooShortError, match="lasts 2.00 s, shorter than one 3 s chunk"):
        cut_track(ramp[: 2 * sr], free, source="short.wav")
    with pytest.raises(TrackTooShortError, match="shorter than track_seconds"):
        cut_track(ramp[: 7 * sr], fixed)


def test_fixed_length_keys_are_those_of_the_committed_runs() -> None:
    """``variable_length`` enters a key only when set: every committed GTZAN run keeps its
    folder (its stored setup is what the code computes now)."""
    from genrelib.config import ChunkConfig
    from genrelib.experiments import read_result

    runs = sorted(Path(__file__).parents[1].glob("results/*/runs/*/result.json"))
    assert len(runs) > 10
    for path in runs:
        stored = read_result(path.parent)["setup"]["chunk_config"]
        assert ChunkConfig(**stored).to_dict() == stored, path.parent.name
    assert "variable_length" not in ChunkConfig().to_dict()
    assert ChunkConfig(variable_length=True).key() != ChunkConfig().key()


@pytest.fixture
def short_collection(gtzan_mini: Path, tmp_path: Path) -> Path:
    """calm/loud/smooth, 3 tracks each, of 3 to 9 s: a WAV, a FLAC and a 44.1 kHz stereo OGG."""
    root = tmp_path / "short"
    for label, genre in (("smooth", "jazz"), ("loud", "metal"), ("calm", "classical")):
        (root / label).mkdir(parents=True)
        clips = _clips(gtzan_mini, genre, 3)
        y, sr = sf.read(clips[0])
        sf.write(root / label / "a.wav", y[: 9 * sr], sr)
        y, sr = sf.read(clips[1])
        sf.write(root / label / "b.flac", y[: 6 * sr], sr)
        y, _ = librosa.load(clips[2], sr=44_100, duration=3.2)
        sf.write(root / label / "c.ogg", np.stack([y, y], axis=1), 44_100)
    return root


def _run_folder(out: str) -> Path:
    return Path(re.findall(r"results in (\S+)", out)[-1])


def test_train_on_a_collection_gives_a_checkpoint_in_its_labels(
    short_collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import json

    from genrelib.experiments import load_test_predictions
    from genrelib.training import load_checkpoint

    train = ["train", "--profile", "smoke", "--data-dir", str(short_collection), "--epochs", "1"]
    train += ["--device", "cpu", "--out", str(tmp_path / "runs")]
    assert main(train) == 0
    out = capsys.readouterr().out
    assert "(9 tracks, labels calm, loud, smooth)" in out and "0 file(s) skipped" in out
    run = _run_folder(out)
    row = json.loads((run / "result.json").read_text())
    assert row["data"] == "collection" and row["setup"]["classes"] == ["calm", "loud", "smooth"]
    chunks = row["n_train_chunks"] + row["n_valid_chunks"] + row["n_test_chunks"]
    assert chunks == 3 * (3 + 2 + 1), "9 s, 6 s and 3.2 s give 3, 2 and 1 chunks of 3 s"
    _, meta = load_checkpoint(run / "best.pt")
    assert meta["class_names"] == ["calm", "loud", "smooth"] and meta["n_classes"] == 3
    test_chunks, probabilities = load_test_predictions(run)
    assert probabilities.shape == (len(test_chunks), 3)
    assert set(test_chunks["genre"]) <= {"calm", "loud", "smooth"}

    song = str(short_collection / "loud" / "a.wav")
    assert main(["predict", song, "--checkpoint", str(run / "best.pt"), "--no-progress"]) == 0
    answer = re.search(r"majority vote of the chunks: (\w+)", capsys.readouterr().out)
    assert answer and answer.group(1) in {"calm", "loud", "smooth"}

    evaluate = ["evaluate", "--profile", "smoke", "--data-dir", str(short_collection)]
    assert main([*evaluate, "--checkpoint", str(run / "best.pt"), "--device", "cpu"]) == 0
    shown = re.search(r"track_mean\s+accuracy\s+(\d+\.\d)", capsys.readouterr().out)
    assert shown and float(shown.group(1)) == round(100 * row["test_track_accuracy"], 1)

    (short_collection / "calm" / "a.wav").touch()  # an edited file: a new run, and why
    assert main(train) == 0
    out = capsys.readouterr().out
    assert f"stored run {run.name} of this experiment differs (files were added" in out
    assert _run_folder(out) != run

    (short_collection / "calm").rename(short_collection / "quiet")  # other labels: refused
    assert main([*evaluate, "--checkpoint", str(run / "best.pt"), "--device", "cpu"]) == 2
    assert "trained on the labels calm, loud, smooth; these tracks have loud, quiet, smooth" in (
        capsys.readouterr().err
    )


def test_a_collection_refuses_what_it_cannot_train(
    short_collection: Path, mymusic: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    train = ["train", "--profile", "smoke", "--epochs", "1", "--out", str(tmp_path)]
    assert main([*train, "--data-dir", str(mymusic)]) == 2
    assert "label 'opera' has 1 track" in capsys.readouterr().err
    assert main([*train, "--data-dir", str(short_collection), "--protocol", "fault-filtered"]) == 2
    assert "a collection of your own takes --protocol track" in capsys.readouterr().err


def test_the_probe_embeds_every_track_of_a_collection_whatever_its_length(
    short_collection: Path,
) -> None:
    from genrelib.transfer import musicnn_embeddings

    tracks = index_collection(short_collection, with_duration=False).tracks
    fixed = musicnn_embeddings(tracks, track_seconds=6.0, progress=False)
    assert len(fixed.skipped) == 3, "fixed to 6 s, the 3.2-s tracks are too short"
    free = musicnn_embeddings(tracks, track_seconds=6.0, progress=False, variable_length=True)
    patches = free.chunks.groupby("track_id").size()
    assert not free.skipped and patches.to_dict() == {
        f"{label}/{name}": n
        for label in ("calm", "loud", "smooth")
        for name, n in (("a.wav", 2), ("b.flac", 2), ("c.ogg", 1))
    }, "the 9-s tracks give their middle 6 s: two patches of 2.99 s"


def test_labels_show_in_gtzan_order_or_sorted(short_collection: Path) -> None:
    from genrelib.config import GENRES, class_order
    from genrelib.plots.dataset import plot_class_balance

    assert class_order(["rock", "blues"]) == list(GENRES), "GTZAN keeps its ten genres"
    assert class_order(["techno", "blues", "lofi"]) == ["blues", "lofi", "techno"]
    tracks = index_collection(short_collection).tracks
    figure = plot_class_balance(tracks, "my collection")
    shown = [tick.get_text() for tick in figure.axes[0].get_xticklabels()]
    assert shown == ["calm", "loud", "smooth"]


def test_baselines_train_on_a_collection_s_features_in_its_labels(
    short_collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from genrelib.baselines import prepare_table
    from genrelib.features import read_feature_table

    table_csv = str(tmp_path / "mine.csv")
    features = ["features", "--data-dir", str(short_collection), "--chunk-seconds", "3"]
    assert main([*features, "--out", table_csv]) == 0
    assert "18 rows x 62 columns" in capsys.readouterr().out, "3 + 2 + 1 chunks per label"
    table = read_feature_table(table_csv)
    assert table.groupby("track_id").size().to_dict()["loud/a.wav"] == 3
    assert table["filename"].iloc[0] == "calm/a.wav#0" and (table["group"] == "").all()
    prepared = prepare_table(table, None)
    assert (prepared["label"] == prepared["genre"].map({"calm": 0, "loud": 1, "smooth": 2})).all()

    baselines = ["baselines", "--features-csv", table_csv, "--seeds", "1"]
    assert main([*baselines, "--models", "svm", "logistic_regression"]) == 0
    shown = capsys.readouterr().out
    assert re.search(r"svm\s+track\s+1", shown) and re.search(r"svm\s+paper\s+1", shown)
    assert main([*baselines, "--protocols", "fault-filtered"]) == 2
    assert "a collection's feature table takes protocols paper, track or artist" in (
        capsys.readouterr().err
    )
    assert main(["protocols", "--features-csv", table_csv]) == 2
    assert "on your own collection run genrelib baselines" in capsys.readouterr().err


def test_regrouped_clips_make_a_collection_of_new_labels_lengths_and_formats(
    gtzan_mini: Path, tmp_path: Path
) -> None:
    from genrelib.audio import audio_info
    from genrelib.data import index_gtzan
    from genrelib.data.regroup import DEMO_LABELS, FILE_TIME, regroup_tracks

    tracks = index_gtzan(gtzan_mini, with_duration=False)
    root = regroup_tracks(tracks, tmp_path / "mine", per_label=6, seed=1)
    collection = index_collection(root)
    assert collection.classes == ("calm", "dance", "heavy") == tuple(sorted(DEMO_LABELS))
    assert collection.counts().tolist() == [6, 6, 6]
    table = collection.tracks.set_index("track_id")
    assert table.loc["calm/track 01.flac", "duration"] == pytest.approx(8.0, abs=0.01)
    assert table.loc["heavy/track 02.ogg", "duration"] == pytest.approx(20.0, abs=0.05)
    assert table.loc["dance/track 03.wav", "duration"] == pytest.approx(30.0, abs=0.7)
    stereo = audio_info(root / "dance" / "track 02.ogg")
    assert (stereo.sample_rate, stereo.channels) == (44_100, 2)
    with pytest.raises(ConfigError, match="is not empty"):
        regroup_tracks(tracks, root)
    with pytest.raises(ConfigError, match="no track of genre.s. techno"):
        regroup_tracks(tracks, tmp_path / "other", labels={"x": ("techno",), "y": ("jazz",)})
    # Same sizes and times from the same clips: a rebuilt collection keeps its run keys.
    assert {path.stat().st_mtime for path in root.rglob("track *")} == {FILE_TIME}
    # A label left empty stops the write after the first label: nothing half-written stays.
    with pytest.raises(ConfigError, match="label 'y' gets no track"):
        regroup_tracks(tracks, tmp_path / "half", labels={"x": ("blues",), "y": ()})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]

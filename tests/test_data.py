"""Tests of genrelib.data: index, metadata, verify, download, synthetic data, splits, resolve."""

from __future__ import annotations

import hashlib
import io
import socket
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from book_server import serve

from genrelib.config import GENRES, SAMPLE_RATE, get_profile
from genrelib.data import (
    assign_splits,
    download_gtzan,
    find_genre_root,
    good_tracks,
    index_gtzan,
    load_artist_index,
    load_fault_filtered_split,
    resolve_data_dir,
    summarize_report,
    synthesize_clip,
    synthetic_dataset,
    verify_dataset,
)
from genrelib.errors import (
    ConfigError,
    DatasetNotFoundError,
    DownloadError,
    UnsafeArchiveError,
)

# --------------------------------------------------------------------------- index


def test_index_gtzan_mini(gtzan_mini: Path) -> None:
    table = index_gtzan(gtzan_mini)
    assert len(table) == 100
    assert list(table.columns) == [
        "path",
        "genre",
        "label",
        "track_id",
        "duration",
        "artist",
        "title",
    ]
    assert table.groupby("genre").size().to_dict() == dict.fromkeys(GENRES, 10)
    assert (table["label"] == table["genre"].map(GENRES.index)).all()
    row = table.set_index("track_id").loc["blues.00000"]
    assert row["artist"] == "John Lee Hooker"
    assert row["title"] == "One Bourbon, One Scotch And One Beer"
    assert table["duration"].between(29.0, 31.0).all()
    assert all(Path(path).is_file() for path in table["path"])


def test_index_accepts_the_three_layouts(gtzan_mini: Path, tmp_path: Path) -> None:
    kaggle = tmp_path / "kaggle" / "Data" / "genres_original"
    kaggle.mkdir(parents=True)
    for genre in GENRES:
        (kaggle / genre).symlink_to(gtzan_mini / "genres" / genre)
    for folder in (tmp_path / "kaggle", gtzan_mini, gtzan_mini / "genres"):
        table = index_gtzan(folder, with_duration=False)
        assert len(table) == 100
        assert table["duration"].isna().all()
    assert find_genre_root(tmp_path / "kaggle") == kaggle


def test_index_errors_name_the_folder(gtzan_mini: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="nowhere.*GTZAN_DIR"):
        index_gtzan(tmp_path / "nowhere")
    (tmp_path / "empty_root").mkdir()
    with pytest.raises(DatasetNotFoundError, match="empty_root.*genre folders"):
        index_gtzan(tmp_path / "empty_root")
    partial = tmp_path / "partial"
    for genre in GENRES:
        (partial / genre).mkdir(parents=True)
        if genre != "reggae":
            (partial / genre / f"{genre}.00000.wav").symlink_to(
                gtzan_mini / "genres" / genre / f"{genre}.00000.wav"
            )
    with pytest.raises(DatasetNotFoundError, match="partial.*incomplete.*reggae"):
        index_gtzan(partial)
    assert len(index_gtzan(partial, allow_missing_genres=True)) == 9


def test_index_reads_any_extension_case(gtzan_mini: Path, tmp_path: Path) -> None:
    for genre in GENRES:
        (tmp_path / genre).mkdir()
        source = gtzan_mini / "genres" / genre / f"{genre}.00001.wav"
        (tmp_path / genre / f"{genre}.00001.WAV").symlink_to(source)
        (tmp_path / genre / "notes.txt").write_text("not a clip")
    table = index_gtzan(tmp_path)
    assert len(table) == 10
    assert table["duration"].gt(29).all()


# --------------------------------------------------------------------------- metadata


def test_artist_index_and_fault_filtered_split() -> None:
    index = load_artist_index()
    assert len(index) == 1000 and index["track_id"].is_unique
    assert not index[["artist", "title"]].isna().any().any()
    split = load_fault_filtered_split()
    assert {name: len(ids) for name, ids in split.items()} == {
        "train": 443,
        "valid": 197,
        "test": 290,
    }
    every = [track for ids in split.values() for track in ids]
    assert len(set(every)) == len(every)
    assert set(every) <= set(index["track_id"])


# --------------------------------------------------------------------------- verify


def test_verify_gtzan_mini_all_good(gtzan_mini: Path) -> None:
    report = verify_dataset(gtzan_mini, progress=False)
    assert len(report) == 100
    assert report["ok"].all(), report.loc[~report["ok"], ["track_id", "reason"]]
    assert (report["sample_rate"] == SAMPLE_RATE).all()
    assert (report["channels"] == 1).all()
    assert summarize_report(report) == "100 good, 0 bad"


@pytest.fixture
def damaged_dataset(gtzan_mini: Path, tmp_path: Path) -> Path:
    """A GTZAN-layout folder: one good clip per genre, plus one damaged file of each kind."""
    root = tmp_path / "damaged"
    for genre in GENRES:
        (root / genre).mkdir(parents=True)
        source = gtzan_mini / "genres" / genre / f"{genre}.00000.wav"
        (root / genre / source.name).write_bytes(source.read_bytes())
    clip = (gtzan_mini / "genres" / "rock" / "rock.00003.wav").read_bytes()
    rng = np.random.default_rng(0)
    (root / "blues" / "blues.00090.wav").write_bytes(rng.bytes(50_000))
    (root / "rock" / "rock.00091.wav").write_bytes(clip[: len(clip) // 2])
    (root / "rock" / "rock.00092.wav").write_bytes(clip[:30])
    (root / "pop" / "pop.00093.wav").write_bytes(b"")
    (root / "pop" / "pop.00094.wav").write_text("this is a text file, not audio\n" * 20)
    sf.write(root / "jazz" / "jazz.00095.wav", np.zeros(SAMPLE_RATE // 4), SAMPLE_RATE)
    (root / "jazz" / "jazz.00054.wav").write_bytes(b"\x00" * 4096)
    return root


def test_verify_reports_each_damaged_file(damaged_dataset: Path) -> None:
    report = verify_dataset(damaged_dataset, progress=False).set_index("track_id")
    reasons = report.loc[~report["ok"], "reason"].to_dict()
    assert set(reasons) == {
        "blues.00090",
        "rock.00091",
        "rock.00092",
        "pop.00093",
        "pop.00094",
        "jazz.00095",
        "jazz.00054",
    }
    assert reasons["blues.00090"].startswith("not audio")
    assert reasons["rock.00091"].startswith("truncated")
    assert "truncated" in reasons["rock.00092"]
    assert reasons["pop.00093"].startswith("empty")
    assert "text" in reasons["pop.00094"]
    assert reasons["jazz.00095"].startswith("too short")
    assert "Kaggle" in reasons["jazz.00054"]
    good = report[report["ok"]]
    assert len(good) == 10 and good["duration"].gt(29).all()
    assert summarize_report(report) == "10 good, 7 bad"

    index = index_gtzan(damaged_dataset, with_duration=False)
    kept = good_tracks(index, report.reset_index())
    assert len(kept) == 10 and set(kept["track_id"]) == set(good.index)


def test_verify_accepts_a_table_and_min_seconds(damaged_dataset: Path) -> None:
    paths = [damaged_dataset / "jazz" / "jazz.00095.wav", damaged_dataset / "pop" / "pop.00000.wav"]
    report = verify_dataset(pd.DataFrame({"path": paths}), progress=False, min_seconds=0.1)
    assert report["ok"].tolist() == [True, True]
    assert report["track_id"].tolist() == ["jazz.00095", "pop.00000"]
    with pytest.raises(ConfigError):
        verify_dataset(pd.DataFrame({"file": paths}), progress=False)


# --------------------------------------------------------------------------- download


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _wav_bytes(genre: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, synthesize_clip(genre, 0, 2.0), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def gtzan_tarball() -> bytes:
    return _tarball({f"genres/{g}/{g}.00000.wav": _wav_bytes(g) for g in GENRES})


@pytest.fixture
def server():
    """A loopback HTTP server (tests/book_server.py); yields (base_url, handler class)."""
    with serve({}) as (url, handler):
        yield url.rstrip("/"), handler


def test_download_extract_and_checksum(server, gtzan_tarball: bytes, tmp_path: Path) -> None:
    base, handler = server
    handler.files["genres.tar.gz"] = gtzan_tarball
    digest = hashlib.sha256(gtzan_tarball).hexdigest()
    mirrors = [f"{base}/missing.tar.gz", f"{base}/genres.tar.gz"]
    root = download_gtzan(tmp_path, mirrors=mirrors, sha256=digest, progress=False)
    assert root == (tmp_path / "genres").resolve()
    assert len(index_gtzan(root)) == 10
    assert not (tmp_path / "genres.tar.gz.part").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".extract")]
    sent = handler.sent["genres.tar.gz"]
    assert download_gtzan(tmp_path, mirrors=mirrors, progress=False) == root
    assert handler.sent["genres.tar.gz"] == sent  # a complete copy is not downloaded again


def test_download_checksum_mismatch_removes_file(
    server, gtzan_tarball: bytes, tmp_path: Path
) -> None:
    base, handler = server
    handler.files["genres.tar.gz"] = gtzan_tarball
    with pytest.raises(DownloadError, match="genres.tar.gz.*sha256 differs.*0{64}.*by hand"):
        download_gtzan(tmp_path, [f"{base}/genres.tar.gz"], sha256="0" * 64, progress=False)
    assert not (tmp_path / "genres.tar.gz").exists()
    assert not (tmp_path / "genres").exists()


def test_download_resumes_a_partial_file(server, gtzan_tarball: bytes, tmp_path: Path) -> None:
    base, handler = server
    handler.files["genres.tar.gz"] = gtzan_tarball
    half = len(gtzan_tarball) // 2
    (tmp_path / "genres.tar.gz.part").write_bytes(gtzan_tarball[:half])
    digest = hashlib.sha256(gtzan_tarball).hexdigest()
    download_gtzan(tmp_path, [f"{base}/genres.tar.gz"], sha256=digest, progress=False)
    assert handler.sent["genres.tar.gz"] == len(gtzan_tarball) - half
    assert (tmp_path / "genres.tar.gz").read_bytes() == gtzan_tarball


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "genres/../../evil.txt"])
def test_download_rejects_unsafe_members(server, tmp_path: Path, name: str) -> None:
    base, handler = server
    members = {"genres/blues/blues.00000.wav": _wav_bytes("blues"), name: b"x"}
    handler.files["genres.tar.gz"] = _tarball(members)
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match="evil.txt"):
        download_gtzan(dest, [f"{base}/genres.tar.gz"], progress=False)
    assert not (tmp_path / "evil.txt").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["genres.tar.gz"]


def test_download_rejects_links_pointing_outside(server, tmp_path: Path) -> None:
    base, handler = server
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("genres/blues/link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../outside"
        tar.addfile(link)
    handler.files["genres.tar.gz"] = buffer.getvalue()
    with pytest.raises(UnsafeArchiveError, match="genres/blues/link"):
        download_gtzan(tmp_path, [f"{base}/genres.tar.gz"], progress=False)
    assert not (tmp_path / "genres").exists()


def test_download_offline_says_how_to_use_a_local_copy(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match="could not download.*by hand.*GTZAN_DIR") as info:
        download_gtzan(
            tmp_path, [f"http://127.0.0.1:{port}/genres.tar.gz"], timeout=2.0, progress=False
        )
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- synthetic


def _mel_summary(clip: np.ndarray) -> np.ndarray:
    """Mean and std of a 32-band log-mel spectrogram (numpy only), shape (64,)."""
    frames = np.lib.stride_tricks.sliding_window_view(clip, 1024)[::512] * np.hanning(1024)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    edges = np.geomspace(40, SAMPLE_RATE / 2, 33)
    bins = np.fft.rfftfreq(1024, 1 / SAMPLE_RATE)
    bands = np.stack(
        [
            power[:, (bins >= lo) & (bins < hi)].sum(1)
            for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    log = np.log10(bands + 1e-10)
    return np.r_[log.mean(1), log.std(1)]


def test_synthetic_genres_are_distinguishable_and_clips_vary() -> None:
    clips = {g: [synthesize_clip(g, i, 6.0, seed=3) for i in range(4)] for g in GENRES}
    features = np.array([_mel_summary(c) for g in GENRES for c in clips[g]])
    labels = np.repeat(np.arange(len(GENRES)), 4)
    features = (features - features.mean(0)) / (features.std(0) + 1e-9)
    distances = ((features[:, None] - features[None]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    accuracy = (labels[distances.argmin(1)] == labels).mean()
    assert accuracy >= 0.8  # leave-one-out nearest neighbour; chance is 0.1
    for g in GENRES:
        first, second = clips[g][0], clips[g][1]
        assert first.dtype == np.float32 and first.shape == (6 * SAMPLE_RATE,)
        assert np.abs(first).max() <= 1.0 and np.sqrt(np.mean(first**2)) > 0.01
        assert not np.allclose(first, second, atol=1e-3)
    classical = np.mean([_mel_summary(c)[32:].mean() for c in clips["classical"]])
    disco = np.mean([_mel_summary(c)[32:].mean() for c in clips["disco"]])
    assert classical < disco  # no drums: far less frame-to-frame energy change


def test_synthetic_is_deterministic() -> None:
    a = synthesize_clip("reggae", 2, 3.0, seed=7)
    assert np.array_equal(a, synthesize_clip("reggae", 2, 3.0, seed=7))
    assert not np.array_equal(a, synthesize_clip("reggae", 2, 3.0, seed=8))
    with pytest.raises(ConfigError):
        synthesize_clip("polka", 0, 3.0)


def test_synthetic_dataset_layout_and_cache(tmp_path: Path) -> None:
    root = synthetic_dataset(3, 2.0, seed=1, root=tmp_path, progress=False)
    assert "SYNTHETIC" in (root / "README.txt").read_text()
    table = index_gtzan(root)
    assert len(table) == 30 and table.groupby("genre").size().eq(3).all()
    assert table.set_index("track_id").loc["jazz.00001", "artist"] == "synthetic jazz 0"
    assert table.set_index("track_id").loc["jazz.00002", "artist"] == "synthetic jazz 1"
    assert np.allclose(table["duration"], 2.0)
    audio, rate = sf.read(table["path"].iloc[0], dtype="float32")
    assert rate == SAMPLE_RATE
    assert np.allclose(audio, synthesize_clip("blues", 0, 2.0, seed=1), atol=1 / 2**15)
    stamp = Path(table["path"].iloc[0]).stat().st_mtime_ns
    assert synthetic_dataset(3, 2.0, seed=1, root=tmp_path, progress=False) == root
    assert Path(table["path"].iloc[0]).stat().st_mtime_ns == stamp
    assert synthetic_dataset(3, 2.0, seed=2, root=tmp_path, progress=False) != root
    assert verify_dataset(root, progress=False)["ok"].all()


# --------------------------------------------------------------------------- splits


@pytest.fixture(scope="module")
def mini_chunks(gtzan_mini: Path) -> pd.DataFrame:
    """10 chunks per gtzan_mini track, with the track's label and artist."""
    tracks = index_gtzan(gtzan_mini, with_duration=False)
    chunks = tracks.loc[tracks.index.repeat(10)].reset_index(drop=True)
    return chunks.assign(chunk_index=np.tile(np.arange(10), len(tracks)))


@pytest.fixture(scope="module")
def all_tracks() -> pd.DataFrame:
    """The 1000 GTZAN tracks of the shipped index (no audio needed)."""
    table = load_artist_index()
    return table.assign(label=table["track_id"].str.split(".").str[0].map(GENRES.index))


def test_paper_protocol_leaks_tracks(mini_chunks: pd.DataFrame) -> None:
    split = assign_splits(mini_chunks, "paper", seed=0)
    assert split.index.equals(mini_chunks.index)
    shares = split.value_counts(normalize=True)
    assert shares["train"] == pytest.approx(0.8, abs=0.01)
    assert shares["test"] == pytest.approx(0.1, abs=0.01)
    sets_per_track = split.groupby(mini_chunks["track_id"]).nunique()
    assert (sets_per_track > 1).mean() > 0.5  # most tracks have chunks in two or more sets


@pytest.mark.parametrize("protocol", ["track", "artist", "fault-filtered"])
def test_protocols_keep_tracks_whole(mini_chunks: pd.DataFrame, protocol: str) -> None:
    split = assign_splits(mini_chunks, protocol, seed=0)
    assert split.groupby(mini_chunks["track_id"]).nunique().eq(1).all()


def test_track_protocol_is_stratified(all_tracks: pd.DataFrame) -> None:
    split = assign_splits(all_tracks, "track", seed=4)
    counts = pd.crosstab(all_tracks["label"], split)
    assert (counts["train"] == 80).all() and (counts["test"] == 10).all()


def test_artist_protocol_is_artist_disjoint(all_tracks: pd.DataFrame) -> None:
    split = assign_splits(all_tracks, "artist", seed=0)
    named = all_tracks["artist"] != ""
    assert split[named].groupby(all_tracks.loc[named, "artist"]).nunique().eq(1).all()
    shares = split.value_counts(normalize=True)
    assert shares["train"] == pytest.approx(0.8, abs=0.05)
    assert shares["valid"] == pytest.approx(0.1, abs=0.05)
    assert shares["test"] == pytest.approx(0.1, abs=0.05)
    assert (pd.crosstab(all_tracks["label"], split)["test"] > 0).all()


def test_artist_protocol_on_small_data_fills_every_set() -> None:
    tracks = pd.DataFrame(
        {
            "track_id": [f"{g}.{i:05d}" for g in GENRES for i in range(6)],
            "label": np.repeat(np.arange(10), 6),
            "artist": [f"synthetic {g} {i // 2}" for g in GENRES for i in range(6)],
        }
    )
    split = assign_splits(tracks, "artist", seed=0)
    assert (pd.crosstab(tracks["label"], split) == 2).all().all()


def test_fault_filtered_protocol(all_tracks: pd.DataFrame) -> None:
    split = assign_splits(all_tracks, "fault-filtered")
    assert split.value_counts().to_dict() == {
        "train": 443,
        "test": 290,
        "valid": 197,
        "unused": 70,
    }
    lists = load_fault_filtered_split()
    assert set(all_tracks.loc[split == "test", "track_id"]) == set(lists["test"])


@pytest.mark.parametrize("protocol", ["paper", "track", "artist"])
def test_splits_are_deterministic_by_seed(mini_chunks: pd.DataFrame, protocol: str) -> None:
    first = assign_splits(mini_chunks, protocol, seed=5)
    assert first.equals(assign_splits(mini_chunks, protocol, seed=5))
    others = [assign_splits(mini_chunks, protocol, seed=s) for s in range(6, 9)]
    assert any(not first.equals(other) for other in others)


@pytest.mark.parametrize(
    ("protocol", "fractions"),
    [
        ("nope", (0.8, 0.1, 0.1)),
        ("track", (0.8, 0.2, 0.0)),
        ("track", (0.5, 0.2, 0.2)),
        ("track", (0.8, 0.2)),
    ],
)
def test_splits_validate_parameters(
    mini_chunks: pd.DataFrame, protocol: str, fractions: tuple
) -> None:
    with pytest.raises(ConfigError):
        assign_splits(mini_chunks, protocol, fractions=fractions)


def test_artist_protocol_needs_artist_column(mini_chunks: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="artist"):
        assign_splits(mini_chunks.drop(columns="artist"), "artist")


# --------------------------------------------------------------------------- resolve


def test_resolve_data_dir(gtzan_mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = get_profile("cpu")
    monkeypatch.delenv("GTZAN_DIR", raising=False)
    with pytest.raises(DatasetNotFoundError, match="download --book.*--data-dir.*GTZAN_DIR"):
        resolve_data_dir(cpu)
    assert resolve_data_dir(cpu, gtzan_mini) == gtzan_mini
    monkeypatch.setenv("GTZAN_DIR", str(gtzan_mini))
    assert resolve_data_dir(cpu) == gtzan_mini
    with pytest.raises(DatasetNotFoundError, match="elsewhere"):
        resolve_data_dir(cpu, gtzan_mini / "elsewhere")
    small = get_profile("smoke").with_overrides(synthetic_per_genre=1, synthetic_seconds=1.5)
    assert resolve_data_dir(small, data_dir=gtzan_mini) == gtzan_mini
    root = resolve_data_dir(small)
    assert "SYNTHETIC" in (root / "README.txt").read_text()
    assert len(index_gtzan(root)) == 10

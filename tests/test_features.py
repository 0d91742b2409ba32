"""Tests of genrelib.features: the Kaggle 57-feature table recomputed from real audio."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import median_filter

from genrelib import features
from genrelib.audio.io import load_audio
from genrelib.chapters.c03_baselines import compare_feature_tables, tempo_padding_table
from genrelib.config import GENRES, SAMPLE_RATE
from genrelib.data.gtzan import index_gtzan
from genrelib.errors import ConfigError, DatasetNotFoundError
from genrelib.features import (
    FEATURE_COLUMNS,
    TABLE_COLUMNS,
    compute_features,
    hpss,
    median_along,
    read_feature_table,
    signal_features,
    tempo,
    track_ids,
    write_feature_table,
)

# Bounds of the agreement test. Measured on all 100 gtzan_mini clips (librosa 0.11):
# r = 1.0 for every column, median relative error <= 3.3e-7, largest relative error
# 9.3e-4 (harmony_mean, a mean of a zero-centred waveform, ~1e-5 in absolute value).
MIN_PEARSON = 0.999
MAX_MEDIAN_REL_ERROR = 1e-4
MAX_REL_ERROR = 1e-2


@pytest.fixture(scope="module")
def kaggle_table(shared_data: Path) -> pd.DataFrame:
    return read_feature_table(shared_data / "features" / "features_30_sec.csv")


@pytest.fixture(scope="module")
def one_clip_per_genre(gtzan_mini: Path) -> pd.DataFrame:
    """Ten real clips, the first of each genre."""
    index = index_gtzan(gtzan_mini, with_duration=False)
    return index.groupby("genre", sort=False).head(1).reset_index(drop=True)


@pytest.fixture(scope="module")
def our_table(one_clip_per_genre: pd.DataFrame, tmp_path_factory) -> pd.DataFrame:
    cache = tmp_path_factory.mktemp("feature_cache")
    return compute_features(one_clip_per_genre, n_jobs=2, cache_root=cache, progress=False)


def test_columns_match_the_kaggle_table(kaggle_table: pd.DataFrame, shared_data: Path) -> None:
    header = pd.read_csv(shared_data / "features" / "features_30_sec.csv", nrows=0).columns
    assert tuple(header) == TABLE_COLUMNS
    assert len(FEATURE_COLUMNS) == 57


@pytest.mark.slow  # computes the features of ten clips from audio
def test_agreement_with_the_kaggle_table(
    our_table: pd.DataFrame, kaggle_table: pd.DataFrame
) -> None:
    assert list(our_table.columns) == list(TABLE_COLUMNS)
    assert our_table["label"].tolist() == list(GENRES)
    merged = our_table.merge(kaggle_table[["filename", "length"]], on="filename")
    assert len(merged) == 10
    assert (merged["length_x"] == merged["length_y"]).all()  # the whole file, not 30.0 s
    agreement = compare_feature_tables(our_table, kaggle_table).set_index("feature")
    assert (agreement["n"] == 10).all()
    assert (agreement["pearson_r"] >= MIN_PEARSON).all(), agreement["pearson_r"].nsmallest(3)
    worst_median = agreement["median_rel_error"].nlargest(3)
    assert (agreement["median_rel_error"] <= MAX_MEDIAN_REL_ERROR).all(), worst_median
    assert (agreement["max_rel_error"] <= MAX_REL_ERROR).all(), agreement["max_rel_error"].max()
    # tempo is reproduced exactly (reflect-padded onset envelope, librosa's tempo estimate)
    assert agreement.loc["tempo", "max_rel_error"] < 1e-9


def test_default_padding_would_break_agreement(
    one_clip_per_genre: pd.DataFrame, kaggle_table: pd.DataFrame
) -> None:
    """Why the module pads with 'reflect': librosa's new default moves every spectral column."""
    import librosa

    path = one_clip_per_genre["path"].iloc[0]
    y = load_audio(path)
    centroid = librosa.feature.spectral_centroid(y=y, sr=SAMPLE_RATE).mean()
    table = kaggle_table.set_index("filename").loc[Path(path).name, "spectral_centroid_mean"]
    ours = signal_features(y)[FEATURE_COLUMNS.index("spectral_centroid_mean")]
    assert abs(ours - table) / table < 1e-8 < abs(centroid - table) / table


def test_cache_is_read_back_and_invalidated(
    one_clip_per_genre: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = tmp_path / "blues.00000.wav"
    shutil.copy(one_clip_per_genre["path"].iloc[0], clip)
    table = pd.DataFrame({"path": [str(clip)], "track_id": ["blues.00000"], "genre": ["blues"]})
    first = compute_features(table, cache_root=tmp_path / "cache", progress=False)

    def fail(*args, **kwargs):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr(features, "file_features", fail)
    again = compute_features(table, cache_root=tmp_path / "cache", progress=False)
    pd.testing.assert_frame_equal(first, again)
    assert not list((tmp_path / "cache").glob("*.tmp"))
    stat = clip.stat()
    os.utime(clip, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a changed file
    with pytest.raises(AssertionError, match="recomputed"):
        compute_features(table, cache_root=tmp_path / "cache", progress=False)


def test_a_file_another_process_is_computing_is_waited_for_and_read(
    one_clip_per_genre: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two chapters needing the same features at once (``book run --jobs 2``): the second
    waits on the first's lock, then reads its cache file instead of computing it again."""
    import threading

    from genrelib.atomic import file_lock

    clip = Path(one_clip_per_genre["path"].iloc[0])
    cache = tmp_path / "cache"
    target = features._cache_path(clip, None, SAMPLE_RATE, cache, False)

    def fail(*args, **kwargs):
        raise AssertionError("computed twice")

    monkeypatch.setattr(features, "file_features", fail)
    got = []
    with file_lock(target):  # "the first chapter" is computing the file
        waiting = threading.Thread(
            target=lambda: got.append(
                features._cached_file_features(str(clip), None, SAMPLE_RATE, cache)
            )
        )
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not got  # blocked on the lock
        features._write_npz(target, np.ones((1, 57)), np.array([661794]))
    waiting.join(timeout=10.0)
    assert not waiting.is_alive()
    np.testing.assert_array_equal(got[0][0], np.ones((1, 57)))


def test_chunk_rows(one_clip_per_genre: pd.DataFrame, tmp_path: Path) -> None:
    row = one_clip_per_genre.iloc[[0]]
    table = compute_features(row, chunk_seconds=3.0, cache=False, progress=False)
    assert table["filename"].tolist() == [f"blues.00000.{k}.wav" for k in range(10)]
    assert (table["length"] == 3 * SAMPLE_RATE).all()
    y = load_audio(row["path"].iloc[0])
    second = signal_features(y[3 * SAMPLE_RATE : 6 * SAMPLE_RATE])
    np.testing.assert_allclose(table.loc[1, list(FEATURE_COLUMNS)].to_numpy(float), second)
    assert (track_ids(table["filename"]) == "blues.00000").all()
    # chunks are different excerpts, so their features differ
    assert table["spectral_centroid_mean"].nunique() == 10


def test_undecodable_files_are_skipped_and_reported(
    one_clip_per_genre: pd.DataFrame, tmp_path: Path
) -> None:
    bad = tmp_path / "jazz.00054.wav"
    bad.write_bytes(b"RIFF\x00\x00not really a wave file")
    good = one_clip_per_genre.iloc[[0]][["path", "track_id", "genre"]]
    table = pd.concat(
        [good, pd.DataFrame({"path": [str(bad)], "track_id": ["jazz.00054"], "genre": ["jazz"]})]
    )
    with pytest.warns(UserWarning, match="jazz.00054"):
        result = compute_features(table, cache_root=tmp_path / "cache", progress=False)
    assert result["filename"].tolist() == ["blues.00000.wav"]
    assert [path for path, _ in result.attrs["skipped"]] == [str(bad)]
    with pytest.raises(DatasetNotFoundError, match="could be decoded"):
        compute_features(table.iloc[[1]], cache=False, progress=False)


def test_short_signals_and_bad_parameters_raise(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least"):
        signal_features(np.zeros(100, dtype=np.float32))
    with pytest.raises(ConfigError, match="chunk_seconds"):
        compute_features(tmp_path, chunk_seconds=0)
    with pytest.raises(ConfigError, match="lacks columns"):
        compute_features(pd.DataFrame({"path": ["x.wav"]}))
    with pytest.raises(DatasetNotFoundError):
        compute_features(tmp_path / "missing")


def test_track_ids_and_table_io(kaggle_table: pd.DataFrame, tmp_path: Path) -> None:
    assert track_ids(["blues.00000.wav", "rock.00099.7.wav"]).tolist() == [
        "blues.00000",
        "rock.00099",
    ]
    with pytest.raises(ConfigError, match="not named like"):
        track_ids(["song.wav"])
    target = write_feature_table(kaggle_table.head(5), tmp_path / "out" / "table.csv")
    pd.testing.assert_frame_equal(read_feature_table(target), kaggle_table.head(5))
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        read_feature_table(tmp_path / "none.csv")
    kaggle_table.drop(columns="tempo").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match="tempo"):
        read_feature_table(tmp_path / "bad.csv")


def test_signal_features_of_a_tone() -> None:
    """A pure 440 Hz tone: centroid near 440 Hz, chroma peaked, no zero-crossing noise."""
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    values = dict(
        zip(FEATURE_COLUMNS, signal_features(0.5 * np.sin(2 * np.pi * 440 * t)), strict=True)
    )
    assert abs(values["spectral_centroid_mean"] - 440) < 30
    assert abs(values["zero_crossing_rate_mean"] - 2 * 440 / SAMPLE_RATE) < 1e-3
    assert abs(values["rms_mean"] - 0.5 / np.sqrt(2)) < 0.02


@pytest.mark.parametrize("shape", [(1025, 130), (1025, 5), (6, 3), (2, 4, 40)])
def test_median_along_is_scipy_s_median_filter(shape: tuple[int, ...]) -> None:
    """The same values as the n-dimensional filter, along each axis, also on axes shorter
    than the window (mirrored more than once)."""
    values = np.random.default_rng(0).random(shape).astype(np.float32)
    values[0, :2] = values[0, 2]  # ties
    for axis in (-1, -2):
        size = [1] * values.ndim
        size[axis] = 31
        expected = median_filter(values, size=size, mode="reflect")
        np.testing.assert_array_equal(median_along(values, 31, axis), expected)
    with pytest.raises(ConfigError, match="odd"):
        median_along(values, 30, -1)


def test_hpss_and_signal_features_give_librosa_s_bits(gtzan_mini: Path) -> None:
    """The fast HPSS equals librosa's and the tempo from the shared mel spectrogram equals
    :func:`tempo` of the signal, to the bit, on a real 3-s chunk and a whole clip."""
    clip = load_audio(next((gtzan_mini / "genres" / "blues").iterdir()))
    for signal in (clip[: 3 * SAMPLE_RATE], clip):
        stft = librosa.stft(signal, n_fft=features.N_FFT, hop_length=features.HOP_LENGTH)
        for ours, theirs in zip(hpss(stft), librosa.decompose.hpss(stft), strict=True):
            np.testing.assert_array_equal(ours, theirs)
        row = dict(zip(FEATURE_COLUMNS, signal_features(signal), strict=True))
        assert row["tempo"] == tempo(signal)


def test_tempo_padding_table_shows_the_zero_padding_change(
    gtzan_mini: Path, kaggle_table: pd.DataFrame
) -> None:
    """rock.00008's tempo matches the table with reflect padding and not with zero padding."""
    index = index_gtzan(gtzan_mini, with_duration=False)
    clip = index[index["track_id"] == "rock.00008"].reset_index(drop=True)
    ours = pd.DataFrame(
        {"filename": ["rock.00008.wav"], "tempo": [tempo(load_audio(clip["path"][0]))]}
    )
    row = tempo_padding_table(clip, kaggle_table, ours).iloc[0]
    assert row["reflect_bpm"] == pytest.approx(row["table_bpm"], rel=1e-6)
    assert abs(row["zero_padded_bpm"] - row["table_bpm"]) > 10

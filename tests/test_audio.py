"""Tests of genrelib.audio: decoding, chunking, log-mel backends and the spectrogram cache."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from genrelib.audio import (
    SpectrogramSet,
    audio_info,
    build_spectrogram_set,
    chunk_signal,
    chunk_song,
    fix_length,
    load_audio,
    log_mel,
    mel_filterbank,
)
from genrelib.audio import mel as mel_module
from genrelib.audio.cache import FILE_COLUMN, save_array, spectrogram_dir
from genrelib.audio.io import mixdown, resample
from genrelib.audio.mel import TOLERANCE_DB
from genrelib.config import GENRES, SAMPLE_RATE, ChunkConfig, MelConfig
from genrelib.errors import (
    AudioDecodeError,
    ConfigError,
    DeviceUnavailableError,
    TrackTooShortError,
)

SR = SAMPLE_RATE


def _sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _peak_hz(y: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / rate)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def clips(gtzan_mini: Path) -> list[Path]:
    """Four real clips from four genres."""
    return [
        gtzan_mini / "genres" / g / f"{g}.00003.wav" for g in ("blues", "classical", "metal", "pop")
    ]


def _table(paths: list[Path]) -> pd.DataFrame:
    ids = [p.stem for p in paths]
    genres = [i.split(".")[0] for i in ids]
    return pd.DataFrame(
        {
            "path": [str(p) for p in paths],
            "track_id": ids,
            "genre": genres,
            "label": [GENRES.index(g) if g in GENRES else 0 for g in genres],
            "artist": [f"artist {k}" for k in range(len(paths))],
            "note": [f"row {k}" for k in range(len(paths))],
        }
    )


# --- decoding -------------------------------------------------------------------------------


def test_load_real_clip_matches_libsndfile_and_header(clips: list[Path]) -> None:
    y = load_audio(clips[0])
    raw, rate = sf.read(clips[0], dtype="float32")
    info = audio_info(clips[0])
    assert y.dtype == np.float32 and y.ndim == 1
    assert rate == SR and info.sample_rate == SR and info.channels == 1
    np.testing.assert_array_equal(y, raw)
    assert 29.9 <= len(y) / SR <= 30.7
    assert info.frames == len(y) and info.duration == pytest.approx(len(y) / SR)


def test_stereo_44k_is_mixed_down_and_resampled(tmp_path: Path) -> None:
    left = _sine(440.0, 2.0, 44_100, amplitude=0.6)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, 0.5 * left], axis=1), 44_100, subtype="FLOAT")
    y = load_audio(path)
    assert y.dtype == np.float32 and y.shape == (2 * SR,)
    assert _peak_hz(y, SR) == pytest.approx(440.0, abs=1.0)
    # mean of the channels: amplitude (0.6 + 0.3) / 2 = 0.45 -> RMS 0.45 / sqrt(2)
    assert np.sqrt(np.mean(y[SR // 2 : -SR // 2] ** 2)) == pytest.approx(
        0.45 / np.sqrt(2), rel=0.01
    )


def test_mixdown_gives_numpy_s_mean(shared_data: Path) -> None:
    """The same samples as the channel mean, on a real stereo song and on 1 to 6 channels."""
    song = shared_data / "external_songs" / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg"
    stereo, _ = sf.read(song, dtype="float32", always_2d=True)
    signals = [stereo] + [
        np.random.default_rng(c).standard_normal((10_001, c)).astype(np.float32)
        for c in range(1, 7)
    ]
    for samples in signals:
        ours = mixdown(samples)
        assert ours.dtype == np.float32 and ours.flags.c_contiguous
        assert np.array_equal(ours, samples.mean(axis=1, dtype=np.float32))


@pytest.mark.parametrize("target", [22_050, 16_000])
def test_resample_gives_librosa_s_samples(shared_data: Path, target: int) -> None:
    """The same samples as ``librosa.resample(res_type="soxr_hq")``, on a real 44.1 kHz song
    and on signals whose resampled length rounds up."""
    song = shared_data / "external_songs" / "Kevin_MacLeod_-_Vibe_Ace.hq.ogg"
    stereo, rate = sf.read(song, dtype="float32", always_2d=True)
    signals = [stereo.mean(axis=1, dtype=np.float32)]
    for n in (1, 7, 44_101):  # resampled lengths that round up
        signals.append(np.random.default_rng(n).standard_normal(n).astype(np.float32))
    for y in signals:
        reference = librosa.resample(y, orig_sr=rate, target_sr=target, res_type="soxr_hq")
        ours = resample(y, rate, target)
        assert ours.dtype == reference.dtype and np.array_equal(ours, reference)
    assert resample(signals[1], rate, rate) is signals[1]


def test_filterbanks_are_librosa_s_kept_on_disk_and_recomputed_when_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path))
    mel_module.filterbank.cache_clear()
    config = MelConfig.paper()
    reference = librosa.filters.mel(
        sr=config.sample_rate,
        n_fft=config.n_fft,
        n_mels=config.n_mels,
        fmin=config.fmin,
        fmax=config.fmax,
        dtype=np.float32,
    )
    assert np.array_equal(mel_filterbank(config), reference)
    (stored,) = (tmp_path / mel_module.FILTERBANK_DIR).iterdir()
    assert np.array_equal(np.load(stored), reference) and not mel_filterbank(config).flags.writeable
    stored.write_bytes(b"not an array")
    mel_module.filterbank.cache_clear()
    assert np.array_equal(mel_filterbank(config), reference)
    assert np.array_equal(np.load(stored), reference), "the damaged file was written again"
    mel_module.filterbank.cache_clear()


def test_mixdown_averages_channels(tmp_path: Path) -> None:
    tone = _sine(300.0, 1.0, SR)
    path = tmp_path / "opposite.wav"
    sf.write(path, np.stack([tone, -tone], axis=1), SR, subtype="FLOAT")
    assert np.abs(load_audio(path)).max() < 1e-6


@pytest.mark.parametrize(
    ("fmt", "suffix", "length_slack"),
    [("OGG", "ogg", 0), ("FLAC", "flac", 0), ("MP3", "mp3", 2400)],
)
def test_compressed_formats_decode(
    tmp_path: Path, fmt: str, suffix: str, length_slack: int
) -> None:
    path = tmp_path / f"tone.{suffix}"
    sf.write(path, _sine(660.0, 2.0, 44_100), 44_100, format=fmt)
    y = load_audio(path)
    assert abs(len(y) - 2 * SR) <= length_slack
    assert _peak_hz(y, SR) == pytest.approx(660.0, abs=1.0)


def _real_wav_bytes(clips: list[Path]) -> bytes:
    return clips[0].read_bytes()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda d, b: d / "missing.wav", id="missing"),
        pytest.param(lambda d, b: _write(d / "empty.wav", b""), id="empty"),
        pytest.param(lambda d, b: _write(d / "text.wav", b"not audio at all\n" * 50), id="text"),
        pytest.param(
            lambda d, b: _write(d / "noise.wav", np.random.default_rng(0).bytes(4096)), id="noise"
        ),
        pytest.param(lambda d, b: _write(d / "cut_in_header.wav", b[:20]), id="cut-in-header"),
        pytest.param(lambda d, b: _write(d / "header_only.wav", b[:44]), id="header-only"),
        pytest.param(lambda d, b: d, id="directory"),
    ],
)
def test_bad_files_raise_one_line_decode_error(tmp_path: Path, clips: list[Path], make) -> None:
    path = make(tmp_path, _real_wav_bytes(clips))
    with pytest.raises(AudioDecodeError) as caught:
        load_audio(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_wav_cut_mid_data_gives_exact_prefix(tmp_path: Path, clips: list[Path]) -> None:
    data = _real_wav_bytes(clips)
    full = load_audio(clips[0])
    header = len(data) - 2 * len(full)  # 16-bit mono PCM
    cut = header + 2 * 100_000 + 1  # mid-way through a sample
    path = _write(tmp_path / "truncated.wav", data[:cut])
    y = load_audio(path)
    assert len(y) == 100_000
    np.testing.assert_array_equal(y, full[:100_000])


def test_truncated_ogg_is_a_decode_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.ogg"
    sf.write(whole, _sine(440.0, 2.0, SR), SR, format="OGG")
    cut = _write(tmp_path / "cut.ogg", whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(AudioDecodeError, match="cut.ogg"):
        load_audio(cut)


def test_non_finite_samples_are_rejected(tmp_path: Path) -> None:
    y = _sine(440.0, 0.5, SR)
    y[100] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="nan.wav"):
        load_audio(path)


def test_load_audio_validates_sample_rate(clips: list[Path]) -> None:
    with pytest.raises(ConfigError):
        load_audio(clips[0], sample_rate=0)


# --- chunking -------------------------------------------------------------------------------


def test_fix_length_trims_pads_and_rejects() -> None:
    config = ChunkConfig()
    long = np.random.default_rng(1).standard_normal(int(30.4 * SR)).astype(np.float32)
    np.testing.assert_array_equal(fix_length(long, config), long[: config.track_samples])
    short = long[: int(29.7 * SR)]
    padded = fix_length(short, config)
    assert padded.shape == (config.track_samples,)
    np.testing.assert_array_equal(padded[: len(short)], short)
    assert not padded[len(short) :].any()
    with pytest.raises(TrackTooShortError, match=r"jazz\.00054\.wav.*20\.00 s"):
        fix_length(long[: 20 * SR], config, source="jazz.00054.wav")


def test_chunk_signal_is_an_exact_view() -> None:
    config = ChunkConfig(chunk_seconds=3.0)
    y = np.random.default_rng(2).standard_normal(config.track_samples).astype(np.float32)
    chunks = chunk_signal(y, config)
    assert chunks.shape == (10, 3 * SR)
    assert np.shares_memory(chunks, y)
    np.testing.assert_array_equal(chunks.reshape(-1), y)
    uneven = ChunkConfig(chunk_seconds=7.0)
    assert chunk_signal(fix_length(y, uneven), uneven).shape == (4, 7 * SR)
    with pytest.raises(ConfigError, match="fix_length"):
        chunk_signal(y[:-1], config)


def test_chunk_song_any_length() -> None:
    y = np.arange(int(10.5 * SR), dtype=np.float32)
    chunks = chunk_song(y, 3.0, SR)
    assert chunks.shape == (3, 3 * SR)
    np.testing.assert_array_equal(chunks.reshape(-1), y[: 9 * SR])
    tiny = np.ones(int(1.2 * SR), dtype=np.float32)
    padded = chunk_song(tiny, 3.0, SR, short="pad")
    assert padded.shape == (1, 3 * SR)
    assert padded[0, : len(tiny)].all() and not padded[0, len(tiny) :].any()
    with pytest.raises(TrackTooShortError, match=r"song\.mp3.*1\.20 s"):
        chunk_song(tiny, 3.0, SR, short="error", source="song.mp3")
    with pytest.raises(ConfigError):
        chunk_song(tiny, 3.0, SR, short="drop")
    with pytest.raises(ConfigError):
        chunk_song(tiny, 0.0, SR)


def test_short_real_clip_names_the_file(tmp_path: Path, clips: list[Path]) -> None:
    path = tmp_path / "blues.short.wav"
    sf.write(path, load_audio(clips[0])[: 2 * SR], SR)
    with pytest.raises(TrackTooShortError, match="blues.short.wav"):
        fix_length(load_audio(path), ChunkConfig(), source=str(path))
    assert chunk_song(load_audio(path), 3.0, SR, short="pad").shape == (1, 3 * SR)


# --- log-mel --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mel_config", [MelConfig.paper(), MelConfig.authors_code()], ids=lambda m: m.name
)
def test_torch_backend_matches_librosa_on_real_clips(
    clips: list[Path], mel_config: MelConfig
) -> None:
    config = ChunkConfig(chunk_seconds=3.0)
    chunks = np.concatenate(
        [chunk_signal(fix_length(load_audio(p), config), config)[::3] for p in clips]
    )
    fast = log_mel(chunks, mel_config, backend="torch")
    reference = log_mel(chunks, mel_config, backend="librosa")
    expected_shape = (len(chunks), mel_config.n_mels, mel_config.n_frames(config.chunk_samples))
    assert fast.shape == reference.shape == expected_shape
    assert fast.dtype == reference.dtype == np.float32
    difference = np.abs(fast - reference)
    # measured: < 1.3e-3 dB over all bins, < 2.2e-4 dB over bins within 60 dB of the peak
    assert difference.max() < TOLERANCE_DB
    loud = reference > reference.max(axis=(1, 2), keepdims=True) - 60
    assert difference[loud].max() < TOLERANCE_DB / 10
    span = fast.max(axis=(1, 2)) - fast.min(axis=(1, 2))
    assert np.all(span <= mel_config.top_db + 1e-3)
    if mel_config.db_reference == "max":
        np.testing.assert_allclose(fast.max(axis=(1, 2)), 0.0, atol=1e-5)


def test_log_mel_single_signal_and_batching_do_not_change_values(clips: list[Path]) -> None:
    mel_config = MelConfig.authors_code()
    chunks = chunk_song(load_audio(clips[1]), 3.0, SR)[:4]
    batched = log_mel(chunks, mel_config)
    one_by_one = log_mel(chunks, mel_config, frames_per_batch=1)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-4)
    single = log_mel(chunks[2], mel_config)
    assert single.shape == batched.shape[1:]
    np.testing.assert_allclose(single, batched[2], atol=1e-4)


def test_sine_energy_lands_in_the_right_mel_band() -> None:
    mel_config = MelConfig.paper()
    spectrogram = log_mel(_sine(1000.0, 1.0, SR), mel_config)
    centres = librosa.mel_frequencies(n_mels=mel_config.n_mels + 2, fmin=0.0, fmax=8000.0)[1:-1]
    loudest = centres[np.argmax(spectrogram.mean(axis=1))]
    assert loudest == pytest.approx(1000.0, rel=0.03)


def test_log_mel_parameter_errors() -> None:
    y = np.zeros(SR, dtype=np.float32)
    with pytest.raises(ConfigError):
        log_mel(y, MelConfig.paper(), backend="numpy")
    with pytest.raises(ConfigError):
        log_mel(np.zeros((2, 2, 10)), MelConfig.paper())
    with pytest.raises(ConfigError):
        log_mel(y, MelConfig.paper(), frames_per_batch=0)


def test_cuda_device_is_used_or_refused_clearly() -> None:
    y = _sine(440.0, 1.0, SR)
    config = MelConfig.authors_code()
    if torch.cuda.is_available():
        np.testing.assert_allclose(log_mel(y, config, device="cuda"), log_mel(y, config), atol=0.01)
    else:
        with pytest.raises(DeviceUnavailableError, match="cuda"):
            log_mel(y, config, device="cuda")
    assert log_mel(y, config, device="auto").shape == (config.n_mels, config.n_frames(SR))


# --- cache ----------------------------------------------------------------------------------


@pytest.fixture()
def mixed_table(tmp_path: Path, clips: list[Path]) -> pd.DataFrame:
    """Three good clips, one corrupt file and one too-short clip."""
    corrupt = _write(tmp_path / "rock.99998.wav", b"RIFF\x00\x00junk" * 30)
    short = tmp_path / "rock.99999.wav"
    sf.write(short, load_audio(clips[0])[: 5 * SR], SR)
    return _table([clips[0], corrupt, clips[1], short, clips[2]])


class _Counter:
    """Wraps log_mel and counts the chunks it was given."""

    def __init__(self, function) -> None:
        self.function, self.chunks = function, 0

    def __call__(self, chunks, *args, **kwargs):
        self.chunks += len(chunks)
        return self.function(chunks, *args, **kwargs)


def test_build_skips_bad_files_and_matches_direct_computation(
    tmp_path: Path, mixed_table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    mel_config, chunk_config = MelConfig.authors_code(), ChunkConfig(chunk_seconds=3.0)
    threads = torch.get_num_threads()
    with pytest.warns(UserWarning, match="skipped 2 of 5"):
        spectrograms = build_spectrogram_set(
            mixed_table, mel_config, chunk_config, cache_root=tmp_path / "cache", progress=False
        )
    assert torch.get_num_threads() == threads
    assert [Path(p).name for p, _ in spectrograms.skipped] == ["rock.99998.wav", "rock.99999.wav"]
    assert "rock.99998.wav" in spectrograms.skipped[0][1]
    assert "too short" in spectrograms.skipped[1][1] or "shorter" in spectrograms.skipped[1][1]

    assert len(spectrograms) == 3 * 10
    chunks = spectrograms.chunks
    assert list(chunks.columns[:6]) == [
        "track_id",
        "genre",
        "label",
        "artist",
        "chunk_index",
        "path",
    ]
    assert "note" in chunks.columns and FILE_COLUMN in chunks.columns
    assert chunks["track_id"].unique().tolist() == mixed_table["track_id"].iloc[[0, 2, 4]].tolist()
    np.testing.assert_array_equal(chunks["chunk_index"], np.tile(np.arange(10), 3))
    np.testing.assert_array_equal(
        spectrograms.labels, np.repeat(mixed_table["label"].iloc[[0, 2, 4]], 10)
    )

    item = spectrograms[17]
    assert (
        item.shape == spectrograms.shape == (192, mel_config.n_frames(chunk_config.chunk_samples))
    )
    assert item.dtype == np.float32
    direct = log_mel(
        chunk_signal(fix_length(load_audio(chunks["path"][17]), chunk_config), chunk_config),
        mel_config,
    )
    np.testing.assert_allclose(item, direct[7], atol=1e-4)
    assert (spectrogram_dir(mel_config, chunk_config, tmp_path / "cache") / "config.json").is_file()

    # Second call: everything from the cache, log_mel is never called.
    def fail(*args, **kwargs):
        raise AssertionError("log_mel called on a warm cache")

    monkeypatch.setattr(mel_module, "log_mel", fail)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = build_spectrogram_set(
            mixed_table, mel_config, chunk_config, cache_root=tmp_path / "cache", progress=False
        )
    np.testing.assert_array_equal(again[17], item)
    assert len(again.skipped) == 2


def test_spectrogram_set_subset_pickle_and_band_stats(tmp_path: Path, clips: list[Path]) -> None:
    mel_config, chunk_config = MelConfig.authors_code(), ChunkConfig(chunk_seconds=10.0)
    spectrograms = build_spectrogram_set(
        _table(clips[:2]), mel_config, chunk_config, cache_root=tmp_path, progress=False
    )
    assert len(spectrograms) == 6
    spectrograms[0]  # opens a memory map, which must not travel with the pickle
    clone = pickle.loads(pickle.dumps(spectrograms))
    assert len(pickle.dumps(spectrograms)) < 20_000
    np.testing.assert_array_equal(clone[4], spectrograms[4])

    second = spectrograms.subset(spectrograms.chunks["track_id"] == clips[1].stem)
    assert isinstance(second, SpectrogramSet) and len(second) == 3
    np.testing.assert_array_equal(second[1], spectrograms[4])
    np.testing.assert_array_equal(spectrograms.subset([5, 0])[0], spectrograms[5])
    with pytest.raises(ConfigError):
        spectrograms.subset(np.ones(3, dtype=bool))

    stacked = np.stack([spectrograms[i] for i in range(len(spectrograms))]).astype(np.float64)
    mean, std = spectrograms.band_stats()
    np.testing.assert_allclose(mean, stacked.mean(axis=(0, 2)), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(std, stacked.std(axis=(0, 2)), rtol=1e-4, atol=1e-4)


def test_modified_audio_file_is_recomputed(
    tmp_path: Path, clips: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "classical.00003.wav"
    local.write_bytes(clips[1].read_bytes())
    mel_config, chunk_config = MelConfig.authors_code(), ChunkConfig(chunk_seconds=10.0)
    counter = _Counter(mel_module.log_mel)
    monkeypatch.setattr(mel_module, "log_mel", counter)
    table = _table([local])
    build_spectrogram_set(
        table, mel_config, chunk_config, cache_root=tmp_path / "c", progress=False
    )
    build_spectrogram_set(
        table, mel_config, chunk_config, cache_root=tmp_path / "c", progress=False
    )
    assert counter.chunks == 3
    sf.write(local, 0.5 * load_audio(clips[1]), SR)  # new content, size and mtime
    changed = build_spectrogram_set(
        table, mel_config, chunk_config, cache_root=tmp_path / "c", progress=False
    )
    assert counter.chunks == 6
    assert changed[0].max() == pytest.approx(0.0, abs=1e-5)  # authors_code: dB relative to max


def test_interrupted_build_leaves_no_partial_file(
    tmp_path: Path, clips: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mel_config, chunk_config = MelConfig.authors_code(), ChunkConfig(chunk_seconds=10.0)
    root = tmp_path / "cache"
    folder = spectrogram_dir(mel_config, chunk_config, root)
    real_save = np.save

    def save_half_then_crash(handle, array, **kwargs):
        real_save(handle, array[:1], **kwargs)
        raise KeyboardInterrupt("simulated interruption while writing")

    monkeypatch.setattr(np, "save", save_half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        build_spectrogram_set(
            _table(clips), mel_config, chunk_config, cache_root=root, progress=False, n_workers=1
        )
    assert not list(folder.glob("*.npy")) and not list(folder.glob("*.tmp"))
    monkeypatch.undo()

    calls = {"n": 0}
    real_log_mel = mel_module.log_mel

    def crash_on_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated failure mid-way")
        return real_log_mel(*args, **kwargs)

    monkeypatch.setattr(mel_module, "log_mel", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="mid-way"):
        build_spectrogram_set(
            _table(clips),
            mel_config,
            chunk_config,
            cache_root=root,
            progress=False,
            n_workers=1,
            tracks_per_batch=1,
        )
    # Files finished before or beside the failing batch are complete; the failed one is absent.
    written = sorted(folder.glob("*.npy"))
    assert 1 <= len(written) < 4 and not list(folder.glob("*.tmp"))
    assert not list(folder.glob(f"{clips[1].stem}-*.npy"))
    for path in written:
        assert np.load(path).shape == (3, 192, mel_config.n_frames(chunk_config.chunk_samples))

    counter = _Counter(real_log_mel)
    monkeypatch.setattr(mel_module, "log_mel", counter)
    complete = build_spectrogram_set(
        _table(clips), mel_config, chunk_config, cache_root=root, progress=False
    )
    assert len(complete) == 12 and counter.chunks == 3 * (4 - len(written))  # only missing files


def test_save_array_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "a.npy"
    save_array(target, np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(np.load(target), np.arange(6).reshape(2, 3))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


def test_build_validates_its_input(tmp_path: Path, clips: list[Path]) -> None:
    table = _table(clips[:1])
    with pytest.raises(ConfigError, match="artist"):
        build_spectrogram_set(
            table.drop(columns="artist"), MelConfig.authors_code(), ChunkConfig(), tmp_path
        )
    with pytest.raises(ConfigError):
        build_spectrogram_set(table, MelConfig.authors_code(), ChunkConfig(), tmp_path, n_workers=0)
    with pytest.raises(ConfigError):
        build_spectrogram_set(
            list(table["path"]), MelConfig.authors_code(), ChunkConfig(), tmp_path
        )


# --- plots ----------------------------------------------------------------------------------


def test_audio_plots_have_labelled_axes(clips: list[Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from genrelib.plots import plot_hop_comparison, plot_mel_spectrogram, plot_waveform

    y = load_audio(clips[0])
    ax = plot_waveform(y, chunk_seconds=3.0, title=clips[0].stem)
    boundaries = int((len(y) - 1) / SR // 3.0)  # one dashed line per 3-s chunk end inside the clip
    assert ax.get_xlabel() == "time (s)" and len(ax.lines) == 1 + boundaries
    config = MelConfig.authors_code()
    ax = plot_mel_spectrogram(log_mel(y[: 3 * SR], config), config)
    assert ax.get_xlim()[1] == pytest.approx(3.0, abs=0.02)
    assert "Hz" in ax.get_ylabel()
    fig = plot_hop_comparison(y[: 3 * SR])
    titles = [a.get_title() for a in fig.axes[:2]]
    assert "hop 67" in titles[0] and "hop 256" in titles[1] and "192 x 988" in titles[0]
    plt.close("all")

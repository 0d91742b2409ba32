"""musicnn in PyTorch: equivalence with the original TensorFlow outputs, weights, transfer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from genrelib.audio import load_audio
from genrelib.errors import WeightsUnavailableError
from genrelib.models import build_model
from genrelib.models.musicnn import (
    EMBEDDING_SIZE,
    LOG_MEL_TOLERANCE,
    MUSICNN_MODELS,
    PATCH_FRAMES,
    TOLERANCE,
    WEIGHT_FILES,
    WEIGHTS_DIR,
    load_musicnn,
    musicnn_log_mel,
    musicnn_patches,
    weights_file,
)

FIXTURE = Path(__file__).parent / "fixtures" / "musicnn_reference.npz"
OUTPUTS = ("tags", "mean_pool", "max_pool", "penultimate")


@pytest.fixture(scope="module")
def reference() -> dict:
    with np.load(FIXTURE) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["info"] = json.loads(bytes(arrays.pop("info_json")).decode())
    return arrays


def test_fixture_is_small_and_documented(reference):
    assert FIXTURE.stat().st_size < 1_000_000
    assert (FIXTURE.parent / "README.md").read_text().count("musicnn_reference.py")
    assert reference["info"]["models"] == list(MUSICNN_MODELS)


@pytest.mark.parametrize("name", MUSICNN_MODELS)
def test_network_matches_original_on_stored_patches(reference, name):
    """Same input patches -> same outputs as the TF graph (first patch of each clip)."""
    model = load_musicnn(name)
    for k in range(len(reference["info"]["clips"])):
        patch = torch.from_numpy(reference[f"clip{k}_first_patch"].T.copy())[None, None]
        with torch.inference_mode():
            ours = model.features(patch)
        for output in OUTPUTS:
            expected = reference[f"clip{k}_{name}_{output}"][:1]
            scale = max(1.0, float(np.abs(expected).max()))
            error = float(np.abs(ours[output].numpy() - expected).max())
            assert error <= TOLERANCE * scale, (name, k, output, error)


@pytest.mark.parametrize("name", MUSICNN_MODELS)
def test_whole_clip_matches_original(reference, gtzan_mini, name):
    """From the audio file: our preprocessing and network against every stored patch."""
    model = load_musicnn(name)
    for k, clip in enumerate(reference["info"]["clips"]):
        y = load_audio(gtzan_mini / "genres" / clip, sample_rate=16_000)
        patches = musicnn_patches(musicnn_log_mel(y))
        first = reference[f"clip{k}_first_patch"].T
        assert np.abs(patches[0] - first).max() <= LOG_MEL_TOLERANCE
        with torch.inference_mode():
            ours = model.features(torch.from_numpy(patches))
        for output in OUTPUTS:
            expected = reference[f"clip{k}_{name}_{output}"]
            assert ours[output].shape == expected.shape
            scale = max(1.0, float(np.abs(expected).max()))
            error = float(np.abs(ours[output].numpy() - expected).max())
            assert error <= TOLERANCE * scale, (name, clip, output, error)


def test_float32_avoids_the_float16_overflow(reference, gtzan_mini):
    """The original's float16 cast turns loud bins into inf; ours stays finite."""
    assert reference["info"]["f16_nonfinite_patches"]["metal/metal.00000.wav"] > 0
    y = load_audio(gtzan_mini / "genres" / "metal" / "metal.00000.wav", sample_rate=16_000)
    assert np.isfinite(musicnn_log_mel(y)).all()


@pytest.mark.parametrize("autocast", [False, True])
def test_cpu_front_end_sums_as_the_2d_convolution(gtzan_mini, autocast):
    """The CPU path (mel bands as the channels of a 1-D convolution, a few patches at a time)
    gives the extremes over frequency of the original 2-D convolution."""
    y = load_audio(gtzan_mini / "genres" / "rock" / "rock.00003.wav", sample_rate=16_000)
    x = torch.from_numpy(musicnn_patches(musicnn_log_mel(y))[:5])[:, None]  # an odd count
    blocks = load_musicnn().frontend.blocks
    with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=autocast):
        for block in blocks:
            padded = block.pad(x)
            z = block.conv(padded)
            pairs = zip(block.frequency_extremes(padded), (z.amax(2), z.amin(2)), strict=True)
            for ours, reference in pairs:
                assert ours.shape == reference.shape
                scale = float(reference.float().abs().max())
                error = float((ours.float() - reference.float()).abs().max())
                # fp32: 1.2e-6 of the largest value measured; bf16: within one rounding (2^-8)
                assert error <= (2**-8 if autocast else 1e-5) * scale, (block.time, error, scale)


def test_patches_shape_and_short_input():
    log_mel = np.zeros((96, 2 * PATCH_FRAMES + 5), dtype=np.float32)
    assert musicnn_patches(log_mel).shape == (2, 96, PATCH_FRAMES)
    assert musicnn_patches(log_mel[:, :100]).shape == (0, 96, PATCH_FRAMES)


def test_embedding_width():
    model = load_musicnn()
    with torch.inference_mode():
        assert model.embed(torch.zeros(2, 1, 96, PATCH_FRAMES)).shape == (2, EMBEDDING_SIZE)


def test_weights_checksum_missing_and_altered(tmp_path):
    for name in MUSICNN_MODELS:
        assert weights_file(name).is_file()
    with pytest.raises(WeightsUnavailableError, match="missing"):
        load_musicnn("MSD_musicnn", weights_dir=tmp_path)
    filename = WEIGHT_FILES["MSD_musicnn"][0]
    altered = tmp_path / filename
    shutil.copy(WEIGHTS_DIR / filename, altered)
    with open(altered, "r+b") as handle:
        handle.seek(-10, 2)
        handle.write(b"0123456789")
    with pytest.raises(WeightsUnavailableError, match="sha256") as error:
        load_musicnn("MSD_musicnn", weights_dir=tmp_path)
    assert "\n" not in str(error.value) and filename in str(error.value)


def test_musicnn_gru_is_in_the_registry_and_trains_the_head():
    model = build_model("musicnn_gru", n_mels=96, n_classes=10, freeze_backbone=True)
    scores = model(torch.zeros(3, 1, 96, PATCH_FRAMES))
    assert scores.shape == (3, 10)
    assert all(not p.requires_grad for p in model.backbone_parameters())
    assert any(p.requires_grad for p in model.head.parameters())


# --- embeddings, probe, fine-tuning, default predict model -----------------------------------

import pandas as pd  # noqa: E402
import soundfile  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from genrelib.cli import main as cli_main  # noqa: E402
from genrelib.config import GENRES, get_profile  # noqa: E402
from genrelib.data import index_gtzan, synthetic_dataset  # noqa: E402
from genrelib.errors import ConfigError  # noqa: E402
from genrelib.predict import predict_songs  # noqa: E402
from genrelib.protocols import PREDICTION_COLUMNS, protocol_summary  # noqa: E402
from genrelib.transfer import (  # noqa: E402
    MusicnnEmbeddings,
    embed_patches,
    embeddings,
    finetune,
    genre_probe,
    genre_probe_info,
    load_genre_probe,
    musicnn_embeddings,
    musicnn_patch_set,
    patch_probabilities,
    patches_per_track,
    probe_predictions,
    run_finetune,
    signal_patches,
    split_probe,
)


@pytest.fixture(scope="module")
def two_clips(gtzan_mini) -> pd.DataFrame:
    tracks = index_gtzan(gtzan_mini, with_duration=False)
    return tracks[tracks["track_id"].isin(["metal.00000", "classical.00000"])]


def test_embeddings_are_cached_and_match_the_network(two_clips, tmp_path, monkeypatch):
    first = musicnn_embeddings(two_clips, cache_root=tmp_path, progress=False, batch_size=7)
    assert first.values.shape == (2 * patches_per_track(30.0), 1756) == (20, 1756)
    assert list(first.chunks["chunk_index"][:10]) == list(range(10))
    assert first.features("pooled").shape == (20, EMBEDDING_SIZE)
    # a second call reads the cache: no network is built
    monkeypatch.setattr(embeddings, "load_musicnn", lambda *a, **k: pytest.fail("no cache"))
    again = musicnn_embeddings(two_clips, cache_root=tmp_path, progress=False)
    np.testing.assert_array_equal(again.values, first.values)
    patches = musicnn_patch_set(two_clips, cache_root=tmp_path, progress=False)
    assert len(patches) == 20 and patches[0].shape == (96, PATCH_FRAMES)


def test_embeddings_skip_a_corrupt_file(two_clips, tmp_path):
    broken = tmp_path / "jazz.00099.wav"
    broken.write_bytes(b"not audio at all")
    row = two_clips.iloc[:1].assign(path=str(broken), track_id="jazz.00099")
    table = pd.concat([two_clips.iloc[:1], row], ignore_index=True)
    result = musicnn_embeddings(table, cache_root=tmp_path / "cache", progress=False)
    assert len(result.skipped) == 1 and "jazz.00099.wav" in result.skipped[0][1]
    assert result.chunks["track_id"].unique().tolist() == [two_clips["track_id"].iloc[0]]


def _fake_embeddings(n_per_genre: int = 4, patches: int = 3, seed: int = 0) -> MusicnnEmbeddings:
    rng = np.random.default_rng(seed)
    rows, values = [], []
    for label, genre in enumerate(GENRES):
        centre = rng.normal(size=1756) * 3
        for k in range(n_per_genre):
            for c in range(patches):
                rows.append(
                    {"track_id": f"{genre}.{k:05d}", "genre": genre, "label": label,
                     "artist": f"{genre} artist {k // 2}", "chunk_index": c, "path": ""}
                )  # fmt: skip
                values.append(centre + rng.normal(size=1756))
    return MusicnnEmbeddings(pd.DataFrame(rows), np.asarray(values, np.float32), "MSD_musicnn")


def test_probe_predictions_feed_the_protocol_intervals():
    table = probe_predictions(
        _fake_embeddings(), ("paper", "track"), seeds=(0, 1), probes=("logistic_regression", "svm"),
        progress=False,
    )  # fmt: skip
    assert list(table.columns) == list(PREDICTION_COLUMNS)
    summary = protocol_summary(table, n_boot=50)
    assert set(summary["model"]) == {"logistic_regression", "svm"}
    assert (summary["accuracy"] > 0.9).all()  # separable toy embeddings


def test_split_probe_fits_on_fewer_tracks_and_says_what_is_wrong():
    embeddings = _fake_embeddings()
    x, chunks = embeddings.features("pooled"), embeddings.chunks
    whole = split_probe(x, chunks, "track", seed=1)
    same = probe_predictions(embeddings, ("track",), seeds=(1,), progress=False)
    assert whole["predicted"].tolist() == same["predicted"].tolist()  # one run of the table
    fits, real_fit = [], Pipeline.fit

    def counted_fit(self, a, b):  # count the patches each fit receives
        fits.append(len(a))
        return real_fit(self, a, b)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Pipeline, "fit", counted_fit)
        one = split_probe(x, chunks, "track", seed=1, per_genre=1)
    n_genres = chunks["genre"].nunique()
    per_track = chunks.groupby("track_id").size().iloc[0]
    assert fits == [n_genres * per_track] and len(one) == len(whole)
    with pytest.raises(ConfigError, match="per_genre"):
        split_probe(x, chunks, per_genre=0)
    with pytest.raises(ConfigError, match="rows of features"):
        split_probe(x[:-1], chunks)


def test_capped_fine_tuning_is_named_a_demonstration():
    from genrelib.chapters.c06b_music_transfer import finetune_label

    stopped = {"max_epochs": 30, "stopped_early": True}
    assert finetune_label([stopped]) == "musicnn front end + GRU (fine-tuned)"
    capped = {"max_epochs": 3, "stopped_early": False}
    assert finetune_label([stopped, capped]) == (
        "musicnn front end + GRU (demonstration, 3-epoch cap)"
    )


BUDGET = {"max_epochs": 1, "max_train_chunks": 32, "batch_size": 16, "patience": 1}
"""A fine-tuning budget of one short epoch (chapter 06b's smoke budget)."""


@pytest.mark.slow  # fine-tunes end to end
def test_finetune_run_is_stored_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path / "cache"))
    root = synthetic_dataset(1, 9.0, root=tmp_path / "data", progress=False)
    tracks = index_gtzan(root, with_duration=False)
    profile = get_profile("smoke").with_overrides(track_seconds=9.0)
    row = run_finetune(
        tracks, profile, tmp_path / "results", BUDGET, protocol="paper", progress=False
    )
    assert row["model"] == "musicnn_gru" and row["epochs_run"] == 1
    assert row["n_train_chunks"] + row["n_valid_chunks"] + row["n_test_chunks"] == 30
    run_dir = tmp_path / "results" / row["run_dir"]
    assert (run_dir / "test_predictions.csv").is_file() and (run_dir / "best.pt").is_file()
    monkeypatch.setattr(finetune, "train", lambda *a, **k: pytest.fail("retrained"))
    assert run_finetune(tracks, profile, tmp_path / "results", BUDGET, protocol="paper") == row


def test_shipped_genre_probe_is_documented():
    info = genre_probe_info()
    assert info["trained_on"].startswith("100 GTZAN clips")
    assert 0.8 <= info["cv_track_accuracy"] <= 1.0
    assert info["class_names"] == list(GENRES)


def test_altered_genre_probe_gives_one_line(tmp_path, monkeypatch):
    copy = tmp_path / "musicnn_genre_probe.npz"
    copy.write_bytes(genre_probe.GENRE_PROBE_FILE.read_bytes()[:-5] + b"xxxxx")
    monkeypatch.setattr(genre_probe, "GENRE_PROBE_FILE", copy)
    with pytest.raises(WeightsUnavailableError, match="sha256") as error:
        load_genre_probe(device="cpu")
    assert "\n" not in str(error.value)


def test_predict_without_checkpoint_short_and_corrupt_songs(gtzan_mini, tmp_path):
    """The default model: a real clip, a 2-s song (padded), a 1-s song and a corrupt file."""
    y = load_audio(gtzan_mini / "genres" / "classical" / "classical.00001.wav", 22_050)
    good = tmp_path / "classical.wav"
    soundfile.write(good, y[: 12 * 22_050], 22_050)
    short = tmp_path / "short.wav"
    soundfile.write(short, y[: 2 * 22_050], 22_050)  # 2 s: at least half a 2.99-s patch
    tiny = tmp_path / "tiny.wav"
    soundfile.write(tiny, y[:22_050], 22_050)  # 1 s: under half a patch
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"\x00" * 100)
    results = predict_songs([good, corrupt, short, tiny], None, device="cpu", progress=False)
    assert [r.ok for r in results] == [True, False, True, False]
    assert results[0].n_chunks == 4 and results[0].genre == "classical"
    assert results[2].padded and results[2].n_chunks == 1
    assert "corrupt.mp3" in results[1].error and "\n" not in results[1].error
    assert results[3].kind == "TrackTooShortError" and "tiny.wav" in results[3].error


FAST_PATH_TOLERANCE = 0.05
"""Largest difference of a genre probability between the fast path (bf16 autocast on a CPU
with native bf16) and fp32 on a GTZAN clip. bench/bench_musicnn.py measured at most 0.013
per patch (0.0012 for the song) on a 3-min song of GTZAN clips; on the 8 external songs
(first 120 s) it was 0.13 per patch and 0.045 per song, 4 of 163 patch argmaxes changed,
no song's."""


def test_fast_path_stays_close_to_fp32(gtzan_mini):
    """The shipped probe and the embeddings on the device's fast path agree with fp32."""
    y = load_audio(gtzan_mini / "genres" / "jazz" / "jazz.00002.wav", 16_000)[: 12 * 16_000]
    patches = signal_patches(y)
    model, _ = load_genre_probe(device="cpu")
    exact = patch_probabilities(model, patches, precision="fp32")
    fast = patch_probabilities(model, patches, precision="auto")
    assert np.abs(exact - fast).max() <= FAST_PATH_TOLERANCE
    assert exact.mean(0).argmax() == fast.mean(0).argmax()
    tags = [embed_patches(model.backbone, patches, precision=p)[:, :50] for p in ("fp32", "auto")]
    assert np.abs(tags[0] - tags[1]).max() <= FAST_PATH_TOLERANCE


def test_cli_predict_needs_no_checkpoint(gtzan_mini, capsys):
    clip = gtzan_mini / "genres" / "metal" / "metal.00001.wav"
    assert cli_main(["predict", str(clip), "--no-progress", "--device", "cpu"]) == 0
    assert "1. " in capsys.readouterr().out


def test_transfer_comparison_names_every_system_as_its_chapter_does():
    from genrelib.chapters.c06b_music_transfer import comparison

    names = {
        "logistic_regression": "musicnn + logistic regression (frozen)",
        "base_crnn": "base CRNN (from scratch)",
        'resnet18 {"faithful": true}': "ResNet-18, pooled head (random weights)",
        'resnet18 {"pretrained": true}': "ResNet-18, sequence head (ImageNet weights)",
    }
    rows = [
        {"model": name, "protocol": "track", "seed": 0, "track_id": f"t{k}", "true": k % 2,
         "predicted": k % 2}
        for name in names
        for k in range(4)
    ]  # fmt: skip
    summary, _ = comparison(pd.DataFrame(rows), n_boot=20)
    assert set(summary["model"]) == set(names.values())


def test_probe_predictions_are_fitted_once_and_read_back(tmp_path, monkeypatch):
    """A re-render reads the probes' test predictions back; other seeds are fitted anew."""
    from genrelib.transfer import probes

    monkeypatch.setenv("GENRELIB_CACHE", str(tmp_path))
    embeddings = _fake_embeddings()
    first = probe_predictions(embeddings, ("track", "paper"), seeds=(0,), progress=False)

    def fit_again(*args, **kwargs):
        raise AssertionError("fitted again")

    monkeypatch.setattr(probes, "split_probe", fit_again)
    again = probe_predictions(embeddings, ("track", "paper"), seeds=(0,), progress=True)
    pd.testing.assert_frame_equal(first, again)
    with pytest.raises(AssertionError, match="fitted again"):
        probe_predictions(embeddings, ("track", "paper"), seeds=(1,), progress=False)

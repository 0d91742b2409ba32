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

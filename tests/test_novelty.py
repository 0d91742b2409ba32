"""Tests of genrelib.transfer.novelty: a song far from every class of a probe is marked."""

from __future__ import annotations

import numpy as np
import pytest

from genrelib.transfer.novelty import (
    fit_novelty,
    leave_one_out_distances,
    nearest_distance,
    standardise,
)


def _tracks(rng: np.random.Generator, n_per_class: int = 20, patches: int = 4) -> tuple:
    """Two classes of tracks around (0, 0) and (10, 0), ``patches`` patches each."""
    z, labels, ids = [], [], []
    for k, centre in enumerate(([0.0, 0.0], [10.0, 0.0])):
        for t in range(n_per_class):
            track = np.asarray(centre) + rng.normal(0, 1, 2)
            z.append(track + rng.normal(0, 0.1, (patches, 2)))
            labels += [k] * patches
            ids += [f"{k}-{t}"] * patches
    return np.concatenate(z), np.asarray(labels), np.asarray(ids)


def test_the_threshold_leaves_five_percent_of_the_training_tracks_out() -> None:
    z, labels, ids = _tracks(np.random.default_rng(0))
    rule = fit_novelty(z, labels, ids)
    np.testing.assert_allclose(rule["centroids"], [[0, 0], [10, 0]], atol=0.6)
    _, own = leave_one_out_distances(z, labels, ids)
    assert len(own) == 40 and (own > rule["far_distance"]).sum() == 2  # 5 % of 40
    near = np.array([[9.5, 0.2]] * 3)  # a song inside a class
    far = np.array([[5.0, 12.0]] * 3)  # a song far from both
    assert nearest_distance(near, rule["centroids"]) < rule["far_distance"]
    assert nearest_distance(far, rule["centroids"]) > 3 * rule["far_distance"]


def test_leave_one_out_removes_the_track_from_its_own_centroid() -> None:
    z = np.array([[0.0], [2.0], [10.0], [12.0]])
    centroids, own = leave_one_out_distances(z, np.array([0, 0, 1, 1]), ["a", "b", "c", "d"])
    np.testing.assert_allclose(centroids, [[1.0], [11.0]])
    np.testing.assert_allclose(own, [2.0, 2.0, 2.0, 2.0])  # each to its class-mate alone


def test_near_constant_dimensions_do_not_count() -> None:
    x = np.array([[1.0, 5.0], [3.0, 5.0 + 1e-9]])
    z = standardise(x, mean=np.array([2.0, 5.0]), scale=np.array([1.0, 1e-12]))
    np.testing.assert_array_equal(z, [[-1.0, 0.0], [1.0, 0.0]])


@pytest.mark.slow  # loads musicnn and predicts two songs
def test_the_shipped_probe_marks_the_drum_and_bass_song_and_not_a_waltz_of_strings(
    shared_data,
) -> None:
    from genrelib.predict import predict_song
    from genrelib.transfer import load_genre_probe

    model, meta = load_genre_probe(device="cpu")
    assert float(model.novelty["far_distance"]) == pytest.approx(16.17, abs=0.01)
    songs = shared_data / "external_songs"
    drums = predict_song(
        next(songs.glob("*Drum-bass*.ogg")), (model, meta), precision="fp32", progress=False
    )
    strings = predict_song(
        next(songs.glob("Hungarian_Dance*.ogg")), (model, meta), precision="fp32", progress=False
    )
    assert drums.warning == "far" and "the genre is a guess" in drums.warning_message
    assert strings.warning is None and strings.distance < drums.distance
    assert drums.to_dict()["distance"] == round(drums.distance, 2)

"""Far from every class: how unlike its training tracks a song is, in a probe's embedding space.

A probe answers with the class whose side of its boundaries a song falls on, however far from
the training tracks it lies. The rule here measures that distance: a track is the mean of its
patches' standardised musicnn embeddings; each class is the mean of its training tracks (its
centroid); a song's *distance* is the Euclidean distance from its mean to the nearest
centroid. The threshold is the :data:`NOVELTY_QUANTILE` quantile of the same distance for the
training tracks themselves, each measured with its own class's centroid recomputed without it
(leave one out): so 1 training track in 20 would be called far, by construction.

Measured by ``bench/bench_input_checks.py`` on the shipped probe (its 100 ``gtzan_mini``
clips, float32): leave-one-out median 11.2, 95th percentile 16.2 (the threshold), maximum
22.4. Of the 8 external songs, three lie farther: the solo trumpet (31.7), the drum-and-bass
song (20.1) and a waltz (16.6, just over); the other five lie at 9.7-14.2.

Notebook: 08_external_songs (``genrelib predict``), 11_own_collection (the rule explained).
"""

from __future__ import annotations

import numpy as np

NOVELTY_QUANTILE = 0.95
"""Quantile of the training tracks' own distances that sets the threshold."""

MIN_SCALE = 1e-3
"""Embedding dimensions whose training standard deviation is smaller are left out: on
GTZAN 8 of 1506 are near constant (down to 5e-13), and ``1 / scale`` would let any song's
rounding there dominate the distance."""


def standardise(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Probe-standardised embeddings, near-constant dimensions set to 0.

    Notebook: 08_external_songs, 11_own_collection.

    Parameters
    ----------
    x : np.ndarray, shape (n_patches, d)
        Pooled musicnn embeddings.
    mean, scale : np.ndarray, shape (d,)
        The probe's standardisation.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, d)
    """
    z = (np.asarray(x, dtype=np.float32) - mean) / scale
    return np.where(np.asarray(scale) < MIN_SCALE, 0.0, z).astype(np.float32)


def track_means(z: np.ndarray, track_ids) -> tuple[np.ndarray, np.ndarray]:
    """Mean of each track's patches, in first-appearance order, with the row of its first patch."""
    _, first, inverse = np.unique(np.asarray(track_ids), return_index=True, return_inverse=True)
    order = np.empty(len(first), dtype=np.intp)
    order[np.argsort(first)] = np.arange(len(first))
    codes = order[inverse.ravel()]  # tracks numbered in order of first appearance
    counts = np.bincount(codes)
    sums = np.zeros((len(counts), z.shape[1]))
    np.add.at(sums, codes, z)
    return sums / counts[:, None], np.unique(codes, return_index=True)[1]


def fit_novelty(
    z: np.ndarray, labels: np.ndarray, track_ids, quantile: float = NOVELTY_QUANTILE
) -> dict[str, np.ndarray]:
    """Class centroids and the distance threshold of the rule (module docstring).

    Notebook: 06b_music_transfer (the shipped probe); ``genrelib probe fit``.

    Parameters
    ----------
    z : np.ndarray, shape (n_patches, d)
        :func:`standardise` of the training patches.
    labels : np.ndarray of int, shape (n_patches,)
        Class of each patch.
    track_ids : array-like, shape (n_patches,)
        Track of each patch.
    quantile : float
        Share of training tracks closer than the threshold.

    Returns
    -------
    dict
        ``centroids`` (n_classes, d) float32 and ``far_distance`` (a 0-d float32 array).
    """
    centroids, own = leave_one_out_distances(z, labels, track_ids)
    return {
        "centroids": centroids.astype(np.float32),
        "far_distance": np.asarray(np.quantile(own, quantile), dtype=np.float32),
    }


def leave_one_out_distances(
    z: np.ndarray, labels: np.ndarray, track_ids
) -> tuple[np.ndarray, np.ndarray]:
    """The class centroids, and each training track's distance to the nearest of them with
    its own class's centroid recomputed without it.

    Notebook: 06b_music_transfer (the shipped probe), 11_own_collection;
    ``bench/bench_input_checks.py``.

    Returns
    -------
    centroids : np.ndarray, shape (n_classes, d)
    distances : np.ndarray, shape (n_tracks,)
    """
    means, first = track_means(z, track_ids)
    y = np.asarray(labels)[first]
    n_classes = int(y.max()) + 1
    sums = np.stack([means[y == k].sum(axis=0) for k in range(n_classes)])
    counts = np.bincount(y, minlength=n_classes)
    centroids = sums / counts[:, None]
    distances = np.stack([np.linalg.norm(means - c, axis=1) for c in centroids], axis=1)
    alone = counts[y] == 1  # a class of one track keeps its centroid
    without = (sums[y] - means) / np.maximum(counts[y] - 1, 1)[:, None]
    own = np.where(alone, distances[np.arange(len(y)), y], np.linalg.norm(means - without, axis=1))
    distances[np.arange(len(y)), y] = own
    return centroids, distances.min(axis=1)


def nearest_distance(z: np.ndarray, centroids: np.ndarray) -> float:
    """Distance from the mean of a song's patches ``z`` (n_patches, d) to the nearest centroid.

    Notebook: 08_external_songs.
    """
    song = np.asarray(z, dtype=np.float64).mean(axis=0)
    return float(np.linalg.norm(np.asarray(centroids) - song, axis=1).min())


def far_message(distance: float, far_distance: float) -> str | None:
    """The line a song beyond the threshold gets; ``None`` for a song within it.

    Notebook: 08_external_songs, 11_own_collection (``genrelib predict`` and the song view).
    """
    if distance <= far_distance:
        return None
    return (
        f"far from every class it was trained on (distance {distance:.1f} > "
        f"{far_distance:.1f}): the genre is a guess"
    )

"""The genre probe shipped with genrelib: ``genrelib predict``'s default model.

musicnn followed by a logistic regression on its ``[mean_pool, max_pool]`` embeddings,
stored in ``genrelib/models/weights/musicnn_genre_probe.npz`` (:data:`GENRE_PROBE_FILE`,
checked against :data:`GENRE_PROBE_SHA256`) and trained on the 100 real GTZAN clips we have
(:func:`train_genre_probe` says what it is and how well it does).

Notebook: 06b_music_transfer, 08_external_songs.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

import genrelib
from genrelib.config import GENRES
from genrelib.data.fetch import file_sha256
from genrelib.errors import ConfigError, WeightsUnavailableError
from genrelib.models.musicnn import (
    WEIGHT_FILES,
    WEIGHTS_DIR,
    Musicnn,
    MusicnnInput,
    load_musicnn,
    musicnn_chunk_config,
    write_reproducible_npz,
)
from genrelib.training import resolve_device
from genrelib.transfer.novelty import MIN_SCALE, fit_novelty, standardise

if TYPE_CHECKING:  # the embeddings module imports pandas: not needed to predict
    from genrelib.transfer.embeddings import MusicnnEmbeddings

GENRE_PROBE_FILE = WEIGHTS_DIR / "musicnn_genre_probe.npz"
"""The genre probe ``genrelib predict`` uses by default (written by :func:`save_genre_probe`)."""

PROBE_MEMBER = "info_json.npy"
"""The archive member that marks a probe file (a checkpoint has none)."""

GENRE_PROBE_SHA256 = "eaa78e999c532e267cddd880398847e8b698b1d2e3d0db7219298adb45590460"
"""sha256 of :data:`GENRE_PROBE_FILE`, checked at load."""


NOVELTY_ARRAYS = ("centroids", "far_distance")
"""Arrays of a probe file that hold its novelty rule (:mod:`genrelib.transfer.novelty`)."""

LOW_PRECISION_MIN_SCALE = MIN_SCALE
"""Embedding dimensions of the shipped probe with a smaller standard deviation are left out
(set to their mean) under autocast: see :meth:`GenreProbe.forward`."""


class GenreProbe(nn.Module):
    """musicnn followed by a linear genre probe: patches in, genre scores out.

    ``scores = W ((e - mean) / scale) + b`` with ``e`` the ``[mean_pool, max_pool]``
    embedding; softmax gives the logistic regression's probabilities.

    Notebook: 06b_music_transfer, 08_external_songs.

    Parameters
    ----------
    backbone : Musicnn
        Pretrained musicnn.
    mean, scale : np.ndarray, shape (1506,)
        The probe's standardisation.
    coef : np.ndarray, shape (n_classes, 1506)
    intercept : np.ndarray, shape (n_classes,)
    novelty : dict or None
        ``centroids`` (n_classes, 1506) and ``far_distance`` of
        :func:`genrelib.transfer.novelty.fit_novelty`, when the probe file stores them.
    """

    def __init__(
        self, backbone: Musicnn, mean, scale, coef, intercept, novelty: dict | None = None
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.novelty = None if novelty is None else {k: np.asarray(v) for k, v in novelty.items()}
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, dtype=np.float32)))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, dtype=np.float32)))
        self.linear = nn.Linear(coef.shape[1], coef.shape[0])
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(np.asarray(coef, dtype=np.float32)))
            self.linear.bias.copy_(torch.as_tensor(np.asarray(intercept, dtype=np.float32)))

    @property
    def outputs_probabilities(self) -> bool:
        """False: ``forward`` returns logits."""
        return False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map patches ``(batch, 1, 96, 187)`` to genre logits ``(batch, n_classes)``.

        Under autocast (the fast path) only the backbone runs in low precision: the
        standardisation and the linear layer stay float32, and the few embedding dimensions
        that are near constant on GTZAN (``scale`` under :data:`LOW_PRECISION_MIN_SCALE`:
        8 of 1506, scale down to 5e-13) are set to their mean, since ``1 / scale`` would
        blow bf16's rounding up into garbage logits. In float32 the formula is unchanged.
        """
        return self.logits_and_features(x)[0]

    def logits_and_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Genre logits and the standardised embedding ``(batch, 1506)`` of one forward pass.

        The embedding has its near-constant dimensions set to 0
        (:func:`genrelib.transfer.novelty.standardise`): the input of the novelty distance.
        """
        device_type = x.device.type
        low_precision = torch.is_autocast_enabled(device_type)
        embedding = self.backbone.embed(x)
        with torch.autocast(device_type, enabled=False):
            z = (embedding.float() - self.mean) / self.scale
            near_constant = self.scale < LOW_PRECISION_MIN_SCALE
            kept = torch.where(near_constant, 0.0, z)
            return self.linear(kept if low_precision else z), kept


def train_genre_probe(
    embeddings: MusicnnEmbeddings, n_folds: int = 5, seed: int = 0
) -> tuple[dict[str, np.ndarray], dict]:
    """Fit the shipped genre probe on all patches, and measure it by track-disjoint CV.

    A logistic regression (``C`` = :data:`~genrelib.transfer.probes.GENRE_PROBE_C`) on
    standardised ``[mean_pool, max_pool]`` embeddings of every patch. Its honest accuracy is
    that of ``n_folds``-fold cross-validation grouped by track (no track's patches on both
    sides), at track level (mean patch probability); the folds are *not* artist-disjoint: on
    GTZAN's indices 00000-00009 several genres hold one artist, so this still leaks the
    artist's sound.

    Notebook: 06b_music_transfer.

    Returns
    -------
    arrays : dict of str to np.ndarray
        ``mean``, ``scale`` (1506,), ``coef`` (10, 1506), ``intercept`` (10,), and the
        novelty rule's ``centroids`` (10, 1506) and ``far_distance`` (:func:`fit_novelty`).
    info : dict
        What it was trained on and its CV accuracy (``cv_track_accuracy``,
        ``cv_chunk_accuracy``, per fold too).
    """
    from sklearn.model_selection import StratifiedGroupKFold  # fitting only: predict skips it

    from genrelib.evaluation import track_predictions
    from genrelib.transfer.probes import GENRE_PROBE_C, _probe_scores, build_probe

    x = embeddings.features("pooled")
    y = embeddings.chunks["label"].to_numpy()
    groups = embeddings.chunks["track_id"].to_numpy()
    folds = StratifiedGroupKFold(n_folds, shuffle=True, random_state=seed)
    track_hits, chunk_hits, per_fold = 0, 0, []
    for train_rows, test_rows in folds.split(x, y, groups):
        probe = build_probe("logistic_regression").fit(x[train_rows], y[train_rows])
        scores = _probe_scores(probe, x[test_rows])
        tracks = track_predictions(embeddings.chunks.iloc[test_rows], scores)
        hits = int((tracks["pred_mean"] == tracks["label"]).sum())
        track_hits += hits
        chunk_hits += int((scores.argmax(axis=1) == y[test_rows]).sum())
        per_fold.append(hits / len(tracks))
    probe = build_probe("logistic_regression").fit(x, y)
    if list(probe.classes_) != list(range(len(GENRES))):
        raise ConfigError("the genre probe needs every genre in its training data")
    arrays = with_novelty(probe_arrays(probe), embeddings)
    n_tracks = embeddings.chunks["track_id"].nunique()
    info = {
        "what": "logistic regression on MSD_musicnn [mean_pool, max_pool] patch embeddings",
        "C": GENRE_PROBE_C,
        "trained_on": f"{n_tracks} GTZAN clips, {len(x)} patches of 2.99 s",
        "track_ids": sorted(map(str, set(groups))),
        "cv": f"{n_folds}-fold, grouped by track (not by artist), seed {seed}",
        "cv_track_accuracy": track_hits / n_tracks,
        "cv_chunk_accuracy": chunk_hits / len(x),
        "cv_fold_track_accuracy": per_fold,
        "class_names": list(GENRES),
        "backbone": embeddings.model,
        "backbone_sha256": WEIGHT_FILES[embeddings.model][1],
        "genrelib_version": genrelib.__version__,
    }
    return arrays, info


def with_novelty(arrays: dict[str, np.ndarray], embeddings: MusicnnEmbeddings) -> dict:
    """A probe's arrays plus its novelty rule, fitted on its training ``embeddings``.

    The embeddings are standardised with the probe's own ``mean`` and ``scale``, so the rule
    can be added to a probe already shipped without refitting (and moving) its weights.

    Notebook: 06b_music_transfer (the shipped probe); ``genrelib probe fit``.

    Returns
    -------
    dict of str to np.ndarray
        ``arrays`` with ``centroids`` and ``far_distance``
        (:func:`genrelib.transfer.novelty.fit_novelty`).
    """
    z = standardise(embeddings.features("pooled"), arrays["mean"], arrays["scale"])
    chunks = embeddings.chunks
    novelty = fit_novelty(z, chunks["label"].to_numpy(), chunks["track_id"].to_numpy())
    return {**arrays, **novelty}


def probe_arrays(probe) -> dict[str, np.ndarray]:
    """The arrays of a fitted scaler + logistic-regression pipeline, as a probe file stores them.

    A two-class regression has one logit z for class 1; it is stored as the two rows
    (-z/2, z/2), whose softmax is (1 - p, p), so that :class:`GenreProbe` reads every probe
    the same way.

    Notebook: 06b_music_transfer (and ``genrelib probe fit``).

    Returns
    -------
    dict of str to np.ndarray
        ``mean``, ``scale`` (n_features,), ``coef`` (n_classes, n_features),
        ``intercept`` (n_classes,), float32.
    """
    scaler, model = probe.named_steps["scale"], probe.named_steps["model"]
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    return {
        "mean": scaler.mean_.astype(np.float32),
        "scale": scaler.scale_.astype(np.float32),
        "coef": coef.astype(np.float32),
        "intercept": intercept.astype(np.float32),
    }


def save_genre_probe(arrays: dict[str, np.ndarray], info: dict, target: str | Path) -> str:
    """Write a genre probe as a deterministic ``.npz`` (stored, fixed dates); return its sha256.

    Notebook: 06b_music_transfer.
    """
    content = dict(arrays)
    content["info_json"] = np.frombuffer(json.dumps(info, sort_keys=True).encode(), np.uint8)
    return file_sha256(write_reproducible_npz(content, target))


def genre_probe_info(path: str | Path | None = None) -> dict:
    """What the shipped genre probe was trained on, and its cross-validated accuracy.

    Notebook: 06b_music_transfer, 08_external_songs.
    """
    with np.load(_checked_probe(path)) as archive:
        return json.loads(bytes(archive["info_json"]).decode())


def _checked_probe(path: str | Path | None) -> Path:
    path = Path(path) if path is not None else GENRE_PROBE_FILE
    fix = (
        "reinstall genrelib (the file ships with it) or rebuild it with tools/build_genre_probe.py"
    )
    if not path.is_file():
        raise WeightsUnavailableError(f"{path}: genre probe file missing; {fix}")
    if path == GENRE_PROBE_FILE:
        found = file_sha256(path)
        if found != GENRE_PROBE_SHA256:
            raise WeightsUnavailableError(
                f"{path}: sha256 {found[:12]}... differs from the shipped "
                f"{GENRE_PROBE_SHA256[:12]}... (altered file); {fix}"
            )
    return path


def load_genre_probe(
    device: str = "auto", path: str | Path | None = None
) -> tuple[GenreProbe, dict]:
    """The default genre model: pretrained MSD_musicnn and the shipped probe, with its meta.

    ``meta`` has the keys ``genrelib predict`` needs (``class_names``, ``mel_config``,
    ``chunk_config``, ``model_name`` = ``"musicnn_probe"``) plus ``probe`` (its info).

    Notebook: 08_external_songs.

    Raises
    ------
    WeightsUnavailableError
        If the musicnn weights or the probe file are missing or altered.
    """
    checked = _checked_probe(path)
    with np.load(checked) as archive:
        arrays = {name: archive[name] for name in archive.files}
    info = json.loads(bytes(arrays.pop("info_json")).decode())
    target = resolve_device(device)
    backbone = load_musicnn(info["backbone"], device="cpu")
    novelty = {k: arrays[k] for k in NOVELTY_ARRAYS} if set(NOVELTY_ARRAYS) <= set(arrays) else None
    model = GenreProbe(
        backbone, arrays["mean"], arrays["scale"], arrays["coef"], arrays["intercept"], novelty
    )
    meta = {
        "model_name": "musicnn_probe",
        "class_names": info["class_names"],
        "mel_config": asdict(MusicnnInput()),
        "chunk_config": asdict(musicnn_chunk_config()),
        "probe": info,
    }
    return model.to(target).eval(), meta


def is_probe_file(path: str | Path) -> bool:
    """Whether ``path`` is a probe written by :func:`save_genre_probe` (not a checkpoint).

    Notebook: none (``genrelib predict --model``).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return PROBE_MEMBER in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False

"""musicnn on whole songs: a song's patches and a model's genre probabilities per patch.

What ``genrelib predict`` and the widgets call for a musicnn model (the shipped
:class:`~genrelib.transfer.genre_probe.GenreProbe` or a fine-tuned ``musicnn_gru``).

Notebook: 08_external_songs (and 06b_music_transfer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from genrelib.errors import TrackTooShortError
from genrelib.models.musicnn import (
    N_MELS,
    PATCH_SECONDS,
    SAMPLE_RATE,
    MusicnnInput,
    musicnn_log_mel,
    musicnn_patches,
)
from genrelib.training.device import FastPath, fast_path
from genrelib.transfer.novelty import nearest_distance


def signal_patches(y: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
    """musicnn patches of a whole 16 kHz signal: log-mel of the whole signal, then 187-frame cuts.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at 16 kHz.
    device : str or torch.device
        Where to compute the spectrogram.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, 96, 187)
    """
    return musicnn_patches(musicnn_log_mel(y, device))


def musicnn_fast_path(device: str | torch.device, precision: str = "auto") -> FastPath:
    """The device's fast path for musicnn: its precision, but never channels-last.

    musicnn's tall and wide filters ran slower channels-last on the 2-core CPU (2.4 s
    against 1.7 s in fp32 for ten patches); bf16 autocast alone ran in 1.06 s.

    Notebook: 06b_music_transfer, 08_external_songs.

    Parameters
    ----------
    device : str or torch.device
    precision : {"auto", "fp32", "bf16", "fp16"}
        As :func:`genrelib.training.device.fast_path`.

    Returns
    -------
    FastPath
        Activated.
    """
    return replace(fast_path(device, precision), channels_last=False).activate()


def forward_patches(
    forward: Callable[[torch.Tensor], torch.Tensor],
    patches: np.ndarray,
    batch_size: int,
    path: FastPath,
) -> list[torch.Tensor]:
    """``forward`` on batches of musicnn patches on ``path``: float32 outputs on the CPU.

    Only ``forward`` runs under the path's autocast; the log-mel patches stay float32.

    Notebook: 06b_music_transfer, 08_external_songs.

    Parameters
    ----------
    forward : callable
        Maps a batch ``(batch, 1, 96, 187)`` on the path's device to ``(batch, n_outputs)``.
    patches : np.ndarray, shape (n_patches, 96, 187)
    batch_size : int
    path : FastPath
        From :func:`musicnn_fast_path`.

    Returns
    -------
    list of torch.Tensor
        One float32 tensor of shape (batch, n_outputs) per batch.
    """
    out = []
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch_size]))
            with path.autocast():
                out.append(forward(path.inputs(batch[:, None])).float().cpu())
    return out


def is_musicnn_input(meta: dict) -> bool:
    """Whether a model's meta says it takes musicnn patches (probe or fine-tuned musicnn_gru).

    Notebook: 08_external_songs.
    """
    mel = meta.get("mel_config") or {}
    return mel.get("name") == MusicnnInput().name and mel.get("n_mels") == N_MELS


def song_patches(
    y: np.ndarray, short: str = "pad", min_fraction: float = 0.5, source: str = "song"
) -> tuple[np.ndarray, bool]:
    """musicnn patches of a whole song at 16 kHz, under ``genrelib predict``'s short-song rule.

    A song shorter than one patch is zero-padded to one patch when it holds at least
    ``min_fraction`` of it (``short="pad"``), and rejected otherwise, or always with
    ``short="error"``.

    Notebook: 08_external_songs.

    Returns
    -------
    patches : np.ndarray, float32, shape (n_patches, 96, 187)
    padded : bool

    Raises
    ------
    TrackTooShortError
        If the song is too short under the rule.
    """
    size = MusicnnInput().patch_samples
    if len(y) >= size:
        return signal_patches(y), False
    seconds = len(y) / SAMPLE_RATE
    if short == "error" or len(y) < min_fraction * size:
        least = "one" if short == "error" else f"{min_fraction:g} of a"
        raise TrackTooShortError(
            f"{source}: lasts {seconds:.2f} s, shorter than {least} {PATCH_SECONDS:.2f}-s "
            "musicnn patch; use a longer song"
        )
    return signal_patches(np.pad(np.asarray(y, dtype=np.float32), (0, size - len(y)))), True


def patch_probabilities(
    model: nn.Module, patches: np.ndarray, batch_size: int = 32, precision: str = "auto"
) -> np.ndarray:
    """Softmax genre probabilities of musicnn patches, in batches, on the device's fast path.

    Notebook: 08_external_songs.

    Parameters
    ----------
    model : nn.Module
        :class:`GenreProbe` or a fine-tuned ``musicnn_gru`` (patches in, logits out), on
        its device.
    patches : np.ndarray, shape (n_patches, 96, 187)
    batch_size : int
    precision : {"auto", "fp32", "bf16", "fp16"}
        :func:`genrelib.training.device.fast_path` of the model's device: ``"auto"`` runs
        the network under bf16 autocast on a CPU with native bf16 (the
        probabilities then differ from fp32: at most 0.013 per patch on GTZAN clips
        (``bench/bench_musicnn.py``), 0.13 per patch and 0.045 per song on the 8 external
        songs, where 4 of 163 patch argmaxes changed and no song's); ``"fp32"`` is the
        reference.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, n_classes)
    """
    return patch_outputs(model, patches, batch_size, precision)[0]


def patch_outputs(
    model: nn.Module, patches: np.ndarray, batch_size: int = 32, precision: str = "auto"
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`patch_probabilities`, and a probe's standardised embeddings from the same pass.

    Notebook: 08_external_songs.

    Returns
    -------
    probabilities : np.ndarray, float32, shape (n_patches, n_classes)
    features : np.ndarray, float32, shape (n_patches, 1506), or None
        :meth:`GenreProbe.logits_and_features` of each patch when ``model`` is a probe;
        ``None`` for another model (a fine-tuned ``musicnn_gru``).
    """
    path = musicnn_fast_path(next(model.parameters()).device, precision)
    prepared = path.prepare(model)
    both = getattr(model, "logits_and_features", None) is not None

    def outputs(x: torch.Tensor) -> torch.Tensor:
        if not both:
            return torch.softmax(prepared(x).float(), 1)
        logits, features = prepared.logits_and_features(x)
        return torch.cat([torch.softmax(logits.float(), 1), features.float()], 1)

    values = torch.cat(forward_patches(outputs, patches, batch_size, path)).numpy()
    n_classes = values.shape[1] - (model.mean.numel() if both else 0)
    features = values[:, n_classes:].astype(np.float32) if both else None
    return values[:, :n_classes].astype(np.float32), features


def song_novelty(model: nn.Module, features: np.ndarray | None) -> tuple[float, float] | None:
    """A song's distance to the nearest class of a probe, and the probe's threshold.

    Notebook: 08_external_songs (``genrelib predict`` and the song view).

    Parameters
    ----------
    model : nn.Module
        The model that gave ``features``.
    features : np.ndarray, shape (n_patches, 1506), or None
        :func:`patch_outputs`' standardised embeddings of the song's patches.

    Returns
    -------
    (distance, far_distance) or None
        ``None`` for a model without the rule (:mod:`genrelib.transfer.novelty`).
    """
    novelty = getattr(model, "novelty", None)
    if novelty is None or features is None:
        return None
    return nearest_distance(features, novelty["centroids"]), float(novelty["far_distance"])

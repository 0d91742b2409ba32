"""From a SpectrogramSet to mini-batches: a torch Dataset adapter and per-band input statistics.

Notebook: 04_base_crnn.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from genrelib.progress import tqdm


class SpectrogramDataset(Dataset):
    """Torch view of a SpectrogramSet: item ``i`` is ``(tensor (1, n_mels, n_frames), label)``.

    Reads one chunk at a time from the memory-mapped cache, so DataLoader workers share it;
    a chunk :class:`~genrelib.audio.SpectrogramSet` already copied out is not copied again.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    spectrogram_set : SpectrogramSet
        Any object with ``len()``, ``[i] -> (n_mels, n_frames)`` and ``.labels``.
    """

    def __init__(self, spectrogram_set) -> None:
        self.spectrograms = spectrogram_set
        self.labels = np.asarray(spectrogram_set.labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = np.asarray(self.spectrograms[index], dtype=np.float32)
        if not image.flags.writeable:  # a view into a memmap: copy it out
            image = image.copy()
        return torch.from_numpy(image).unsqueeze(0), int(self.labels[index])


def collate_chunks(batch: list[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``(chunk, label)`` items into a batch with numpy, single-threaded.

    torch's default collate stacks with its thread pool; on a busy 2-core machine its
    barriers stalled a batch of 32 chunks for about 1 s against 0.06 s for ``np.stack``,
    which made loading 8 % of a bf16 training step instead of well under 1 %.

    Notebook: 04_base_crnn.
    """
    images = np.stack([np.asarray(image) for image, _ in batch])
    labels = np.fromiter((label for _, label in batch), dtype=np.int64, count=len(batch))
    return torch.from_numpy(images), torch.from_numpy(labels)


def band_statistics(
    spectrogram_set, max_chunks: int | None = None, seed: int = 0, progress: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of every mel band over (a random subset of) the chunks.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    spectrogram_set : SpectrogramSet
        Training chunks.
    max_chunks : int or None
        Use at most this many chunks, drawn at random with ``seed``.
    seed : int
        Seed of that draw.
    progress : bool
        Show a progress bar.

    Returns
    -------
    mean, std : np.ndarray, shape (n_mels,)
        Float32 statistics over chunks and frames; a constant band gets std 1.
    """
    n = len(spectrogram_set)
    indices = np.arange(n)
    if max_chunks is not None and n > max_chunks:
        indices = np.sort(np.random.default_rng(seed).choice(n, size=max_chunks, replace=False))
    total = total_sq = None
    frames = 0
    for i in tqdm(indices, desc="band statistics", disable=not progress, leave=False):
        image = np.asarray(spectrogram_set[int(i)], dtype=np.float64)
        if total is None:
            total, total_sq = np.zeros(image.shape[0]), np.zeros(image.shape[0])
        total += image.sum(axis=1)
        total_sq += np.square(image).sum(axis=1)
        frames += image.shape[1]
    mean = total / frames
    std = np.sqrt(np.maximum(total_sq / frames - mean**2, 0.0))
    std[std < 1e-6] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


class NormalizedModel(nn.Module):
    """A model preceded by per-band standardisation ``(x - mean) / std``.

    The statistics are buffers, so a checkpoint's model accepts raw log-mel chunks.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    model : nn.Module
        Takes ``(batch, channels, n_mels, n_frames)``.
    mean, std : array-like, shape (n_mels,)
        Band statistics of the training set.
    """

    def __init__(self, model: nn.Module, mean, std) -> None:
        super().__init__()
        self.model = model
        self.register_buffer(
            "mean", torch.as_tensor(np.asarray(mean), dtype=torch.float32).view(1, 1, -1, 1)
        )
        self.register_buffer(
            "std", torch.as_tensor(np.asarray(std), dtype=torch.float32).view(1, 1, -1, 1)
        )

    @property
    def outputs_probabilities(self) -> bool:
        """Whether the wrapped model returns probabilities instead of logits."""
        return bool(getattr(self.model, "outputs_probabilities", False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Standardise ``(batch, channels, n_mels, n_frames)`` and apply the model."""
        return self.model((x - self.mean) / self.std)

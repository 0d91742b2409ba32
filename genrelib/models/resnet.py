"""ResNet-18 transfer model: an ImageNet backbone with a GRU head over time.

The spectrogram ``(batch, 1, n_mels, n_frames)`` is repeated to three channels (and
optionally normalised with the ImageNet channel statistics), passed through the
ResNet-18 convolutional stages, and read by a 3-layer GRU. The first six children
of the backbone (conv1, bn1, relu, maxpool, layer1, layer2) are frozen: their
parameters get no gradient and their batch-norm statistics stay fixed.

Two heads:

* default: the last feature map ``(batch, 512, F/32, T/32)`` is averaged over
  frequency and read as a sequence over time, so the GRU sees ``T/32`` steps;
* ``faithful=True`` keeps ResNet's global average pool, as the authors' code did,
  so the GRU sees a sequence of length 1 (a GRU used as a gated dense layer).

Notebook: 06_resnet_transfer.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path

import torch
from torch import nn

from genrelib.errors import ConfigError, WeightsUnavailableError
from genrelib.models.crnn import GruHead, GruReadout

RESNET18_URL = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
RESNET18_FILENAME = "resnet18-f37072fd.pth"
FROZEN_CHILDREN: tuple[str, ...] = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2")
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def _torchvision_resnet18() -> nn.Module:
    """An untrained torchvision ResNet-18, imported here so that no other model needs torchvision.

    Raises
    ------
    ConfigError
        If torchvision cannot be imported (missing, or built for another torch).
    """
    try:
        import torchvision
    except Exception as error:  # a torchvision built for another torch fails in many ways
        raise ConfigError(
            f"the ResNet-18 model needs torchvision, which cannot be imported "
            f"({str(error).splitlines()[0] if str(error) else type(error).__name__}); install "
            f"torch and torchvision from the same index (see the README's set-up)"
        ) from None
    return torchvision.models.resnet18(weights=None)


def weights_cache_file() -> Path:
    """Where torchvision keeps the ImageNet ResNet-18 weights.

    That is ``<torch hub dir>/checkpoints/resnet18-f37072fd.pth``;

    the hub dir is ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``).

    Notebook: 06_resnet_transfer.
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / RESNET18_FILENAME


def load_resnet18_weights(weights_path: str | Path | None = None, progress: bool = True) -> dict:
    """Return the ImageNet ResNet-18 state dict from ``weights_path``, torch's cache, or a download.

    Notebook: 06_resnet_transfer.

    Parameters
    ----------
    weights_path : str or Path or None
        A local copy of ``resnet18-f37072fd.pth``. ``None`` looks in torch's hub cache
        (:func:`weights_cache_file`) and downloads there if it is missing.
    progress : bool
        Show a download progress bar.

    Raises
    ------
    WeightsUnavailableError
        If the file is missing and cannot be downloaded (offline), or cannot be read.
    """
    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise WeightsUnavailableError(
                f"weights file {path} does not exist; pass the path of a copy of {RESNET18_URL}"
            )
    else:
        path = weights_cache_file()
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                torch.hub.download_url_to_file(
                    RESNET18_URL, str(path), hash_prefix="f37072fd", progress=progress
                )
            except (urllib.error.URLError, OSError, RuntimeError) as error:
                raise WeightsUnavailableError(
                    f"could not download the ImageNet ResNet-18 weights ({error}); "
                    f"put {RESNET18_FILENAME} "
                    f"(from {RESNET18_URL}) in {path.parent} or pass weights_path=..."
                ) from None
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any unpickling/zip failure means the file is unusable
        raise WeightsUnavailableError(
            f"could not read weights file {path} ({type(error).__name__}); "
            f"download {RESNET18_URL} again"
        ) from None


class ResNetTransfer(nn.Module):
    """ResNet-18 backbone (first six children frozen) followed by a 3-layer GRU head.

    Notebook: 06_resnet_transfer.

    Parameters
    ----------
    n_mels : int
        Mel bands of the input (at least 32; ResNet reduces height and width by 32).
    n_classes : int
        Number of genres.
    pretrained : bool
        Load the ImageNet weights (see :func:`load_resnet18_weights`); ``False`` starts
        from random weights (tests, smoke runs).
    weights_path : str or None
        A local copy of the ImageNet weights, used when ``pretrained`` is true.
    faithful : bool
        Keep the global average pool, as the authors' code did (the GRU sees one step).
    imagenet_norm : bool
        Normalise the three repeated channels with the ImageNet mean and std. Off by
        default: the input is already a standardised log-mel spectrogram, not an image
        in [0, 1], so the shift and scale only rescale it per channel.
    gru_units, gru_layers : int
        Size of the GRU head (3 layers of 32 units).
    gru_dropout : float
        Dropout between GRU layers.
    gru_readout : {"last", "first_layer"}
        See :class:`~genrelib.models.crnn.GruHead`.
    double_softmax : bool
        Return softmax probabilities (the authors' quirk) instead of logits.
    """

    def __init__(
        self,
        n_mels: int = 192,
        n_classes: int = 10,
        pretrained: bool = False,
        weights_path: str | None = None,
        faithful: bool = False,
        imagenet_norm: bool = False,
        gru_units: int = 32,
        gru_layers: int = 3,
        gru_dropout: float = 0.3,
        gru_readout: GruReadout = "last",
        double_softmax: bool = False,
    ) -> None:
        super().__init__()
        if n_mels < 32:
            raise ConfigError(
                f"ResNetTransfer needs n_mels >= 32 (it downsamples by 32), got {n_mels}"
            )
        if n_classes <= 0 or gru_units <= 0 or gru_layers <= 0:
            raise ConfigError("n_classes, gru_units and gru_layers must be positive")
        if not 0.0 <= gru_dropout < 1.0:
            raise ConfigError(f"gru_dropout must be in [0, 1), got {gru_dropout}")
        self.n_mels = n_mels
        self.faithful = bool(faithful)
        self.imagenet_norm = bool(imagenet_norm)
        self.double_softmax = bool(double_softmax)
        backbone = _torchvision_resnet18()
        if pretrained:
            backbone.load_state_dict(load_resnet18_weights(weights_path))
        self.backbone = nn.Sequential(*list(backbone.children())[:-2])  # drop avgpool and fc
        for name in FROZEN_CHILDREN:
            for parameter in getattr(backbone, name).parameters():
                parameter.requires_grad_(False)
        self.register_buffer("channel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("channel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.head = GruHead(512, n_classes, gru_units, gru_layers, gru_dropout, gru_readout)

    @property
    def outputs_probabilities(self) -> bool:
        """True when ``forward`` returns probabilities (``double_softmax``) rather than logits."""
        return self.double_softmax

    def frozen_modules(self) -> list[nn.Module]:
        """The six frozen children of the backbone, in order."""
        return list(self.backbone.children())[: len(FROZEN_CHILDREN)]

    def train(self, mode: bool = True) -> ResNetTransfer:
        """Set training mode, keeping the frozen children (and their batch norms) in eval mode."""
        super().train(mode)
        for module in self.frozen_modules():
            module.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map spectrograms ``(batch, 1, n_mels, n_frames)`` to ``(batch, n_classes)``."""
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != self.n_mels:
            raise ConfigError(
                f"expected input (batch, 1, {self.n_mels}, n_frames), got {tuple(x.shape)}"
            )
        if x.shape[3] < 32:
            raise ConfigError(f"{x.shape[3]} frames are too few: ResNet-18 needs at least 32")
        x = x.expand(-1, 3, -1, -1)
        if self.imagenet_norm:
            x = (x - self.channel_mean) / self.channel_std
        features = self.backbone(x)  # (batch, 512, F/32, T/32)
        if self.faithful:
            sequence = features.mean(dim=(2, 3)).unsqueeze(1)  # (batch, 1, 512)
        else:
            sequence = features.mean(dim=2).transpose(1, 2)  # (batch, T/32, 512)
        scores = self.head(sequence)
        return torch.softmax(scores, dim=1) if self.double_softmax else scores

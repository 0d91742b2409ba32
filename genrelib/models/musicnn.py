"""musicnn in PyTorch: MSD_musicnn and MTT_musicnn, pretrained on music, with their own input.

A port of ``musicnn`` 0.1.0 (Pons & Serra 2019, "musicnn: pre-trained convolutional neural
networks for music audio tagging", ISMIR late-breaking demo; ISC licence), whose wheel ships
TensorFlow-1 checkpoints. The converted weights live in ``genrelib/models/weights`` (see the
NOTICE there: source wheel and its sha256); ``tools/convert_musicnn.py`` regenerates them
bit for bit from the wheel. Neither TensorFlow nor a network is needed here.

Input, as musicnn computes it (:func:`musicnn_log_mel`, :func:`musicnn_patches`): mono audio
at 16 kHz, a centred STFT of 512 samples (periodic Hann window, zero padding), hop 256,
power spectrum, librosa's Slaney mel filterbank of 96 bands up to 8 kHz, then
``log10(10000 x + 1)``, cut into non-overlapping patches of 187 frames (2.99 s).
**Unlike the original, we stay in float32**: musicnn casts the mel spectrogram to float16
before ``10000 x``, which overflows to inf wherever the power exceeds 6.55; on the loud
GTZAN clips we checked (metal.00000, hiphop.00000) every patch of the original holds inf.

The network (``(batch, 1, 96, n_frames)`` in; time is the last axis, as everywhere in
genrelib):

* front end: batch norm of the input, then two *timbral* convolutions (7 frames x 38 and 67
  mel bands, 204 filters each) and three *temporal* ones (128, 64, 32 frames x 1 band, 51
  filters each); each is conv -> ReLU -> batch norm -> max over frequency, giving 561
  features per frame;
* mid end: three 1-D convolutions of 7 frames and 64 filters (ReLU, batch norm), the last
  two with residual connections; the front-end features and the three outputs are stacked
  into 753 features per frame;
* back end: max and mean over time (2 x 753, interleaved as the original flattens them),
  batch norm, dense 200 with ReLU, batch norm (the *penultimate* features), dense 50 tag
  logits (sigmoid: tag probabilities).

The embedding used for transfer is ``[mean_pool, max_pool]`` (1506 values per patch).

Agreement with the original TensorFlow graph, measured on the stored reference outputs of
three GTZAN clips (``tests/fixtures/musicnn_reference.npz``, 30 patches per model): within
:data:`TOLERANCE` (relative) for tags, pooled and penultimate features, and
:data:`LOG_MEL_TOLERANCE` for the input.

Notebook: 06b_music_transfer.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genrelib.audio.mel import filterbank
from genrelib.config import ChunkConfig
from genrelib.data.fetch import file_sha256
from genrelib.errors import ConfigError, WeightsUnavailableError
from genrelib.models.crnn import GruHead

SAMPLE_RATE = 16_000
"""musicnn's sample rate, in Hz."""
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187
"""Frames of one input patch (3 s as musicnn counts: ``time_to_frames(3) + 1``)."""
PATCH_SECONDS = PATCH_FRAMES * HOP_LENGTH / SAMPLE_RATE
"""Audio covered by one patch's frames, in seconds (2.992)."""
BN_EPSILON = 1e-3
"""Batch-norm epsilon of ``tf.compat.v1.layers.batch_normalization``."""
FRONTEND_FEATURES = 561
MIDEND_FEATURES = 753
EMBEDDING_SIZE = 2 * MIDEND_FEATURES
"""Width of :meth:`Musicnn.embed`: mean pool then max pool."""

TOLERANCE = 2e-5
"""Largest difference from the original TensorFlow outputs that the tests allow, relative to
the largest absolute value of that output (e.g. max_pool reaches 119). Measured on 3 GTZAN
clips x 10 patches x 2 models, from the audio files: at most 5.8e-6 (absolute: tags 4.5e-6,
mean_pool 2.9e-5, max_pool 3.7e-4, penultimate 1.3e-5): float32 rounding of another
summation order."""

LOG_MEL_TOLERANCE = 1e-5
"""Largest absolute difference of :func:`musicnn_log_mel` from musicnn's (float32) librosa
log-mel allowed by the tests (values 0-6; measured at most 3.0e-6)."""

MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s",
    "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip
"""The 50 Million Song Dataset tags of MSD_musicnn, in output order."""

MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip
"""The 50 MagnaTagATune tags of MTT_musicnn, in output order."""

WEIGHTS_DIR = Path(__file__).parent / "weights"
"""Folder of the shipped weight files."""

WEIGHT_FILES: dict[str, tuple[str, str]] = {
    "MSD_musicnn": (
        "MSD_musicnn.npz",
        "7c523bf9e8ccb697275e698af0214b5a082c865ecfafea55d90e0301e2c5b54f",
    ),
    "MTT_musicnn": (
        "MTT_musicnn.npz",
        "1071ec730509c2dfb00fd1fd79e74d51e4f8fcf9ccf7076ff4c28f533b220e0b",
    ),
}
"""Weight file and its sha256 for each model (written by tools/convert_musicnn.py)."""

MUSICNN_MODELS: tuple[str, ...] = tuple(WEIGHT_FILES)
"""Names accepted by :func:`load_musicnn`."""

WHEEL = "musicnn-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"


@dataclass(frozen=True)
class MusicnnInput:
    """musicnn's input representation (recorded in checkpoints and cache folders).

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    sample_rate, n_fft, hop_length, n_mels : int
        16 kHz, 512, 256, 96.
    patch_frames : int
        Frames of one patch (187).
    compression : str
        The log compression, ``"log10(10000x+1)"`` computed in float32.
    name : str
        Readable name.
    """

    sample_rate: int = SAMPLE_RATE
    n_fft: int = N_FFT
    hop_length: int = HOP_LENGTH
    n_mels: int = N_MELS
    patch_frames: int = PATCH_FRAMES
    compression: str = "log10(10000x+1), float32"
    name: str = "musicnn"

    @property
    def patch_samples(self) -> int:
        """Samples spanned by the frames of one patch (``patch_frames * hop_length``)."""
        return self.patch_frames * self.hop_length

    def n_frames(self, n_samples: int) -> int:
        """Frames of one item of a patch set: always ``patch_frames`` (as MelConfig.n_frames)."""
        return self.patch_frames

    def key(self) -> str:
        """Stable short hash of every field (names cache folders)."""
        text = repr(sorted(self.__dict__.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _mel_basis() -> np.ndarray:
    """librosa's default Slaney filterbank at musicnn's settings (0 Hz to Nyquist), cached."""
    return filterbank(SAMPLE_RATE, N_FFT, N_MELS, 0.0, SAMPLE_RATE / 2)


def musicnn_log_mel(y: np.ndarray, device: str | torch.device = "cpu") -> np.ndarray:
    """musicnn's log-mel spectrogram of a 16 kHz signal, in float32.

    Same as ``musicnn.extractor.batch_data`` (librosa melspectrogram, centred, zero padded,
    power 2, Slaney mel, then ``log10(10000 x + 1)``) but without its float16 cast. The STFT
    runs in torch (``torch.stft``); the difference from librosa is below
    ``LOG_MEL_TOLERANCE``.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    y : np.ndarray, float32, shape (n_samples,)
        Mono audio at 16 kHz.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    np.ndarray, float32, shape (96, n_frames)
        ``n_frames = 1 + n_samples // 256``; time is the last axis.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ConfigError(f"musicnn_log_mel: expected a non-empty mono signal, got {y.shape}")
    return log_mel_torch(torch.from_numpy(y).to(device)).cpu().numpy()


def log_mel_torch(y: torch.Tensor) -> torch.Tensor:
    """Torch version of :func:`musicnn_log_mel`: ``(..., n_samples)`` -> ``(..., 96, n_frames)``.

    Notebook: 06b_music_transfer.
    """
    window = torch.hann_window(N_FFT, periodic=True, device=y.device)
    shape = y.shape[:-1]
    spectrum = torch.stft(
        y.reshape(-1, y.shape[-1]).float(),
        N_FFT,
        HOP_LENGTH,
        window=window,
        center=True,
        pad_mode="constant",
        return_complex=True,
    )
    power = spectrum.real.square() + spectrum.imag.square()  # (batch, 257, n_frames)
    basis = torch.from_numpy(np.array(_mel_basis())).to(y.device)
    mel = torch.matmul(basis, power)
    return torch.log10(10000.0 * mel + 1.0).reshape(*shape, N_MELS, -1)


def musicnn_patches(log_mel: np.ndarray, hop_frames: int = PATCH_FRAMES) -> np.ndarray:
    """Cut a log-mel spectrogram into patches of 187 frames, as musicnn does.

    Patches start every ``hop_frames`` frames (no overlap by default); frames after the
    last whole patch are dropped.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    log_mel : np.ndarray, shape (96, n_frames)
        Output of :func:`musicnn_log_mel`.
    hop_frames : int
        Frames between patch starts.

    Returns
    -------
    np.ndarray, float32, shape (n_patches, 96, 187)
        ``n_patches = 1 + (n_frames - 187) // hop_frames`` (0 when ``n_frames < 187``).
    """
    if hop_frames < 1:
        raise ConfigError(f"musicnn_patches: hop_frames must be >= 1, got {hop_frames}")
    n_frames = log_mel.shape[-1]
    if n_frames < PATCH_FRAMES:
        return np.zeros((0, N_MELS, PATCH_FRAMES), dtype=np.float32)
    starts = range(0, n_frames - PATCH_FRAMES + 1, hop_frames)
    return np.stack([log_mel[:, s : s + PATCH_FRAMES] for s in starts]).astype(np.float32)


def musicnn_chunk_config(track_seconds: float = 30.0, variable_length: bool = False) -> ChunkConfig:
    """Track length and patch length of musicnn's input, at 16 kHz.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    track_seconds : float
        Every track is trimmed (or zero-padded by at most 0.5 s) to this length first;
        30 s gives 1876 frames and 10 patches.
    variable_length : bool
        A collection of your own: ``track_seconds`` is a cap (the middle of a longer track),
        a shorter track gives the whole patches it holds (:func:`~genrelib.audio.cut_track`).

    Returns
    -------
    ChunkConfig
        ``chunk_seconds`` is one patch (2.992 s), ``sample_rate`` 16,000 Hz.
    """
    return ChunkConfig(
        chunk_seconds=PATCH_SECONDS,
        track_seconds=float(track_seconds),
        sample_rate=SAMPLE_RATE,
        variable_length=variable_length,
    )


CPU_SLICE = 2
"""Patches per 1-D convolution of the front end at inference on a CPU. Measured on 2 cores
(``bench/bench_predict.py``, 60 patches under bf16 autocast): the two timbral convolutions
take 0.54 s in slices of 2 patches, 0.87 s in slices of 32, and 1.1 s as 2-D convolutions."""


def _batch_norm(channels: int) -> nn.BatchNorm1d | nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=0.01)


def _batch_norm_1d(channels: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(channels, eps=BN_EPSILON, momentum=0.01)


class _FrontBlock(nn.Module):
    """conv (time x frequency) -> ReLU -> batch norm -> max over frequency: (b, filters, T)."""

    def __init__(self, filters: int, time: int, frequency: int, timbral: bool) -> None:
        super().__init__()
        self.timbral = timbral
        self.time = time
        self.conv = nn.Conv2d(1, filters, kernel_size=(frequency, time))
        self.bn = _batch_norm(filters)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """Zero frames in time, as the original pads before its convolution."""
        if self.timbral:  # 'valid' in frequency, 3 zero frames on each side in time
            return F.pad(x, (3, 3))
        total = self.time - 1  # TF 'same' in time: the extra frame of an even kernel goes after
        return F.pad(x, (total // 2, total - total // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pad(x)
        if self.bn.training:
            return self.bn(F.relu(self.conv(x))).amax(dim=2)
        # Batch norm with fixed statistics (inference, or fine-tuning with frozen statistics) is a
        # per-filter affine map a x + c, monotonic, so the max over
        # frequency of bn(relu(z)) is bn(relu(max z)) where a > 0 and bn(relu(min z)) where
        # a < 0: the same values, without normalising the whole (b, filters, F', T) map.
        high, low = self.frequency_extremes(x)
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        picked = torch.where(scale[:, None] > 0, high, low)
        shift = self.bn.bias - self.bn.running_mean * scale
        return F.relu(picked) * scale[:, None] + shift[:, None]

    def frequency_extremes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Max and min over frequency of the convolution of padded ``x``: (b, filters, T) each.

        On a GPU, one 2-D convolution. On a CPU, where a 2-D convolution of one input channel
        is slow, each band of ``kernel_size[0]`` mel bins becomes the channels of a 1-D
        convolution over time, :data:`CPU_SLICE` patches at a time so the
        (patches, bands, filters, T) map stays in cache: the same sums in another order
        (within 1.2e-6 of the largest value in float32, tested against the 2-D convolution).

        Parameters
        ----------
        x : torch.Tensor, shape (batch, 1, 96, T + padding)
            Input of the block, padded by :meth:`pad`.

        Returns
        -------
        high, low : torch.Tensor, shape (batch, filters, T)
        """
        if x.device.type != "cpu":
            z = self.conv(x)  # (b, filters, F', T)
            return z.amax(dim=2), z.amin(dim=2)
        if torch.is_autocast_enabled("cpu"):  # unfold in the autocast dtype: half the copying
            x = x.to(torch.get_autocast_dtype("cpu"))
        weight = self.conv.weight[:, 0]  # (filters, bins, time)
        bins = weight.shape[1]
        highs, lows = [], []
        for part in x[:, 0].split(CPU_SLICE):  # (p, F, T + padding)
            bands = part.unfold(1, bins, 1)  # (p, F', T + padding, bins)
            n_bands = bands.shape[1]
            stacked = bands.transpose(2, 3).reshape(len(part) * n_bands, bins, -1)
            z = F.conv1d(stacked, weight, self.conv.bias)  # (p F', filters, T)
            z = z.view(len(part), n_bands, *z.shape[1:])
            highs.append(z.amax(dim=1))
            lows.append(z.amin(dim=1))
        return torch.cat(highs), torch.cat(lows)


class MusicnnFrontEnd(nn.Module):
    """musicnn's musically motivated front end: 561 features per frame.

    Notebook: 06b_music_transfer.

    Input ``(batch, 1, 96, n_frames)`` (any ``n_frames >= 1``), output
    ``(batch, 561, n_frames)``: 204 + 204 timbral then 3 x 51 temporal features.
    """

    def __init__(self) -> None:
        super().__init__()
        self.input_bn = _batch_norm(1)
        self.blocks = nn.ModuleList(
            [
                _FrontBlock(204, 7, int(0.4 * N_MELS), timbral=True),
                _FrontBlock(204, 7, int(0.7 * N_MELS), timbral=True),
                _FrontBlock(51, 128, 1, timbral=False),
                _FrontBlock(51, 64, 1, timbral=False),
                _FrontBlock(51, 32, 1, timbral=False),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, 1, 96, n_frames)`` to ``(batch, 561, n_frames)``."""
        x = self.input_bn(x)
        return torch.cat([block(x) for block in self.blocks], dim=1)


class MusicnnMidEnd(nn.Module):
    """Three 1-D convolutions over time (7 frames, 64 filters), the last two residual.

    Notebook: 06b_music_transfer.

    Input ``(batch, 561, n_frames)``; output ``(batch, 753, n_frames)``: the input and the
    three convolution outputs stacked.
    """

    def __init__(self, filters: int = 64) -> None:
        super().__init__()
        sizes = [FRONTEND_FEATURES, filters, filters]
        self.convs = nn.ModuleList([nn.Conv1d(size, filters, 7, padding=3) for size in sizes])
        self.bns = nn.ModuleList([_batch_norm_1d(filters) for _ in sizes])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(batch, 561, n_frames)`` to ``(batch, 753, n_frames)``."""
        first = self.bns[0](F.relu(self.convs[0](x)))
        second = self.bns[1](F.relu(self.convs[1](first))) + first
        third = self.bns[2](F.relu(self.convs[2](second))) + second
        return torch.cat([x, first, second, third], dim=1)


class Musicnn(nn.Module):
    """MSD_musicnn / MTT_musicnn: front end, mid end, pooled dense back end, 50 tags.

    Build it with :func:`load_musicnn` to get the pretrained weights.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    n_tags : int
        Output tags (50).
    backend_units : int
        Units of the penultimate dense layer (200 for both shipped models).
    """

    def __init__(self, n_tags: int = 50, backend_units: int = 200) -> None:
        super().__init__()
        self.frontend = MusicnnFrontEnd()
        self.midend = MusicnnMidEnd()
        self.pool_bn = _batch_norm_1d(EMBEDDING_SIZE)
        self.dense = nn.Linear(EMBEDDING_SIZE, backend_units)
        self.dense_bn = _batch_norm_1d(backend_units)
        self.output = nn.Linear(backend_units, n_tags)
        self.dropout = nn.Dropout(0.5)

    @staticmethod
    def _check(x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 3:
            x = x.unsqueeze(1)
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] != N_MELS:
            raise ConfigError(
                f"musicnn expects (batch, 1, {N_MELS}, n_frames) log-mel patches, "
                f"got {tuple(x.shape)}"
            )
        return x

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every output the original extractor gives, for a batch of patches.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, 1, 96, n_frames) or (batch, 96, n_frames)
            Log-mel patches (:func:`musicnn_patches`).

        Returns
        -------
        dict of torch.Tensor
            ``tags`` (batch, 50) sigmoid probabilities, ``logits`` (batch, 50),
            ``mean_pool`` and ``max_pool`` (batch, 753), ``penultimate`` (batch, 200),
            ``frontend`` (batch, 561, n_frames), ``midend`` (batch, 753, n_frames).
        """
        x = self._check(x)
        front = self.frontend(x)
        mid = self.midend(front)
        max_pool, mean_pool = mid.amax(dim=2), mid.mean(dim=2)
        flat = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # TF's interleaved flatten
        penultimate = self.dense_bn(F.relu(self.dense(self.dropout(self.pool_bn(flat)))))
        logits = self.output(self.dropout(penultimate))
        return {
            "tags": torch.sigmoid(logits),
            "logits": logits,
            "mean_pool": mean_pool,
            "max_pool": max_pool,
            "penultimate": penultimate,
            "frontend": front,
            "midend": mid,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag probabilities ``(batch, 50)`` of patches ``(batch, 1, 96, n_frames)``."""
        return self.features(x)["tags"]

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The transfer embedding ``[mean_pool, max_pool]``: ``(batch, 1506)``."""
        out = self.features(x)
        return torch.cat([out["mean_pool"], out["max_pool"]], dim=1)


def _conv2d_weight(kernel: np.ndarray) -> torch.Tensor:
    """TF kernel (time, freq, in, out) -> torch (out, in, freq, time)."""
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 1, 0)))


def _conv1d_weight(kernel: np.ndarray) -> torch.Tensor:
    """TF kernel (time, in, 1, out) -> torch (out, in, time)."""
    return torch.from_numpy(np.ascontiguousarray(kernel[:, :, 0, :].transpose(2, 1, 0)))


def _bn_state(arrays: dict, index: int) -> dict[str, torch.Tensor]:
    name = "batch_normalization" + ("" if index == 0 else f"_{index}")
    return {
        "weight": torch.from_numpy(arrays[f"{name}/gamma"]),
        "bias": torch.from_numpy(arrays[f"{name}/beta"]),
        "running_mean": torch.from_numpy(arrays[f"{name}/moving_mean"]),
        "running_var": torch.from_numpy(arrays[f"{name}/moving_variance"]),
    }


def _conv(arrays: dict, index: int) -> str:
    return "conv2d" + ("" if index == 0 else f"_{index}")


def state_dict_from_tf(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Map the TensorFlow variables of a musicnn checkpoint onto :class:`Musicnn`'s state dict.

    TF names its layers in creation order: batch_normalization (input), conv2d 0-4 with
    batch_normalization 1-5 (front end), conv2d 5-7 with batch_normalization 6-8 (mid end),
    batch_normalization 9 (pooled), dense with batch_normalization 10, dense_1 (tags).

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    arrays : dict of str to np.ndarray
        Variables by checkpoint name (as in the shipped ``.npz``).

    Returns
    -------
    dict of str to torch.Tensor
    """
    state: dict[str, torch.Tensor] = {}

    def put(prefix: str, values: dict[str, torch.Tensor]) -> None:
        state.update({f"{prefix}.{key}": value for key, value in values.items()})

    put("frontend.input_bn", _bn_state(arrays, 0))
    for k in range(5):
        conv = _conv(arrays, k)
        put(
            f"frontend.blocks.{k}.conv",
            {
                "weight": _conv2d_weight(arrays[f"{conv}/kernel"]),
                "bias": torch.from_numpy(arrays[f"{conv}/bias"]),
            },
        )
        put(f"frontend.blocks.{k}.bn", _bn_state(arrays, k + 1))
    for k in range(3):
        conv = _conv(arrays, k + 5)
        put(
            f"midend.convs.{k}",
            {
                "weight": _conv1d_weight(arrays[f"{conv}/kernel"]),
                "bias": torch.from_numpy(arrays[f"{conv}/bias"]),
            },
        )
        put(f"midend.bns.{k}", _bn_state(arrays, k + 6))
    put("pool_bn", _bn_state(arrays, 9))
    put("dense", {"weight": torch.from_numpy(arrays["dense/kernel"].T.copy()),
                  "bias": torch.from_numpy(arrays["dense/bias"])})  # fmt: skip
    put("dense_bn", _bn_state(arrays, 10))
    put("output", {"weight": torch.from_numpy(arrays["dense_1/kernel"].T.copy()),
                   "bias": torch.from_numpy(arrays["dense_1/bias"])})  # fmt: skip
    for key in [k for k in state if k.endswith("running_var")]:
        state[key.replace("running_var", "num_batches_tracked")] = torch.tensor(0)
    return state


def write_reproducible_npz(arrays: dict[str, np.ndarray], target: str | Path) -> Path:
    """Write ``arrays`` as an ``.npz`` with the same bytes on every run (stored, fixed dates).

    Used for the converted musicnn weights (``tools/convert_musicnn.py``) and the shipped
    genre probe, so that their sha256 checks hold when they are regenerated.

    Notebook: 06b_music_transfer.
    """
    target = Path(target)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, arrays[name], version=(1, 0), allow_pickle=False)
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, buffer.getvalue())
    return target


def weights_file(name: str = "MSD_musicnn", weights_dir: str | Path | None = None) -> Path:
    """Path of the shipped weight file of model ``name``, checked against its sha256.

    Notebook: 06b_music_transfer.

    Raises
    ------
    ConfigError
        For an unknown model name.
    WeightsUnavailableError
        If the file is missing or its sha256 differs (altered, truncated).
    """
    if name not in WEIGHT_FILES:
        raise ConfigError(f"unknown musicnn model {name!r}; choose one of {MUSICNN_MODELS}")
    filename, expected = WEIGHT_FILES[name]
    path = Path(weights_dir if weights_dir is not None else WEIGHTS_DIR) / filename
    fix = "reinstall genrelib, or regenerate it with tools/convert_musicnn.py from " + WHEEL
    if not path.is_file():
        raise WeightsUnavailableError(f"{path}: musicnn weights file missing; {fix}")
    found = file_sha256(path)
    if found != expected:
        raise WeightsUnavailableError(
            f"{path}: sha256 {found[:12]}... differs from the shipped {expected[:12]}... "
            f"(altered or truncated file); {fix}"
        )
    return path


@lru_cache(maxsize=4)
def _read_weights(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def load_musicnn(
    name: str = "MSD_musicnn",
    device: str | torch.device = "cpu",
    weights_dir: str | Path | None = None,
) -> Musicnn:
    """Return pretrained musicnn ``name`` in eval mode on ``device``.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    name : {"MSD_musicnn", "MTT_musicnn"}
        Trained on the Million Song Dataset (50 last.fm tags) or on MagnaTagATune.
    device : str or torch.device
        Where to put the model.
    weights_dir : str, Path or None
        Folder of the weight files (``None``: the ones shipped in the package).

    Returns
    -------
    Musicnn

    Raises
    ------
    WeightsUnavailableError
        If the weight file is missing or altered (sha256).
    """
    path = weights_file(name, weights_dir)
    model = Musicnn()
    model.load_state_dict(state_dict_from_tf(_read_weights(str(path))))
    return model.to(device).eval()


def tag_names(name: str = "MSD_musicnn") -> tuple[str, ...]:
    """The 50 tags of model ``name``, in output order.

    Notebook: 06b_music_transfer.
    """
    if name not in WEIGHT_FILES:
        raise ConfigError(f"unknown musicnn model {name!r}; choose one of {MUSICNN_MODELS}")
    return MSD_TAGS if name.startswith("MSD") else MTT_TAGS


class MusicnnGRU(nn.Module):
    """Fine-tuning model: the pretrained musicnn front end under the paper's GRU head.

    The 561 front-end features of every frame form a sequence over time that a stack of
    GRU layers reads (:class:`~genrelib.models.crnn.GruHead`, as in the base CRNN), then a
    dense layer gives one score per genre. With ``midend=True`` the mid end's 753 features
    are read instead.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    n_mels : int
        Must be 96 (musicnn's input).
    n_classes : int
        Number of genres.
    backbone : {"MSD_musicnn", "MTT_musicnn"}
        Which pretrained network gives the front end.
    pretrained : bool
        Load its weights (shipped with genrelib); ``False``: random front end.
    midend : bool
        Also keep the pretrained mid end (753 features per frame).
    freeze_backbone : bool
        Train the head only (the backbone, batch norms included, stays as pretrained).
    freeze_bn_stats : bool
        Keep the backbone's batch-norm statistics as pretrained (their scale and shift still
        train): the usual choice when fine-tuning with small batches, and 5-6 times cheaper
        on a CPU here, since the front end then normalises only the frequency maxima.
    gru_units, gru_layers : int
        Size of the GRU head (the base CRNN's: 2 layers of 32).
    gru_dropout : float
        Dropout between GRU layers.
    frame_stride : int
        Max-pool the features over this many frames before the GRU (187 frames -> 24
        steps for 8, about the base CRNN's 16 steps per 3-s chunk), which keeps the
        recurrent part cheap on a CPU.
    """

    def __init__(
        self,
        n_mels: int = N_MELS,
        n_classes: int = 10,
        backbone: str = "MSD_musicnn",
        pretrained: bool = True,
        midend: bool = False,
        freeze_backbone: bool = False,
        freeze_bn_stats: bool = True,
        gru_units: int = 32,
        gru_layers: int = 2,
        gru_dropout: float = 0.3,
        frame_stride: int = 8,
    ) -> None:
        super().__init__()
        if n_mels != N_MELS:
            raise ConfigError(
                f"musicnn_gru takes {N_MELS}-band musicnn patches, got n_mels={n_mels}"
            )
        if frame_stride < 1:
            raise ConfigError(f"frame_stride must be >= 1, got {frame_stride}")
        source = load_musicnn(backbone) if pretrained else Musicnn()
        self.n_mels = n_mels
        self.frame_stride = int(frame_stride)
        self.freeze_backbone = bool(freeze_backbone)
        self.freeze_bn_stats = bool(freeze_bn_stats)
        self.frontend = source.frontend
        self.midend = source.midend if midend else None
        width = MIDEND_FEATURES if midend else FRONTEND_FEATURES
        if freeze_backbone:
            for parameter in self.backbone_parameters():
                parameter.requires_grad_(False)
        self.head = GruHead(width, n_classes, gru_units, gru_layers, gru_dropout, "last")

    @property
    def outputs_probabilities(self) -> bool:
        """False: ``forward`` returns logits."""
        return False

    def backbone_parameters(self) -> list[nn.Parameter]:
        """Parameters of the pretrained part (front end, and mid end if kept)."""
        parts = [self.frontend] + ([self.midend] if self.midend is not None else [])
        return [p for part in parts for p in part.parameters()]

    def train(self, mode: bool = True) -> MusicnnGRU:
        """Set training mode; the backbone's batch norms stay in eval mode when frozen."""
        super().train(mode)
        if self.freeze_backbone or self.freeze_bn_stats:
            parts = [self.frontend] + ([self.midend] if self.midend is not None else [])
            for part in parts:
                for module in part.modules():
                    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                        module.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map musicnn patches ``(batch, 1, 96, n_frames)`` to ``(batch, n_classes)`` logits."""
        x = Musicnn._check(x)
        features = self.frontend(x)
        if self.midend is not None:
            features = self.midend(features)
        if self.frame_stride > 1:
            features = F.max_pool1d(features, self.frame_stride, ceil_mode=True)
        return self.head(features.transpose(1, 2))

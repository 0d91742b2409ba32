"""Whole-song prediction from a self-describing checkpoint.

A checkpoint records the chunk length and the mel settings its model was trained on
(``meta["chunk_config"]``, ``meta["mel_config"]``), and its model holds the input
standardisation. Predicting a song of any length, format and sample rate is then:

1. decode to mono 22,050 Hz (:func:`genrelib.audio.load_audio` resamples), optionally
   keep only the first ``trim_seconds`` (the paper used the first 2 minutes);
2. cut ``floor(duration / chunk_seconds)`` consecutive chunks (the remainder after the
   last whole chunk is dropped, as for GTZAN clips);
3. log-mel spectrogram of each chunk with the checkpoint's mel config (torch backend),
   forward passes in batches, softmax;
4. aggregate: the mean probability over chunks ranks the genres (the top one is the
   prediction), a majority vote of the chunk predictions is reported beside it.

Without a checkpoint, the model is the genre probe shipped with genrelib: pretrained
MSD_musicnn and a logistic regression on its embeddings, trained on 100 real GTZAN clips
(:func:`genrelib.transfer.load_genre_probe`). It, and a fine-tuned ``musicnn_gru``
checkpoint, take musicnn's own input (16 kHz, 96 mels, 2.99-s patches of the whole song's
log-mel spectrogram) instead of steps 1-3's chunks; everything else is the same.

Songs shorter than one chunk: the model never saw silence-padded chunks in training,
so padding is allowed only when at least :data:`MIN_PAD_FRACTION` of the chunk is real
audio (``short="pad"``, the default); a shorter song raises
:class:`~genrelib.errors.TrackTooShortError` naming the file and both lengths.
``short="error"`` rejects every song shorter than one chunk.

Notebook: 08_external_songs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import soundfile
import torch
from torch import nn

from genrelib.atomic import atomic_write
from genrelib.audio.chunking import chunk_song
from genrelib.audio.io import decode_audio, load_audio, resample
from genrelib.audio.mel import log_mel
from genrelib.audio.prefetch import SongReader
from genrelib.config import (
    AUDIO_EXTENSIONS,
    GENRES,
    PREDICT_BATCH_SIZE,
    SAMPLE_RATE,
    ChunkConfig,
    MelConfig,
)
from genrelib.errors import (
    AudioDecodeError,
    CheckpointError,
    ConfigError,
    DatasetNotFoundError,
    TrackTooShortError,
)
from genrelib.input_checks import InputCheck, check_signal
from genrelib.models.crnn import fuse_for_inference
from genrelib.progress import tqdm
from genrelib.training import load_checkpoint, resolve_device
from genrelib.training.device import fast_path
from genrelib.transfer import (
    is_musicnn_input,
    is_probe_file,
    load_genre_probe,
    patch_outputs,
    song_novelty,
    song_patches,
)
from genrelib.transfer.novelty import far_message

if TYPE_CHECKING:
    import pandas as pd

MIN_PAD_FRACTION = 0.5
"""Shortest song, as a fraction of one chunk, that ``short="pad"`` zero-pads to one chunk."""

SHORT_POLICIES: tuple[str, ...] = ("pad", "error")
"""Values of the ``short`` parameter."""

SONG_EXTENSIONS: tuple[str, ...] = (*AUDIO_EXTENSIONS, ".aiff", ".aif", ".m4a", ".aac", ".opus")
"""File extensions :func:`list_songs` picks up (m4a/aac/opus need FFmpeg to decode)."""

SONG_ERRORS: tuple[type[Exception], ...] = (AudioDecodeError, TrackTooShortError)
"""Per-song errors that :func:`predict_songs` reports and steps over."""


@dataclass
class SongPrediction:
    """A model's view of one whole song.

    Notebook: 08_external_songs.

    Attributes
    ----------
    path : str
        The audio file.
    duration : float
        Length of the decoded song, in seconds (before trimming).
    analysed_seconds : float
        Length of audio the chunks cover, in seconds (after trimming, without the dropped
        remainder; a padded short song counts its real audio only).
    chunk_seconds : float
        Length of one chunk, in seconds (the checkpoint's).
    chunk_starts : np.ndarray, shape (n_chunks,)
        Start of each chunk in the song, in seconds.
    probabilities : np.ndarray, float32, shape (n_chunks, n_classes)
        Softmax output of each chunk; rows sum to 1.
    class_names : tuple of str, length n_classes
        Genre of each column.
    padded : bool
        Whether the song was shorter than one chunk and zero-padded.
    seconds : float
        Wall-clock time of the prediction, in seconds: decoding included, or for a song
        decoded ahead (:func:`predict_songs`) the wait for it.
    check : InputCheck or None
        Level and flatness of the analysed audio (:mod:`genrelib.input_checks`); its
        ``warning`` says when the input looks like silence or noise.
    distance, far_distance : float or None
        A probe's novelty distance of the song and its threshold
        (:mod:`genrelib.transfer.novelty`); ``None`` for a model without the rule.
    """

    path: str
    duration: float
    analysed_seconds: float
    chunk_seconds: float
    chunk_starts: np.ndarray
    probabilities: np.ndarray
    class_names: tuple[str, ...]
    padded: bool = False
    seconds: float = 0.0
    check: InputCheck | None = None
    distance: float | None = None
    far_distance: float | None = None
    ok: bool = field(default=True, init=False)

    @property
    def warning(self) -> str | None:
        """``"silence"``, ``"noise"`` (no genre means anything), ``"far"`` (the song lies
        farther from every class than 95 % of the training tracks) or ``None``."""
        if self.check is not None and self.check.warning:
            return self.check.warning
        far = self.distance is not None and self.distance > self.far_distance
        return "far" if far else None

    @property
    def warning_message(self) -> str | None:
        """One line saying why the genre should not be taken at its word; ``None`` if none."""
        if self.warning == "far":
            return far_message(self.distance, self.far_distance)
        return None if self.check is None else self.check.message

    @property
    def name(self) -> str:
        """File name of the song."""
        return Path(self.path).name

    @property
    def n_chunks(self) -> int:
        """Number of chunks classified."""
        return int(self.probabilities.shape[0])

    @property
    def mean_probabilities(self) -> np.ndarray:
        """Mean probability of each genre over the chunks, shape (n_classes,)."""
        return self.probabilities.mean(axis=0)

    @property
    def ranking(self) -> list[tuple[str, float]]:
        """Every genre with its mean probability, most likely first."""
        mean = self.mean_probabilities
        return [(self.class_names[k], float(mean[k])) for k in np.argsort(-mean, kind="stable")]

    @property
    def top3(self) -> list[tuple[str, float]]:
        """The three most likely genres by mean probability, with that probability."""
        return self.ranking[:3]

    @property
    def genre(self) -> str:
        """Predicted genre: the highest mean probability."""
        return self.ranking[0][0]

    @property
    def votes(self) -> np.ndarray:
        """Number of chunks whose most likely genre is each genre, shape (n_classes,)."""
        return np.bincount(self.probabilities.argmax(axis=1), minlength=len(self.class_names))

    @property
    def vote(self) -> str:
        """Majority vote of the chunk predictions (a tie goes to the higher mean probability)."""
        score = self.votes + 0.5 * self.mean_probabilities  # 0.5 * mean < 1: breaks ties only
        return self.class_names[int(score.argmax())]

    @property
    def max_probability(self) -> float:
        """Largest mean probability (the confidence of :attr:`genre`)."""
        return float(self.mean_probabilities.max())

    @property
    def entropy(self) -> float:
        """Entropy of the mean probabilities, in bits (0: certain; log2(n_classes): uniform)."""
        mean = self.mean_probabilities.astype(np.float64)
        mean = mean[mean > 0]
        return float(-(mean * np.log2(mean)).sum())

    def to_dict(self, chunks: bool = False) -> dict:
        """Plain-data summary (JSON output of ``genrelib predict``).

        Parameters
        ----------
        chunks : bool
            Also include ``chunk_starts`` and the per-chunk ``probabilities``.
        """
        summary = {
            "path": self.path,
            "ok": True,
            "duration": round(self.duration, 3),
            "analysed_seconds": round(self.analysed_seconds, 3),
            "chunk_seconds": self.chunk_seconds,
            "n_chunks": self.n_chunks,
            "padded": self.padded,
            "genre": self.genre,
            "top3": [{"genre": g, "probability": round(p, 4)} for g, p in self.top3],
            "vote": self.vote,
            "vote_share": round(float(self.votes.max()) / self.n_chunks, 4),
            "max_probability": round(self.max_probability, 4),
            "entropy_bits": round(self.entropy, 4),
            "warning": self.warning,
            "warning_message": self.warning_message,
            "distance": None if self.distance is None else round(self.distance, 2),
            "seconds": round(self.seconds, 3),
        }
        if chunks:
            summary["chunk_starts"] = self.chunk_starts.tolist()
            summary["probabilities"] = np.round(self.probabilities, 5).tolist()
        return summary


@dataclass
class PredictionFailure:
    """A song :func:`predict_songs` could not classify, and why.

    Notebook: 08_external_songs.

    Attributes
    ----------
    path : str
        The audio file.
    error : str
        The one-line message of the error (it names the file and the fix).
    kind : str
        Error type, e.g. ``"AudioDecodeError"`` or ``"TrackTooShortError"``.
    """

    path: str
    error: str
    kind: str
    ok: bool = field(default=False, init=False)

    @property
    def name(self) -> str:
        """File name of the song."""
        return Path(self.path).name

    def to_dict(self, chunks: bool = False) -> dict:
        """Plain-data summary (JSON output of ``genrelib predict``); ``chunks`` is ignored."""
        return {"path": self.path, "ok": False, "error": self.error, "kind": self.kind}


Model = tuple[nn.Module, dict]


def _check_parameters(trim_seconds: float | None, batch_size: int, short: str) -> None:
    if trim_seconds is not None and not trim_seconds > 0:
        raise ConfigError(f"trim_seconds must be None or positive, got {trim_seconds!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
    if short not in SHORT_POLICIES:
        raise ConfigError(f"short must be one of {SHORT_POLICIES}, got {short!r}")


def load_model(
    checkpoint_or_model: str | Path | Model | None = None, device: str = "auto"
) -> Model:
    """Return ``(model, meta)`` on ``device``, in eval mode, from a path or a loaded pair.

    A CRNN comes back as a copy fused for inference
    (:func:`genrelib.models.crnn.fuse_for_inference`: the same outputs, less work), so a
    model given keeps its batch norms; a model already fused is used as it is.

    Notebook: 08_external_songs.

    Parameters
    ----------
    checkpoint_or_model : str, Path, (nn.Module, dict) or None
        A ``best.pt``/``last.pt`` path, a probe file of ``genrelib probe fit`` (it answers
        in its collection's labels), or the pair :func:`genrelib.training.load_checkpoint`
        returns (so many songs share one loaded model); ``None``: the musicnn genre probe
        shipped with genrelib (:func:`genrelib.transfer.load_genre_probe`).
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ...

    Raises
    ------
    CheckpointError
        If the checkpoint is missing, corrupt, or does not describe its mel and chunk configs.
    DeviceUnavailableError
        If ``device`` names an accelerator this machine lacks.
    """
    target = resolve_device(device)
    if checkpoint_or_model is None:
        return load_genre_probe(device=str(target))
    if isinstance(checkpoint_or_model, (str, Path)) and is_probe_file(checkpoint_or_model):
        return load_genre_probe(device=str(target), path=checkpoint_or_model)
    if isinstance(checkpoint_or_model, (str, Path)):
        model, meta = load_checkpoint(checkpoint_or_model, device=target)
    else:
        try:
            model, meta = checkpoint_or_model
        except (TypeError, ValueError):
            raise ConfigError(
                "checkpoint_or_model must be a checkpoint path or a (model, meta) pair, got "
                f"{type(checkpoint_or_model).__name__}"
            ) from None
        model = model.to(target).eval()
    if not meta.get("mel_config") or not meta.get("chunk_config"):
        raise CheckpointError(
            "the checkpoint does not record the mel and chunk configs its model was trained "
            "on; retrain it with genrelib.training.train"
        )
    return fuse_for_inference(model), meta


def predict_chunks(
    chunks: np.ndarray,
    model: nn.Module,
    mel_config: MelConfig,
    batch_size: int = PREDICT_BATCH_SIZE,
    progress: bool = True,
    description: str = "chunks",
    precision: str = "auto",
) -> np.ndarray:
    """Genre probabilities of audio chunks: log-mel (torch backend) and forward passes in batches.

    Notebook: 08_external_songs.

    Parameters
    ----------
    chunks : np.ndarray, shape (n_chunks, chunk_samples)
        Mono audio at ``mel_config.sample_rate``.
    model : nn.Module
        Takes raw log-mel chunks ``(batch, 1, n_mels, n_frames)`` (a checkpoint's model,
        standardisation inside) and returns scores, or probabilities when it says
        ``outputs_probabilities``.
    mel_config : MelConfig
        The checkpoint's mel settings.
    batch_size : int
        Chunks per forward pass (bounds memory on long songs).
    progress : bool
        Show a progress bar over the chunks.
    description : str
        Label of the progress bar.
    precision : {"auto", "fp32", "bf16", "fp16"}
        The model device's fast path (``"auto"``: bf16 autocast and channels-last where
        the hardware has bf16, see :func:`genrelib.training.device.fast_path`) or ``"fp32"``.

    Returns
    -------
    np.ndarray, float32, shape (n_chunks, n_classes)
        Rows sum to 1.
    """
    device = next(model.parameters()).device
    path = fast_path(device, precision).activate()
    model = path.prepare(model)
    as_probabilities = bool(getattr(model, "outputs_probabilities", False))
    outputs = []
    with (
        torch.inference_mode(),
        tqdm(
            total=len(chunks), desc=description, unit="chunk", leave=False, disable=not progress
        ) as bar,
    ):
        for start in range(0, len(chunks), batch_size):
            batch = chunks[start : start + batch_size]
            spectrograms = torch.from_numpy(log_mel(batch, mel_config, device=device))
            with path.autocast():  # the model only: log-mel stays float32
                scores = model(path.inputs(spectrograms[:, None])).float()
            outputs.append((scores if as_probabilities else torch.softmax(scores, 1)).cpu())
            bar.update(len(batch))
    return torch.cat(outputs).numpy().astype(np.float32)


def _song_chunks(
    y: np.ndarray, chunk_config: ChunkConfig, short: str, source: str
) -> tuple[np.ndarray, bool]:
    """Chunks of a song under the short-song policy -> (chunks (n, chunk_samples), padded)."""
    size = chunk_config.chunk_samples
    if len(y) >= size:
        return chunk_song(
            y, chunk_config.chunk_seconds, chunk_config.sample_rate, source=source
        ), False
    seconds = len(y) / chunk_config.sample_rate
    if short == "error" or len(y) < MIN_PAD_FRACTION * size:
        least = "one" if short == "error" else f"{MIN_PAD_FRACTION:g} of a"
        raise TrackTooShortError(
            f"{source}: lasts {seconds:.2f} s, shorter than {least} "
            f"{chunk_config.chunk_seconds:g}-s chunk of this model; use a longer song or a "
            "model trained on shorter chunks"
        )
    return chunk_song(y, chunk_config.chunk_seconds, chunk_config.sample_rate, "pad", source), True


def predict_song(
    path: str | Path,
    checkpoint_or_model: str | Path | Model | None = None,
    trim_seconds: float | None = None,
    batch_size: int = PREDICT_BATCH_SIZE,
    device: str = "auto",
    short: Literal["pad", "error"] = "pad",
    progress: bool = True,
    precision: str = "auto",
    decoded: tuple[np.ndarray, int] | None = None,
) -> SongPrediction:
    """Predict the genre of a whole song of any length, format and sample rate.

    Notebook: 08_external_songs.

    Parameters
    ----------
    path : str or Path
        Audio file (WAV, AU, FLAC, Ogg, MP3, ...; mono or multichannel, any rate).
    checkpoint_or_model : str, Path, (nn.Module, dict) or None
        A checkpoint path, or the pair from :func:`load_model` /
        :func:`genrelib.training.load_checkpoint` (load once, predict many songs);
        ``None``: the shipped musicnn genre probe.
    trim_seconds : float or None
        Keep only the first ``trim_seconds`` of the song (the paper: 120); ``None`` keeps all.
    batch_size : int
        Chunks per forward pass.
    device : str
        ``"auto"`` (GPU if present), ``"cpu"``, ``"cuda"``, ...
    short : {"pad", "error"}
        Songs shorter than one chunk: ``"pad"`` zero-pads those at least
        :data:`MIN_PAD_FRACTION` of a chunk long and rejects shorter ones; ``"error"``
        rejects them all.
    progress : bool
        Show a progress bar over the chunks.
    precision : {"auto", "fp32", "bf16", "fp16"}
        The model device's fast path (:func:`genrelib.training.device.fast_path`; ``"auto"``:
        bf16 autocast and channels-last on a CPU with native bf16) or ``"fp32"``.
    decoded : (np.ndarray, int) or None
        ``path`` already decoded, as :func:`genrelib.audio.io.decode_audio` returns it (a
        :class:`~genrelib.audio.prefetch.SongReader` decodes it ahead); ``None``: decode here.

    Returns
    -------
    SongPrediction

    Raises
    ------
    AudioDecodeError
        If the file is missing, corrupt or not audio.
    TrackTooShortError
        If the song is too short for one chunk under ``short``.
    CheckpointError
        If the checkpoint cannot be used.
    ConfigError
        For an invalid parameter.
    """
    _check_parameters(trim_seconds, batch_size, short)
    started = time.perf_counter()
    distance = far_distance = None
    model, meta = load_model(checkpoint_or_model, device)
    chunk_config = ChunkConfig(**meta["chunk_config"])
    path = Path(path)
    mono, rate = decode_audio(path) if decoded is None else decoded
    y = resample(mono, rate, chunk_config.sample_rate)
    duration = len(y) / chunk_config.sample_rate
    if trim_seconds is not None:
        y = y[: int(round(trim_seconds * chunk_config.sample_rate))]
    if is_musicnn_input(meta):  # musicnn patches of the whole song's log-mel spectrogram
        patches, padded = song_patches(y, short, MIN_PAD_FRACTION, path.name)
        probabilities, features = patch_outputs(model, patches, batch_size, precision)
        distance, far_distance = song_novelty(model, features) or (None, None)
        n_chunks = len(patches)
    else:
        chunks, padded = _song_chunks(y, chunk_config, short, path.name)
        mel_config = MelConfig(**meta["mel_config"])
        probabilities = predict_chunks(
            chunks, model, mel_config, batch_size, progress, path.name, precision
        )
        n_chunks = len(chunks)
    covered = len(y) if padded else n_chunks * chunk_config.chunk_samples
    check = check_signal(y[:covered])
    return SongPrediction(
        path=str(path),
        duration=duration,
        analysed_seconds=covered / chunk_config.sample_rate,
        chunk_seconds=chunk_config.chunk_seconds,
        chunk_starts=np.arange(n_chunks) * chunk_config.chunk_samples / chunk_config.sample_rate,
        probabilities=probabilities,
        class_names=tuple(meta["class_names"]),
        padded=padded,
        seconds=time.perf_counter() - started,
        check=check,
        distance=distance,
        far_distance=far_distance,
    )


def predict_songs(
    paths: Sequence[str | Path],
    checkpoint: str | Path | Model | None = None,
    trim_seconds: float | None = None,
    batch_size: int = PREDICT_BATCH_SIZE,
    device: str = "auto",
    short: Literal["pad", "error"] = "pad",
    progress: bool = True,
    precision: str = "auto",
    reader: SongReader | None = None,
) -> list[SongPrediction | PredictionFailure]:
    """Predict many songs with one loaded model; a bad file is reported, never fatal.

    The next song decodes in a thread while the model runs on the current one
    (:class:`~genrelib.audio.prefetch.SongReader`), so memory holds at most two songs.

    Notebook: 08_external_songs.

    Parameters
    ----------
    paths : sequence of str or Path
        Audio files.
    checkpoint : str, Path, (nn.Module, dict) or None
        Loaded once for all songs; ``None``: the shipped musicnn genre probe.
    trim_seconds, batch_size, device, short, progress, precision
        As in :func:`predict_song` (``progress`` also shows a bar over the songs).
    reader : SongReader or None
        A reader of ``paths`` already decoding (``genrelib predict`` starts it before
        importing torch); ``None``: one is made here.

    Returns
    -------
    list of SongPrediction or PredictionFailure
        One entry per path, in order; ``entry.ok`` tells which. A corrupt, unreadable or
        too-short file gives a :class:`PredictionFailure` naming it, with the error's message.

    Raises
    ------
    CheckpointError, ConfigError, DeviceUnavailableError
        Problems that concern every song (raised before any is decoded).
    """
    _check_parameters(trim_seconds, batch_size, short)
    if reader is not None and reader.paths != [Path(path) for path in paths]:
        raise ConfigError("predict_songs: the reader must read the given paths, in order")
    model = load_model(checkpoint, device)
    results: list[SongPrediction | PredictionFailure] = []
    songs = tqdm(paths, desc="songs", unit="song", disable=not progress or len(paths) < 2)
    with reader or SongReader(paths) as songs_ahead:
        for index, path in enumerate(songs):
            started = time.perf_counter()
            try:
                decoded = songs_ahead.read(index)
                waited = time.perf_counter() - started
                result = predict_song(
                    path,
                    model,
                    trim_seconds,
                    batch_size,
                    device,
                    short,
                    progress,
                    precision,
                    decoded,
                )
                results.append(replace(result, seconds=waited + result.seconds))
            except SONG_ERRORS as error:
                results.append(PredictionFailure(str(path), str(error), type(error).__name__))
    return results


def expected_genre(path: str | Path, expected: Mapping[str, str]) -> str:
    """The expected genre of a song from a table keyed by file-name stem, or ``"unknown"``.

    A key matches a file whose name starts with it (``Vibe_Ace`` matches ``Vibe_Ace.hq.ogg``);
    the longest matching key wins.

    Notebook: 08_external_songs.
    """
    name = Path(path).name
    keys = [key for key in expected if name.startswith(key)]
    return expected[max(keys, key=len)] if keys else "unknown"


def prediction_table(
    results: Sequence[SongPrediction | PredictionFailure],
    expected: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One tidy row per song: prediction, top-3, vote, confidence, expected genre, timing.

    Notebook: 08_external_songs.

    Parameters
    ----------
    results : sequence of SongPrediction or PredictionFailure
        Output of :func:`predict_songs`.
    expected : mapping of str to str, optional
        Expected genre text per file-name stem (see :func:`expected_genre`), e.g.
        ``"jazz / blues (trumpet loop)"``. A prediction *agrees* when its genre is a word
        of that text; a text naming none of the model's genres gives ``agrees = None``.

    Returns
    -------
    pd.DataFrame
        ``song``, ``ok``, ``duration`` (s), ``n_chunks``, ``predicted``, ``probability``,
        ``second``, ``second_probability``, ``third``, ``third_probability``, ``vote``,
        ``vote_share``, ``max_probability``, ``entropy_bits``, ``seconds``, ``expected``,
        ``agrees`` and ``error`` (for files that failed).
    """
    import pandas as pd  # the book's table: predicting a song does not need pandas

    expected = dict(expected or {})
    rows = []
    for result in results:
        wanted = expected_genre(result.path, expected)
        row = {"song": result.name, "ok": result.ok, "expected": wanted, "error": ""}
        if result.ok:
            (first, p1), (second, p2), (third, p3) = result.top3
            named = set(re.findall(r"[a-z]+", wanted.lower()))
            named &= set(result.class_names)
            row.update(
                duration=result.duration,
                n_chunks=result.n_chunks,
                predicted=first,
                probability=p1,
                second=second,
                second_probability=p2,
                third=third,
                third_probability=p3,
                vote=result.vote,
                vote_share=float(result.votes.max()) / result.n_chunks,
                max_probability=result.max_probability,
                entropy_bits=result.entropy,
                seconds=result.seconds,
                agrees=(first in named) if named else None,
            )
        else:
            row["error"] = result.error
        rows.append(row)
    return pd.DataFrame(rows)


def song_excerpt(
    path: str | Path,
    start: float | None = None,
    seconds: float = 10.0,
    sample_rate: int = 11_025,
) -> np.ndarray:
    """A short mono excerpt of a song for an audio player (light pages: low rate, few seconds).

    Notebook: 08_external_songs.

    Parameters
    ----------
    path : str or Path
        Audio file.
    start : float or None
        Start of the excerpt, in seconds; ``None`` centres it in the song.
    seconds : float
        Length of the excerpt, in seconds (shorter if the song is).
    sample_rate : int
        Rate of the returned signal, in Hz.

    Returns
    -------
    np.ndarray, float32, shape (n_samples,)
    """
    if not seconds > 0:
        raise ConfigError(f"song_excerpt: seconds must be positive, got {seconds!r}")
    y = load_audio(path, sample_rate=sample_rate)
    size = int(round(seconds * sample_rate))
    first = (len(y) - size) // 2 if start is None else int(round(start * sample_rate))
    first = min(max(first, 0), max(len(y) - size, 0))
    return y[first : first + size]


def list_songs(folder: str | Path) -> list[Path]:
    """Audio files directly inside ``folder`` (by extension), sorted by name.

    Notebook: 08_external_songs.

    Raises
    ------
    DatasetNotFoundError
        If ``folder`` is not a folder or holds no audio file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetNotFoundError(f"{folder}: not a folder; pass the folder holding your songs")
    songs = sorted(p for p in folder.iterdir() if p.suffix.lower() in SONG_EXTENSIONS)
    if not songs:
        raise DatasetNotFoundError(
            f"{folder}: no audio file ({', '.join(SONG_EXTENSIONS)}); add songs or pass "
            "another folder"
        )
    return songs


def write_synthetic_song(
    path: str | Path,
    genres: Sequence[str] = ("classical", "metal"),
    seconds_each: float = 15.0,
    seed: int = 0,
) -> Path:
    """Write a SYNTHETIC "song" whose genre changes: one synthetic clip per genre, back to back.

    Used when no real song is at hand, and to check that a timeline follows a change.

    Notebook: 08_external_songs.

    Parameters
    ----------
    path : str or Path
        WAV file to write (22,050 Hz mono, 16-bit), atomically.
    genres : sequence of str
        Genres of the successive parts (names from :data:`genrelib.config.GENRES`).
    seconds_each : float
        Length of each part, in seconds.
    seed : int
        Seed of the synthetic clips.

    Returns
    -------
    Path
    """
    unknown = [g for g in genres if g not in GENRES]
    if unknown or not genres:
        raise ConfigError(f"write_synthetic_song: genres must be among {GENRES}, got {genres!r}")
    if not seconds_each > 0:
        raise ConfigError(f"write_synthetic_song: seconds_each must be > 0, got {seconds_each!r}")
    from genrelib.data.synthetic import synthesize_clip

    y = np.concatenate(
        [synthesize_clip(g, k, seconds_each, seed=seed) for k, g in enumerate(genres)]
    )
    return atomic_write(
        path, lambda handle: soundfile.write(handle, y, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    )

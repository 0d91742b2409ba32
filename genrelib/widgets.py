"""Interactive widgets for JupyterLab, each with a static twin for the rendered book.

* :func:`explore_dataset`: pick a genre and a clip, hear it, see its waveform and its
  mel spectrogram (Table II or the authors' code) and, given a checkpoint, the model's
  genre probabilities for every chunk.
* :func:`try_your_song`: upload a song (or give its path), get the top three genres
  and the probability timeline of a trained model.

Chapters pass their ``interactive`` parameter: ``True`` returns ipywidgets, ``False`` a
:class:`StaticView` of the same figures and audio players, which a saved notebook and the
static book show without a kernel. Its default ``None`` asks :func:`live_frontend`: a
Jupyter server (JupyterLab, Notebook) names the session of every kernel it starts in
``$JPY_SESSION_NAME``, papermill does not, so a plain papermill run saves the static views
instead of a widget's text. Every figure is built by the same function in both modes, so
the tests need no browser.

Notebook: 01_dataset, 08_external_songs.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets
import librosa
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import soundfile
from IPython.display import Audio, Markdown, display
from torch import nn

from genrelib import predict
from genrelib.audio import chunk_song, load_audio
from genrelib.config import GENRES, PREDICT_BATCH_SIZE, SAMPLE_RATE, MelConfig, class_order
from genrelib.errors import ConfigError, GenrelibError
from genrelib.input_checks import InputCheck, check_signal
from genrelib.models.musicnn import PATCH_SECONDS
from genrelib.plots.explore import plot_clip, plot_genre_timeline
from genrelib.predict import Model
from genrelib.transfer import is_musicnn_input, patch_outputs, song_novelty, song_patches
from genrelib.transfer.novelty import far_message

MEL_CHOICES: tuple[tuple[str, str], ...] = (
    ("Table II (paper)", "paper"),
    ("authors' code", "authors_code"),
)
"""Labels and :meth:`MelConfig.named` presets of the explorer's spectrogram toggle."""

STATIC_EXCERPT_SECONDS = 5.0
"""Length of the audio embedded per clip in the static book (keeps pages light)."""

_TRACK_COLUMNS = ("path", "genre", "track_id", "artist")


# --- model side: probabilities of every chunk of a signal -------------------------------


DEFAULT_MODEL = "genrelib:musicnn-genre-probe"
"""Stands for the best model available without training: the musicnn genre probe shipped
with genrelib (:func:`genrelib.transfer.load_genre_probe`)."""


@lru_cache(maxsize=4)
def _cached_checkpoint(path: str, modified: float) -> Model:
    return predict.load_model(None if path == DEFAULT_MODEL else path, device="cpu")


def load_model(checkpoint: str | Path | None = DEFAULT_MODEL) -> Model:
    """Load a checkpoint once per file version (a retrained file is read again).

    A cached wrapper of :func:`genrelib.predict.load_model` (on the CPU), so moving
    through the explorer does not re-read the same file. ``None`` or
    :data:`DEFAULT_MODEL`: the shipped musicnn genre probe.

    Notebook: 01_dataset, 08_external_songs.

    Raises
    ------
    CheckpointError
        If the file is missing, corrupt or not a genrelib checkpoint.
    """
    if checkpoint is None or str(checkpoint) == DEFAULT_MODEL:
        return _cached_checkpoint(DEFAULT_MODEL, 0.0)
    path = Path(checkpoint).resolve()
    modified = path.stat().st_mtime if path.is_file() else 0.0
    return _cached_checkpoint(str(path), modified)


def chunk_probabilities(
    y: np.ndarray, model: nn.Module, meta: dict, batch_size: int = PREDICT_BATCH_SIZE
) -> tuple[np.ndarray, float, tuple[float, float] | None]:
    """Genre probabilities of each consecutive chunk of a signal, as the checkpoint was trained.

    The chunk length and the mel settings come from the checkpoint (``meta``), so the
    model sees exactly the kind of input it was trained on; :func:`genrelib.predict.predict_chunks`
    does the log-mel and forward passes. A signal shorter than one chunk is zero-padded
    to one chunk.

    Notebook: 01_dataset, 08_external_songs.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at the checkpoint's sample rate (22,050 Hz).
    model, meta
        Output of :func:`load_model` (or :func:`genrelib.training.load_checkpoint`).
    batch_size : int
        Chunks per forward pass (bounds memory on long songs).

    Returns
    -------
    probabilities : np.ndarray, float32, shape (n_chunks, n_classes)
        Rows sum to 1.
    chunk_seconds : float
        Length of one chunk, in seconds.
    novelty : (float, float) or None
        A probe's distance of the signal to its nearest class and its threshold
        (:func:`genrelib.transfer.song_novelty`); ``None`` for a model without the rule.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    if is_musicnn_input(meta):  # musicnn models: 16 kHz patches of the whole signal
        y16 = librosa.resample(np.asarray(y, np.float32), orig_sr=SAMPLE_RATE, target_sr=16_000)
        patches, _ = song_patches(y16, "pad", predict.MIN_PAD_FRACTION)
        probabilities, features = patch_outputs(model, patches, batch_size)
        return probabilities, PATCH_SECONDS, song_novelty(model, features)
    mel_config = MelConfig(**meta["mel_config"])
    chunk_seconds = float(meta["chunk_config"]["chunk_seconds"])
    chunks = chunk_song(y, chunk_seconds, mel_config.sample_rate, short="pad")
    probabilities = predict.predict_chunks(chunks, model, mel_config, batch_size, progress=False)
    return probabilities, chunk_seconds, None


def top_genres(probabilities: np.ndarray, class_names: Sequence[str], k: int = 3) -> pd.DataFrame:
    """The ``k`` most likely genres of a song, by mean chunk probability.

    Notebook: 08_external_songs.

    Returns
    -------
    pandas.DataFrame
        ``k`` rows, most likely first: ``genre``, ``probability`` (mean over chunks),
        ``share_of_chunks`` (fraction of chunks whose top genre it is).
    """
    probabilities = np.asarray(probabilities)
    mean = probabilities.mean(axis=0)
    votes = np.bincount(probabilities.argmax(axis=1), minlength=len(class_names))
    order = np.argsort(mean)[::-1][:k]
    return pd.DataFrame(
        {
            "genre": [class_names[i] for i in order],
            "probability": mean[order],
            "share_of_chunks": votes[order] / len(probabilities),
        }
    )


# --- what is shown for one clip or song ----------------------------------------------


@dataclass
class ClipView:
    """Everything shown for one clip or song: a playable excerpt and figures.

    Notebook: 01_dataset, 08_external_songs.

    Attributes
    ----------
    heading : str
        Markdown line above the player.
    excerpt : np.ndarray, shape (n_samples,)
        The audio the player plays, at ``sample_rate``.
    sample_rate : int
        In Hz.
    figures : list of Figure
        Waveform and spectrograms, then the genre timeline when a model was given.
    probabilities : np.ndarray, shape (n_chunks, n_classes), or None
        The model's chunk probabilities, when a model was given.
    top : pandas.DataFrame or None
        :func:`top_genres` of ``probabilities``.
    check : InputCheck or None
        Level and flatness of the clip when a model was given
        (:func:`genrelib.input_checks.check_signal`): silence and noise get its message
        instead of the top genres.
    novelty : (float, float) or None
        A probe's distance of the clip to its nearest class and its threshold: a clip
        beyond it gets the "far" line above its top genres.
    """

    heading: str
    excerpt: np.ndarray
    sample_rate: int
    figures: list[plt.Figure] = field(default_factory=list)
    probabilities: np.ndarray | None = None
    top: pd.DataFrame | None = None
    check: InputCheck | None = None
    novelty: tuple[float, float] | None = None

    @property
    def warning(self) -> str | None:
        """Why the top genres should not be taken at their word (one line), or ``None``."""
        if self.check is not None and self.check.warning:
            return self.check.message
        return None if self.novelty is None else far_message(*self.novelty)

    @property
    def verdict(self) -> str | None:
        """Markdown of the model's answer: the top genres, or why there is none, or both."""
        if self.check is not None and self.check.warning:
            return f"**{self.check.message}**"
        if self.top is None:
            return None
        answer = f"Most likely: {_top_line(self.top)}"
        return answer if self.warning is None else f"**{self.warning}**\n\n{answer}"


def _excerpt_bounds(n_samples: int, offset: float, seconds: float | None) -> tuple[float, float]:
    duration = n_samples / SAMPLE_RATE
    start = min(max(offset, 0.0), max(duration - (seconds or 0.0), 0.0))
    stop = duration if seconds is None else min(start + seconds, duration)
    return start, stop


def _top_line(top: pd.DataFrame) -> str:
    return ", ".join(f"**{row.genre}** {row.probability:.0%}" for row in top.itertuples())


def clip_view(
    y: np.ndarray,
    heading: str,
    mel_configs: Sequence[MelConfig],
    checkpoint: str | Path | None = None,
    excerpt_offset: float = 0.0,
    excerpt_seconds: float | None = STATIC_EXCERPT_SECONDS,
    title: str = "",
) -> ClipView:
    """Build the player excerpt and the figures of one signal.

    Notebook: 01_dataset, 08_external_songs.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono signal at 22,050 Hz.
    heading : str
        Markdown line shown above the player.
    mel_configs : sequence of MelConfig
        One spectrogram panel per config.
    checkpoint : str or Path, optional
        A trained model; adds its genre timeline and top-3 genres.
    excerpt_offset, excerpt_seconds : float
        Start and length of the played excerpt, in seconds (``None``: to the end).
    title : str
        Title of the waveform figure.
    """
    start, stop = _excerpt_bounds(len(y), excerpt_offset, excerpt_seconds)
    excerpt = y[int(start * SAMPLE_RATE) : int(stop * SAMPLE_RATE)]
    shaded = (start, stop) if stop - start < len(y) / SAMPLE_RATE else None
    figures = [plot_clip(y, mel_configs, excerpt=shaded, title=title)]
    plt.close(figures[0])  # shown where the view is displayed, not again by the inline backend
    probabilities = top = check = novelty = None
    if checkpoint is not None:
        check = check_signal(y)
        model, meta = load_model(checkpoint)
        probabilities, chunk_seconds, novelty = chunk_probabilities(y, model, meta)
        names = list(meta.get("class_names") or GENRES)
        top = top_genres(probabilities, names)
        figure = plot_genre_timeline(
            probabilities, chunk_seconds, names, title=f"{meta['model_name']}: {title}"
        )
        plt.close(figure)
        figures.append(figure)
    return ClipView(heading, excerpt, SAMPLE_RATE, figures, probabilities, top, check, novelty)


@dataclass
class StaticView:
    """Clips or songs shown as plain outputs: a heading, an audio player and figures each.

    This is what the static book shows where JupyterLab shows a widget.

    Notebook: 01_dataset, 08_external_songs.
    """

    views: list[ClipView]

    @property
    def figures(self) -> list[plt.Figure]:
        """Every figure of every view, in display order."""
        return [figure for view in self.views for figure in view.figures]

    def _ipython_display_(self) -> None:
        for view in self.views:
            display(Markdown(view.heading))
            display(Audio(view.excerpt, rate=view.sample_rate, normalize=True))
            if view.verdict is not None:
                display(Markdown(view.verdict))
            for figure in view.figures:
                display(figure)


def _wav_bytes(y: np.ndarray, sample_rate: int) -> bytes:
    """16-bit WAV file holding ``y``, peak-normalised, for an ``ipywidgets.Audio`` player."""
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    buffer = io.BytesIO()
    soundfile.write(
        buffer, y / peak if peak > 0 else y, sample_rate, format="WAV", subtype="PCM_16"
    )
    return buffer.getvalue()


def _png_bytes(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def _show(view: ClipView, player: widgets.Audio, images: widgets.VBox) -> None:
    """Put a view into a player and a column of image widgets (headless-safe)."""
    player.value = _wav_bytes(view.excerpt, view.sample_rate)
    images.children = [widgets.Image(value=_png_bytes(f), format="png") for f in view.figures]


def _check_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in _TRACK_COLUMNS if column not in tracks.columns]
    if missing:
        raise ConfigError(
            f"tracks table lacks columns {missing}; pass the table of genrelib.data.index_gtzan"
        )
    if tracks.empty:
        raise ConfigError("tracks table is empty; index a GTZAN folder with index_gtzan first")
    return tracks


def _mel_configs(mel: str | Sequence[str]) -> list[MelConfig]:
    names = [mel] if isinstance(mel, str) else list(mel)
    return [MelConfig.named(name) for name in names]


def _clip_heading(row: pd.Series) -> str:
    who = f"{row['artist']}, *{row['title']}*" if row.get("title") else row["artist"]
    return f"**{row['genre']}**: `{row['track_id']}`" + (f" ({who})" if who else "")


@lru_cache(maxsize=8)
def _cached_audio(path: str) -> np.ndarray:
    return load_audio(path)


# --- the dataset explorer ------------------------------------------------------------


class DatasetExplorer:
    """Pick a genre and a clip; hear it and see its waveform, mel spectrogram and predictions.

    Notebook: 01_dataset.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Table of :func:`genrelib.data.index_gtzan`.
    checkpoint : str or Path, optional
        Trained model whose chunk probabilities are shown as a heat map.
    mel : {"paper", "authors_code"}
        Spectrogram shown first (a toggle switches it).
    label : str
        Shown in figure titles, e.g. ``"synthetic"``.

    Attributes
    ----------
    genre, clip : ipywidgets.Dropdown
        The genre, and the clip (track id) among that genre's clips.
    mel : ipywidgets.ToggleButtons
        The mel preset.
    player : ipywidgets.Audio
        The whole clip.
    images : ipywidgets.VBox
        One Image widget per figure of :attr:`view`.
    message : ipywidgets.HTML
        Heading of the clip, or the reason it cannot be shown.
    view : ClipView or None
        What is shown now.
    widget : ipywidgets.VBox
        The whole explorer.
    """

    def __init__(
        self,
        tracks: pd.DataFrame,
        checkpoint: str | Path | None = None,
        mel: str = "paper",
        label: str = "",
    ) -> None:
        self.tracks = _check_tracks(tracks).set_index("track_id", drop=False)
        self.checkpoint = checkpoint
        self.label = label
        if checkpoint is not None:
            load_model(checkpoint)  # a bad checkpoint fails here, with its message
        present = set(self.tracks["genre"])
        genres = [name for name in class_order(present) if name in present]
        self.genre = widgets.Dropdown(options=genres, description="genre")
        self.clip = widgets.Dropdown(description="clip")
        self.mel = widgets.ToggleButtons(
            options=list(MEL_CHOICES), value=_mel_configs(mel)[0].name, description="mel"
        )
        self.player = widgets.Audio(format="wav", autoplay=False, loop=False)
        self.images = widgets.VBox()
        self.message = widgets.HTML()
        self.view: ClipView | None = None
        self.genre.observe(self._genre_changed, names="value")
        self.clip.observe(self._refresh, names="value")
        self.mel.observe(self._refresh, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.genre, self.clip]),
                self.mel,
                self.message,
                self.player,
                self.images,
            ]
        )
        self._genre_changed()

    def _genre_changed(self, _change: dict | None = None) -> None:
        rows = self.tracks[self.tracks["genre"] == self.genre.value]
        labels = (
            f"{tid} {artist}".strip() for tid, artist in zip(rows.index, rows.artist, strict=True)
        )
        self.clip.unobserve(self._refresh, names="value")
        self.clip.options = list(zip(labels, rows.index, strict=True))
        self.clip.value = rows.index[0]
        self.clip.observe(self._refresh, names="value")
        self._refresh()

    def _refresh(self, _change: dict | None = None) -> None:
        if self.clip.value is None:
            return
        row = self.tracks.loc[self.clip.value]
        try:
            y = _cached_audio(row["path"])
            self.view = clip_view(
                y,
                _clip_heading(row),
                _mel_configs(self.mel.value),
                checkpoint=self.checkpoint,
                excerpt_seconds=None,
                title=f"{row['track_id']}" + (f" ({self.label})" if self.label else ""),
            )
        except GenrelibError as error:
            self.view = None
            self.message.value = f"<b>cannot show {row['track_id']}</b>: {error}"
            self.images.children = []
            return
        heading = self.view.heading
        if self.view.top is not None:
            heading += f"<br>Most likely: {_top_line(self.view.top)}"
        self.message.value = _markdown_to_html(heading)
        _show(self.view, self.player, self.images)

    def _ipython_display_(self) -> None:
        display(self.widget)


def _markdown_to_html(text: str) -> str:
    """The little Markdown our headings use (bold, italics, code) as HTML."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


SESSION_ENV = "JPY_SESSION_NAME"
"""Set by a Jupyter server in every kernel it starts (the notebook's path), not by papermill."""


def live_frontend() -> bool:
    """Whether a Jupyter server started this kernel, so that a person sees its widgets.

    Notebook: 01_dataset, 08_external_songs (``interactive=None``).
    """
    return bool(os.environ.get(SESSION_ENV))


def explore_dataset(
    tracks: pd.DataFrame,
    interactive: bool | None = None,
    checkpoint: str | Path | None = None,
    clips: Sequence[str] | None = None,
    label: str = "",
) -> DatasetExplorer | StaticView:
    """The dataset explorer, or its static equivalent for the rendered book.

    Notebook: 01_dataset.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Table of :func:`genrelib.data.index_gtzan`.
    interactive : bool or None
        ``True`` (JupyterLab): a :class:`DatasetExplorer`. ``False`` (papermill, the
        book): a :class:`StaticView` of ``clips``, each with a
        :data:`STATIC_EXCERPT_SECONDS` player and both mel spectrograms. ``None``:
        :func:`live_frontend`.
    checkpoint : str or Path, optional
        Trained model; adds the chunk probabilities heat map.
    clips : sequence of str, optional
        Track ids for the static view (default: the first clip of three contrasting
        genres present: classical, metal, hiphop, or the first three genres).
    label : str
        Shown in figure titles, e.g. ``"synthetic"``.
    """
    if live_frontend() if interactive is None else interactive:
        return DatasetExplorer(tracks, checkpoint=checkpoint, label=label)
    tracks = _check_tracks(tracks).set_index("track_id", drop=False)
    if clips is None:
        present = list(dict.fromkeys(tracks["genre"]))
        chosen = [g for g in ("classical", "metal", "hiphop") if g in present] or present[:3]
        clips = [tracks.index[tracks["genre"] == g][0] for g in chosen]
    unknown = [clip for clip in clips if clip not in tracks.index]
    if unknown:
        raise ConfigError(f"clips {unknown} are not in the tracks table; use its track_id values")
    suffix = f" ({label})" if label else ""
    views = []
    for track_id in clips:
        row = tracks.loc[track_id]
        y = _cached_audio(row["path"])
        views.append(
            clip_view(
                y,
                _clip_heading(row),
                _mel_configs(["paper", "authors_code"]),
                checkpoint=checkpoint,
                excerpt_offset=min(10.0, len(y) / SAMPLE_RATE / 3),
                title=f"{track_id}{suffix}",
            )
        )
    return StaticView(views)


# --- try your own song ---------------------------------------------------------------


def song_view(
    path: str | Path, checkpoint: str | Path | None = DEFAULT_MODEL, label: str = ""
) -> ClipView:
    """Decode a song of any length and show the model's top genres and timeline.

    Notebook: 08_external_songs.

    Parameters
    ----------
    path : str or Path
        Audio file (WAV, FLAC, Ogg, MP3, ...), any length and sample rate.
    checkpoint : str, Path or None
        Trained model (``best.pt``); ``None`` or :data:`DEFAULT_MODEL`: the shipped musicnn
        genre probe, the best model available without training.
    label : str
        Name shown for the song (default: the file name).

    Raises
    ------
    AudioDecodeError
        If the file cannot be decoded.
    CheckpointError
        If the checkpoint cannot be used.
    """
    path = Path(path)
    name = label or path.name
    y = load_audio(path)
    duration = len(y) / SAMPLE_RATE
    return clip_view(
        y,
        f"**{name}** ({duration:.0f} s)",
        _mel_configs("paper"),
        checkpoint=DEFAULT_MODEL if checkpoint is None else checkpoint,
        excerpt_offset=min(30.0, duration / 3),
        title=name,
    )


class SongPredictor:
    """Upload a song or type its path, press Predict: top-3 genres and a probability timeline.

    Notebook: 08_external_songs.

    Parameters
    ----------
    checkpoint : str or Path
        Trained model (``best.pt``); ``None`` or :data:`DEFAULT_MODEL`: the shipped musicnn probe.

    Attributes
    ----------
    upload : ipywidgets.FileUpload
        One audio file.
    path : ipywidgets.Text
        Or a path on this machine.
    button : ipywidgets.Button
        Runs :meth:`predict_current`: the typed path, else the last upload (an upload also
        runs at once).
    message : ipywidgets.HTML
        Top-3 genres, or the reason the song cannot be classified.
    player : ipywidgets.Audio
        An excerpt of the song.
    images : ipywidgets.VBox
        The figures of :attr:`view`.
    view : ClipView or None
        The last prediction.
    uploaded : tuple of (str, bytes) or None
        Name and bytes of the last uploaded file.
    widget : ipywidgets.VBox
        The whole tool.
    """

    def __init__(self, checkpoint: str | Path | None = DEFAULT_MODEL) -> None:
        load_model(checkpoint)  # a bad checkpoint fails here, with its message
        self.checkpoint = checkpoint
        self.upload = widgets.FileUpload(
            accept="audio/*,.wav,.au,.flac,.ogg,.mp3", multiple=False, description="Upload"
        )
        self.path = widgets.Text(placeholder="/path/to/song.mp3", description="or path")
        self.button = widgets.Button(description="Predict", button_style="primary")
        self.message = widgets.HTML()
        self.player = widgets.Audio(format="wav", autoplay=False, loop=False)
        self.images = widgets.VBox()
        self.view: ClipView | None = None
        self.uploaded: tuple[str, bytes] | None = None
        self.upload.observe(self._uploaded, names="value")
        self.button.on_click(lambda _button: self.predict_current())
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.upload, self.path, self.button]),
                self.message,
                self.player,
                self.images,
            ]
        )

    def _clear(self, message: str) -> None:
        """Show ``message`` alone: no earlier player or figure stays beside it."""
        self.view = None
        self.message.value = message
        self.images.children = []
        self.player.value = b""
        self.player.layout.display = "none"

    def predict_current(self) -> ClipView | None:
        """What *Predict* does: the typed path, else the last uploaded song, else a hint."""
        if str(self.path.value).strip():
            return self.predict_path(self.path.value)
        if self.uploaded is not None:
            return self.predict_upload(*self.uploaded)
        self._clear("Give the path of an audio file, or upload one.")
        return None

    def predict_upload(self, name: str, content: bytes) -> ClipView | None:
        """Classify an uploaded file (``name`` as uploaded, ``content`` its bytes)."""
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / f"upload{Path(name).suffix}"
            target.write_bytes(content)
            return self.predict_path(target, label=name)

    def predict_path(self, path: str | Path, label: str = "") -> ClipView | None:
        """Classify the song at ``path`` and show the result (or why it failed).

        Each try replaces what the last one showed: after a failure no earlier player or
        figure stays on screen.
        """
        if not str(path).strip():
            self._clear("Give the path of an audio file, or upload one.")
            return None
        self.message.value = f"Classifying {label or Path(path).name} ..."
        try:
            self.view = song_view(Path(str(path).strip()).expanduser(), self.checkpoint, label)
        except GenrelibError as error:
            self._clear(f"<b>cannot classify this song</b>: {error}")
            return None
        warning = f"<p><b>{self.view.warning}</b></p>" if self.view.warning else ""
        if self.view.check is not None and self.view.check.warning:
            answer = warning
        else:
            answer = warning + "<ol>{}</ol>".format(
                "".join(
                    f"<li><b>{row.genre}</b>: {row.probability:.0%} (top genre of "
                    f"{row.share_of_chunks:.0%} of the chunks)</li>"
                    for row in self.view.top.itertuples()
                )
            )
        self.message.value = f"{_markdown_to_html(self.view.heading)}{answer}"
        _show(self.view, self.player, self.images)
        self.player.layout.display = None
        return self.view

    def _uploaded(self, change: dict) -> None:
        if not change["new"]:
            return
        upload = change["new"][0]
        self.uploaded = (upload["name"], bytes(upload["content"]))
        self.path.value = ""  # the upload is what Predict classifies again
        self.predict_upload(*self.uploaded)

    def _ipython_display_(self) -> None:
        display(self.widget)


def try_your_song(
    checkpoint: str | Path | None = DEFAULT_MODEL,
    interactive: bool | None = None,
    songs: Sequence[str | Path] = (),
) -> SongPredictor | StaticView:
    """ "Try your own song", or its static equivalent for the rendered book.

    Notebook: 08_external_songs.

    Parameters
    ----------
    checkpoint : str, Path or None
        Trained model (``best.pt``); ``None`` or :data:`DEFAULT_MODEL` (the default): the
        shipped musicnn genre probe, the best model available without training.
    interactive : bool or None
        ``True`` (JupyterLab): a :class:`SongPredictor`. ``False`` (papermill, the
        book): a :class:`StaticView` of ``songs`` (player, top-3, timeline each).
        ``None``: :func:`live_frontend`.
    songs : sequence of paths
        Songs for the static view.
    """
    if live_frontend() if interactive is None else interactive:
        return SongPredictor(checkpoint)
    if not songs:
        raise ConfigError("try_your_song(interactive=False) needs songs=[...] to show")
    return StaticView([song_view(song, checkpoint) for song in songs])

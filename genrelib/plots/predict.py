"""Figures of whole-song predictions: genre probabilities along each song, and confidence.

Every figure colours a genre the same way (seaborn's ``tab10`` in class order), so the
songs can be compared at a glance.

Notebook: 08_external_songs.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from genrelib.config import GENRES
from genrelib.errors import ConfigError
from genrelib.predict import SongPrediction


def genre_colors(class_names: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One fixed colour per genre, in class order.

    Notebook: 08_external_songs.
    """
    return dict(zip(class_names, sns.color_palette("tab10", len(class_names)), strict=True))


def plot_probability_timelines(
    predictions: Sequence[SongPrediction],
    labels: Sequence[str] | None = None,
    title: str = "",
    max_label: int = 48,
) -> plt.Figure:
    """Stacked genre probabilities of every chunk along each song, one panel per song.

    Notebook: 08_external_songs.

    Parameters
    ----------
    predictions : sequence of SongPrediction
        Songs to show (all from one model, so the same genres).
    labels : sequence of str, optional
        Panel titles (default: the file names, cut to ``max_label`` characters).
    title : str
        Figure title (say here when the model or the songs are synthetic).
    max_label : int
        Longest panel title, in characters.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel: time in the song (s) against probability; at each time the coloured
        bands stack the ten genre probabilities of the chunk playing then (they sum to 1).
    """
    if not predictions:
        raise ConfigError("plot_probability_timelines: give at least one SongPrediction")
    names = predictions[0].class_names
    colors = genre_colors(names)
    labels = list(labels) if labels is not None else [p.name for p in predictions]
    n = len(predictions)
    columns = 1 if n == 1 else 2
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(5.2 * columns if n > 1 else 9, 1.9 * rows + 0.9),
        squeeze=False,
        sharey=True,
    )
    for ax, prediction, label in zip(axes.flat, predictions, labels, strict=False):
        step = prediction.chunk_starts[1] if prediction.n_chunks > 1 else prediction.chunk_seconds
        edges = np.append(prediction.chunk_starts, prediction.chunk_starts[-1] + step)
        stacked = np.vstack([prediction.probabilities, prediction.probabilities[-1:]]).T
        ax.stackplot(edges, stacked, colors=[colors[g] for g in names], step="post", lw=0)
        short = label if len(label) <= max_label else label[: max_label - 1] + "…"
        ax.set_title(
            f"{short}\nmean: {prediction.genre} {prediction.max_probability:.0%}", fontsize=9
        )
        ax.set(xlim=(0, edges[-1]), ylim=(0, 1))
        ax.set_xlabel("time in the song (s)", fontsize=8)
        ax.set_ylabel("probability", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[g]) for g in names]
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06 if rows > 1 else 0.1, 1, 1))
    return fig


def plot_song_confidence(
    table: pd.DataFrame, group: str = "group", label: str = "song", title: str = ""
) -> plt.Axes:
    """Largest mean probability against entropy of the mean probabilities, one point per song.

    A confident prediction sits top left (high probability, low entropy); a model that
    cannot decide sits bottom right. Out-of-distribution inputs are *not* guaranteed to
    land there: a softmax can be confidently wrong.

    Notebook: 08_external_songs.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.predict.prediction_table` rows (``ok`` ones are drawn), with
        ``song``, ``max_probability``, ``entropy_bits`` and a ``group`` column (e.g.
        ``"expected genre known"`` / ``"out of distribution"``).
    group : str
        Column that colours the points.
    label : str
        Column of the text written beside each point (first 22 characters).
    title : str
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rows = table[table["ok"]] if "ok" in table else table
    if rows.empty:
        raise ConfigError("plot_song_confidence: no successful prediction to draw")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    sns.scatterplot(
        data=rows, x="entropy_bits", y="max_probability", hue=group, style=group, s=70, ax=ax
    )
    for row in rows.itertuples():
        ax.annotate(
            str(getattr(row, label))[:22],
            (row.entropy_bits, row.max_probability),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
        )
    uniform = np.log2(len(GENRES))
    ax.axvline(uniform, color="0.5", ls=":", lw=1, label=f"uniform over {len(GENRES)} genres")
    ax.set(
        xlabel="entropy of the mean probabilities (bits)",
        ylabel="largest mean probability",
        xlim=(0, uniform + 0.2),
        ylim=(0, 1.02),
        title=title,
    )
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return ax

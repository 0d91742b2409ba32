"""Figures of chapter 06b: musicnn's taggram of a song, and the transfer systems per protocol.

Notebook: 06b_music_transfer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from genrelib.errors import ConfigError


def plot_taggram(taggram: pd.DataFrame, top: int = 15, title: str = "Taggram") -> plt.Figure:
    """Heat map of the most likely tags of a song along time (musicnn's taggram).

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    taggram : pandas.DataFrame, shape (n_patches, n_tags)
        Tag probabilities of each patch; index: patch start in seconds, columns: tag names.
    top : int
        Show the ``top`` tags of highest mean probability, most likely first.
    title : str
        Figure title.
    """
    if taggram.empty:
        raise ConfigError("plot_taggram: the taggram is empty")
    order = taggram.mean().sort_values(ascending=False).index[:top]
    shown = taggram[order].T
    shown.columns = [f"{start:.0f}" for start in taggram.index]
    fig, ax = plt.subplots(figsize=(10, 0.28 * len(order) + 1.5))
    sns.heatmap(shown, ax=ax, cmap="viridis", vmin=0, vmax=1, cbar_kws={"label": "probability"})
    step = max(1, len(shown.columns) // 15)
    ax.set_xticks(np.arange(0, len(shown.columns), step) + 0.5, shown.columns[::step], rotation=0)
    ax.set(xlabel="patch start (s)", ylabel="tag", title=title)
    fig.tight_layout()
    return fig


def plot_track_tags(means: pd.DataFrame, genres: pd.Series, top: int = 12) -> plt.Figure:
    """Mean tag probability per genre: which of musicnn's tags each GTZAN genre lights up.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    means : pandas.DataFrame, shape (n_tracks, n_tags)
        Mean tag probabilities of each track (index: track id; columns: tag names).
    genres : pandas.Series
        Genre of each track (index: track id).
    top : int
        Tags shown: those whose mean over genres varies most.
    """
    by_genre = means.groupby(genres.reindex(means.index).to_numpy()).mean()
    tags = by_genre.std().sort_values(ascending=False).index[:top]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    sns.heatmap(by_genre[tags], ax=ax, cmap="mako", annot=True, fmt=".2f", cbar=False)
    ax.set(xlabel="musicnn tag (MSD)", ylabel="GTZAN genre", title="Mean tag probability per genre")
    fig.tight_layout()
    return fig


def plot_patch_votes(probabilities: pd.DataFrame, title: str = "Patch probabilities") -> plt.Figure:
    """A track's genre probabilities patch by patch, and their mean: how patches vote.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    probabilities : pandas.DataFrame, shape (n_patches, n_genres)
        One row per patch (index: its start in seconds), one column per genre.
    title : str
        Figure title (name the track and its true genre here).

    Returns
    -------
    plt.Figure
        Heat map with the patches' rows, then a ``mean`` row under a line; the mean's
        highest genre, the track's prediction, is framed.
    """
    if probabilities.empty:
        raise ConfigError("plot_patch_votes: no patch probabilities")
    shown = probabilities.copy()
    shown.index = [f"{start:.0f} s" for start in probabilities.index]
    shown.loc["mean"] = probabilities.mean().to_numpy()
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(shown) + 1.6))
    sns.heatmap(
        shown, ax=ax, cmap="rocket_r", vmin=0, vmax=1, annot=True, fmt=".2f",
        annot_kws={"fontsize": 7}, cbar_kws={"label": "probability"},
    )  # fmt: skip
    ax.axhline(len(shown) - 1, color="white", linewidth=3)
    best = int(np.argmax(shown.loc["mean"].to_numpy()))
    ax.add_patch(plt.Rectangle((best, len(shown) - 1), 1, 1, fill=False, lw=2.5, ec="tab:blue"))
    ax.set(xlabel="genre", ylabel="patch start", title=title)
    fig.tight_layout()
    return fig

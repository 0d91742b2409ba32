"""Figures of chapter 01: what is in a GTZAN folder.

Notebook: 01_dataset.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from genrelib.config import class_order


def plot_class_balance(tracks: pd.DataFrame, title: str = "Clips per genre") -> plt.Figure:
    """Bar chart of the number of clips per genre.

    Notebook: 01_dataset.

    Parameters
    ----------
    tracks : pandas.DataFrame
        One row per clip with a ``genre`` column (from ``index_gtzan``).
    title : str
        Figure title (say here when the data are synthetic).
    """
    counts = tracks["genre"].value_counts().reindex(class_order(tracks["genre"]), fill_value=0)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    sns.barplot(x=counts.index, y=counts.to_numpy(), color="tab:blue", ax=ax)
    ax.bar_label(ax.containers[0])
    ax.set(xlabel="genre", ylabel="clips", title=title)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def plot_durations(tracks: pd.DataFrame, title: str = "Clip durations") -> plt.Figure:
    """Strip plot of clip durations per genre, in seconds.

    Notebook: 01_dataset.

    Parameters
    ----------
    tracks : pandas.DataFrame
        One row per clip with ``genre`` and ``duration`` (seconds) columns.
    title : str
        Figure title.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2))
    order = class_order(tracks["genre"])
    sns.stripplot(data=tracks, x="genre", y="duration", order=order, ax=ax, size=4)
    ax.set(xlabel="genre", ylabel="duration (s)", title=title)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def plot_artists_per_genre(tracks: pd.DataFrame, title: str = "Distinct artists") -> plt.Figure:
    """Bar chart of distinct known artists per genre next to the number of clips.

    Few artists per genre means a random split puts the same artist in training and
    test sets: the reason for the artist-disjoint protocol.

    Notebook: 01_dataset.

    Parameters
    ----------
    tracks : pandas.DataFrame
        One row per clip with ``genre`` and ``artist`` (``""`` when unknown) columns.
    title : str
        Figure title.
    """
    known = tracks[tracks["artist"] != ""]
    summary = pd.DataFrame(
        {
            "clips": tracks.groupby("genre").size(),
            "distinct artists": known.groupby("genre")["artist"].nunique(),
        }
    ).reindex(class_order(tracks["genre"]), fill_value=0)
    long = summary.reset_index(names="genre").melt("genre", var_name="count of", value_name="n")
    fig, ax = plt.subplots(figsize=(8, 3.2))
    sns.barplot(data=long, x="genre", y="n", hue="count of", ax=ax)
    ax.set(xlabel="genre", ylabel="count", title=title, ylim=(0, 1.35 * long["n"].max()))
    # the legend sits in the headroom above the bars, never on them
    sns.move_legend(ax, "upper center", ncol=2, title=None, frameon=False)
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig

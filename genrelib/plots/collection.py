"""Figures of a collection of your own: its files, and how far songs lie from its classes.

Notebook: 11_own_collection.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns


def plot_collection_files(files: pd.DataFrame, title: str = "Files per label") -> plt.Figure:
    """Length of every file of a collection, one row of points per label, coloured by format.

    Notebook: 11_own_collection.

    Parameters
    ----------
    files : pandas.DataFrame
        :func:`genrelib.chapters.c11_own_collection.file_table`: ``label``, ``format``,
        ``seconds``.
    title : str
        Figure title.

    Returns
    -------
    plt.Figure
    """
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.7 * files["label"].nunique()))
    sns.stripplot(
        files, x="seconds", y="label", hue="format", jitter=0.25, size=6, alpha=0.8, ax=ax
    )
    ax.set(xlabel="length of the file (s)", ylabel="label", title=title)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(title="format", loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_novelty_distances(
    training: pd.Series, songs: pd.DataFrame, threshold: float, title: str = "Distance"
) -> plt.Figure:
    """The training tracks' leave-one-out distances beside the songs', and the threshold.

    Notebook: 11_own_collection.

    Parameters
    ----------
    training : pandas.Series
        Each training track's distance to the nearest class centroid, its own class's
        centroid recomputed without it
        (:func:`genrelib.chapters.c11_own_collection.training_distances`).
    songs : pandas.DataFrame
        ``song`` and ``distance`` of each song answered.
    threshold : float
        The probe's ``far_distance``.
    title : str
        Figure title.

    Returns
    -------
    plt.Figure
        Training tracks as grey points on the top row, each song as a labelled point below,
        the threshold as a dashed line.
    """
    rows = len(songs) + 1
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.35 * rows))
    ax.scatter(training, [0] * len(training), color="0.55", s=18, alpha=0.7)
    beyond = songs["distance"] > threshold
    ax.scatter(
        songs["distance"], range(1, rows), color=["C3" if far else "C0" for far in beyond], s=40
    )
    ax.axvline(threshold, color="C3", ls="--", lw=1.2, label=f"threshold {threshold:.1f}")
    names = [name if len(name) <= 32 else f"{name[:30]}..." for name in songs["song"]]
    ax.set_yticks(range(rows), ["training tracks", *names], fontsize="small")
    ax.invert_yaxis()
    ax.set(xlabel="distance to the nearest class centroid", title=title)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    return fig

"""Figures of a classifier's evaluation: confusion matrix and per-genre recall (with intervals).

Used for the classical baselines and the deep models alike.

Notebook: 03_baselines, 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

NO_TEST_CLIPS = "no test clips"
"""Label of a genre whose recall is undefined because the test set holds none of its clips."""


def plot_confusion_matrix(
    confusion: pd.DataFrame, title: str = "Confusion matrix", classes: str = "genre"
) -> plt.Figure:
    """Heatmap of the confusion matrix normalised per true genre, cells annotated with counts.

    Notebook: 03_baselines, 04_base_crnn, 05_extended_crnn, 06_resnet_transfer,
    10_reproducibility, 11_own_collection.

    Parameters
    ----------
    confusion : pd.DataFrame
        Counts, rows true genres and columns predicted genres
        (:func:`genrelib.evaluation.confusion_table`, ``Evaluation.confusion[level]``).
    title : str
        Figure title (say here when the data are synthetic).
    classes : str
        What the rows and columns are called on the axes (``"label"`` for a collection).

    Returns
    -------
    plt.Figure
        Colour: share of the true genre's items (%); text: ``share`` over the count.
    """
    counts = confusion.to_numpy()
    share = 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    labels = np.array(
        [
            [f"{p:.0f}\n({c})" if c else "" for p, c in zip(prow, crow, strict=True)]
            for prow, crow in zip(share, counts, strict=True)
        ]
    )
    size = max(0.65, min(1.0, 0.3 + 0.07 * len(confusion)))  # 10 genres: full size
    fig, ax = plt.subplots(figsize=(7.2 * size, 6.0 * size))
    sns.heatmap(
        share,
        annot=labels,
        fmt="",
        annot_kws={"fontsize": 7},
        cmap="Blues",
        vmin=0,
        vmax=100,
        xticklabels=list(confusion.columns),
        yticklabels=list(confusion.index),
        cbar_kws={"label": f"share of the true {classes} (%)"},
        ax=ax,
    )
    ax.set(xlabel=f"predicted {classes}", ylabel=f"true {classes}", title=title)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig


def plot_recall_with_ci(
    recall: pd.DataFrame | pd.Series, title: str = "Recall per genre"
) -> plt.Figure:
    """Bars of each genre's recall (%), one colour per level, with bootstrap intervals if given.

    Notebook: 03_baselines, 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    recall : pd.DataFrame or pd.Series
        ``Evaluation.recall``: ``level``, ``genre``, ``estimate`` and optionally ``low``,
        ``high`` (fractions); a table without ``level`` is drawn as one level, one without
        ``low``/``high`` without error bars. A Series (genre -> recall fraction, as
        :func:`genrelib.evaluation.per_class_recall` returns) is one level, no intervals.
        A NaN estimate (no test clip of that genre) is labelled "no test clips", not drawn
        as 0 %.
    title : str
        Figure title (say here when the data are synthetic).

    Returns
    -------
    plt.Figure
    """
    if isinstance(recall, pd.Series):
        recall = recall.rename_axis("genre").reset_index(name="estimate")
    data = recall if "level" in recall else recall.assign(level="recall")
    intervals = {"low", "high"} <= set(data.columns)
    genres = list(dict.fromkeys(data["genre"]))
    levels = list(dict.fromkeys(data["level"]))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(levels)
    positions = np.arange(len(genres))
    for k, level in enumerate(levels):
        part = data[data["level"] == level].set_index("genre").reindex(genres)
        centre = positions - 0.4 + width * (k + 0.5)
        estimate = 100 * part["estimate"].to_numpy(dtype=float)
        ax.bar(centre, estimate, width, label=level)
        if intervals:
            errors = np.abs(100 * part[["low", "high"]].to_numpy(dtype=float).T - estimate)
            ax.errorbar(centre, estimate, yerr=np.nan_to_num(errors), fmt="none", c="k", lw=0.8)
        for x in centre[np.isnan(estimate)]:
            # no test clip of this genre: its recall is undefined, not 0 %
            ax.text(x, 2, NO_TEST_CLIPS, rotation=90, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(positions, genres, rotation=30)
    ax.set(xlabel="genre", ylabel="recall (%)", title=title, ylim=(0, 105))
    ax.legend(fontsize="small", ncols=len(levels))
    fig.tight_layout()
    return fig

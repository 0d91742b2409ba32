"""Figures of chapter 09: scores under the four split protocols, their gaps, recall per genre.

Notebook: 09_honest_evaluation.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from genrelib.baselines import MODEL_LABELS
from genrelib.config import GENRES

_METRIC_LABELS = {"accuracy": "accuracy (%)", "f1_macro": "macro F1 (%)"}


def _label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def plot_protocol_intervals(
    summary: pd.DataFrame, title: str = "Scores under each split protocol"
) -> plt.Figure:
    """Accuracy and macro F1 of every model under each protocol, with their intervals.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`genrelib.protocols.protocol_summary`: ``model``, ``protocol``,
        ``accuracy``, ``f1_macro`` and their ``_low``/``_high`` bounds (fractions).
    title : str
        Figure title (say here when the data are synthetic).
    """
    protocols = list(dict.fromkeys(summary["protocol"]))
    models = list(dict.fromkeys(summary["model"]))
    offsets = np.linspace(-0.3, 0.3, len(models)) if len(models) > 1 else np.zeros(1)
    colours = sns.color_palette(n_colors=len(models))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, metric in zip(axes, ("accuracy", "f1_macro"), strict=True):
        for offset, colour, model in zip(offsets, colours, models, strict=True):
            rows = summary[summary["model"] == model].set_index("protocol").reindex(protocols)
            x = np.arange(len(protocols)) + offset
            value = 100 * rows[metric].to_numpy()
            error = np.abs(100 * rows[[f"{metric}_low", f"{metric}_high"]].to_numpy().T - value)
            ax.errorbar(x, value, yerr=error, fmt="o", color=colour, capsize=3, label=_label(model))
        ax.set_xticks(np.arange(len(protocols)), protocols)
        ax.set_xlim(-0.6, len(protocols) - 0.4)  # one protocol: its models not at the edges
        ax.set(xlabel="split protocol", ylabel=_METRIC_LABELS[metric], ylim=(0, 100))
        ax.grid(axis="y", alpha=0.3)
    axes[1].legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_gap_intervals(
    gap: pd.DataFrame, metric: str = "accuracy", title: str = "Drop from the random split"
) -> plt.Figure:
    """Horizontal bars of the drop of one metric from the reference protocol, with intervals.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    gap : pandas.DataFrame
        Output of :func:`genrelib.protocols.protocol_gap`: ``model``, ``protocol``,
        ``metric``, ``gap``, ``gap_low``, ``gap_high`` (fractions).
    metric : {"accuracy", "f1_macro"}
        Which metric to show.
    title : str
        Figure title.
    """
    data = gap[gap["metric"] == metric].assign(label=lambda d: d["model"].map(_label))
    order = list(dict.fromkeys(data["label"]))
    protocols = list(dict.fromkeys(data["protocol"]))
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(order) * max(len(protocols), 1)))
    height = 0.8 / max(len(protocols), 1)
    colours = sns.color_palette(n_colors=len(protocols))
    for k, (protocol, colour) in enumerate(zip(protocols, colours, strict=True)):
        rows = data[data["protocol"] == protocol].set_index("label").reindex(order)
        y = np.arange(len(order)) - 0.4 + height * (k + 0.5)
        value = 100 * rows["gap"].to_numpy()
        error = np.abs(100 * rows[["gap_low", "gap_high"]].to_numpy().T - value)
        ax.barh(y, value, height=height, color=colour, label=protocol)
        ax.errorbar(value, y, xerr=error, fmt="none", color="k", capsize=2, lw=1)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(np.arange(len(order)), order)
    ax.invert_yaxis()
    name = _METRIC_LABELS[metric].replace(" (%)", "")
    ax.set(xlabel=f"{name}: random split minus this split (percentage points)", title=title)
    ax.legend(title="split protocol", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def plot_recall_by_protocol(
    recall: pd.DataFrame, model: str, title: str = "Recall per genre"
) -> plt.Figure:
    """Heat map of the recall of every genre (rows) under each protocol (columns), in %.

    Notebook: 09_honest_evaluation.

    Parameters
    ----------
    recall : pandas.DataFrame
        Output of :func:`genrelib.protocols.recall_by_protocol`.
    model : str
        Which model to show.
    title : str
        Figure title.
    """
    rows = recall[recall["model"] == model]
    protocols = list(dict.fromkeys(rows["protocol"]))
    matrix = rows.pivot(index="genre", columns="protocol", values="recall").reindex(
        index=list(GENRES), columns=protocols
    )
    fig, ax = plt.subplots(figsize=(1.4 * len(protocols) + 2.5, 4.4))
    sns.heatmap(
        100 * matrix,
        annot=True,
        fmt=".0f",
        cmap="Blues",
        vmin=0,
        vmax=100,
        cbar_kws={"label": "recall (%)"},
        ax=ax,
    )
    ax.set(xlabel="split protocol", ylabel="true genre", title=f"{title}: {_label(model)}")
    fig.tight_layout()
    return fig

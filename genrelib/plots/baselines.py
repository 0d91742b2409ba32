"""Figures of chapter 03: the classical baselines on hand-crafted features.

Notebook: 03_baselines.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from genrelib.baselines import MODEL_LABELS


def plot_paper_comparison(comparison: pd.DataFrame, title: str = "Table IV") -> plt.Figure:
    """Bars of the paper's F1 and ours, per model (one protocol).

    Notebook: 03_baselines.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of :func:`genrelib.baselines.paper_comparison` for one protocol:
        ``label``, ``paper_f1``, ``ours_f1``, ``ours_std`` (%).
    title : str
        Figure title (say here when the data are synthetic).
    """
    long = comparison.melt(
        id_vars="label", value_vars=["paper_f1", "ours_f1"], var_name="source", value_name="f1"
    )
    long["source"] = long["source"].map({"paper_f1": "paper", "ours_f1": "ours (mean over seeds)"})
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(
        data=long,
        x="label",
        y="f1",
        hue="source",
        order=list(comparison["label"]),
        errorbar=None,
        ax=ax,
    )
    ours = ax.containers[1]
    centres = [bar.get_x() + bar.get_width() / 2 for bar in ours]
    ax.errorbar(centres, comparison["ours_f1"], yerr=comparison["ours_std"], fmt="none", c="k")
    ax.set(xlabel="model", ylabel="test F1 (micro) (%)", title=title, ylim=(0, 100))
    ax.tick_params(axis="x", rotation=30)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_protocol_gap(summary: pd.DataFrame, title: str = "Random vs honest split") -> plt.Figure:
    """Mean micro F1 of every model under each split protocol, with seed spread.

    Notebook: 03_baselines.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`genrelib.baselines.summarise`: ``model``, ``protocol``,
        ``f1_micro_mean``, ``test_ci_low``, ``test_ci_high`` (fractions).
    title : str
        Figure title.
    """
    data = summary.assign(
        label=summary["model"].map(MODEL_LABELS), f1=100 * summary["f1_micro_mean"]
    )
    order = list(dict.fromkeys(data["label"]))
    protocols = list(dict.fromkeys(data["protocol"]))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(
        data=data,
        x="label",
        y="f1",
        hue="protocol",
        order=order,
        hue_order=protocols,
        errorbar=None,
        ax=ax,
    )
    for container, protocol in zip(list(ax.containers), protocols, strict=True):
        group = data[data["protocol"] == protocol].set_index("label").reindex(order)
        centres = [bar.get_x() + bar.get_width() / 2 for bar in container]
        ax.vlines(centres, 100 * group["test_ci_low"], 100 * group["test_ci_high"], color="k", lw=1)
    ax.set(xlabel="model", ylabel="test F1 (micro) (%)", title=title, ylim=(0, 100))
    ax.tick_params(axis="x", rotation=30)
    ax.legend(title="split protocol", loc="lower right")
    fig.tight_layout()
    return fig


def plot_feature_agreement(
    ours: pd.DataFrame,
    reference: pd.DataFrame,
    columns: tuple[str, ...] = (
        "chroma_stft_mean",
        "spectral_centroid_mean",
        "harmony_mean",
        "perceptr_var",
        "tempo",
        "mfcc1_mean",
    ),
    title: str = "Our features vs the Kaggle table",
) -> plt.Figure:
    """Scatter plots of our feature values against the table's, one panel a column.

    Notebook: 03_baselines.

    Parameters
    ----------
    ours, reference : pandas.DataFrame
        Kaggle-style feature tables; rows are matched by ``filename``.
    columns : tuple of str
        Feature columns to show.
    title : str
        Figure title.
    """
    merged = ours.merge(reference, on="filename", suffixes=("_ours", "_table"))
    fig, axes = plt.subplots(1, len(columns), figsize=(2.6 * len(columns), 2.9))
    for ax, name in zip(np.atleast_1d(axes), columns, strict=True):
        x, y = merged[f"{name}_table"], merged[f"{name}_ours"]
        ax.scatter(x, y, s=8)
        limits = [min(x.min(), y.min()), max(x.max(), y.max())]
        ax.plot(limits, limits, c="grey", lw=0.8, ls="--")
        unit = " (BPM)" if name == "tempo" else (" (Hz)" if "spectral" in name else "")
        ax.set(xlabel=f"table{unit}", ylabel=f"ours{unit}", title=name)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{title} ({len(merged)} clips)")
    fig.tight_layout()
    return fig

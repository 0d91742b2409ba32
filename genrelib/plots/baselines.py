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
        ``label``, ``paper_f1``, ``ours_f1``, ``ours_low``, ``ours_high`` (%).
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
    ax.vlines(centres, comparison["ours_low"], comparison["ours_high"], color="k", lw=1)
    ax.set(xlabel="", ylabel="test F1 = accuracy (%)", title=title, ylim=(0, 100))
    ax.tick_params(axis="x", rotation=20)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def plot_protocol_gap(summary: pd.DataFrame, title: str = "Random vs honest split") -> plt.Figure:
    """Mean accuracy of every model under each split protocol, with its interval.

    Notebook: 03_baselines.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`genrelib.protocols.protocol_summary`: ``model``, ``protocol``,
        ``accuracy``, ``accuracy_low``, ``accuracy_high`` (fractions).
    title : str
        Figure title.
    """
    data = summary.assign(label=summary["model"].map(MODEL_LABELS), score=100 * summary["accuracy"])
    order = list(dict.fromkeys(data["label"]))
    protocols = list(dict.fromkeys(data["protocol"]))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    sns.barplot(
        data=data,
        x="label",
        y="score",
        hue="protocol",
        order=order,
        hue_order=protocols,
        errorbar=None,
        ax=ax,
    )
    for container, protocol in zip(list(ax.containers), protocols, strict=True):
        group = data[data["protocol"] == protocol].set_index("label").reindex(order)
        centres = [bar.get_x() + bar.get_width() / 2 for bar in container]
        low, high = 100 * group["accuracy_low"], 100 * group["accuracy_high"]
        ax.vlines(centres, low, high, color="k", lw=1)
    ax.set(xlabel="", ylabel="test accuracy (%)", title=title, ylim=(0, 100))
    ax.tick_params(axis="x", rotation=20)
    ax.legend(title="split", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def plot_leak_counts(shared: pd.DataFrame, title: str = "What a split shares") -> plt.Figure:
    """Share of test tracks and test artists also present in training, per protocol.

    Notebook: 03_baselines.

    Parameters
    ----------
    shared : pandas.DataFrame
        Output of :func:`genrelib.protocols.shared_across_split`.
    title : str
        Figure title.
    """
    long = pd.DataFrame(
        {
            "protocol": np.repeat(shared["protocol"].to_numpy(), 2),
            "what": ["test tracks", "test artists"] * len(shared),
            "share": np.ravel(
                100
                * np.column_stack(
                    [
                        shared["tracks_in_train"] / shared["test_tracks"],
                        shared["artists_in_train"] / shared["test_artists"].clip(lower=1),
                    ]
                )
            ),
        }
    )
    fig, ax = plt.subplots(figsize=(7, 3.2))
    sns.barplot(data=long, x="protocol", y="share", hue="what", errorbar=None, ax=ax)
    ax.set(xlabel="split protocol", ylabel="also in training (%)", title=title, ylim=(0, 105))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
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
    n_cols = min(3, len(columns))
    n_rows = -(-len(columns) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(3.4 * n_cols, 3.1 * n_rows), squeeze=False)
    for ax, name in zip(axes.flat, columns, strict=False):
        x, y = merged[f"{name}_table"], merged[f"{name}_ours"]
        ax.scatter(x, y, s=10)
        limits = [min(x.min(), y.min()), max(x.max(), y.max())]
        ax.plot(limits, limits, c="grey", lw=0.8, ls="--")
        unit = " (BPM)" if name == "tempo" else (" (Hz)" if "spectral" in name else "")
        ax.set(xlabel=f"Kaggle table{unit}", ylabel=f"ours{unit}", title=name.replace("_", " "))
    for ax in axes.flat[len(columns) :]:
        ax.set_visible(False)
    fig.suptitle(f"{title} ({len(merged)} clips)")
    fig.tight_layout()
    return fig

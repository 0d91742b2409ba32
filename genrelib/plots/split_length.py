"""Figures of the split-length trade-off (Table V): accuracy, time and examples vs chunk length.

Each takes the tidy table of :func:`genrelib.split_length.table_v` (one row per model and
chunk length). The chunk-length axis is logarithmic (30, 10, 3, 1 s are roughly evenly
spaced on it).

Notebook: 07_split_length.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from genrelib.errors import ConfigError

_MODEL_LABELS = {
    "base_crnn": "base CRNN",
    "extended_crnn": "extended CRNN",
    "resnet18": "ResNet-18 (transfer)",
}
_MARKERS = ("o", "s", "D", "^")


def _label(model: str) -> str:
    return _MODEL_LABELS.get(model, model)


def _check(table: pd.DataFrame, columns: tuple[str, ...]) -> None:
    if table.empty:
        raise ConfigError("the Table V table is empty: run the chapter 07 grid first")
    missing = [c for c in columns if c not in table]
    if missing:
        raise ConfigError(f"the Table V table lacks columns {missing}; build it with table_v()")


def _length_axis(ax: plt.Axes, lengths: np.ndarray) -> None:
    ax.set_xscale("log")
    ticks = sorted(set(lengths.tolist()))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlim(min(ticks) / 1.4, max(ticks) * 1.4)
    ax.set_xlabel("chunk length (s)")
    ax.grid(alpha=0.3)


def _plain_log_labels(ax: plt.Axes) -> None:
    """Label a logarithmic y axis with plain numbers (20, 50, 100, 200) instead of powers of 10."""

    def minor(value: float, _position: int) -> str:
        leading = round(value / 10 ** np.floor(np.log10(value)))
        return f"{value:g}" if leading in (2, 5) else ""

    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def plot_accuracy_vs_length(
    table: pd.DataFrame, paper_best: dict | None = None, title: str = ""
) -> plt.Figure:
    """Test accuracy against chunk length per model, at chunk level and at track level.

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.split_length.table_v` rows.
    paper_best : dict or None
        A paper number to mark, ``{"model", "chunk_seconds", "test_accuracy"}``
        (:data:`genrelib.split_length.PAPER_BEST`).
    title : str
        Figure title (say here when the data are synthetic).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: chunk-level and track-level (mean of the chunk probabilities) test
        accuracy in %, with their 95 % intervals (bootstrap over test tracks for chunks, exact
        binomial for tracks). A cell that the epoch cap ended, not early stopping, is drawn
        with an open marker.
    """
    _check(table, ("model", "chunk_seconds", "test_chunk_accuracy", "test_track_accuracy"))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, level, name in zip(axes, ("chunk", "track"), ("chunk", "track (mean)"), strict=True):
        for k, (model, rows) in enumerate(table.groupby("model", sort=False)):
            rows = rows.sort_values("chunk_seconds")
            estimate = 100 * rows[f"test_{level}_accuracy"].to_numpy()
            low = 100 * rows[f"test_{level}_accuracy_low"].to_numpy()
            high = 100 * rows[f"test_{level}_accuracy_high"].to_numpy()
            bars = ax.errorbar(
                rows["chunk_seconds"],
                estimate,
                yerr=[estimate - low, high - estimate],
                marker=_MARKERS[k % len(_MARKERS)],
                capsize=3,
                label=_label(model),
            )
            if "stopped_early" in rows:
                capped = ~rows["stopped_early"].astype(bool).to_numpy()
                ax.scatter(
                    rows["chunk_seconds"][capped],
                    estimate[capped],
                    marker=_MARKERS[k % len(_MARKERS)],
                    s=60,
                    facecolor="white",
                    edgecolor=bars.lines[0].get_color(),
                    zorder=4,
                    label="hit the epoch cap" if capped.any() and k == 0 else None,
                )
        if paper_best is not None:
            ax.scatter(
                [paper_best["chunk_seconds"]],
                [100 * paper_best["test_accuracy"]],
                marker="*",
                s=160,
                color="black",
                zorder=5,
                label=f"paper: {_label(paper_best['model'])} (chunk split)",
            )
        lengths = table["chunk_seconds"].to_numpy(dtype=float)
        if paper_best is not None:
            lengths = np.append(lengths, paper_best["chunk_seconds"])
        _length_axis(ax, lengths)
        ax.set(title=f"{name} level", ylim=(0, 100))
    axes[0].set_ylabel("test accuracy (%)")
    axes[1].legend(fontsize="small", loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_epochs_vs_length(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """Epochs each cell ran, its best epoch and the epoch cap: one stopping rule, two endings.

    Notebook: 07_split_length.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`genrelib.split_length.table_v` rows (``epochs_run``, ``best_epoch``,
        ``max_epochs``, ``stopped_early``).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One group of bars per chunk length, one bar per model (hatched when the cap ended
        the run), a dot at the best epoch and a dashed line at the cap.
    """
    _check(table, ("model", "chunk_seconds", "epochs_run", "best_epoch", "max_epochs"))
    lengths = sorted(table["chunk_seconds"].unique(), reverse=True)
    models = list(dict.fromkeys(table["model"]))
    width = 0.8 / len(models)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for k, model in enumerate(models):
        rows = table[table["model"] == model].set_index("chunk_seconds").reindex(lengths)
        x = np.arange(len(lengths)) + (k - (len(models) - 1) / 2) * width
        capped = ~rows["stopped_early"].fillna(True).astype(bool).to_numpy()
        bars = ax.bar(x, rows["epochs_run"], width, label=_label(model), alpha=0.8)
        for bar, cap in zip(bars, capped, strict=True):
            if cap:
                bar.set_hatch("//")
        ax.plot(x, rows["best_epoch"], "o", color="black", ms=4)
    ax.axhline(table["max_epochs"].max(), ls="--", color="grey", label="epoch cap")
    ax.plot([], [], "o", color="black", ms=4, label="best epoch (the checkpoint scored)")
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="cap reached"))
    ax.set_xticks(np.arange(len(lengths)), [f"{length:g}" for length in lengths])
    ax.set(xlabel="chunk length (s)", ylabel="epochs run", title=title)
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def plot_training_time_vs_length(table: pd.DataFrame, title: str = "") -> plt.Axes:
    """Training time (total and per epoch) against chunk length, per model.

    Notebook: 07_split_length.

    Returns
    -------
    matplotlib.axes.Axes
        Seconds on a log scale: solid lines the whole training, dashed one epoch.
    """
    _check(table, ("model", "chunk_seconds", "train_seconds", "seconds_per_epoch"))
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    slowest = table.groupby("chunk_seconds")["train_seconds"].max()
    for k, (model, rows) in enumerate(table.groupby("model", sort=False)):
        rows = rows.sort_values("chunk_seconds")
        marker = _MARKERS[k % len(_MARKERS)]
        line = ax.plot(
            rows["chunk_seconds"], rows["train_seconds"], marker=marker, label=f"{_label(model)}"
        )[0]
        ax.plot(
            rows["chunk_seconds"],
            rows["seconds_per_epoch"],
            marker=marker,
            ls="--",
            color=line.get_color(),
            label=f"{_label(model)}, one epoch",
        )
        for row in rows.itertuples():  # the slower model's label above, the others below
            above = row.train_seconds >= slowest[row.chunk_seconds]
            ax.annotate(
                f"{row.epochs_run} ep.",
                (row.chunk_seconds, row.train_seconds),
                xytext=(4, 4 if above else -10),
                textcoords="offset points",
                fontsize=7,
                color=line.get_color(),
            )
    _length_axis(ax, table["chunk_seconds"].to_numpy(dtype=float))
    devices = ", ".join(sorted(table["device"].astype(str).unique())) if "device" in table else ""
    ax.set(yscale="log", ylabel=f"training time (s{', ' + devices if devices else ''})")
    _plain_log_labels(ax)
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return ax


def plot_examples_vs_length(table: pd.DataFrame, title: str = "") -> plt.Axes:
    """Number of training chunks against chunk length (and the chunks one epoch trains on).

    Notebook: 07_split_length.

    Returns
    -------
    matplotlib.axes.Axes
        Log-log: the training set grows as 1 / chunk length; the dashed line shows the
        chunks one epoch trains on when the profile caps it.
    """
    _check(table, ("chunk_seconds", "n_train_chunks", "chunks_per_epoch"))
    rows = table.drop_duplicates("chunk_seconds").sort_values("chunk_seconds")
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.plot(rows["chunk_seconds"], rows["n_train_chunks"], marker="o", label="training chunks")
    for row in rows.itertuples():
        ax.annotate(
            f"{row.n_train_chunks:,}",
            (row.chunk_seconds, row.n_train_chunks),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
        )
    if (rows["chunks_per_epoch"] < rows["n_train_chunks"]).any():
        ax.plot(
            rows["chunk_seconds"],
            rows["chunks_per_epoch"],
            marker="s",
            ls="--",
            label="chunks per epoch (profile cap)",
        )
    _length_axis(ax, table["chunk_seconds"].to_numpy(dtype=float))
    ax.set(yscale="log", ylabel="training examples (chunks)", title=title)
    _plain_log_labels(ax)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return ax

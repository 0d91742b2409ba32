"""Figures of chapter 10: two settings of one network, compared seed by seed.

Notebook: 10_reproducibility.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from genrelib.errors import ConfigError


def plot_paired_scores(
    outcomes: dict[str, pd.Series],
    compared: Sequence[tuple[str, str, str]],
    title: str = "Each difference, seed by seed",
) -> plt.Figure:
    """Test track accuracy of each compared pair of settings, one arrow per seed.

    Each row is one comparison; an arrow goes from the setting compared with (open circle)
    to the setting tried (filled circle), so an arrow pointing right is a seed on which the
    tried setting scored higher. Seeds of one comparison sit slightly apart vertically.

    Notebook: 10_reproducibility.

    Parameters
    ----------
    outcomes : dict of str to pandas.Series
        Setting name -> whether each (``seed``, track) was classified right.
    compared : sequence of (str, str, str)
        Difference key, setting tried, setting compared with, one row each (top first).
    title : str
        Figure title (say here when the data are synthetic).

    Returns
    -------
    plt.Figure
        Accuracy (%) on the x axis; the rows are labelled "tried vs against".
    """
    if not compared:
        raise ConfigError("nothing to plot: give at least one compared pair")
    fig, ax = plt.subplots(figsize=(7, 0.62 * len(compared) + 1.3))
    rows = np.arange(len(compared))[::-1]
    for row, (_key, tried, against) in zip(rows, compared, strict=True):
        before = 100 * outcomes[against].groupby(level="seed").mean()
        after = 100 * outcomes[tried].groupby(level="seed").mean().reindex(before.index)
        offsets = np.linspace(-0.18, 0.18, len(before)) if len(before) > 1 else np.zeros(1)
        for offset, start, end in zip(offsets, before, after, strict=True):
            y = row + offset
            ax.annotate(
                "",
                (end, y),
                (start, y),
                arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 1.2},
            )
            ax.plot(start, y, "o", mfc="white", mec="tab:blue")
            ax.plot(end, y, "o", color="tab:blue")
    ax.set_yticks(rows, [f"{tried}\nvs {against}" for _, tried, against in compared], fontsize=8)
    ax.set(xlabel="test track accuracy (%)", xlim=(-3, 103), ylim=(-0.6, len(compared) - 0.4))
    ax.plot([], [], "o", mfc="white", mec="tab:blue", ls="none", label="compared with")
    ax.plot([], [], "o", color="tab:blue", ls="none", label="tried")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig

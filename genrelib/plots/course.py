"""Figure of the teacher's guide: minutes per lesson, stated and measured.

Notebook: teachers_guide.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from genrelib.errors import ConfigError


def plot_course_minutes(minutes: pd.DataFrame, title: str = "Minutes per lesson") -> plt.Figure:
    """Class time each lesson states (left) and the time its execution took (right).

    Notebook: teachers_guide.

    Parameters
    ----------
    minutes : pandas.DataFrame
        :func:`genrelib.course.course_minutes`: ``title``, ``read``, ``exercises``,
        ``run_first``, ``run_later``.
    title : str
        Figure title (name the profile and the machine's cores).

    Returns
    -------
    plt.Figure
        Left: reading and exercise minutes, stacked. Right: execution minutes, the first run
        (caches filled) and a later one; a lesson not yet run has no bar.
    """
    if minutes.empty:
        raise ConfigError("no lesson to plot: give course_minutes() of the book's chapters")
    labels = [t if len(t) <= 38 else t[:36] + "..." for t in minutes["title"]]
    y = np.arange(len(minutes))[::-1]
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(10, 0.42 * len(minutes) + 1.4),
        sharey=True,
        gridspec_kw={"width_ratios": [1.3, 1]},
    )
    left.barh(y, minutes["read"], color="tab:blue", label="read (stated)")
    left.barh(
        y,
        minutes["exercises"],
        left=minutes["read"],
        color="tab:orange",
        label="exercises (stated)",
    )
    left.set(yticks=y, yticklabels=labels, xlabel="minutes of class time")
    left.legend(fontsize=8, loc="lower right")
    height = 0.38
    right.barh(
        y + height / 2,
        minutes["run_first"].fillna(0),
        height,
        color="tab:gray",
        label="first run (fills the caches)",
    )
    right.barh(
        y - height / 2, minutes["run_later"].fillna(0), height, color="tab:green", label="later run"
    )
    right.set(xlabel="minutes to execute (measured)")
    right.legend(fontsize=8, loc="lower right")
    for ax in (left, right):
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig

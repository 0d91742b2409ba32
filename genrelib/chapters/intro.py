"""Intro: the book-wide table of headline results every chapter records.

Notebook: intro.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from genrelib.chapters.parameters import check_parameters
from genrelib.data.resolve import resolve_profile_name
from genrelib.summary import build_headlines, headline_table, read_headlines

__all__ = [
    "build_headlines",
    "check_parameters",
    "headline_table",
    "headline_view",
    "read_headlines",
    "resolve_profile_name",
]

NOWRAP_COLUMNS = ("ours [95% CI]", "paper")
"""Columns of numbers that must stay on one line (an interval broken over lines is unreadable)."""


def headline_view(headlines: pd.DataFrame, build: str | None = None) -> tuple[Styler, Markdown]:
    """The intro's results table: the rows of one build, intervals on one line, and a note.

    Notebook: intro.

    Parameters
    ----------
    headlines : pd.DataFrame
        Output of :func:`read_headlines` (not empty).
    build : str, optional
        The build to show (default: the current one, see
        :func:`genrelib.summary.build_headlines`).

    Returns
    -------
    table : Styler
        :func:`headline_table` of that build's rows, without index.
    note : Markdown
        Which build the rows come from, and how many rows of other builds are left out.
    """
    rows, kept = build_headlines(headlines, build)
    others = headlines[headlines["build"] != kept]
    table = headline_table(rows)
    nowrap = [c for c in NOWRAP_COLUMNS if c in table]
    styler = (
        table.style.hide(axis="index")
        .set_properties(subset=nowrap, **{"white-space": "nowrap"})
        .set_table_styles(
            {
                c: [{"selector": "th", "props": "white-space: nowrap; overflow-wrap: normal"}]
                for c in nowrap
            },
            overwrite=False,
        )
    )
    note = (
        f"Every row comes from one build (`{kept or 'unnamed'}`: one profile and one set of "
        "parameters)."
    )
    if len(others):
        chapters = ", ".join(sorted(set(others["chapter"])))
        note += (
            f" {len(others)} row(s) recorded by runs with other parameters are left out "
            f"({chapters}); rerun those chapters with this build's parameters to include them."
        )
    return styler, Markdown(note)

"""Intro: the book-wide table of headline results every chapter records.

Notebook: intro.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from genrelib.chapters.parameters import check_parameters
from genrelib.data.resolve import resolve_profile_name
from genrelib.exercises import chapter_number
from genrelib.summary import build_headlines, headline_table, read_headlines

__all__ = [
    "QUESTIONS",
    "build_headlines",
    "check_parameters",
    "grouped_by_question",
    "headline_table",
    "headline_view",
    "read_headlines",
    "resolve_profile_name",
]

NOWRAP_COLUMNS = ("ours [95% CI]", "paper")
"""Columns of numbers that must stay on one line (an interval broken over lines is unreadable)."""

QUESTIONS: dict[str, str] = {
    "03_baselines": "How far do hand-crafted features go?",
    "04_base_crnn": "How well do the paper's networks classify tracks?",
    "05_extended_crnn": "How well do the paper's networks classify tracks?",
    "06_resnet_transfer": "How well do the paper's networks classify tracks?",
    "06b_music_transfer": "Does a network trained on music help?",
    "07_split_length": "Does the chunk length matter?",
    "08_external_songs": "Does it work on songs from outside GTZAN?",
    "09_honest_evaluation": "How much does the random split inflate accuracy?",
    "10_reproducibility": "What do the paper's and its code's choices change?",
}
"""The question each chapter's headlines answer, in reading order: the intro groups by it."""


def grouped_by_question(table: pd.DataFrame) -> pd.DataFrame:
    """The headline table indexed by (question, chapter link), in reading order.

    Notebook: intro.

    Parameters
    ----------
    table : pd.DataFrame
        :func:`headline_table` rows (a ``chapter`` column of file stems).

    Returns
    -------
    pd.DataFrame
        The other columns, under a two-level index: the question the chapter answers
        (:data:`QUESTIONS`; "Other results" for a chapter not listed) and an HTML link to
        the chapter's page, labelled with its number. Rows keep their order within a chapter.
    """
    order = {stem: k for k, stem in enumerate(QUESTIONS)}
    ranked = table.assign(_rank=table["chapter"].map(order).fillna(len(order)))
    ranked = ranked.sort_values("_rank", kind="stable")
    question = ranked["chapter"].map(QUESTIONS).fillna("Other results")
    link = [
        f'<a href="{stem}.html">chapter {chapter_number(stem)}</a>' for stem in ranked["chapter"]
    ]
    index = pd.MultiIndex.from_arrays([question, link], names=["question", "chapter"])
    return ranked.drop(columns=["chapter", "_rank"]).set_axis(index)


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
        :func:`headline_table` of that build's rows, grouped by the question each chapter
        answers and linked to its page (:func:`grouped_by_question`).
    note : Markdown
        Which build the rows come from, and how many rows of other builds are left out.
    """
    rows, kept = build_headlines(headlines, build)
    others = headlines[headlines["build"] != kept]
    table = grouped_by_question(headline_table(rows))
    nowrap = [c for c in NOWRAP_COLUMNS if c in table]
    nowrap_css = "white-space: nowrap; overflow-wrap: normal"
    styler = table.style.set_table_styles(  # by column: the index repeats within a chapter
        {c: [{"selector": "th, td", "props": nowrap_css}] for c in nowrap}
    ).set_table_styles(  # a question heads its group of rows
        [{"selector": "th.row_heading.level0", "props": "vertical-align: top"}], overwrite=False
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

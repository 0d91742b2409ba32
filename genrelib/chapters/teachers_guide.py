"""The teacher's guide page: minutes per lesson, the module and workshop plans.

Notebook: teachers_guide.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from genrelib.chapters.context import chapter_context
from genrelib.chapters.display import glue_values, rounded
from genrelib.course import (
    MODULE_PLAN,
    WORKSHOP_PLAN,
    course_minutes,
    plan_minutes,
    read_chapter_times,
)
from genrelib.plots.course import plot_course_minutes
from genrelib.project import project_dir
from genrelib.toc import toc_notebooks

__all__ = [
    "MODULE_PLAN",
    "WORKSHOP_PLAN",
    "chapter_context",
    "course_minutes",
    "glue_values",
    "plan_minutes",
    "plan_view",
    "plot_course_minutes",
    "project_notebooks",
    "read_chapter_times",
]


def project_notebooks() -> list[Path]:
    """The book's notebooks in execution order (``_toc.yml``).

    Notebook: teachers_guide.
    """
    return toc_notebooks(project_dir())


PLAN_HEADERS = {
    "session": "session",
    "chapters": "chapters",
    "focus": "focus",
    "read": "read (min)",
    "exercises": "exercises (min)",
    "run_later": "execution (min, measured)",
}
"""Headers of a plan table as the guide shows it."""


def plan_view(plan: pd.DataFrame) -> Styler:
    """A plan of :func:`~genrelib.course.plan_minutes` as the guide shows it.

    Notebook: teachers_guide.
    """
    view = plan[list(PLAN_HEADERS)].rename(columns=PLAN_HEADERS)
    return rounded(view, {PLAN_HEADERS["run_later"]: 1}, hide_index=True).format(
        na_rep="not measured", subset=[PLAN_HEADERS["run_later"]], precision=1
    )

"""The teacher's guide: what each chapter costs in minutes, and plans that group the chapters.

Every ``genrelib book run`` records how long each chapter took to execute
(:func:`record_chapter_time`, in ``<results>/chapter_times.csv``: the first run of a chapter
in that results folder, which fills the caches, and the latest). The guide reads those
measurements beside the reading and exercise times each lesson states in its "Time" line
(:func:`lesson_minutes`), so a number the guide shows is the number the chapter shows.

Notebook: teachers_guide.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from genrelib.atomic import atomic_write

CHAPTER_TIMES_FILE = "chapter_times.csv"
"""Per chapter, its first and latest execution time, in a profile's results folder."""

_TIMES_COLUMNS = [
    "chapter",
    "runs",
    "first_seconds",
    "last_seconds",
    "cores",
    "may_train",
    "finished_at",
]

_TIME_LINE = re.compile(
    r"\*\*Time\*\* about (\d+) minutes to read(?: and listen)?, plus (\d+) for the exercises"
)
_TITLE = re.compile(r"^#\s+(.+)$", re.M)


def record_chapter_time(results: str | Path, chapter: str, seconds: float, may_train: bool) -> None:
    """Store how long ``chapter`` took to execute, keeping its first time and its latest.

    Notebook: none (``genrelib book run`` calls it after each chapter).

    Parameters
    ----------
    results : str or Path
        The profile's results folder.
    chapter : str
        The notebook's stem, e.g. ``"03_baselines"``.
    seconds : float
        Wall time of the execution.
    may_train : bool
        Whether the run could train (``False``: ``--no-train``, stored runs only).
    """
    table = read_chapter_times(results)
    previous = table[table["chapter"] == chapter]
    first = float(previous["first_seconds"].iloc[0]) if len(previous) else float(seconds)
    row = {
        "chapter": chapter,
        "runs": int(previous["runs"].iloc[0]) + 1 if len(previous) else 1,
        "first_seconds": round(first, 1),
        "last_seconds": round(float(seconds), 1),
        "cores": os.cpu_count() or 1,
        "may_train": bool(may_train),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    rows = [r for r in table.to_dict("records") if r["chapter"] != chapter] + [row]
    frame = pd.DataFrame(rows, columns=_TIMES_COLUMNS).sort_values("chapter")
    atomic_write(Path(results) / CHAPTER_TIMES_FILE, frame.to_csv(index=False))


def read_chapter_times(results: str | Path) -> pd.DataFrame:
    """The recorded chapter times of a results folder (no rows when none was recorded).

    Notebook: teachers_guide.

    A missing or unreadable file gives no rows (the next run starts it afresh); a file of
    an earlier format without ``runs`` counts each chapter as run once.

    Returns
    -------
    pandas.DataFrame
        One row per chapter: ``chapter``, ``runs`` (executions recorded), ``first_seconds``,
        ``last_seconds``, ``cores``, ``may_train``, ``finished_at``.
    """
    path = Path(results) / CHAPTER_TIMES_FILE
    try:
        table = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return pd.DataFrame(columns=_TIMES_COLUMNS)  # none yet, or unreadable: start afresh
    if "chapter" not in table or "last_seconds" not in table:
        return pd.DataFrame(columns=_TIMES_COLUMNS)
    table["runs"] = table.get("runs", 1)  # files of an earlier format: each run once
    table["first_seconds"] = table.get("first_seconds", table["last_seconds"])
    return table.reindex(columns=_TIMES_COLUMNS)


def _markdown(notebook: Path) -> str:
    """The text of a notebook's markdown cells, joined.

    Read as the JSON it is: importing ``nbformat`` (its schema validator) would cost the
    teachers' guide kernel 1.7 s for the text of a few cells.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def lesson_minutes(notebook: str | Path) -> dict:
    """A lesson's title and the reading and exercise minutes its "Time" line states.

    Notebook: teachers_guide.

    Returns
    -------
    dict
        ``chapter`` (stem), ``title`` (the first heading), ``read`` and ``exercises``
        (minutes; ``None`` when the page states no "Time" line).
    """
    path = Path(notebook)
    text = _markdown(path)
    title = _TITLE.search(text)
    stated = _TIME_LINE.search(text)
    return {
        "chapter": path.stem,
        "title": title.group(1).strip() if title else path.stem,
        "read": int(stated.group(1)) if stated else None,
        "exercises": int(stated.group(2)) if stated else None,
    }


def course_minutes(notebooks: Sequence[str | Path], results: str | Path) -> pd.DataFrame:
    """Minutes per lesson: stated reading and exercise time, measured execution time.

    Notebook: teachers_guide.

    Parameters
    ----------
    notebooks : sequence of str or Path
        The chapters, in reading order (pages without a "Time" line are left out).
    results : str or Path
        The results folder whose :data:`CHAPTER_TIMES_FILE` holds the measurements.

    Returns
    -------
    pandas.DataFrame
        One row per lesson: ``chapter``, ``title``, ``read``, ``exercises``, ``run_first``
        and ``run_later`` (execution minutes, first run and latest; NaN when the chapter
        has not run in this results folder, ``run_later`` also when it ran once).
    """
    lessons = pd.DataFrame([lesson_minutes(path) for path in notebooks]).dropna(subset=["read"])
    times = read_chapter_times(results).set_index("chapter")
    lessons["run_first"] = lessons["chapter"].map(times["first_seconds"]) / 60
    later = times["last_seconds"].where(times["runs"] > 1)
    lessons["run_later"] = lessons["chapter"].map(later) / 60
    return lessons.reset_index(drop=True)


MODULE_PLAN: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("week 1", ("01_dataset", "02_preprocessing"), "the data and what a network sees"),
    ("week 2", ("03_baselines",), "baselines, splits and intervals"),
    ("week 3", ("04_base_crnn", "05_extended_crnn"), "training a CRNN; seeds"),
    (
        "week 4",
        ("09_honest_evaluation", "06_resnet_transfer"),
        "honest evaluation; ImageNet transfer",
    ),
    ("week 5", ("06b_music_transfer", "08_external_songs"), "music transfer; songs from outside"),
    ("week 6", ("07_split_length", "10_reproducibility"), "chunk length; reproducing the paper"),
    ("week 7", ("11_own_collection",), "your own collection"),
)
"""A seven-week module: every lesson once, each after the lessons its "You need" line names."""

WORKSHOP_PLAN: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("session 1", ("01_dataset", "02_preprocessing", "03_baselines"), "from audio to a split"),
    ("session 2", ("04_base_crnn", "09_honest_evaluation"), "a CRNN, and what its score means"),
)
"""A two-session workshop: from a clip to features and splits, then a CRNN and the leak."""

_NEEDS = re.compile(r"\*\*You need\*\*(.*?)(?:\n\n|\*\*Time\*\*|$)", re.S)
_CHAPTER_LINK = re.compile(r"\]\((\w+)\.ipynb\)")


def lesson_prerequisites(notebook: str | Path) -> list[str]:
    """The chapters a lesson's "You need" line links to, as notebook stems.

    Notebook: teachers_guide (and the test that every plan keeps them in order).
    """
    needs = _NEEDS.search(_markdown(Path(notebook)))
    return _CHAPTER_LINK.findall(needs.group(1)) if needs else []


def plan_minutes(
    plan: Sequence[tuple[str, Sequence[str], str]], minutes: pd.DataFrame
) -> pd.DataFrame:
    """Minutes per session of a plan, summed from :func:`course_minutes`.

    Notebook: teachers_guide.

    Returns
    -------
    pandas.DataFrame
        One row per session: ``session``, ``chapters`` (numbers, e.g. ``"1, 2"``),
        ``focus``, ``read``, ``exercises`` and ``run_later`` (minutes).
    """
    by_chapter = minutes.set_index("chapter")
    rows = []
    for session, chapters, focus in plan:
        part = by_chapter.loc[list(chapters)]
        rows.append(
            {
                "session": session,
                "chapters": ", ".join(c.split("_", 1)[0].lstrip("0") for c in chapters),
                "focus": focus,
                "read": int(part["read"].sum()),
                "exercises": int(part["exercises"].sum()),
                "run_later": part["run_later"].sum(min_count=len(part)),
            }
        )
    return pd.DataFrame(rows)

"""Tests of genrelib.course: chapter times recorded by a book run, the guide's plans."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from genrelib.book import toc_notebooks
from genrelib.course import (
    CHAPTER_TIMES_FILE,
    MODULE_PLAN,
    WORKSHOP_PLAN,
    course_minutes,
    lesson_minutes,
    lesson_prerequisites,
    plan_minutes,
    read_chapter_times,
    record_chapter_time,
)
from genrelib.exercises import chapter_number

ROOT = Path(__file__).resolve().parents[1]


def test_an_old_or_broken_times_file_never_stops_a_book_run(tmp_path: Path) -> None:
    path = tmp_path / CHAPTER_TIMES_FILE
    path.write_text("chapter,first_seconds,last_seconds\n01_dataset,30.0,20.0\n")
    record_chapter_time(tmp_path, "01_dataset", 10.0, may_train=False)
    times = read_chapter_times(tmp_path).set_index("chapter")
    assert times.loc["01_dataset", ["runs", "first_seconds", "last_seconds"]].tolist() == [
        2,
        30,
        10,
    ]
    path.write_bytes(b"\x00\xff not a table")
    record_chapter_time(tmp_path, "02_preprocessing", 5.0, may_train=True)
    assert read_chapter_times(tmp_path)["chapter"].tolist() == ["02_preprocessing"]


def test_record_keeps_the_first_time_and_the_latest(tmp_path: Path) -> None:
    assert read_chapter_times(tmp_path).empty
    record_chapter_time(tmp_path, "03_baselines", 540.0, may_train=False)
    record_chapter_time(tmp_path, "01_dataset", 30.0, may_train=True)
    record_chapter_time(tmp_path, "03_baselines", 95.5, may_train=False)
    times = read_chapter_times(tmp_path).set_index("chapter")
    assert list(times.index) == ["01_dataset", "03_baselines"]
    assert times.loc["03_baselines", ["first_seconds", "last_seconds"]].tolist() == [540.0, 95.5]
    assert times["runs"].tolist() == [1, 2]
    assert not times.loc["03_baselines", "may_train"] and times.loc["01_dataset", "may_train"]
    assert not list(tmp_path.glob(".*.tmp")) and (tmp_path / CHAPTER_TIMES_FILE).is_file()


def test_every_lesson_states_its_minutes_and_every_plan_uses_lessons(tmp_path: Path) -> None:
    chapters = [p for p in toc_notebooks(ROOT) if p.stem != "intro" and p.stem[0].isdigit()]
    stated = [lesson_minutes(path) for path in chapters]
    missing = [row["chapter"] for row in stated if row["read"] is None]
    assert not missing, f"lessons without a '**Time** about N minutes to read' line: {missing}"
    assert lesson_minutes(ROOT / "book" / "01_dataset.ipynb")["title"].startswith("1.")
    record_chapter_time(tmp_path, "01_dataset", 600.0, may_train=False)
    assert course_minutes(toc_notebooks(ROOT), tmp_path)["run_later"].isna().all(), "ran once"
    record_chapter_time(tmp_path, "01_dataset", 90.0, may_train=False)
    minutes = course_minutes(toc_notebooks(ROOT), tmp_path)
    assert list(minutes["chapter"]) == [p.stem for p in chapters]
    first = minutes.set_index("chapter").loc["01_dataset"]
    assert (first["run_first"], first["run_later"]) == (pytest.approx(10.0), pytest.approx(1.5))
    module = [c for _, chapters_of, _ in MODULE_PLAN for c in chapters_of]
    assert sorted(module) == sorted(minutes["chapter"]), "the module covers every lesson once"
    workshop = plan_minutes(WORKSHOP_PLAN, minutes)
    assert len(workshop) == 2 and workshop["read"].gt(0).all()
    assert pd.isna(workshop["run_later"]).all(), "unmeasured chapters give no sum"


@pytest.mark.parametrize("plan", [MODULE_PLAN, WORKSHOP_PLAN], ids=["module", "workshop"])
def test_every_plan_teaches_a_lesson_after_what_it_needs(plan) -> None:
    taught: list[str] = []
    for _session, chapters, _focus in plan:
        for chapter in chapters:
            needs = lesson_prerequisites(ROOT / "book" / f"{chapter}.ipynb")
            missing = [need for need in needs if need not in taught]
            assert not missing, f"{chapter} needs {missing} first"
            taught.append(chapter)
    assert lesson_prerequisites(ROOT / "book" / "06b_music_transfer.ipynb") == [
        "03_baselines",
        "04_base_crnn",
        "09_honest_evaluation",
    ]


def test_the_intro_reading_map_gathers_every_lesson_s_you_need_line() -> None:
    cells = nbformat.read(ROOT / "book" / "intro.ipynb", as_version=4).cells
    text = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    rows = re.findall(r"^\| \[[^\]]+\]\((\w+)\.ipynb\) \| ([^|]*)\|$", text, re.M)
    assert len(rows) >= 11, "the reading map lists every chapter"
    for stem, builds_on in rows:
        listed = re.findall(r"\b(\d+b?)\b", builds_on.split("(")[0])
        needs = [
            chapter_number(need) for need in lesson_prerequisites(ROOT / "book" / f"{stem}.ipynb")
        ]
        assert sorted(listed) == sorted(needs), f"{stem}: map says {listed}, the chapter {needs}"

"""Exercises: every exercise has a solution that ends in a check, and the editions differ.

The chapters' solutions are executed with the chapters (tests/test_notebooks.py, the smoke
profile); here the structure is checked on every chapter, the student edition of chapter 02
is executed as a student runs it, and the helpers fail as they should.

Notebook: every chapter's exercises.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest
from lessons import LESSONS

from genrelib.book import toc_notebooks, write_student_notebooks
from genrelib.cli import main
from genrelib.errors import ConfigError, GenrelibError
from genrelib.exercises import (
    ExerciseCheckFailed,
    chapter_number,
    check,
    exercise_structure,
    filled,
    student_edition,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {path.stem: path for path in toc_notebooks(ROOT)}


def _cells(*cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    for kind, source, tags in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    return notebook


def test_filled_says_in_one_line_what_to_write(capsys) -> None:
    assert not filled("2.3", 256, ..., task="the hop length in samples")
    out = capsys.readouterr().out
    assert out == (
        "Exercise 2.3: replace `...` with the hop length in samples, then run this cell again.\n"
    )
    assert filled("2.3", 256, 67, task="the hop length")
    assert capsys.readouterr().out == ""


def test_check_passes_or_names_the_exercise_in_one_line(capsys) -> None:
    check("2.1", 130 == 130, "130 frames")
    assert capsys.readouterr().out == "Exercise 2.1: checked: 130 frames.\n"
    with pytest.raises(ExerciseCheckFailed, match=r"^exercise 2.1: not yet: expected 130 frames$"):
        check("2.1", 129 == 130, "130 frames")


def test_chapter_numbers_are_written_as_the_book_writes_them() -> None:
    assert [chapter_number(stem) for stem in ("02_preprocessing", "06b_music", "10_repro")] == [
        "2",
        "6b",
        "10",
    ]


def test_student_edition_drops_each_solution_from_its_start_to_its_end() -> None:
    notebook = _cells(
        ("md", ":::{exercise} 9.1\n:label: ex-x-one\n:nonumber:\nDo it.\n:::", []),
        ("code", "x = ...\nif filled('9.1', x, task='x'):\n    print(x)", ["student"]),
        ("md", ":::{solution-start} ex-x-one\n:class: dropdown\n:::", []),
        ("code", "x = 2\ncheck('9.1', x == 2, 'two')", []),
        ("md", ":::{solution-end}\n:::", []),
        ("md", ":::{exercise} 9.2\n:label: ex-x-two\n:nonumber:\nSay why.\n:::", []),
        ("md", ":::{solution-start} ex-x-two\n:class: dropdown\n:::", []),
        ("md", "Because.", []),
        ("md", ":::{solution-end}\n:::", []),
        ("md", "## Summary", []),
    )
    found = exercise_structure(notebook)
    assert [(e["title"], e["label"], e["solution"], e["checked"]) for e in found] == [
        ("9.1", "ex-x-one", [2, 3, 4], True),
        ("9.2", "ex-x-two", [6, 7, 8], True),
    ]
    student = student_edition(notebook)
    assert [cell.source[:15] for cell in student.cells] == [
        ":::{exercise} 9",
        "x = ...\nif fill",
        ":::{exercise} 9",
        "## Summary",
    ]
    assert len(notebook.cells) == 10  # the teacher's copy is left as it was


def test_a_solution_without_an_end_or_an_exercise_is_named() -> None:
    lonely = _cells(("md", ":::{solution-start} ex-none\n:::", []))
    with pytest.raises(GenrelibError, match="names no exercise"):
        exercise_structure(lonely)
    open_ended = _cells(
        ("md", ":::{exercise}\n:label: ex-a\nA.\n:::", []),
        ("md", ":::{solution-start} ex-a\n:::", []),
    )
    with pytest.raises(GenrelibError, match="has no end"):
        exercise_structure(open_ended)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_exercise_has_a_checked_solution_and_consistent_numbers(chapter: str) -> None:
    notebook = nbformat.read(CHAPTERS[chapter], as_version=4)
    exercises = exercise_structure(notebook)
    if chapter in LESSONS:
        assert len(exercises) >= 3, f"{chapter}: a lesson has at least 3 exercises"
        kinds = {"coding" if exercise["student"] else "conceptual" for exercise in exercises}
        assert kinds == {"coding", "conceptual"}, f"{chapter}: coding and conceptual exercises"
    labels = [exercise["label"] for exercise in exercises]
    assert all(labels) and len(set(labels)) == len(labels), f"{chapter}: labels {labels}"
    for exercise in exercises:
        number = f"{chapter_number(chapter)}.{exercise['number']}"
        label = exercise["label"]
        assert exercise["title"] == number, f"{chapter}: {label} is titled {exercise['title']!r}"
        directive = notebook.cells[exercise["cell"]].source
        assert ":nonumber:" in directive, f"{chapter}: {label} lacks :nonumber: (book-wide numbers)"
        assert exercise["solution"], f"{chapter}: {label} has no solution"
        assert exercise["checked"], f"{chapter}: {label}'s solution does not end in check(...)"
        code = [
            notebook.cells[i].source
            for i in exercise["student"] + exercise["solution"]
            if notebook.cells[i].cell_type == "code"
        ]
        for source in code:  # filled("2.3", ...) and check("2.3", ...) name the exercise
            for call in re.findall(r"\b(?:filled|check)\(\s*([^,]+),", source):
                assert call.strip("\"'") == number, f"{chapter}: {label} is {number}, not {call}"
        for index in exercise["student"]:
            source = notebook.cells[index].source
            assert "..." in source and "filled(" in source, f"{chapter}: {label}: no blank"


@pytest.mark.parametrize("chapter", LESSONS)
def test_a_lesson_opens_with_its_frame_and_ends_with_a_summary(chapter: str) -> None:
    notebook = nbformat.read(CHAPTERS[chapter], as_version=4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    opening = "\n".join(markdown[:2])
    for heading in ("You will learn", "You need", "Time"):
        assert heading in opening, f"{chapter}: the opening lacks '{heading}'"
    assert any(text.startswith("## Summary") for text in markdown[-3:]), chapter
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "Markdown(f" not in code, f"{chapter}: prose assembled in Python (use glue)"


def test_book_student_writes_notebooks_without_solutions(tmp_path: Path, capsys) -> None:
    assert main(["book", "student", str(tmp_path / "handout")]) == 0
    assert "student notebooks (no solutions) written" in capsys.readouterr().out
    written = sorted((tmp_path / "handout" / "book").glob("*.ipynb"))
    assert [path.stem for path in written] == sorted(CHAPTERS)
    for path in written:
        text = path.read_text()
        assert "solution-start" not in text and "check(" not in text, path.name
    assert (tmp_path / "handout" / "_toc.yml").is_file()
    with pytest.raises(ConfigError, match="would overwrite the chapters"):
        write_student_notebooks(ROOT / "book")


@pytest.mark.slow
def test_the_student_edition_of_chapter_02_runs_and_asks_for_each_blank(tmp_path: Path) -> None:
    """A student runs the handed-out chapter 02: one line per blank, no error."""
    student = student_edition(nbformat.read(CHAPTERS["02_preprocessing"], as_version=4))
    source, out = tmp_path / "02_student.ipynb", tmp_path / "02_out.ipynb"
    nbformat.write(student, source)
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters={"profile": "smoke"},
        cwd=str(ROOT / "book"),
        progress_bar=False,
        kernel_manager_class="genrelib.kernels.BookKernelManager",
    )
    executed = nbformat.read(out, as_version=4)
    asks, errors = [], []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(output["evalue"])
            text = output.get("text", "")
            asks += re.findall(r"^Exercise (2\.\d+): replace `\.\.\.` with .+$", text, re.M)
    assert not errors
    coding = [e for e in exercise_structure(student) if e["student"]]
    assert asks == [e["title"] for e in coding]
    assert not any("checked:" in cell.source for cell in executed.cells)


def test_exercise_titles_lose_the_parentheses_around_a_chapter_number() -> None:
    from docutils import nodes

    from genrelib.exercise_titles import unwrap_number

    title = nodes.title("", "", nodes.Text("Exercise"), nodes.Text(" ("), nodes.Text("2.3"))
    title += nodes.Text(")")
    assert unwrap_number(title) and title.astext() == "Exercise 2.3"
    named = nodes.title("", "", nodes.Text("Exercise"), nodes.Text(" ("), nodes.Text("Hops"))
    named += nodes.Text(")")
    assert not unwrap_number(named) and named.astext() == "Exercise (Hops)"


def test_figures_are_numbered_within_their_chapter() -> None:
    from genrelib.figure_numbers import chapter_of, renumber

    assert [chapter_of(name) for name in ("book/03_baselines", "book/06b_music_transfer")] == [
        "3",
        "6b",
    ]
    assert chapter_of("book/intro") is None
    book_wide = {"fig-03-paper": (10,), "fig-03-leak": (12,), "fig-03-gap30": (11,)}
    assert renumber(book_wide, "3") == {
        "fig-03-paper": ("3", 1),
        "fig-03-gap30": ("3", 2),
        "fig-03-leak": ("3", 3),
    }
    assert renumber({"fig-intro": (1,)}, None) == {"fig-intro": (1,)}

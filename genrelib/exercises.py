"""Exercises: the student's starting point, the check every solution ends with, the editions.

An exercise in a chapter is a run of cells::

    markdown  :::{exercise} 2.3  (:label: ex-02-hop, :nonumber:)   the task, numbered in
                                                  its chapter (genrelib.exercise_titles)
    code      tagged "student"                    the starting point, with `...` blanks
    markdown  :::{solution-start} ex-02-hop       the solution, collapsed (teacher edition)
    cells                                         code ending in check(...), or prose
    markdown  :::{solution-end}

Run as it is, a student cell prints one line naming what to fill in (:func:`filled`); a
solution's code ends with :func:`check`, which stops with one line when the result lacks the
property the exercise asks for, so a solution that breaks fails the build. The student
edition (:func:`student_edition`) drops every solution, from its ``solution-start`` to its
``solution-end``; the teacher edition keeps them, collapsed under their exercise.

Notebook: every chapter's exercises; the editions are built by ``genrelib book run
--edition`` and written for handing out by ``genrelib book student``.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from genrelib.errors import GenrelibError

if TYPE_CHECKING:  # a chapter's kernel imports this module; nbformat costs it 1.7 s
    import nbformat

STUDENT_TAG = "student"
"""Tag of an exercise's starting-point code cell (kept in both editions)."""

_EXERCISE = re.compile(
    r"^:::+\{exercise\}[ \t]*(\S*)[^\n]*\n.*?(?:^:label:\s*(\S+).*?)?^:::+\s*$", re.M | re.S
)
_SOLUTION_START = re.compile(r"^:::+\{solution-start\}\s+(\S+)")
_SOLUTION_END = re.compile(r"^:::+\{solution-end\}")


class ExerciseCheckFailed(GenrelibError):
    """A solution ran, but its result lacks the property its exercise asks for."""


def chapter_number(stem: str) -> str:
    """The chapter's number as the book writes it: ``"02_preprocessing"`` gives ``"2"``.

    Notebook: every chapter (exercise numbers are ``<chapter>.<n>``).
    """
    prefix = stem.split("_", 1)[0]
    return prefix.lstrip("0") or prefix


def filled(number: str, *values: object, task: str) -> bool:
    """Whether a student cell's blanks are filled in; if not, say so in one line.

    A blank is Python's ``...``. Use it as the condition of the cell's work::

        hop_length = ...  # samples between two frames
        if filled("2.3", hop_length, task="the hop length in samples"):
            print(MelConfig.paper().n_frames(3 * 22_050))

    Notebook: every chapter's student cells.

    Parameters
    ----------
    number : str
        The exercise's number in its chapter, as its directive gives it (``"2.3"``).
    *values : object
        The values the student is to write.
    task : str
        What to write in place of ``...``, said as a noun phrase.

    Returns
    -------
    bool
        ``True`` when no value is ``...``; else ``False``, after printing
        ``Exercise N: replace `...` with <task>``.
    """
    if any(value is Ellipsis for value in values):
        print(f"Exercise {number}: replace `...` with {task}, then run this cell again.")
        return False
    return True


def check(number: str, condition: object, expected: str) -> None:
    """End a solution: raise one line naming the exercise unless ``condition`` holds.

    Notebook: every chapter's solutions.

    Parameters
    ----------
    number : str
        The exercise's number in its chapter (``"2.3"``).
    condition : object
        Whether the result has the property (anything ``bool`` accepts, e.g. a numpy bool).
    expected : str
        The property, said as what the result should be ("130 frames per 3-s chunk").

    Raises
    ------
    ExerciseCheckFailed
        ``exercise N: not yet: expected <expected>``.
    """
    if not bool(condition):
        raise ExerciseCheckFailed(f"exercise {number}: not yet: expected {expected}")
    print(f"Exercise {number}: checked: {expected}.")


def _text(cell: nbformat.NotebookNode) -> str:
    source = cell.source
    return "".join(source) if isinstance(source, list) else source


def exercise_structure(notebook: nbformat.NotebookNode) -> list[dict]:
    """The exercises of a chapter, in page order, with their student and solution cells.

    Notebook: every chapter (read by the tests and :func:`student_edition`).

    Parameters
    ----------
    notebook : NotebookNode
        A chapter.

    Returns
    -------
    list of dict
        One dict per exercise: ``number`` (1, 2, ... in page order), ``title`` (the
        directive's argument, the chapter-qualified number such as ``"2.3"``), ``label``, ``cell``
        (index of its directive), ``student`` (indices of its student code cells),
        ``solution`` (indices of the cells between its gates, or ``None`` when it has no
        solution), ``checked`` (whether the solution's code ends with :func:`check`).

    Raises
    ------
    GenrelibError
        For a solution gate without its exercise or end, naming the cell.
    """
    exercises: list[dict] = []
    cells = notebook.cells
    index = 0
    while index < len(cells):
        cell, text = cells[index], _text(cells[index]).lstrip()
        if cell.cell_type == "markdown" and _EXERCISE.search(text):
            for directive in _EXERCISE.finditer(text):
                exercises.append(
                    {
                        "number": len(exercises) + 1,
                        "title": directive.group(1),
                        "label": directive.group(2),
                        "cell": index,
                        "student": [],
                        "solution": None,
                        "checked": False,
                    }
                )
        elif cell.cell_type == "code" and STUDENT_TAG in cell.metadata.get("tags", []):
            if not exercises:
                raise GenrelibError(f"cell {index}: a student cell before any exercise")
            exercises[-1]["student"].append(index)
        elif cell.cell_type == "markdown" and (start := _SOLUTION_START.match(text)):
            owner = next((ex for ex in exercises if ex["label"] == start.group(1)), None)
            if owner is None:
                raise GenrelibError(
                    f"cell {index}: solution-start {start.group(1)} names no exercise above it"
                )
            end = next(
                (
                    later
                    for later in range(index + 1, len(cells))
                    if cells[later].cell_type == "markdown"
                    and _SOLUTION_END.match(_text(cells[later]).lstrip())
                ),
                None,
            )
            if end is None:
                raise GenrelibError(f"cell {index}: solution-start {start.group(1)} has no end")
            owner["solution"] = list(range(index, end + 1))
            code = [cells[i] for i in owner["solution"] if cells[i].cell_type == "code"]
            last = _text(code[-1]).strip().splitlines()[-1] if code else ""
            owner["checked"] = not code or last.startswith("check(")
            index = end
        index += 1
    return exercises


def student_edition(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The chapter without its solutions: every cell from a ``solution-start`` to its end.

    The student cells stay (with the one line their blanks print), so a student sees the
    task and the starting point, and runs it.

    Notebook: the student edition (``genrelib book run --edition student``, ``genrelib
    book student``).
    """
    edited = copy.deepcopy(notebook)
    dropped = {
        index for exercise in exercise_structure(edited) for index in (exercise["solution"] or [])
    }
    edited.cells = [cell for index, cell in enumerate(edited.cells) if index not in dropped]
    return edited

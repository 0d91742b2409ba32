"""Sphinx extension: figures numbered within their chapter, "Fig. 3.2", not "Fig. 11".

Without a numbered table of contents Sphinx counts figures across the whole book, so
chapter 3's first figure was "Fig. 9" after the eight of chapters 1 and 2, while its
exercises are "Exercise 3.1", "3.2" (:mod:`genrelib.exercise_titles`). Numbering the table
of contents would put a second number before each chapter's own ("6b" cannot be one). This
handler runs after Sphinx has assigned its numbers and renumbers each chapter's figures
(and any other numbered element: tables, code listings) from 1, prefixed by the chapter's
number read from its file name (``book/03_baselines`` -> 3, ``book/06b_...`` -> 6b). Pages
without a number in their name (the introduction) count from 1 without a prefix.
Captions and ``{numref}`` references both read these numbers. ``_config.yml`` loads it
(``extra_extensions``).

Notebook: the rendered book (every chapter's figures).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from genrelib.exercises import chapter_number


def chapter_of(docname: str) -> str | None:
    """The chapter number of a page, ``"3"`` for ``book/03_baselines``; None for others.

    Notebook: the rendered book (every chapter's figures).
    """
    stem = docname.rsplit("/", 1)[-1]
    return chapter_number(stem) if stem[:1].isdigit() else None


def renumber(numbers: dict[str, tuple], chapter: str | None) -> dict[str, tuple]:
    """Number one page's elements of one type 1, 2, ... in their order, after ``chapter``.

    Parameters
    ----------
    numbers : dict
        Element id -> the number Sphinx gave it (a tuple; its order is the page order).
    chapter : str or None
        The page's chapter number, or None for a page outside the numbered chapters.

    Returns
    -------
    dict
        Element id -> ``(chapter, k)``, or ``(k,)`` without a chapter.
    """
    prefix = () if chapter is None else (chapter,)
    ordered = sorted(numbers, key=numbers.__getitem__)
    return {element: (*prefix, k) for k, element in enumerate(ordered, start=1)}


def number_by_chapter(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Rewrite Sphinx's book-wide figure numbers as numbers within each chapter."""
    for docname, by_type in env.toc_fignumbers.items():
        chapter = chapter_of(docname)
        for figtype, numbers in by_type.items():
            by_type[figtype] = renumber(numbers, chapter)
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    """Run after Sphinx's own figure numbering (priority 500)."""
    app.connect("env-get-updated", number_by_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

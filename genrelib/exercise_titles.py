"""Sphinx extension: exercises numbered by chapter, "Exercise 2.3", not "Exercise (2.3)".

sphinx-exercise numbers exercises across the whole book (chapter 2's first exercise would
be "Exercise 5" after chapter 1's four), while a chapter's exercises are numbered within it:
each directive is ``:::{exercise} 2.3`` with ``:nonumber:``, and the starting points and
checks say "Exercise 2.3" (:mod:`genrelib.exercises`). sphinx-exercise then writes the
number as a subtitle in parentheses, "Exercise (2.3)" and "Solution to Exercise (2.3)";
this post-transform, run after sphinx-exercise's own, drops the parentheses around a
subtitle that is a chapter-qualified number. ``_config.yml`` loads it (``extra_extensions``).

Notebook: the rendered book (every chapter's exercises).
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

NUMBER = re.compile(r"^\d+[a-z]?\.\d+$")
"""A chapter-qualified exercise number: ``2.3``, ``6b.1``."""


def unwrap_number(title: nodes.Element) -> bool:
    """Turn ``... (2.3)`` into ``... 2.3`` among ``title``'s text nodes; whether it did.

    Notebook: the rendered book (every chapter's exercises).
    """
    texts = [node for node in title.findall(nodes.Text)]
    for opening, number, closing in zip(texts, texts[1:], texts[2:], strict=False):
        if (
            opening.astext().endswith(" (")
            and NUMBER.match(number.astext())
            and (closing.astext() == ")")
        ):
            opening.parent.replace(opening, nodes.Text(opening.astext()[:-2] + " "))
            closing.parent.remove(closing)
            return True
    return False


class ChapterNumberedTitles(SphinxPostTransform):
    """Drop the parentheses around chapter-qualified exercise numbers in every title."""

    default_priority = 30  # after sphinx-exercise's title transforms (20)

    def run(self, **kwargs: Any) -> None:
        for title in list(self.document.findall(nodes.title)):
            unwrap_number(title)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the post-transform."""
    app.add_post_transform(ChapterNumberedTitles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

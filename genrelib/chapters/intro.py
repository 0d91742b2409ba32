"""Intro: the book-wide table of headline results every chapter records.

Notebook: intro.
"""

from genrelib.summary import headline_table, read_headlines

__all__ = ["headline_table", "read_headlines"]

"""Figures used by the book, one function a figure, grouped by chapter topic.

Notebook: every chapter.
"""

"""Chapter 05, the extended CRNN: chapter 04's steps, unchanged, for the larger model.

Everything this chapter calls is chapter 04's (:mod:`genrelib.chapters.c04_base_crnn`):
the same layer table, training run, test scores and headlines, with another ``MODEL``.

Notebook: 05_extended_crnn.
"""

from genrelib.chapters.c04_base_crnn import *  # noqa: F403 (the same toolbox as chapter 04)
from genrelib.chapters.c04_base_crnn import __all__  # noqa: F401

"""The chapters layer: one module per chapter of the book, plus the chapter context.

A notebook imports only from here. Its setup line builds a
:class:`~genrelib.chapters.context.ChapterContext` from its parameters
(``ch = chapter_context(profile, data_dir, ...)``), and the module named after the chapter
holds the glue that serves that chapter alone (the library modules keep one job each):

=========================  ==================================================================
module                     chapter
=========================  ==================================================================
``context``                every chapter: profile, data, tracks, synthetic flag, results, banner
``intro``                  intro: the headline table
``c01_dataset``            01 Dataset
``c02_preprocessing``      02 Preprocessing
``c03_baselines``          03 Baselines (feature-table and tempo comparisons)
``c04_base_crnn``          04 Base CRNN (and the training-chapter helpers 05 and 06 reuse)
``c05_extended_crnn``      05 Extended CRNN
``c06_resnet_transfer``    06 ResNet-18 transfer (the two heads)
``c06b_music_transfer``    06b Transfer from a network trained on music (musicnn)
``c07_split_length``       07 Split length (the Table V grid)
``c08_external_songs``     08 External songs (the shipped musicnn probe or chapter 04's CRNN)
``c09_honest_evaluation``  09 Honest evaluation (percent tables, the networks per protocol)
``c10_reproducibility``    10 Reproducibility (the comparison runs)
=========================  ==================================================================

Only :mod:`genrelib.chapters.context` knows what the ``smoke`` profile changes.

Notebook: every chapter.
"""

from genrelib.chapters.context import ChapterContext, chapter_context

__all__ = ["ChapterContext", "chapter_context"]

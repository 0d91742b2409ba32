"""Chapter 01, the dataset: class balance, durations, artists, the verify report, listening.

Notebook: 01_dataset.
"""

from genrelib.chapters.context import chapter_context
from genrelib.chapters.display import glue_values, rounded
from genrelib.data import summarize_report, verify_dataset
from genrelib.data.metadata import load_artist_index
from genrelib.exercises import check, filled
from genrelib.plots.dataset import plot_artists_per_genre, plot_class_balance, plot_durations
from genrelib.widgets import explore_dataset

__all__ = [
    "chapter_context",
    "check",
    "filled",
    "glue_values",
    "load_artist_index",
    "rounded",
    "explore_dataset",
    "plot_artists_per_genre",
    "plot_class_balance",
    "plot_durations",
    "summarize_report",
    "verify_dataset",
]

"""Chapter 01, the dataset: class balance, durations, artists, the verify report, listening.

Notebook: 01_dataset.
"""

from genrelib.chapters.context import chapter_context
from genrelib.chapters.display import rounded
from genrelib.data import summarize_report, verify_dataset
from genrelib.plots.dataset import plot_artists_per_genre, plot_class_balance, plot_durations
from genrelib.widgets import explore_dataset

__all__ = [
    "chapter_context",
    "rounded",
    "explore_dataset",
    "plot_artists_per_genre",
    "plot_class_balance",
    "plot_durations",
    "summarize_report",
    "verify_dataset",
]

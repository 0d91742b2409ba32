"""Chapter 05, the extended CRNN: chapter 04's steps for the larger model.

Notebook: 05_extended_crnn.
"""

from genrelib.chapters.c04_base_crnn import (
    layer_summary,
    metric_table,
    parameter_text,
    record_run_headlines,
    result_text,
    training_banner,
)
from genrelib.chapters.context import chapter_context
from genrelib.experiments import (
    collect_results,
    load_history,
    results_table,
    run_path,
    stored_test_evaluation,
)
from genrelib.models import parameter_comparison
from genrelib.plots import plot_confusion_matrix, plot_recall_with_ci, plot_training_curves

__all__ = [
    "chapter_context",
    "collect_results",
    "layer_summary",
    "load_history",
    "metric_table",
    "parameter_comparison",
    "parameter_text",
    "plot_confusion_matrix",
    "plot_recall_with_ci",
    "plot_training_curves",
    "record_run_headlines",
    "result_text",
    "results_table",
    "run_path",
    "stored_test_evaluation",
    "training_banner",
]

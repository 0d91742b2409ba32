"""Figures used by the book, one function a figure, grouped by chapter topic.

Notebook: every chapter.
"""

from genrelib.plots.audio import (  # noqa: F401
    plot_hop_comparison,
    plot_mel_bands,
    plot_mel_spectrogram,
    plot_tone_spectrum,
    plot_waveform,
)
from genrelib.plots.baselines import (  # noqa: F401
    plot_feature_agreement,
    plot_paper_comparison,
    plot_protocol_gap,
)
from genrelib.plots.collection import plot_collection_files, plot_novelty_distances  # noqa: F401
from genrelib.plots.evaluation import plot_confusion_matrix, plot_recall_with_ci  # noqa: F401
from genrelib.plots.explore import plot_clip, plot_genre_timeline  # noqa: F401
from genrelib.plots.honest import (  # noqa: F401
    plot_gap_intervals,
    plot_protocol_intervals,
    plot_recall_by_protocol,
)
from genrelib.plots.predict import plot_probability_timelines, plot_song_confidence  # noqa: F401
from genrelib.plots.split_length import (  # noqa: F401
    plot_accuracy_vs_length,
    plot_epochs_vs_length,
    plot_examples_vs_length,
    plot_training_time_vs_length,
)
from genrelib.plots.training import plot_loss_comparison, plot_training_curves  # noqa: F401

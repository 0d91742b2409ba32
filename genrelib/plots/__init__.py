"""Figures used by the book, one function a figure, grouped by chapter topic.

Notebook: every chapter.

Names are imported on first use (``lazy_loader``): a chapter loads only the plotting modules
it calls (``librosa.display`` alone costs a kernel 0.4 s).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "audio": [
            "plot_hop_comparison",
            "plot_mel_bands",
            "plot_mel_spectrogram",
            "plot_tone_spectrum",
            "plot_waveform",
        ],
        "baselines": [
            "plot_feature_agreement",
            "plot_paper_comparison",
            "plot_protocol_gap",
        ],
        "collection": [
            "plot_collection_files",
            "plot_novelty_distances",
        ],
        "evaluation": [
            "plot_confusion_matrix",
            "plot_recall_with_ci",
        ],
        "explore": [
            "plot_clip",
            "plot_genre_timeline",
        ],
        "honest": [
            "plot_gap_intervals",
            "plot_protocol_intervals",
            "plot_recall_by_protocol",
        ],
        "predict": [
            "plot_probability_timelines",
            "plot_song_confidence",
        ],
        "split_length": [
            "plot_accuracy_vs_length",
            "plot_epochs_vs_length",
            "plot_examples_vs_length",
            "plot_training_time_vs_length",
        ],
        "training": [
            "plot_loss_comparison",
            "plot_training_curves",
        ],
    },
)

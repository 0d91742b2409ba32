"""Chapter 03, baselines: the 57 hand-crafted features, Table IV, and our features against Kaggle's.

The two comparisons here serve this chapter alone: how our 30-s feature table agrees
with the published one (:func:`compare_feature_tables`), and why its ``tempo`` column
agrees only with reflect padding (:func:`tempo_padding_table`).

Notebook: 03_baselines.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from genrelib.audio import load_audio
from genrelib.baselines import (
    MODEL_LABELS,
    PAPER_TABLE_IV,
    paper_comparison,
    prepare_table,
    table_iv,
)
from genrelib.chapters.context import chapter_context
from genrelib.chapters.display import csv_download, glue_values, preview, rounded
from genrelib.config import BASELINES, DEFAULT_BASELINES, GENRES, SAMPLE_RATE, disk_memo
from genrelib.cross_validation import CV_PROTOCOLS, N_FOLDS, cross_validated_predictions
from genrelib.data.splits import artist_keys
from genrelib.errors import ConfigError
from genrelib.evaluation import confusion_table, exact_interval, recall_intervals
from genrelib.exercises import check, filled
from genrelib.features import (
    FEATURE_COLUMNS,
    FEATURE_VERSION,
    compute_features,
    read_feature_table,
    signal_features,
    tempo,
)
from genrelib.plots.baselines import (
    plot_feature_agreement,
    plot_leak_counts,
    plot_paper_comparison,
    plot_protocol_gap,
)
from genrelib.plots.evaluation import plot_confusion_matrix, plot_recall_with_ci
from genrelib.protocols import (
    baseline_predictions,
    protocol_summary,
    shared_across_split,
    shared_cells,
)
from genrelib.summary import SEED_TRACK_BOOTSTRAP, record_headline

__all__ = [
    "BASELINES",
    "CV_PROTOCOLS",
    "DEFAULT_BASELINES",
    "FEATURE_COLUMNS",
    "GENRES",
    "MODEL_LABELS",
    "N_FOLDS",
    "PAPER_TABLE_IV",
    "SAMPLE_RATE",
    "SEED_TRACK_BOOTSTRAP",
    "agreement_view",
    "artist_keys",
    "baseline_predictions",
    "chapter_context",
    "check",
    "compare_feature_tables",
    "compute_features",
    "confusion_table",
    "cross_validated_predictions",
    "csv_download",
    "exact_interval",
    "feature_families",
    "filled",
    "leak_view",
    "glue_values",
    "load_audio",
    "paper_comparison",
    "plot_confusion_matrix",
    "plot_feature_agreement",
    "plot_leak_counts",
    "plot_paper_comparison",
    "plot_protocol_gap",
    "plot_recall_with_ci",
    "prepare_table",
    "preview",
    "protocol_summary",
    "read_feature_table",
    "recall_intervals",
    "record_headline",
    "shared_across_split",
    "shared_cells",
    "signal_features",
    "table_iv",
    "tempo_padding_table",
    "tempo_padding_view",
]

FEATURE_FAMILIES: dict[str, tuple[str, str]] = {
    "rms": ("loudness: RMS energy", ""),
    "spectral_centroid": ("brightness: spectral centroid", "Hz"),
    "spectral_bandwidth": ("spread: spectral bandwidth", "Hz"),
    "rolloff": ("roll-off: 85 % of the energy below", "Hz"),
    "zero_crossing_rate": ("noisiness: zero-crossing rate", "share of samples"),
    "chroma_stft": ("harmony: chroma, mean of the 12 pitch classes", ""),
    "mfcc1": ("timbre: first MFCC", ""),
    "mfcc2": ("timbre: second MFCC", ""),
    "harmony": ("harmonic part of the waveform", ""),
    "perceptr": ("percussive part of the waveform", ""),
}
"""Prefix of each frame-wise quantity of the table, with its readable name and unit."""


def feature_families(values: Mapping[str, float]) -> Styler:
    """One clip's features by family: mean and variance over frames, readable names.

    Notebook: 03_baselines.

    Parameters
    ----------
    values : mapping
        Column name -> value for one clip (e.g. ``dict(zip(FEATURE_COLUMNS,
        signal_features(y)))``).

    Returns
    -------
    Styler
        One row per quantity of :data:`FEATURE_FAMILIES` plus tempo: ``mean over frames``,
        ``variance over frames`` and ``unit``; numbers in at most three decimals, in
        scientific notation below 0.01 and from 100,000.
    """
    rows = {
        name: {
            "mean over frames": values[f"{prefix}_mean"],
            "variance over frames": values[f"{prefix}_var"],
            "unit": unit,
        }
        for prefix, (name, unit) in FEATURE_FAMILIES.items()
    }
    rows["rhythm: tempo"] = {
        "mean over frames": values["tempo"],
        "variance over frames": np.nan,
        "unit": "beats per minute",
    }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("feature")
    numbers = ["mean over frames", "variance over frames"]
    return table.style.format(_short_number, subset=numbers, na_rep="")


def _short_number(value: float) -> str:
    """Three significant digits at most, in scientific notation far from 1 (no long floats)."""
    size = abs(value)
    if size == 0 or 0.01 <= size < 1:
        return f"{value:.3f}"
    if 1 <= size < 100:
        return f"{value:.1f}"
    if 100 <= size < 1e5:
        return f"{value:,.0f}"
    return f"{value:.2e}"


def compare_feature_tables(ours: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Per-column agreement of two feature tables on the rows they share (by ``filename``).

    Notebook: 03_baselines.

    Parameters
    ----------
    ours, reference : pandas.DataFrame
        Kaggle-style tables (:data:`TABLE_COLUMNS`), e.g. :func:`compute_features` output
        and the shipped 30-s table.

    Returns
    -------
    pandas.DataFrame
        One row per feature column (57), columns ``feature``, ``n`` (shared rows),
        ``pearson_r`` (across rows), ``median_rel_error`` and ``max_rel_error``
        (``|ours - reference| / |reference|`` per row), ``exact_fraction`` (rows with a
        relative error below 1e-4).

    Raises
    ------
    ConfigError
        If the tables share no row.
    """
    merged = ours.merge(reference, on="filename", suffixes=("_ours", "_ref"))
    if merged.empty:
        raise ConfigError("compare_feature_tables: the two tables share no filename")
    rows = []
    for name in FEATURE_COLUMNS:
        a = merged[f"{name}_ours"].to_numpy(dtype=np.float64)
        b = merged[f"{name}_ref"].to_numpy(dtype=np.float64)
        relative = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(np.float64).tiny)
        constant = np.std(a) == 0 or np.std(b) == 0
        rows.append(
            {
                "feature": name,
                "n": len(merged),
                "pearson_r": np.nan if constant else float(np.corrcoef(a, b)[0, 1]),
                "median_rel_error": float(np.median(relative)),
                "max_rel_error": float(np.max(relative)),
                "exact_fraction": float(np.mean(relative < 1e-4)),
            }
        )
    return pd.DataFrame(rows)


def agreement_view(agreement: pd.DataFrame) -> Styler:
    """Rows of :func:`compare_feature_tables` as the page shows them.

    Pearson r with 4 significant digits, relative errors in scientific notation (they run
    from 1e-8 to 1e-3), the exact fraction in percent.

    Notebook: 03_baselines.

    Parameters
    ----------
    agreement : pd.DataFrame
        Rows of :func:`compare_feature_tables`, shape (n_features, 6).

    Returns
    -------
    Styler
    """
    names = {
        "feature": "column",
        "n": "clips",
        "pearson_r": "Pearson r",
        "median_rel_error": "median relative error",
        "max_rel_error": "largest relative error",
        "exact_fraction": "clips within 1e-4",
    }
    shown = agreement.rename(columns=names)
    return shown.style.format(
        {
            "Pearson r": "{:.4g}".format,
            "median relative error": "{:.1e}".format,
            "largest relative error": "{:.1e}".format,
            "clips within 1e-4": "{:.0%}".format,
        },
        na_rep="-",
    ).hide(axis="index")


LEAK_COLUMNS: dict[str, str] = {
    "protocol": "split",
    "test_tracks": "test tracks",
    "tracks_in_train": "test tracks also in training",
    "test_artists": "test artists (known)",
    "artists_in_train": "test artists also in training",
}
"""Readable headers of :func:`genrelib.protocols.shared_across_split`."""


def leak_view(shared: pd.DataFrame) -> Styler:
    """:func:`genrelib.protocols.shared_across_split` as the page shows it: readable headers.

    Notebook: 03_baselines.

    Parameters
    ----------
    shared : pd.DataFrame
        One row per protocol, the counts of ``shared_across_split``.

    Returns
    -------
    Styler
    """
    return shared.rename(columns=LEAK_COLUMNS).style.hide(axis="index")


def tempo_padding_table(
    tracks: pd.DataFrame, reference: pd.DataFrame, ours: pd.DataFrame
) -> pd.DataFrame:
    """Tempo of each clip in a reference table, in ours (reflect padding) and with zero padding.

    Shows why the ``tempo`` column agrees only with reflect padding, librosa's default
    before 0.10: today's zero padding changes the onset envelope at the clip edges.

    Notebook: 03_baselines.

    Parameters
    ----------
    tracks : pandas.DataFrame
        Index of the clips (``path``, ``track_id``), e.g. from ``index_gtzan``.
    reference, ours : pandas.DataFrame
        Kaggle-style 30-s tables (``filename``, ``tempo``): the published one and ours.

    Returns
    -------
    pandas.DataFrame
        One row per clip: ``track_id``, ``table_bpm``, ``reflect_bpm``, ``zero_padded_bpm``.
    """
    filenames = tracks["track_id"] + ".wav"
    return pd.DataFrame(
        {
            "track_id": tracks["track_id"].to_numpy(),
            "table_bpm": reference.set_index("filename")["tempo"].reindex(filenames).to_numpy(),
            "reflect_bpm": ours.set_index("filename")["tempo"].reindex(filenames).to_numpy(),
            "zero_padded_bpm": [zero_padded_tempo(path) for path in tracks["path"]],
        }
    )


def _file_tempo(path: str, size: int, modified_ns: int, pad_mode: str) -> float:
    """:func:`~genrelib.features.tempo` of one audio file (size and time: the cache key)."""
    return tempo(load_audio(path), pad_mode=pad_mode)


def zero_padded_tempo(path: str | Path) -> float:
    """Tempo of one clip with zero padding, computed once per file and cached on disk.

    The cache (:func:`~genrelib.config.disk_memo`, ``tempo/<FEATURE_VERSION>``) is keyed
    by the file's path, size and modification time, so a changed file is measured again;
    a warm re-render of chapter 03 reads 100 numbers instead of 6 s of onset envelopes.

    Notebook: 03_baselines (through :func:`tempo_padding_table`).
    """
    memory = disk_memo("tempo", FEATURE_VERSION)
    status = Path(path).stat()
    return memory.cache(_file_tempo)(str(path), status.st_size, status.st_mtime_ns, "constant")


def tempo_padding_view(tempos: pd.DataFrame) -> list:
    """How many clips each padding gives another tempo than the table, and which ones.

    Notebook: 03_baselines.

    Parameters
    ----------
    tempos : pandas.DataFrame
        :func:`tempo_padding_table`.

    Returns
    -------
    list
        A sentence (Markdown) and the clips whose zero-padded tempo differs (BPM, 1 decimal).
    """
    differs = {
        name: ~np.isclose(tempos[column], tempos["table_bpm"])
        for name, column in (
            ("reflect padding (ours)", "reflect_bpm"),
            ("zero padding", "zero_padded_bpm"),
        )
    }
    sentence = "; ".join(
        f"with {name}, {int(mask.sum())} of {len(tempos)} clips get another tempo than the table"
        for name, mask in differs.items()
    )
    changed = tempos[differs["zero padding"]].rename(
        columns={
            "track_id": "clip",
            "table_bpm": "Kaggle table (BPM)",
            "reflect_bpm": "ours, reflect padding (BPM)",
            "zero_padded_bpm": "zero padding (BPM)",
        }
    )
    return [
        Markdown(sentence[0].upper() + sentence[1:] + "."),
        rounded(changed, 1, hide_index=True),
    ]

"""Chapter 04, the base CRNN: its layers, one training run, its test scores, its headlines.

The helpers here are those of every training chapter: chapters 05 and 06 import them
from this module, as a later chapter builds on an earlier one.

Notebook: 04_base_crnn (and 05_extended_crnn, 06_resnet_transfer).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from genrelib.audio import SpectrogramSet, build_spectrogram_set
from genrelib.chapters.context import ChapterContext, chapter_context
from genrelib.chapters.display import glue_values, percent_interval, rounded
from genrelib.config import Profile, get_profile
from genrelib.evaluation import Evaluation, predict_proba
from genrelib.exercises import check, filled
from genrelib.experiments import (
    Experiment,
    collect_results,
    load_history,
    load_test_predictions,
    results_table,
    run_path,
    split_sets,
    stored_test_evaluation,
)
from genrelib.models import (
    BaseCRNN,
    conv_block,
    count_parameters,
    parameter_comparison,
    receptive_field,
)
from genrelib.models.crnn import BASE_FILTERS, BASE_POOLS
from genrelib.plots import plot_confusion_matrix, plot_recall_with_ci, plot_training_curves
from genrelib.project import results_root
from genrelib.summary import EXACT_BINOMIAL, TRACK_BOOTSTRAP, record_headline
from genrelib.training.checkpoint import load_checkpoint
from genrelib.training.data import (
    NormalizedModel,
    SpectrogramDataset,
    band_statistics,
    collate_chunks,
)

LEVEL_NAMES: dict[str, str] = {
    "chunk": "chunks",
    "track_mean": "tracks (mean probability)",
    "track_vote": "tracks (majority vote)",
}
"""The evaluation levels as the pages name them."""

__all__ = [
    "BASE_FILTERS",
    "BASE_POOLS",
    "BaseCRNN",
    "LEVEL_NAMES",
    "NormalizedModel",
    "SpectrogramDataset",
    "band_statistics",
    "chapter_context",
    "chapter_sets",
    "check",
    "collate_chunks",
    "conv_block",
    "filled",
    "glue_values",
    "load_checkpoint",
    "load_test_predictions",
    "predict_proba",
    "receptive_field",
    "score_table",
    "collect_results",
    "count_parameters",
    "get_profile",
    "load_history",
    "parameter_comparison",
    "plot_confusion_matrix",
    "plot_recall_with_ci",
    "plot_training_curves",
    "real_runs_view",
    "record_run_headlines",
    "results_table",
    "rounded",
    "run_path",
    "seed_runs",
    "seed_table",
    "seed_text",
    "stored_test_evaluation",
    "training_banner",
]


def training_banner(ch: ChapterContext, experiment: Experiment, extra: str = "") -> Markdown:
    """Opening line of a training chapter: data, tracks, chunk length, mel settings, protocol.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    mel = ch.profile.mel
    return Markdown(
        f"**Profile `{ch.profile.name}`: {ch.source}; {len(ch.tracks)} tracks, "
        f"{experiment.chunk_seconds:g}-s chunks, mel `{mel.name}` (hop {mel.hop_length}), "
        f"split protocol `{experiment.protocol}`{extra}.**"
    )


def chapter_sets(ch: ChapterContext, experiment: Experiment) -> dict[str, SpectrogramSet]:
    """The train, valid and test chunks of ``experiment``, split as its run splits them.

    The spectrograms come from the cache the run filled (computed once otherwise); the split
    is :func:`genrelib.experiments.split_sets` with the run's protocol and seed, so the test
    set is the one the stored run was scored on.

    Notebook: 04_base_crnn.

    Returns
    -------
    dict of str to SpectrogramSet
        ``train``, ``valid``, ``test``; each chunk (n_mels, n_frames).
    """
    spectrograms = build_spectrogram_set(
        ch.tracks,
        experiment.mel,
        ch.profile.chunk_config(experiment.chunk_seconds),
        progress=False,
    )
    return split_sets(spectrograms, experiment.protocol, experiment.seed)


def score_table(evaluation: Evaluation) -> pd.DataFrame:
    """Test accuracy and macro F1 of each level, in % with their 95 % bootstrap intervals.

    Notebook: 04_base_crnn.

    Returns
    -------
    pd.DataFrame
        Index: the levels (:data:`LEVEL_NAMES`); columns ``accuracy (%) [95 % interval]``
        and ``macro F1 (%) [95 % interval]``, as ``"estimate [low, high]"`` with one decimal.
    """
    metrics = evaluation.metrics.set_index(["level", "metric"])
    table = {}
    for metric, name in (("accuracy", "accuracy"), ("f1_macro", "macro F1")):
        table[f"{name} (%) [95 % interval]"] = {
            LEVEL_NAMES[level]: percent_interval(*metrics.loc[(level, metric)])
            for level in LEVEL_NAMES
        }
    frame = pd.DataFrame(table)
    frame.index.name = "test set scored as"
    return frame


def seed_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The stored runs of one setting, one row per seed, as the page prints them.

    Notebook: 04_base_crnn.

    Parameters
    ----------
    runs : pd.DataFrame
        Output of :func:`seed_runs`.

    Returns
    -------
    pd.DataFrame
        Columns ``seed``, ``epochs (best)``, ``train chunks (%)``, ``valid chunks (%)``,
        ``test chunks (%)`` (accuracy, one decimal) and ``test tracks (%) [95 % interval]``
        (track accuracy with its exact binomial interval).
    """

    def percent(column: str) -> pd.Series:
        return (100 * runs[column]).map("{:.1f}".format)

    table = pd.DataFrame(
        {
            "seed": runs["seed"].astype(int),
            "epochs (best)": runs["epochs_run"].astype(str)
            + " ("
            + runs["best_epoch"].astype(str)
            + ")",
            "train chunks (%)": percent("train_chunk_accuracy"),
            "valid chunks (%)": percent("valid_chunk_accuracy"),
            "test chunks (%)": percent("test_chunk_accuracy"),
            "test tracks (%) [95 % interval]": [
                percent_interval(*bounds)
                for bounds in runs[
                    ["test_track_accuracy", "test_track_accuracy_low", "test_track_accuracy_high"]
                ].to_numpy()
            ],
        }
    )
    return table.reset_index(drop=True)


def seed_runs(results: str | Path, experiment: Experiment, profile: Profile) -> pd.DataFrame:
    """Stored runs of ``experiment`` under every seed, in seed order.

    A run counts when it shares the model, chunk length, protocol, model options,
    spectrogram and the profile's patience with ``experiment``; only the seed (hence the
    track split and the initial weights) differs.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Returns
    -------
    pd.DataFrame
        Rows of :func:`genrelib.experiments.collect_results` (maybe empty).
    """
    runs = collect_results(results)
    if runs.empty:
        return runs
    same = (
        (runs["model"] == experiment.model)
        & (runs["chunk_seconds"] == experiment.chunk_seconds)
        & (runs["protocol"] == experiment.protocol)
        & (runs["model_options"] == json.dumps(experiment.options, sort_keys=True))
        & (runs["mel"] == experiment.mel.name)
        & (runs["hop_length"] == experiment.mel.hop_length)
        & (runs["patience"] == profile.patience)
    )
    return runs[same].sort_values("seed", ignore_index=True)


def seed_text(runs: pd.DataFrame) -> Markdown:
    """Mean and range over the seeds of :func:`seed_runs`, with what the spread means.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    if runs.empty:
        return Markdown("No stored run of this setting yet.")
    track = 100 * runs["test_track_accuracy"]
    f1 = 100 * runs["test_chunk_f1_micro"]
    seeds = ", ".join(str(seed) for seed in runs["seed"])
    if len(runs) == 1:
        return Markdown(
            f"One seed stored ({seeds}): test track accuracy {track.iloc[0]:.1f} %, test chunk F1 "
            f"{f1.iloc[0]:.1f} %. More seeds would show how much of it is luck of the split."
        )
    capped = int((~runs["stopped_early"].astype(bool)).sum())
    return Markdown(
        f"{len(runs)} seeds ({seeds}): test track accuracy {track.mean():.1f} % on average, "
        f"from {track.min():.1f} to {track.max():.1f} %; test chunk F1 {f1.mean():.1f} % "
        f"(from {f1.min():.1f} to {f1.max():.1f} %). Each seed draws its own split of the "
        f"{int(runs['n_test_tracks'].iloc[0])} test tracks as well as its own initial weights, "
        "so the spread shows how far the number of a single run can be trusted."
        + (f" {capped} of the runs reached the epoch cap." if capped else "")
    )


def real_runs_view(ch: ChapterContext, experiments: Sequence[Experiment]) -> list:
    """What the "Results on real clips" section shows: the stored ``cpu`` runs, or a pointer.

    On real clips the results above are the runs themselves; on synthetic clips this lists
    the stored ``cpu``-profile runs (every seed) of the same settings from
    ``results/cpu`` of the project.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Returns
    -------
    list
        Objects to display: Markdown and tables.
    """
    if not ch.synthetic:
        return [Markdown("This page is built from real clips: the results above are those runs.")]
    cpu = get_profile("cpu")
    shown = []
    for experiment in experiments:
        real = Experiment.from_profile(
            cpu,
            experiment.model,
            experiment.protocol,
            experiment.seed,
            None,
            **experiment.options,
        )
        runs = seed_runs(results_root() / "cpu", real, cpu)
        shown += [Markdown(f"`{real.name}` on real clips, `cpu` profile:"), seed_text(runs)]
        if not runs.empty:
            shown.append(results_table(runs))
    return shown


def record_run_headlines(
    ch: ChapterContext,
    chapter: str,
    label: str,
    result: dict,
    paper_chunk_f1: float = math.nan,
    seeds: pd.DataFrame | None = None,
) -> None:
    """Record a run's test chunk F1 and test track accuracy in the book's headline table.

    With ``seeds`` (:func:`seed_runs`, two or more), a third row gives the mean test track
    accuracy over the seeds, with their range in the data column (no interval).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Parameters
    ----------
    ch : ChapterContext
        The chapter's context (profile, data, results folder).
    chapter : str
        Chapter file stem, e.g. ``"04_base_crnn"``.
    label : str
        The model as the table names it, e.g. ``"base CRNN"``.
    result : dict
        The run's result row.
    paper_chunk_f1 : float
        The paper's number for the chunk F1 cell (NaN when it has none).
    seeds : pd.DataFrame or None
        The stored runs of the same setting under every seed.
    """
    data = ch.headline_data
    setting = f"{label}, {result['chunk_seconds']:g}-s chunks"
    for name, key, paper, interval in (
        ("test chunk F1", "test_chunk_accuracy", paper_chunk_f1, TRACK_BOOTSTRAP),
        ("test track accuracy", "test_track_accuracy", math.nan, EXACT_BINOMIAL),
    ):
        record_headline(
            chapter,
            f"{setting}, seed {result['seed']}, {name}",
            100 * result[key],
            ch.profile.name,
            low=100 * result[f"{key}_low"],
            high=100 * result[f"{key}_high"],
            interval=interval,
            paper=paper,
            data=data,
            protocol=result["protocol"],
            results=ch.results,
        )
    if seeds is not None and len(seeds) >= 2:
        track = 100 * seeds["test_track_accuracy"]
        record_headline(
            chapter,
            f"{setting}, test track accuracy, mean of {len(seeds)} seeds",
            float(track.mean()),
            ch.profile.name,
            data=f"{data}; seeds {track.min():.0f} to {track.max():.0f} %",
            protocol=result["protocol"],
            results=ch.results,
        )

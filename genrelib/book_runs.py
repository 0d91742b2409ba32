"""Every training run the book reads, planned from the chapters and trained in one command.

The chapters train what they read when it is missing, one run after another. On a GPU
box it is faster to train every run first, several at a time, and then render the book
without training (``genrelib book run --no-train``). :func:`book_runs` asks each
chapter module for the experiments its notebook runs with its default parameters (so a
run trained here has the key the chapter looks for), and :func:`train_book_runs` trains
the missing ones in parallel processes; every run is resumable and written atomically.

Command line: ``genrelib book train --profile cpu --data-dir <GTZAN folder> --jobs 8``.

Notebook: none (it feeds 04_base_crnn to 11_own_collection).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

import pandas as pd
import torch

from genrelib.audio import build_spectrogram_set
from genrelib.chapters.c06_resnet_transfer import resnet_heads
from genrelib.chapters.c07_split_length import GRID_KEEP, grid_cells
from genrelib.chapters.c09_honest_evaluation import (
    PROTOCOL_MIN_SEEDS,
    PROTOCOL_MODELS,
    deep_experiments,
)
from genrelib.chapters.c10_reproducibility import (
    comparison_experiments,
    comparison_setup,
    comparison_variants,
)
from genrelib.chapters.c11_own_collection import SUBDIR as COLLECTION_SUBDIR
from genrelib.chapters.c11_own_collection import collection_experiment, demo_collection
from genrelib.chapters.context import (
    ChapterContext,
    chapter_context,
    run_chapter_experiment,
    training_profile,
)
from genrelib.config import Profile
from genrelib.errors import ConfigError, GenrelibError
from genrelib.experiments import (
    Experiment,
    RunPlan,
    plan_run,
    read_result,
    retrains,
    training_allowed,
)
from genrelib.progress import tqdm

CHAPTER_PROTOCOL = "track"
"""Split protocol of chapters 04-07 by default (their ``protocol`` parameter)."""


@dataclass
class BookRun:
    """One training run a chapter reads.

    Notebook: none (``genrelib book train``).

    Attributes
    ----------
    chapter : str
        The first chapter that reads it, e.g. ``"04_base_crnn"``.
    experiment : Experiment
        What is trained.
    tracks : pd.DataFrame
        Its tracks, shape (n_tracks, >=5).
    profile : Profile
        Its run size.
    keep : tuple of str
        Checkpoints a chapter reads afterwards (kept even in smoke).
    train_overrides : dict
        Training settings the chapter overrides (chapter 10: patience and epochs).
    classes : tuple of str or None
        A collection's labels (chapter 11); ``None`` for GTZAN.
    subdir : str
        Folder of the run's ``runs/`` under the results folder (chapter 11's own).
    """

    chapter: str
    experiment: Experiment
    tracks: pd.DataFrame
    profile: Profile
    keep: tuple[str, ...] = ()
    train_overrides: dict = field(default_factory=dict)
    classes: tuple[str, ...] | None = None
    subdir: str = ""

    def plan(self, results: Path) -> RunPlan:
        """Where and how this run lives under ``results`` (:func:`plan_run`)."""
        return plan_run(
            self.experiment,
            self.tracks,
            self.profile,
            results / self.subdir,
            self.train_overrides,
            self.classes,
        )


def _chapter_runs(ch: ChapterContext, training: ChapterContext) -> list[BookRun]:
    """The runs of chapters 04-07, 09, 10 and 11, in chapter order (duplicates included).

    Chapters 04-06 train one seed and show every stored seed of their setting; the other
    seeds of chapter 09's count are planned here so that their seed tables are full.
    """
    runs = [
        BookRun(
            "04_base_crnn",
            training.experiment("base_crnn", CHAPTER_PROTOCOL),
            training.tracks,
            training.profile,
            ("best.pt",),
        ),
        BookRun(
            "05_extended_crnn",
            training.experiment("extended_crnn", CHAPTER_PROTOCOL),
            training.tracks,
            training.profile,
        ),
    ]
    heads, _ = resnet_heads(training, CHAPTER_PROTOCOL)
    runs += [
        BookRun("06_resnet_transfer", experiment, training.tracks, training.profile)
        for experiment in heads.values()
    ]
    seeds = ch.seeds(None, at_least=PROTOCOL_MIN_SEEDS)
    runs += [  # the other seeds of chapters 04-06's seed tables (seed_runs): read, never trained
        BookRun(run.chapter, replace(run.experiment, seed=seed), run.tracks, run.profile)
        for run in list(runs)
        for seed in seeds
        if seed != run.experiment.seed
    ]
    runs += [
        BookRun("07_split_length", experiment, tracks, profile, GRID_KEEP)
        for experiment, tracks, profile in grid_cells(
            ch.tracks, ch.profile, protocol=CHAPTER_PROTOCOL, seed=ch.seed
        )
    ]
    profile, tracks, experiments, _ = deep_experiments(ch, PROTOCOL_MODELS, seeds)
    runs += [BookRun("09_honest_evaluation", e, tracks, profile) for e in experiments]
    comparison = comparison_setup(ch)
    for variant in comparison_variants(comparison).values():
        options = dict(variant)
        keep = tuple(options.pop("keep", ()))
        runs += [
            BookRun(
                "10_reproducibility",
                e,
                comparison.tracks,
                comparison.profile,
                keep,
                dict(comparison.overrides),
            )
            for e in comparison_experiments(comparison, **options)
        ]
    collection = demo_collection(ch)  # written into the cache if it is not there yet
    runs.append(
        BookRun(
            "11_own_collection",
            collection_experiment(ch, collection),
            collection.tracks,
            training_profile(ch.profile),
            classes=collection.classes,
            subdir=COLLECTION_SUBDIR,
        )
    )
    return runs


def book_runs(
    profile: str,
    data_dir: str | Path | None = None,
    results_dir: str | Path | None = None,
    seed: int = 0,
    chapters: Sequence[str] | None = None,
) -> tuple[list[BookRun], Path]:
    """Every run the training chapters read with their default parameters, each once.

    Notebook: none (``genrelib book train``).

    Parameters
    ----------
    profile : {"smoke", "cpu", "full"}
        The book's profile.
    data_dir : str, Path or None
        GTZAN folder (as ``genrelib book run --data-dir``).
    results_dir : str, Path or None
        Results folder (``None``: ``<results root>/<profile>``, the root being
        ``$GENRELIB_RESULTS`` or the project's ``results/``: :func:`genrelib.project.results_root`).
    seed : int
        The chapters' ``seed`` parameter.
    chapters : sequence of str or None
        Keep only the runs of chapters whose name contains one of these (``None``: all).

    Returns
    -------
    runs : list of BookRun
        One per run folder, in chapter order; a run read by several chapters is listed
        under the first, with every chapter's checkpoints in ``keep``.
    results : Path
        The results folder the runs live in.
    """
    ch = chapter_context(profile, data_dir, results_dir=results_dir, seed=seed)
    training = chapter_context(profile, data_dir, results_dir=results_dir, seed=seed, training=True)
    unique: dict[Path, BookRun] = {}
    for run in _chapter_runs(ch, training):
        if chapters and not any(part in run.chapter for part in chapters):
            continue
        plan = run.plan(ch.results)
        if plan.run_dir in unique:
            first = unique[plan.run_dir]
            first.keep = tuple(sorted(set(first.keep) | set(run.keep)))
        else:
            unique[plan.run_dir] = run
    return list(unique.values()), ch.results


def _worker_setup(threads: int) -> None:
    """Share the machine's cores among the worker processes."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)


def _train(run: BookRun, results: Path, overrides: dict, synthetic: bool) -> dict:
    """Train (or read back) one run; return its summary row (in a worker process)."""
    started = time.perf_counter()
    row = run_chapter_experiment(
        run.experiment,
        run.tracks,
        run.profile,
        results / run.subdir,
        synthetic,
        run.keep,
        progress=False,
        train_overrides={**overrides, **run.train_overrides},
        classes=run.classes,
    )
    return {
        "chapter": run.chapter,
        "run_dir": row["run_dir"],
        "test_track_accuracy": row["test_track_accuracy"],
        "epochs_run": row["epochs_run"],
        "max_epochs": row["max_epochs"],
        "stopped_early": row["stopped_early"],
        "seconds": round(time.perf_counter() - started, 1),
    }


MODEL_COST_RANK = {"resnet18": 0, "extended_crnn": 1, "base_crnn": 2}
"""Order in which runs start: the slowest models first, so no long run starts last."""


def _cost_rank(run: BookRun) -> tuple[int, int, float]:
    """Sort key putting slow runs first: model, then finer hop, then shorter chunks."""
    experiment = run.experiment
    return (
        MODEL_COST_RANK.get(experiment.model, 3),
        experiment.mel.hop_length,
        experiment.chunk_seconds,
    )


def _prepare_spectrograms(runs: Sequence[BookRun], results: Path, progress: bool) -> None:
    """Compute every spectrogram set the runs need once, before the workers share it."""
    seen = set()
    for run in runs:
        chunks = run.plan(results).chunk_config
        key = (run.experiment.mel.key(), chunks.key(), tuple(run.tracks["path"]))
        if key not in seen:
            seen.add(key)
            build_spectrogram_set(run.tracks, run.experiment.mel, chunks, progress=progress)


def train_book_runs(
    runs: Sequence[BookRun],
    results: str | Path,
    synthetic: bool,
    jobs: int = 1,
    device: str = "auto",
    max_epochs: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Train every run that is not stored yet, ``jobs`` at a time; read back the others.

    Stored runs are read back here; only the missing ones (and, in smoke, those made by
    other code: :func:`genrelib.experiments.retrains`) go to the worker processes,
    after their spectrograms are computed once (not when training is switched off: they
    then fail in the workers with a line naming each).

    Notebook: none (``genrelib book train``).

    Parameters
    ----------
    runs : sequence of BookRun
        From :func:`book_runs`.
    results : str or Path
        The results folder.
    synthetic : bool
        Whether the tracks are the synthetic clips.
    jobs : int
        Runs trained at once, each in its own process (they share the GPU, if any).
    device : str
        Training device (``auto``, ``cpu``, ``cuda``).
    max_epochs : int or None
        Epoch budget of runs whose chapter sets none (``None``: the profile's). A larger
        budget than the profile's lets early stopping end the runs; the chapters read such
        runs back as they are.
    progress : bool
        Show progress bars.

    Returns
    -------
    pd.DataFrame
        One row per run: chapter, run_dir, test_track_accuracy, epochs_run, max_epochs,
        stopped_early, seconds; failed runs have an ``error`` instead.

    Raises
    ------
    ConfigError
        If ``jobs`` or ``max_epochs`` is not positive.
    """
    if jobs < 1 or (max_epochs is not None and max_epochs < 1):
        raise ConfigError(f"jobs and max_epochs must be positive, got {jobs} and {max_epochs}")
    results = Path(results)
    overrides = {"device": device, **({"max_epochs": max_epochs} if max_epochs else {})}
    rows, pending = [], []
    for run in runs:
        stored = read_result(run.plan(results).run_dir)
        if stored is None or retrains(stored, run.profile):  # smoke: made by other code
            pending.append(run)
        else:
            rows.append(_train(run, results, overrides, synthetic))
    pending.sort(key=_cost_rank)
    if pending and training_allowed():
        _prepare_spectrograms(pending, results, progress)
    if jobs > 1:
        overrides["num_workers"] = 0  # the processes already share the cores
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ProcessPoolExecutor(jobs, get_context("spawn"), _worker_setup, (threads,)) as pool:
        futures = {pool.submit(_train, run, results, overrides, synthetic): run for run in pending}
        for future in tqdm(
            as_completed(futures),
            total=len(futures),
            desc="book runs",
            unit="run",
            disable=not progress,
        ):
            run = futures[future]
            try:
                rows.append(future.result())
            except GenrelibError as error:
                rows.append(
                    {"chapter": run.chapter, "run_dir": run.experiment.name, "error": str(error)}
                )
    return pd.DataFrame(rows).sort_values(["chapter", "run_dir"], ignore_index=True)

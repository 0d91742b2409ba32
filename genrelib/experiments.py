"""One complete, resumable training experiment: spectrograms, split, training, evaluation, files.

:func:`run_experiment` is what chapters 04-07 and 09 call instead of repeating the
pipeline. An :class:`Experiment` names *what* is trained (model, chunk length, split
protocol, seed, model options, spectrogram); the profile says *how long* (epochs,
patience, batch size, chunk cap). Each run lives in its own folder::

    <results_root>/runs/<run key>/
        best.pt, last.pt            checkpoints (genrelib.training.train)
        history.csv, history.json   one row per epoch
        test_predictions.csv        one row per test chunk: true, predicted, probabilities
        result.json                 the tidy result row (written last, atomically)

The run key joins the experiment's readable name and hash with a hash of the training
setup (training settings, chunk config, which tracks), so runs made with other settings
or on other data never share a folder. When ``result.json`` is there, the run is
finished and is read back without training (unless more epochs are asked for than it
ran without stopping early: it then continues): a GPU run of the ``full`` profile can be
copied into ``results/full/`` and the book re-rendered from it. An interrupted run
resumes from ``last.pt``. :func:`collect_results` gathers every row into one table.

A collection of your own (``classes`` given, :mod:`genrelib.data.collection`) runs the same
way, with three differences: its labels are its own (in the checkpoints and in the columns
of ``test_predictions.csv``), its tracks give as many chunks as they hold
(``ChunkConfig.variable_length``), and its run key also covers each file's size and time, so
a changed collection trains a new run (:func:`why_new_run` names what changed).

The run key names what was asked for, not the code that answered: each new
``result.json`` also records :func:`code_fingerprint`, a short hash of the source files
that decide a run (:data:`CODE_SOURCES`). A stored run read back with another (or no)
fingerprint is retrained in the ``smoke`` profile when training is allowed (it is cheap,
and CI must test the code it runs); otherwise it is read back as it is, its row saying
``code_current: False``, and a line is logged (logger ``genrelib.experiments``, level
INFO: silent unless logging is configured, so the published pages stay clean).

Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
09_honest_evaluation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import genrelib
from genrelib.atomic import atomic_write, file_lock
from genrelib.audio import SpectrogramSet, build_spectrogram_set
from genrelib.config import (
    GENRES,
    NO_TRAINING_ENV,
    ChunkConfig,
    MelConfig,
    Profile,
    _stable_key,
)
from genrelib.data import PROTOCOLS, assign_splits
from genrelib.errors import ConfigError, RunNotStoredError
from genrelib.evaluation import Evaluation, evaluate_probabilities, predict_proba
from genrelib.models import DEEP_MODELS, check_model_options
from genrelib.training import TrainConfig, TrainResult, distributed, load_checkpoint, train

SPLITS: tuple[str, ...] = ("train", "valid", "test")
"""Sets every experiment is evaluated on."""

RESULT_FILE = "result.json"
PREDICTIONS_FILE = "test_predictions.csv"
HISTORY_FILE = "history.csv"
RUNS_DIR = "runs"
PROBABILITY_PREFIX = "p_"
"""Prefix of the probability columns of ``test_predictions.csv``, one per class, in order."""

CODE_SOURCES: tuple[str, ...] = (
    "audio",
    "models",
    "training",
    "experiments.py",
    "evaluation.py",
    "data/splits.py",
    "config.py",
)
"""Parts of the package (relative to its folder) whose code decides what a run computes:
the ``.py`` files of these folders and these files make :func:`code_fingerprint`."""

SMOKE_PROFILE = "smoke"
"""The profile whose stored runs are retrained when the code changed (cheap; what CI runs)."""

logger = logging.getLogger(__name__)

SETUP_IGNORED = ("device", "amp", "precision", "num_workers", "max_epochs")
"""Training settings left out of the run key: the device ones do not change what a run means
(a GPU result re-renders on a CPU); ``max_epochs`` may grow, and the run then continues."""


def _options_tuple(options) -> tuple[tuple[str, object], ...]:
    """Sorted ``(key, value)`` pairs from a mapping or a sequence of pairs."""
    pairs = dict(options.items()) if isinstance(options, Mapping) else dict(options)
    for key, value in pairs.items():
        if not isinstance(value, (bool, int, float, str, type(None))):
            raise ConfigError(
                f"Experiment: model option {key!r} must be a bool, number, string or None "
                f"(got {type(value).__name__}), so that the experiment has a stable key"
            )
    return tuple(sorted(pairs.items()))


@dataclass(frozen=True)
class Experiment:
    """What one training run trains: model, chunk length, split protocol, seed, spectrogram.

    Hashable and stable across sessions: :meth:`key` names its result folder.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
    09_honest_evaluation.

    Parameters
    ----------
    model : str
        One of :data:`genrelib.models.DEEP_MODELS`.
    chunk_seconds : float
        Chunk length, in seconds (the paper: 30, 10, 3 or 1).
    protocol : {"paper", "track", "artist", "fault-filtered"}
        How chunks are split (:func:`genrelib.data.assign_splits`): ``"paper"`` splits
        chunks at random as the paper did; the others keep every track in one set.
    seed : int
        Seed of the split and of the training (initialisation, dropout, shuffles).
    model_options : mapping or tuple of (str, value) pairs
        Options of :func:`genrelib.models.build_model`, e.g. ``{"faithful": True}``;
        stored as a sorted tuple of pairs.
    mel : MelConfig
        Spectrogram parameters.
    """

    model: str = "base_crnn"
    chunk_seconds: float = 3.0
    protocol: str = "track"
    seed: int = 0
    model_options: tuple[tuple[str, object], ...] = ()
    mel: MelConfig = field(default_factory=MelConfig.authors_code)

    def __post_init__(self) -> None:
        if self.model not in DEEP_MODELS:
            raise ConfigError(
                f"Experiment: unknown model {self.model!r}; choose one of {DEEP_MODELS}"
            )
        if self.protocol not in PROTOCOLS:
            raise ConfigError(
                f"Experiment: unknown protocol {self.protocol!r}; choose one of {PROTOCOLS}"
            )
        if not self.chunk_seconds > 0:
            raise ConfigError(f"Experiment: chunk_seconds must be > 0, got {self.chunk_seconds}")
        if not isinstance(self.mel, MelConfig):
            raise ConfigError("Experiment: mel must be a genrelib.config.MelConfig")
        options = _options_tuple(self.model_options)
        check_model_options(self.model, dict(options))
        object.__setattr__(self, "model_options", options)
        object.__setattr__(self, "chunk_seconds", float(self.chunk_seconds))
        object.__setattr__(self, "seed", int(self.seed))

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        model: str = "base_crnn",
        protocol: str = "track",
        seed: int = 0,
        chunk_seconds: float | None = None,
        **model_options,
    ) -> Experiment:
        """The experiment a chapter runs: the profile's mel config and chunk length by default.

        Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
        """
        seconds = profile.chunk_seconds if chunk_seconds is None else chunk_seconds
        return cls(model, seconds, protocol, seed, tuple(model_options.items()), profile.mel)

    @property
    def options(self) -> dict:
        """Model options as a dict (for :func:`genrelib.models.build_model`)."""
        return dict(self.model_options)

    @property
    def name(self) -> str:
        """Readable name, e.g. ``base_crnn-3s-track-seed0`` (``+faithful=True`` for options)."""
        text = f"{self.model}-{self.chunk_seconds:g}s-{self.protocol}-seed{self.seed}"
        shown = [(k, v) for k, v in self.model_options if k != "weights_path"]
        return text + "".join(f"+{key}={value}" for key, value in shown)

    def to_dict(self) -> dict:
        """Plain-data description (JSON-serialisable)."""
        return {
            "model": self.model,
            "chunk_seconds": self.chunk_seconds,
            "protocol": self.protocol,
            "seed": self.seed,
            "model_options": dict(self.model_options),
            "mel": asdict(self.mel),
        }

    def key(self) -> str:
        """Readable name plus a stable short hash of every field, safe as a folder name.

        A ``weights_path`` option says where the weights file lies on this machine, not
        what the model is, so it is left out: a run keeps its key on another machine.
        """
        payload = self.to_dict()
        payload["mel"] = self.mel.key()
        payload["model_options"].pop("weights_path", None)
        readable = f"{self.model}-{self.chunk_seconds:g}s-{self.protocol}-seed{self.seed}"
        return f"{readable}-{_stable_key(payload)[:8]}"


def data_fingerprint(tracks: pd.DataFrame, files: bool = False) -> str:
    """Short hash of which tracks a run uses (ids and artists, not paths, so it is portable).

    Synthetic clips carry GTZAN-like ids but ``synthetic ...`` artists, so they never
    share a fingerprint with real clips. GTZAN's clips never change; a collection of your
    own does, so with ``files`` the hash also covers each file's label, size and
    modification time: adding, removing, editing or relabelling a file gives a new run.

    Notebook: 04_base_crnn; ``genrelib train --data-dir`` (``files=True``).
    """
    columns = [tracks["track_id"].astype(str).tolist(), tracks["artist"].astype(str).tolist()]
    if files:
        stats = [os.stat(path) for path in tracks["path"]]
        columns += [
            tracks["genre"].astype(str).tolist(),
            [stat.st_size for stat in stats],
            [stat.st_mtime_ns for stat in stats],
        ]
    rows = sorted(zip(*columns, strict=True))
    return _stable_key({"tracks": rows})[:8]


def _setup(
    config: TrainConfig,
    chunk_config: ChunkConfig,
    tracks: pd.DataFrame,
    classes: tuple[str, ...] | None = None,
) -> dict:
    """The training setup a run key hashes; ``classes`` (a collection's) adds its labels and
    a fingerprint of its files (:func:`data_fingerprint`)."""
    train_fields = {k: v for k, v in config.to_dict().items() if k not in SETUP_IGNORED}
    setup = {
        "train_config": train_fields,
        "chunk_config": chunk_config.to_dict(),
        "data": data_fingerprint(tracks, files=classes is not None),
        "n_tracks": int(tracks["track_id"].nunique()),
    }
    if classes is not None:
        setup["classes"] = list(classes)
    return setup


def run_key(
    experiment: Experiment,
    config: TrainConfig,
    chunk_config: ChunkConfig,
    tracks: pd.DataFrame,
    classes: tuple[str, ...] | None = None,
) -> str:
    """Folder name of a run: ``<experiment.key()>-<hash of the training setup and data>``.

    ``classes`` is given for a collection of your own (:func:`_setup`); GTZAN runs leave it
    out, so their keys stay those of the committed runs.

    Notebook: 04_base_crnn.
    """
    return _key_of(experiment, _setup(config, chunk_config, tracks, classes))


def _key_of(experiment: Experiment, setup: dict) -> str:
    return f"{experiment.key()}-{_stable_key(setup)[:6]}"


def code_files(package: str | Path | None = None) -> list[Path]:
    """The source files :func:`code_fingerprint` hashes, sorted by their path in the package.

    Parameters
    ----------
    package : str, Path or None
        The package folder (default: the installed ``genrelib``'s).

    Raises
    ------
    ConfigError
        If a part of :data:`CODE_SOURCES` is missing (a broken install).
    """
    root = Path(genrelib.__file__).resolve().parent if package is None else Path(package)
    files = []
    for part in CODE_SOURCES:
        path = root / part
        if path.is_dir():
            files += [f for f in path.rglob("*.py") if "__pycache__" not in f.parts]
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path} is missing: cannot fingerprint the code of a run")
    return sorted(files, key=lambda f: f.relative_to(root).as_posix())


def _hash_code(package: Path) -> str:
    digest = hashlib.sha256()
    for path in code_files(package):
        name = path.relative_to(package).as_posix()
        text = path.read_bytes().replace(b"\r\n", b"\n")  # a Windows checkout hashes the same
        digest.update(f"{name}\0{len(text)}\0".encode())
        digest.update(text)
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def _installed_code_fingerprint() -> str:
    return _hash_code(Path(genrelib.__file__).resolve().parent)


def code_fingerprint(package: str | Path | None = None) -> str:
    """Short sha256 of the code a run's result depends on (:data:`CODE_SOURCES`).

    Every file's path in the package and its bytes (line endings made ``\\n``) are
    hashed in path order, so the fingerprint is the same on every machine with the
    same sources. The installed package's is computed once per process: the code a
    process runs is the code it imported.

    Notebook: 04_base_crnn (recorded in every result row by :func:`run_experiment`).

    Parameters
    ----------
    package : str, Path or None
        A package folder to fingerprint (default: the installed ``genrelib``).
    """
    if package is None:
        return _installed_code_fingerprint()
    return _hash_code(Path(package).resolve())


def code_status(row: Mapping) -> dict:
    """``code_fingerprint`` (as stored, ``None`` if not recorded) and ``code_current``.

    ``code_current`` is whether the stored run was made by the code installed now.

    Notebook: 04_base_crnn (through :func:`run_experiment` and :func:`collect_results`).
    """
    stored = row.get("code_fingerprint")
    return {"code_fingerprint": stored, "code_current": stored == code_fingerprint()}


def retrains(stored: Mapping | None, profile: Profile) -> bool:
    """Whether a stored result row is trained again because other code made it.

    True when the row's ``code_fingerprint`` is not :func:`code_fingerprint` (or missing),
    the profile is ``smoke`` and training is allowed (:func:`training_allowed`).

    Notebook: 04_base_crnn (through :func:`run_experiment`); ``genrelib book train``.
    """
    if stored is None or code_status(stored)["code_current"]:
        return False
    return profile.name == SMOKE_PROFILE and training_allowed()


def _clear_run(run_dir: Path) -> None:
    """Remove a finished run's files so that it is trained from scratch (checkpoints first)."""
    names = ("best.pt", "last.pt", HISTORY_FILE, "history.json", PREDICTIONS_FILE, RESULT_FILE)
    for name in names:
        (run_dir / name).unlink(missing_ok=True)


def _stale_message(row: Mapping, run_dir: Path, action: str) -> str:
    stored = row.get("code_fingerprint") or "none recorded"
    return (
        f"stored run {run_dir.name} was made by other code (fingerprint {stored}, "
        f"now {code_fingerprint()}): {action}"
    )


def split_chunks(spectrograms: SpectrogramSet, protocol: str, seed: int) -> pd.Series:
    """Split of every chunk of ``spectrograms`` under ``protocol`` (see :func:`assign_splits`).

    ``"paper"`` assigns chunks at random; the others assign whole tracks. Training and
    :func:`evaluate_checkpoint` both call this, so a checkpoint is evaluated on exactly
    the chunks its run held out.

    Notebook: 04_base_crnn, 09_honest_evaluation.

    Raises
    ------
    ConfigError
        If the train, valid or test set is empty (e.g. ``fault-filtered`` on a few
        clips, or on synthetic data, whose ids only look like GTZAN's).
    """
    split = assign_splits(spectrograms.chunks, protocol, seed=seed)
    counts = split.value_counts()
    empty = [name for name in SPLITS if counts.get(name, 0) == 0]
    if empty:
        hint = (
            " The fault-filtered lists name real GTZAN tracks: use it on (most of) GTZAN, "
            "not on synthetic data or a small subset."
            if protocol == "fault-filtered"
            else " Use more tracks per genre."
        )
        raise ConfigError(
            f"protocol {protocol!r} leaves no chunk in the {'/'.join(empty)} set of these "
            f"{spectrograms.chunks['track_id'].nunique()} tracks.{hint}"
        )
    return split


def _prediction_table(
    chunks: pd.DataFrame, probabilities: np.ndarray, classes: Sequence[str]
) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "track_id": chunks["track_id"].to_numpy(),
            "chunk_index": chunks["chunk_index"].to_numpy(),
            "true": chunks["label"].to_numpy(),
            "predicted": probabilities.argmax(axis=1),
        }
    )
    for k, name in enumerate(classes):
        table[f"{PROBABILITY_PREFIX}{name}"] = probabilities[:, k].round(6)
    return table


def split_metrics(evaluation: Evaluation, split: str) -> dict:
    """Flat metrics of one set: chunk and track (mean) level, with bootstrap bounds.

    Notebook: 04_base_crnn to 10_reproducibility, 06b_music_transfer (result rows).

    Returns
    -------
    dict
        ``<split>_<chunk|track>_<accuracy|f1_micro|f1_macro>`` and ``_low``/``_high``.
    """
    row = {}
    frame = evaluation.metrics.set_index(["level", "metric"])
    for level, prefix in (("chunk", "chunk"), ("track_mean", "track")):
        for metric in ("accuracy", "f1_micro", "f1_macro"):
            values = frame.loc[(level, metric)]
            row[f"{split}_{prefix}_{metric}"] = float(values["estimate"])
            if metric != "f1_micro":
                row[f"{split}_{prefix}_{metric}_low"] = float(values["low"])
                row[f"{split}_{prefix}_{metric}_high"] = float(values["high"])
    return row


def _evaluation_sample(train_set: SpectrogramSet, max_chunks: int | None, seed: int):
    """The training chunks scored after training: all, or ``max_chunks`` drawn at random.

    A profile that caps the chunks of an epoch (smoke) scores the same number, so
    evaluation does not cost more than training.
    """
    if max_chunks is None or len(train_set) <= max_chunks:
        return train_set
    picked = np.random.default_rng(seed).choice(len(train_set), size=max_chunks, replace=False)
    return train_set.subset(np.sort(picked))


def run_dir_name(run_dir: str | Path, results_root: str | Path) -> str:
    """The one meaning of ``run_dir`` in a result row: the run folder relative to the results root.

    Rows stay valid when a results folder is copied elsewhere (a GPU run dropped into
    ``results/full/``); :func:`run_path` turns it back into a folder.

    Notebook: 04_base_crnn (through :func:`run_experiment`).
    """
    try:
        return str(Path(run_dir).resolve().relative_to(Path(results_root).resolve()))
    except ValueError:
        return str(Path(run_dir).resolve())


def run_path(results_root: str | Path, row: Mapping) -> Path:
    """The folder of the run a result row describes: ``results_root / row["run_dir"]``.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 08_external_songs,
    10_reproducibility.
    """
    return Path(results_root) / row["run_dir"]


def read_result(run_dir: str | Path) -> dict | None:
    """The result row stored in ``run_dir/result.json``, or ``None`` if the run is unfinished.

    Notebook: 04_base_crnn.
    """
    path = Path(run_dir) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        raise ConfigError(f"{path} is not valid JSON; delete it to re-run the experiment") from None


def _reusable(stored: dict | None, max_epochs: int) -> dict | None:
    """The stored row if it answers a request for ``max_epochs``; None if training must go on.

    A run given at least ``max_epochs`` (a GPU run with a larger budget, say) or one that
    stopped early before ``max_epochs`` is read back as it is: its row says how many epochs
    it ran and whether early stopping ended it. One capped by a smaller ``max_epochs``
    continues from ``last.pt``.
    """
    if stored is None or stored["max_epochs"] >= max_epochs:
        return stored
    if stored["stopped_early"]:
        return stored
    return None


def training_allowed() -> bool:
    """False when ``$GENRELIB_NO_TRAINING`` is set: only stored runs may be read back.

    ``genrelib book run --no-train`` sets it, so that a published book re-renders from its
    committed runs and fails clearly, instead of training, when one is missing.

    Notebook: every training chapter (through :func:`run_experiment`).
    """
    return os.environ.get(NO_TRAINING_ENV, "") in ("", "0")


def check_training_allowed(run_dir: Path, description: str) -> None:
    """Raise :class:`~genrelib.errors.RunNotStoredError` if ``run_dir`` must be trained but may not.

    Notebook: every training chapter (through :func:`run_experiment` and
    :func:`genrelib.transfer.run_finetune`).
    """
    if not training_allowed():
        raise RunNotStoredError(
            f"{run_dir} holds no finished run of {description} and training is off "
            f"(${NO_TRAINING_ENV}); train it with `genrelib book train` or run the chapter "
            "without --no-train"
        )


@dataclass(frozen=True)
class RunPlan:
    """Where and how one experiment runs: its settings and its folder (no data yet).

    Notebook: 04_base_crnn (through :func:`run_experiment`).

    Attributes
    ----------
    experiment : Experiment
        What is trained.
    chunk_config : ChunkConfig
        Chunk length and track length of the run.
    config : TrainConfig
        The profile's training settings with the overrides applied.
    results_root : Path
        Folder of the profile's results.
    run_dir : Path
        ``results_root / "runs" / <run key>``.
    classes : tuple of str or None
        A collection's class names; ``None`` for GTZAN (and its synthetic stand-in).
    setup : dict
        What the run key hashes (training settings, chunk config, the tracks' fingerprint),
        computed once: for a collection it reads every file's size and time.
    """

    experiment: Experiment
    chunk_config: ChunkConfig
    config: TrainConfig
    results_root: Path
    run_dir: Path
    classes: tuple[str, ...] | None
    setup: dict


def plan_run(
    experiment: Experiment,
    tracks: pd.DataFrame,
    profile: Profile,
    results_root: str | Path,
    train_overrides: Mapping | None = None,
    classes: Sequence[str] | None = None,
) -> RunPlan:
    """Phase 1 of :func:`run_experiment`: the settings of a run and the folder it lives in.

    Notebook: 04_base_crnn (through :func:`run_experiment`).

    Parameters
    ----------
    experiment, tracks, profile, results_root, train_overrides, classes
        As in :func:`run_experiment`; ``tracks`` has shape (n_tracks, >=5).

    Returns
    -------
    RunPlan
        Chunk config (variable length for a collection), training config and
        ``results_root / "runs" / <run key>``.
    """
    results_root = Path(results_root)
    chunk_config = profile.chunk_config(experiment.chunk_seconds)
    classes = None if classes is None else tuple(classes)
    if classes is not None:
        chunk_config = replace(chunk_config, variable_length=True)
    config = TrainConfig.from_profile(profile, seed=experiment.seed, **dict(train_overrides or {}))
    setup = _setup(config, chunk_config, tracks, classes)
    run_dir = results_root / RUNS_DIR / _key_of(experiment, setup)
    return RunPlan(experiment, chunk_config, config, results_root, run_dir, classes, setup)


def why_new_run(plan: RunPlan) -> str | None:
    """Why a run that is not stored yet differs from the stored runs of the same experiment.

    A run's folder is named after its setup (:func:`run_key`), so changed files of a
    collection, or changed settings, give a new folder and a new training. This names
    what changed since the latest such run, so that the user is told why it trains again.

    Notebook: none (``genrelib train``).

    Returns
    -------
    str or None
        One line, or ``None`` when the run is stored or no run of the experiment is.
    """
    if (plan.run_dir / RESULT_FILE).is_file():
        return None
    prefix = f"{plan.experiment.key()}-"
    stored = [
        row
        for path in (plan.results_root / RUNS_DIR).glob(f"{prefix}*/{RESULT_FILE}")
        if (row := read_result(path.parent)) is not None and "setup" in row
    ]
    if not stored:
        return None
    latest = max(stored, key=lambda row: row.get("finished_at") or "")
    before, now = latest["setup"], plan.setup
    reasons = []
    if before.get("n_tracks") != now["n_tracks"]:
        reasons.append(f"{before.get('n_tracks')} tracks then, {now['n_tracks']} now")
    elif before.get("data") != now["data"]:
        reasons.append("files were added, removed, edited or relabelled")
    if before.get("classes") != now.get("classes"):
        reasons.append("the labels changed")
    changed = [key for key in ("train_config", "chunk_config") if before.get(key) != now[key]]
    reasons += [f"other {key.replace('_', ' ')}" for key in changed]
    return (
        f"stored run {latest['key']} of this experiment differs ({'; '.join(reasons) or 'setup'})"
        ": training a new run"
    )


def split_sets(spectrograms: SpectrogramSet, protocol: str, seed: int) -> dict[str, SpectrogramSet]:
    """Phase 2 of :func:`run_experiment`: the train, valid and test sets (:func:`split_chunks`).

    Notebook: 04_base_crnn (through :func:`run_experiment`).

    Returns
    -------
    dict of str to SpectrogramSet
        Keys :data:`SPLITS`, each a subset of ``spectrograms`` (chunks, n_mels, n_frames).
    """
    split = split_chunks(spectrograms, protocol, seed).to_numpy()
    return {name: spectrograms.subset(split == name) for name in SPLITS}


def score_sets(
    plan: RunPlan,
    sets: Mapping[str, SpectrogramSet],
    checkpoint: str | Path,
    device: str,
    progress: bool = True,
) -> dict:
    """Phase 3 of :func:`run_experiment`: score ``checkpoint`` on every set; keep test predictions.

    The training set is scored on at most ``max_train_chunks`` chunks
    (:func:`_evaluation_sample`); the test predictions go to ``test_predictions.csv``.

    Notebook: 04_base_crnn (through :func:`run_experiment`).

    Returns
    -------
    dict
        ``n_train_eval_chunks`` and the flat metrics of every set (:func:`_metrics`).
    """
    model, _ = load_checkpoint(checkpoint, device=device)
    seed, batch_size = plan.experiment.seed, 2 * plan.config.batch_size
    classes = next(iter(sets.values())).classes
    row = {}
    for name, subset in sets.items():
        if name == "train":
            subset = _evaluation_sample(subset, plan.config.max_train_chunks, seed)
            row["n_train_eval_chunks"] = len(subset)
        probabilities = predict_proba(
            model,
            subset,
            batch_size=batch_size,
            device=device,
            progress=progress,
            precision=plan.config.resolved_precision,
        )
        evaluation = evaluate_probabilities(
            subset.chunks, probabilities, seed=seed, class_names=classes
        )
        row.update(split_metrics(evaluation, name))
        if name == "test":
            table = _prediction_table(subset.chunks, probabilities, classes)
            atomic_write(plan.run_dir / PREDICTIONS_FILE, table.to_csv(index=False))
    return row


def _describe_run(plan: RunPlan, profile: Profile, n_skipped: int, synthetic: bool) -> dict:
    """The fields of a result row that say what was run, on which data, with which settings."""
    experiment, config = plan.experiment, plan.config
    return {
        "key": plan.run_dir.name,
        "name": experiment.name,
        "run_dir": run_dir_name(plan.run_dir, plan.results_root),
        "model": experiment.model,
        "chunk_seconds": experiment.chunk_seconds,
        "protocol": experiment.protocol,
        "seed": experiment.seed,
        "model_options": json.dumps(dict(experiment.model_options), sort_keys=True),
        "mel": experiment.mel.name,
        "hop_length": experiment.mel.hop_length,
        "profile": profile.name,
        "data": "collection" if plan.classes else "synthetic" if synthetic else "gtzan",
        "data_fingerprint": plan.setup["data"],
        "n_skipped_files": n_skipped,
        "max_epochs": config.max_epochs,
        "patience": config.patience,
        "batch_size": config.batch_size,
        "max_train_chunks": config.max_train_chunks,
        "lr": config.lr,
    }


def _set_sizes(sets: Mapping[str, SpectrogramSet]) -> dict:
    """``n_{split}_chunks`` and ``n_{split}_tracks`` of every set."""
    sizes = {f"n_{name}_chunks": len(subset) for name, subset in sets.items()}
    for name, subset in sets.items():
        sizes[f"n_{name}_tracks"] = int(subset.chunks["track_id"].nunique())
    return sizes


def training_record(result: TrainResult) -> dict:
    """How a training went: epochs, stop, time, device, precision and the versions that ran it.

    Notebook: 04_base_crnn, 06b_music_transfer (the fields every result row shares).

    Returns
    -------
    dict
        ``epochs_run``, ``best_epoch``, ``stopped_early``, ``train_seconds``,
        ``seconds_per_epoch``, ``device``, ``precision``, ``genrelib_version``,
        ``torch_version``, ``finished_at``.
    """
    history = result.history
    return {
        "epochs_run": len(history),
        "best_epoch": result.best_epoch,
        "stopped_early": bool(result.stopped_early),
        "train_seconds": float(history["seconds"].sum()),
        "seconds_per_epoch": float(history["seconds"].mean()),
        "device": result.device,
        "precision": result.precision,
        "genrelib_version": getattr(genrelib, "__version__", None),
        "torch_version": torch.__version__,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _training_summary(plan: RunPlan, result: TrainResult) -> dict:
    """:func:`training_record` plus the setup, experiment and code that made the run."""
    return {
        **training_record(result),
        "code_fingerprint": code_fingerprint(),
        "setup": plan.setup,
        "experiment": plan.experiment.to_dict(),
    }


def run_experiment(
    experiment: Experiment,
    tracks: pd.DataFrame,
    profile: Profile,
    results_root: str | Path,
    progress: bool = True,
    train_overrides: Mapping | None = None,
    on_epoch_end: Callable[[dict], None] | None = None,
    cache_root: str | Path | None = None,
    synthetic: bool = False,
    classes: Sequence[str] | None = None,
) -> dict:
    """Train and evaluate ``experiment`` on ``tracks``, or read its finished result back.

    Phases: :func:`plan_run` (settings and run folder), spectrograms (cached),
    :func:`split_sets`, training with early stopping (:func:`genrelib.training.train`,
    resumable), :func:`score_sets` (the best checkpoint on the train, valid and test sets),
    then the files described in the module docstring. If ``result.json`` already exists in
    the run folder nothing is computed, unless it was made by other code (its
    ``code_fingerprint``, :func:`code_fingerprint`) in the ``smoke`` profile with training
    allowed: the run is then trained again from scratch. In other profiles, or with
    training off, such a run is read back with ``code_current: False`` and a line logged
    at INFO (logger ``genrelib.experiments``). A run another process is training (a chapter
    executed at the same time) is waited for, then read back (:func:`_training_lock`).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
    09_honest_evaluation.

    Parameters
    ----------
    experiment : Experiment
        What to train.
    tracks : pd.DataFrame
        Track table (:func:`genrelib.data.index_gtzan`, optionally filtered with
        :func:`genrelib.data.good_tracks`). Undecodable files are skipped.
    profile : Profile
        Epochs, patience, batch size, chunk cap and track length.
    results_root : str or Path
        Folder of the profile's results (e.g. ``results/cpu``); runs go to ``runs/``.
    progress : bool
        Show progress bars (spectrograms, epochs, batches).
    train_overrides : mapping or None
        :class:`~genrelib.training.TrainConfig` fields that replace the profile's, e.g.
        ``{"max_epochs": 1, "device": "cpu"}``; all but device, amp, precision, num_workers
        and max_epochs change the run key. A finished run asked for more epochs than it had
        continues from ``last.pt`` (unless it had stopped early).
    on_epoch_end : callable or None
        Called with each epoch's history row (e.g. to print seconds per epoch).
    cache_root : str, Path or None
        Root of the spectrogram cache (default: ``cache_dir() / "spectrograms"``).
    synthetic : bool
        Whether ``tracks`` are the generated synthetic clips (recorded as ``data``); the
        caller knows it from the profile and the data folder it resolved.
    classes : sequence of str or None
        The class names of a collection of your own
        (:class:`~genrelib.data.collection.Collection`, ``data`` recorded as
        ``collection``): tracks give a varying number of chunks (``variable_length``) and
        the run key covers the files' sizes and times. ``None``: GTZAN's genres.

    Returns
    -------
    dict
        One tidy row: ``key``, ``name``, ``run_dir`` (relative to ``results_root``, as
        everywhere: :func:`run_path` joins them), the experiment fields, ``profile``,
        ``data`` (``synthetic`` or ``gtzan``), ``n_{split}_chunks``, ``n_{split}_tracks``,
        ``{split}_chunk_accuracy``, ``{split}_chunk_f1_micro``, ``{split}_chunk_f1_macro``,
        ``{split}_track_accuracy``, ... (track level: mean chunk probabilities), with
        ``_low``/``_high`` 95 % bootstrap bounds over tracks for accuracy and macro F1,
        ``n_train_eval_chunks`` (training chunks scored: at most ``max_train_chunks``),
        ``epochs_run``, ``best_epoch``, ``stopped_early``, ``train_seconds``,
        ``seconds_per_epoch``, ``device``, ``precision``, ``genrelib_version``, ``finished_at``,
        ``code_fingerprint`` (of the code that made the run; ``None`` if not recorded),
        ``code_current`` (whether that is the code installed now) and ``read_back``
        (whether the row was read back from a stored run instead of trained now; not
        stored in ``result.json``).

    Raises
    ------
    ConfigError
        For invalid settings or a split that leaves a set empty.
    """
    if not isinstance(experiment, Experiment):
        raise ConfigError("run_experiment: experiment must be a genrelib.experiments.Experiment")
    plan = plan_run(experiment, tracks, profile, results_root, train_overrides, classes)
    row = _read_back(plan, profile, may_clear=False)
    if row is not None:
        return row
    check_training_allowed(
        plan.run_dir,
        f"{experiment.model} ({experiment.protocol} split, {experiment.chunk_seconds:g}-s chunks, "
        f"seed {experiment.seed})",
    )
    with _training_lock(plan.run_dir):
        row = _read_back(plan, profile, may_clear=True)  # trained meanwhile by another chapter?
        if row is not None:
            return row
        return _train_and_score(
            experiment, tracks, profile, plan, synthetic, cache_root, progress, on_epoch_end
        )


def _read_back(plan: RunPlan, profile: Profile, may_clear: bool) -> dict | None:
    """The stored row of ``plan``'s run if it can be read back, else None.

    A run :func:`retrains` would train again is cleared only with ``may_clear`` (under the
    training lock, so that no other process is training into the folder).
    """
    stored = read_result(plan.run_dir)
    if retrains(stored, profile):
        if may_clear:
            logger.info(_stale_message(stored, plan.run_dir, "training it again"))
            _clear_run(plan.run_dir)
        return None
    done = _reusable(stored, plan.config.max_epochs)
    if done is None:
        return None
    if not code_status(done)["code_current"]:
        logger.info(_stale_message(done, plan.run_dir, "reading it back as it is"))
    return {**done, **code_status(done), "read_back": True}


def _training_lock(run_dir: Path) -> AbstractContextManager:
    """Held while a run trains: a chapter needing the same run waits, then reads it back.

    Chapters executed at once (``genrelib book run --jobs 2``), or two notebooks open in
    JupyterLab, would otherwise train one run twice into one folder. The lock file sits
    beside the run folder (``.<run>.lock``), not in it, so clearing a stale run keeps it.
    Ranks of a ``torchrun`` job train one run together, so they take no lock.
    """
    if distributed.current().enabled:
        return nullcontext()
    return file_lock(run_dir)


def _train_and_score(
    experiment: Experiment,
    tracks: pd.DataFrame,
    profile: Profile,
    plan: RunPlan,
    synthetic: bool,
    cache_root: str | Path | None,
    progress: bool,
    on_epoch_end: Callable | None,
) -> dict:
    """Train ``plan``'s run, score its sets and store ``result.json`` (:func:`run_experiment`)."""
    spectrograms = build_spectrogram_set(
        tracks,
        experiment.mel,
        plan.chunk_config,
        cache_root=cache_root,
        progress=progress,
        classes=plan.classes or GENRES,
    )
    sets = split_sets(spectrograms, experiment.protocol, experiment.seed)
    result = train(
        experiment.model,
        sets["train"],
        sets["valid"],
        plan.config,
        plan.run_dir,
        model_options=experiment.options,
        progress=progress,
        on_epoch_end=on_epoch_end,
    )
    if not distributed.is_main_process():  # torchrun: rank 0 evaluates and writes result.json
        distributed.barrier()
        row = read_result(plan.run_dir)
        return {**row, **code_status(row)}
    row = {
        **_describe_run(plan, profile, len(spectrograms.skipped), synthetic),
        **_set_sizes(sets),
        **score_sets(plan, sets, result.checkpoint, result.device, progress),
        **_training_summary(plan, result),
    }
    atomic_write(plan.run_dir / RESULT_FILE, json.dumps(row, indent=1))
    distributed.barrier()
    return {**row, **code_status(row), "read_back": False}


def collect_results(results_root: str | Path) -> pd.DataFrame:
    """Every finished run under ``results_root`` as one tidy table (one row per run).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
    09_honest_evaluation.

    Returns
    -------
    pd.DataFrame
        The rows of :func:`run_experiment` (nested ``setup`` and ``experiment`` left out;
        ``run_dir`` relative to ``results_root`` as stored; ``code_fingerprint`` and
        ``code_current`` as :func:`code_status`); empty when there is none.
    """
    rows = []
    for path in sorted(Path(results_root).glob(f"{RUNS_DIR}/*/{RESULT_FILE}")):
        row = read_result(path.parent)
        row = {k: v for k, v in row.items() if k not in ("setup", "experiment")}
        row.update(code_status(row))
        row["run_dir"] = run_dir_name(path.parent, results_root)
        rows.append(row)
    return pd.DataFrame(rows)


def results_table(results: pd.DataFrame) -> pd.DataFrame:
    """Readable summary of :func:`collect_results` rows: one line per run, percentages.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

    Returns
    -------
    pd.DataFrame
        Columns: run, data (with the profile and the test tracks), protocol, chunk (s),
        train/valid/test chunk F1 (micro, %), test macro F1 (%), test track accuracy (%)
        with its 95 % interval, epochs (best epoch; ``cap`` when the epoch budget, not early
        stopping, ended the run), s/epoch (device); numbers as text,
        one decimal, so that the table stays narrow enough for a page.
    """
    if results.empty:
        return pd.DataFrame()

    def percent(column: str) -> pd.Series:
        return (100 * results[column]).round(1)

    def text(column: str) -> pd.Series:
        return percent(column).map("{:.1f}".format)

    track = (
        text("test_track_accuracy")
        + " ["
        + text("test_track_accuracy_low")
        + ", "
        + text("test_track_accuracy_high")
        + "]"
    )
    return pd.DataFrame(
        {
            "run": results["name"],
            "data": results["data"]
            + " ("
            + results["profile"]
            + " profile, "
            + results["n_test_tracks"].astype(str)
            + " test tracks)",
            "protocol": results["protocol"],
            "chunk (s)": results["chunk_seconds"].map("{:g}".format),
            "train F1 (%)": text("train_chunk_f1_micro"),
            "valid F1 (%)": text("valid_chunk_f1_micro"),
            "test F1 (%)": text("test_chunk_f1_micro"),
            "test macro F1 (%)": text("test_chunk_f1_macro"),
            "test track acc. (%) [95 % CI]": track,
            "epochs (best)": results["epochs_run"].astype(str)
            + " ("
            + results["best_epoch"].astype(str)
            + ")"
            + results["stopped_early"].map({True: "", False: ", cap"}),
            "s/epoch (device)": results["seconds_per_epoch"].map("{:.1f}".format)
            + " ("
            + results["device"].astype(str)
            + ")",
        }
    )


def load_history(run_dir: str | Path) -> pd.DataFrame:
    """The per-epoch history of a run (``history.csv``).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    path = Path(run_dir) / HISTORY_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; run the experiment first")
    return pd.read_csv(path)


def load_test_predictions(run_dir: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The stored test predictions of a run (input of ``evaluate_probabilities``).

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 09_honest_evaluation.

    Returns
    -------
    chunks : pd.DataFrame
        One row per test chunk: ``track_id``, ``chunk_index``, ``label``, ``genre``.
    probabilities : np.ndarray, float32, shape (n_chunks, n_classes)
        Columns in class order (the run's classes: GTZAN's genres, or a collection's labels).
    """
    path = Path(run_dir) / PREDICTIONS_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist; run the experiment first")
    table = pd.read_csv(path)
    classes = prediction_classes(run_dir)
    probabilities = table[[PROBABILITY_PREFIX + name for name in classes]].to_numpy(np.float32)
    chunks = table[["track_id", "chunk_index"]].assign(
        label=table["true"].to_numpy(), genre=[classes[k] for k in table["true"]]
    )
    return chunks, probabilities


def prediction_classes(run_dir: str | Path) -> tuple[str, ...]:
    """The class names of a run's stored test predictions, in order (from the file's header).

    Notebook: 04_base_crnn (GTZAN's genres); ``genrelib train --data-dir`` (a collection's labels).
    """
    header = pd.read_csv(Path(run_dir) / PREDICTIONS_FILE, nrows=0).columns
    prefix = PROBABILITY_PREFIX
    return tuple(column.removeprefix(prefix) for column in header if column.startswith(prefix))


def stored_test_evaluation(run_dir: str | Path, n_boot: int = 1000, seed: int = 0) -> Evaluation:
    """Chunk- and track-level metrics, confusion and recall of a run, from its stored predictions.

    No model is loaded and nothing is retrained.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
    """
    chunks, probabilities = load_test_predictions(run_dir)
    return evaluate_probabilities(
        chunks, probabilities, n_boot=n_boot, seed=seed, class_names=prediction_classes(run_dir)
    )


def evaluate_checkpoint(
    checkpoint: str | Path,
    tracks: pd.DataFrame,
    protocol: str | None = None,
    split: str = "test",
    seed: int | None = None,
    device: str = "auto",
    n_boot: int = 1000,
    progress: bool = True,
    cache_root: str | Path | None = None,
    classes: Sequence[str] | None = None,
) -> Evaluation:
    """Evaluate a checkpoint on the ``split`` set of ``tracks``, as its training run split them.

    The spectrogram and chunk settings come from the checkpoint. The protocol and seed
    default to those of the run (read from ``result.json`` beside the checkpoint, else
    the training seed), so on the same tracks the numbers equal the chapter's.

    Notebook: 04_base_crnn, 09_honest_evaluation.

    Parameters
    ----------
    checkpoint : str or Path
        ``best.pt`` or ``last.pt`` of a run.
    tracks : pd.DataFrame
        The track table the run was trained on (same folder, same filtering; for a
        collection, :attr:`Collection.tracks <genrelib.data.collection.Collection>`, its
        labels those the checkpoint records).
    protocol : str or None
        Split protocol; ``None``: the run's.
    split : {"train", "valid", "test"}
        Which set to score.
    seed : int or None
        Split seed; ``None``: the run's.
    device, n_boot, progress, cache_root
        As in :func:`run_experiment` and :func:`~genrelib.evaluation.evaluate`.
    classes : sequence of str or None
        The labels ``tracks`` index (a collection's); they must be the checkpoint's.

    Returns
    -------
    Evaluation

    Raises
    ------
    CheckpointError
        If the checkpoint is missing or unreadable.
    ConfigError
        If the protocol is unknown or not given and not recorded, the split is empty, or
        ``classes`` are not the checkpoint's.
    """
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")
    model, meta = load_checkpoint(checkpoint)
    stored = read_result(Path(checkpoint).parent) or {}
    protocol = protocol if protocol is not None else stored.get("protocol")
    if protocol is None:
        raise ConfigError(
            f"{checkpoint}: no result.json beside it records the split protocol; pass --protocol"
        )
    seed = seed if seed is not None else stored.get("seed", meta["train_config"]["seed"])
    if classes is not None and tuple(classes) != tuple(meta["class_names"]):
        raise ConfigError(
            f"{checkpoint} was trained on the labels {', '.join(meta['class_names'])}; these "
            f"tracks have {', '.join(classes)}: evaluate it on the collection it was trained on"
        )
    classes = tuple(meta["class_names"])
    spectrograms = build_spectrogram_set(
        tracks,
        MelConfig(**meta["mel_config"]),
        ChunkConfig(**meta["chunk_config"]),
        cache_root=cache_root,
        progress=progress,
        classes=classes,
    )
    chosen = spectrograms.subset((split_chunks(spectrograms, protocol, seed) == split).to_numpy())
    probabilities = predict_proba(model, chosen, device=device, progress=progress)
    return evaluate_probabilities(
        chosen.chunks, probabilities, n_boot=n_boot, seed=seed, class_names=classes
    )

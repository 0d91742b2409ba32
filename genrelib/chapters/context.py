"""The chapter context: what a notebook's parameters mean, built once, in one place.

:func:`chapter_context` turns a chapter's papermill parameters (``profile``, ``data_dir``,
``results_dir``, ``seed``, ``device``) into a :class:`ChapterContext`: the profile, the data
root, the track table, whether the data are synthetic (from the profile and the data
source, never from artist names), the results folder and a banner. This module is also the
only code that knows what the ``smoke`` profile changes in a chapter: fewer tracks and
chunks for training, fewer clips for the 3-s feature rows, how many baseline seeds, and
which checkpoints a finished smoke run keeps, and in chapter 06b the probe seeds, the
split protocols and the fine-tuning budget.

Notebook: every chapter (its setup line ``ch = chapter_context(profile, data_dir, ...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import Markdown

from genrelib.chapters.display import shown_path
from genrelib.chapters.parameters import check_parameters, install_error_display, notebook_namespace
from genrelib.config import Profile, get_profile
from genrelib.data import (
    DOWNLOAD_BOOK,
    book_data,
    index_gtzan,
    is_synthetic_source,
    resolve_data_dir,
    resolve_profile_name,
)
from genrelib.data.splits import PROTOCOLS
from genrelib.errors import ConfigError, GenrelibError
from genrelib.project import results_dir as profile_results_dir
from genrelib.project import results_root

if TYPE_CHECKING:  # torch and the training code load on first use: the intro needs neither
    from genrelib.experiments import Experiment

MAX_SEED = 2**31 - 1
"""Largest ``seed`` parameter (every seeded library accepts 0 to 2**31 - 1)."""
SMOKE = "smoke"
"""The profile of CI and of a first look: synthetic clips, tiny runs."""
SMOKE_TRACKS_PER_GENRE = 3
"""Tracks per genre a training chapter uses in smoke (the fewest the track split divides)."""
SMOKE_CHUNKS_PER_TRACK = 3
"""Chunks per track a training chapter uses in smoke (about a minute per run on two cores)."""
BASELINE_MIN_SEEDS: dict[str, int] = {"smoke": 3, "cpu": 10, "full": 10}
"""Fewest baseline seeds of chapter 03 per profile: baselines are cheap, so real data get 10."""
CV_REPEATS: dict[str, int] = {"smoke": 1, "cpu": 3, "full": 3}
"""Seeds of the 5-fold cross-validations of chapters 03 and 09 per profile (each seed tests
every track once; smoke runs one to stay fast)."""
CHECKPOINTS: tuple[str, ...] = ("best.pt", "last.pt")
"""Checkpoint files of a run (:func:`genrelib.training.train`)."""
SMOKE_KEPT: dict[str, tuple[str, ...]] = {"base_crnn": ("best.pt",)}
"""Checkpoints a smoke run keeps whichever chapter trains it, by model: chapters 04 and 08
read the base CRNN's ``best.pt``, and chapters 05 and 06 may train that run first."""
PROBE_SEEDS: dict[str, int] = {"smoke": 2, "cpu": 10, "full": 10}
"""Seeds of chapter 06b's frozen-embedding probes per profile (probes are cheap)."""
SMOKE_PROTOCOLS: tuple[str, ...] = ("paper", "track")
"""Split protocols a multi-protocol chapter (06b) runs in smoke; other profiles run all."""
FINETUNE_BUDGETS: dict[str, dict] = {
    "smoke": {"max_epochs": 1, "max_train_chunks": 32, "batch_size": 16, "patience": 1},
    "cpu": {"max_epochs": 3, "max_train_chunks": 128, "batch_size": 16, "patience": 3},
    "full": {"max_epochs": 30, "max_train_chunks": None, "batch_size": 32, "patience": 5},
}
"""Fine-tuning budget of chapter 06b per profile (:class:`~genrelib.training.TrainConfig`
fields). On the 2 CPU cores this ran on, shared with other jobs (load average 12-15), one
training step of 16 patches took 5-11 s, so ``cpu`` caps an epoch at a random 128 of the
training patches (a fresh draw each epoch: 8 steps) and runs 3 epochs: 24 steps in all, a
few minutes per protocol. That is a small fraction of one pass over the 800 training
patches of the 100 clips; a GPU run of ``full`` lifts the cap. The values are part of a
fine-tuning run's key, so changing one retrains (the stored ``results/cpu`` runs were made
with these)."""


def training_profile(profile: Profile, chunk_seconds: float | None = None) -> Profile:
    """The profile a training run uses: unchanged, but in smoke only a few chunks per track.

    Notebook: 04_base_crnn to 10_reproducibility (through :func:`training_inputs`).
    """
    if profile.name != SMOKE:
        return profile
    seconds = profile.chunk_seconds if chunk_seconds is None else float(chunk_seconds)
    track_seconds = min(profile.track_seconds, SMOKE_CHUNKS_PER_TRACK * seconds)
    return profile.with_overrides(track_seconds=track_seconds)


def training_tracks(tracks: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """The tracks a training run uses: all, but in smoke the first few of each genre.

    Notebook: 04_base_crnn to 10_reproducibility (through :func:`training_inputs`).

    Returns
    -------
    pd.DataFrame
        ``tracks`` (smoke: :data:`SMOKE_TRACKS_PER_GENRE` rows per genre), index reset.
    """
    if profile.name == SMOKE:
        tracks = tracks.groupby("genre", sort=False).head(SMOKE_TRACKS_PER_GENRE)
    return tracks.reset_index(drop=True)


def training_inputs(
    tracks: pd.DataFrame, profile: Profile, chunk_seconds: float | None = None
) -> tuple[pd.DataFrame, Profile]:
    """The tracks and profile a training chapter runs with.

    Unchanged, except in smoke, which keeps the first :data:`SMOKE_TRACKS_PER_GENRE`
    tracks of each genre and the first :data:`SMOKE_CHUNKS_PER_TRACK` chunks of each
    track, so that a chapter trains and evaluates in about a minute on two CPU cores.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
    08_external_songs.

    Parameters
    ----------
    tracks : pd.DataFrame
        Track table (:func:`genrelib.data.index_gtzan`), shape (n_tracks, >=5).
    profile : Profile
        The chapter's profile.
    chunk_seconds : float or None
        Chunk length of the run (``None``: the profile's).

    Returns
    -------
    tracks : pd.DataFrame
    profile : Profile
        In smoke, with ``track_seconds`` cut to ``SMOKE_CHUNKS_PER_TRACK`` chunks.
    """
    return training_tracks(tracks, profile), training_profile(profile, chunk_seconds)


def run_chapter_experiment(
    experiment: Experiment,
    tracks: pd.DataFrame,
    profile: Profile,
    results_root: str | Path,
    synthetic: bool,
    keep: Sequence[str] = (),
    **options,
) -> dict:
    """Train (or read back) ``experiment``; in smoke, delete the checkpoints no chapter reads.

    Calls :func:`genrelib.experiments.run_experiment`. When a smoke run has just been
    trained, its checkpoints other than ``keep`` (and :data:`SMOKE_KEPT`) are deleted, so
    repeated smoke runs do not fill the disk (a finished run is read back from
    ``result.json`` without them). A run read back is left as it is: the chapter that
    trained it kept what is read later.

    Notebook: 04_base_crnn to 10_reproducibility.

    Parameters
    ----------
    experiment : Experiment
        What to train.
    tracks : pd.DataFrame
        The run's tracks, shape (n_tracks, >=5).
    profile : Profile
        The run's profile.
    results_root : str or Path
        The profile's results folder.
    synthetic : bool
        Whether the tracks are the synthetic clips (recorded in the result row).
    keep : sequence of str
        Checkpoint file names a chapter reads afterwards, e.g. ``("best.pt",)``.
    **options
        Further keywords of ``run_experiment`` (``progress``, ``train_overrides``,
        ``classes`` for a collection of your own).

    Returns
    -------
    dict
        The run's result row.
    """
    from genrelib.experiments import plan_run, read_result, retrains, run_experiment

    overrides, classes = options.get("train_overrides"), options.get("classes")
    plan = plan_run(experiment, tracks, profile, results_root, overrides, classes)
    stored = read_result(plan.run_dir)
    trained = stored is None or retrains(stored, profile)
    row = run_experiment(experiment, tracks, profile, results_root, synthetic=synthetic, **options)
    if trained and profile.name == SMOKE:
        for name in set(CHECKPOINTS) - set(keep) - set(SMOKE_KEPT.get(experiment.model, ())):
            (plan.run_dir / name).unlink(missing_ok=True)
    return row


@dataclass
class ChapterContext:
    """Everything a chapter derives from its parameters (see :func:`chapter_context`).

    The data folder and the track table are read on first use, so a chapter that is given
    a checkpoint (08) needs no data folder.

    Notebook: every chapter.

    Attributes
    ----------
    profile : Profile
        The run size named by the ``profile`` parameter (a training chapter's: narrowed
        by :func:`training_profile`).
    data_dir : str, Path or None
        The ``data_dir`` parameter.
    results : Path
        Folder of this profile's result files (``results/<profile>`` by default).
    synthetic : bool
        True when the data are the generated synthetic clips.
    seed : int
        The chapter's seed.
    device : str
        Training device (``auto``, ``cpu``, ``cuda``).
    training : bool
        Whether :attr:`tracks` are narrowed for training (:func:`training_tracks`).
    with_duration : bool
        Whether the track table holds each clip's duration.
    """

    profile: Profile
    data_dir: str | Path | None
    results: Path
    synthetic: bool
    seed: int = 0
    device: str = "auto"
    training: bool = False
    with_duration: bool = False

    @cached_property
    def data_root(self) -> Path:
        """The dataset folder (:func:`genrelib.data.resolve_data_dir`)."""
        return resolve_data_dir(self.profile, self.data_dir)

    @cached_property
    def all_tracks(self) -> pd.DataFrame:
        """Every clip of :attr:`data_root`: ``track_id``, ``genre``, ``path``, ``artist``..."""
        return index_gtzan(self.data_root, with_duration=self.with_duration)

    @cached_property
    def tracks(self) -> pd.DataFrame:
        """The chapter's clips: :attr:`all_tracks`, narrowed in a smoke training chapter."""
        return training_tracks(self.all_tracks, self.profile) if self.training else self.all_tracks

    @property
    def smoke(self) -> bool:
        """Whether this is the smoke profile (CI, a first look)."""
        return self.profile.name == SMOKE

    @property
    def source(self) -> str:
        """What the audio is, for titles: synthetic clips or the GTZAN folder (relative path)."""
        if self.synthetic:
            return "SYNTHETIC data (generated, not music)"
        return f"GTZAN clips in {shown_path(self.data_root)}"

    @property
    def kind(self) -> str:
        """``"SYNTHETIC"`` or ``"real"``, for short labels."""
        return "SYNTHETIC" if self.synthetic else "real"

    @property
    def clips(self) -> str:
        """What the clips are, for sentences (``"SYNTHETIC clips (smoke profile)"``...)."""
        if self.synthetic:
            return "SYNTHETIC clips (smoke profile)"
        return f"real clips in {shown_path(self.data_root)}"

    @property
    def headline_data(self) -> str:
        """What the clips are, for the ``data`` column of the book's results table.

        Notebook: 04_base_crnn to 07_split_length (their headlines).
        """
        return "synthetic clips" if self.synthetic else f"GTZAN, {len(self.tracks)} clips"

    def banner(self, details: str = "") -> Markdown:
        """The chapter's opening line: profile, data and ``details``.

        On synthetic clips it says how to get the real ones (``genrelib data download
        --book``), or, when they are downloaded, which profile reads them.

        Notebook: every chapter (output of the setup cell).
        """
        line = f"**Profile `{self.profile.name}`: {self.source}.** {details}".strip()
        if self.synthetic:
            if book_data().clips is None:
                line += (
                    f"\n\nThe real clips are not downloaded: run `{DOWNLOAD_BOOK}` (142 MB), "
                    f"then run this chapter again to see it on real music."
                )
            else:
                line += '\n\nThe real clips are downloaded: set `profile = "cpu"` to use them.'
        return Markdown(line)

    def feature_table(self, features_csv: str | Path | None = None) -> Path | None:
        """The 30-s feature table a chapter reads: ``features_csv``, else the downloaded one.

        The downloaded Kaggle table describes real GTZAN clips, so it is used by default only
        when the chapter's clips are real; ``None`` means: compute the features from audio.

        Notebook: 03_baselines, 09_honest_evaluation.
        """
        if features_csv is not None:
            return Path(features_csv).expanduser()
        return None if self.synthetic else book_data().features_csv

    def songs_folder(self, songs_dir: str | Path | None = None) -> Path | None:
        """The folder of external songs a chapter reads: ``songs_dir``, else the downloaded one.

        ``None`` when neither exists (chapter 08 then makes a synthetic song).

        Notebook: 06b_music_transfer, 08_external_songs.
        """
        if songs_dir is not None:
            return Path(songs_dir).expanduser()
        return book_data().songs_dir

    def seeds(self, n_seeds: int | None = None, at_least: int | None = None) -> list[int]:
        """Seeds ``seed, seed + 1, ...`` of a multi-seed chapter.

        ``n_seeds`` when given; else the profile's ``n_seeds`` raised to ``at_least``
        (default: :data:`BASELINE_MIN_SEEDS` of the profile, chapter 03's rule).

        Notebook: 03_baselines, 09_honest_evaluation, 10_reproducibility.
        """
        if n_seeds is None:
            floor = BASELINE_MIN_SEEDS.get(self.profile.name, 10) if at_least is None else at_least
            n_seeds = max(self.profile.n_seeds, floor)
        return list(range(self.seed, self.seed + int(n_seeds)))

    def cv_seeds(self, n_seeds: int | None = None) -> list[int]:
        """Seeds of the cross-validations: the first of :meth:`seeds`, :data:`CV_REPEATS` of them.

        Notebook: 03_baselines, 09_honest_evaluation.
        """
        return self.seeds(n_seeds)[: CV_REPEATS.get(self.profile.name, 3)]

    def probe_seeds(self, n_seeds: int | None = None) -> list[int]:
        """Seeds of chapter 06b's probes: ``n_seeds`` of them, else :data:`PROBE_SEEDS`.

        Notebook: 06b_music_transfer.
        """
        return self.seeds(PROBE_SEEDS.get(self.profile.name, 10) if n_seeds is None else n_seeds)

    def protocols(self) -> list[str]:
        """Split protocols of a multi-protocol chapter: all, but :data:`SMOKE_PROTOCOLS` in smoke.

        Notebook: 06b_music_transfer.
        """
        return list(SMOKE_PROTOCOLS if self.smoke else PROTOCOLS)

    def finetune_budget(self) -> dict:
        """Chapter 06b's fine-tuning budget of this profile (:data:`FINETUNE_BUDGETS`).

        Notebook: 06b_music_transfer.

        Returns
        -------
        dict
            ``max_epochs``, ``max_train_chunks`` (``None``: all), ``batch_size``, ``patience``.
        """
        return dict(FINETUNE_BUDGETS.get(self.profile.name, FINETUNE_BUDGETS["cpu"]))

    def feature_tracks(self) -> pd.DataFrame:
        """Clips of the 3-s feature rows: in smoke three per genre, each by another artist.

        Notebook: 03_baselines, 09_honest_evaluation.
        """
        if not self.smoke:
            return self.tracks
        return self.tracks.drop_duplicates("artist").groupby("genre").head(3)

    def experiment(
        self, model: str, protocol: str, chunk_seconds: float | None = None, **options
    ) -> Experiment:
        """The chapter's :class:`~genrelib.experiments.Experiment` of ``model``.

        Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.
        """
        from genrelib.experiments import Experiment

        return Experiment.from_profile(
            self.profile, model, protocol, self.seed, chunk_seconds, **options
        )

    def run(
        self,
        experiment: Experiment,
        tracks: pd.DataFrame | None = None,
        profile: Profile | None = None,
        keep: Sequence[str] = (),
        results: Path | None = None,
        **options,
    ) -> dict:
        """Train (or read back) ``experiment`` with this chapter's data, device and results.

        See :func:`run_chapter_experiment` (``keep``: the checkpoints a chapter reads;
        ``results``: another results folder than :attr:`results`).

        Notebook: 04_base_crnn to 11_own_collection.

        Returns
        -------
        dict
            The run's result row.
        """
        overrides = {"device": self.device, **dict(options.pop("train_overrides", None) or {})}
        return run_chapter_experiment(
            experiment,
            self.tracks if tracks is None else tracks,
            self.profile if profile is None else profile,
            self.results if results is None else results,
            self.synthetic,
            keep,
            train_overrides=overrides,
            **options,
        )

    def stored_runs(self, model: str, profile: str = "cpu") -> pd.DataFrame:
        """Finished runs of ``model`` stored in the project's ``results/<profile>``.

        Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer.

        Returns
        -------
        pd.DataFrame
            Rows of :func:`genrelib.experiments.collect_results` for ``model`` (maybe empty).
        """
        from genrelib.experiments import collect_results

        runs = collect_results(results_root() / profile)
        return runs[runs["model"] == model] if not runs.empty else runs


def chapter_context(
    profile: str,
    data_dir: str | Path | None = None,
    *,
    results_dir: str | Path | None = None,
    seed: int = 0,
    device: str = "auto",
    training: bool = False,
    chunk_seconds: float | None = None,
    with_duration: bool = False,
) -> ChapterContext:
    """The chapter context of a notebook's parameters (its one setup line).

    Notebook: every chapter.

    Parameters
    ----------
    profile : {"auto", "smoke", "cpu", "full"}
        The ``profile`` parameter (``auto``: ``cpu`` once the book's data are downloaded,
        else ``smoke``; :func:`genrelib.data.resolve_profile_name`).
    data_dir : str, Path or None
        The ``data_dir`` parameter: a GTZAN folder; ``None`` gives the synthetic dataset in
        smoke, else ``$GTZAN_DIR`` or the downloaded clips
        (:func:`genrelib.data.resolve_data_dir`).
    results_dir : str, Path or None
        The ``results_dir`` parameter (``None``: ``results/<profile>`` of the project).
    seed : int
        The ``seed`` parameter.
    device : str
        The ``device`` parameter (training chapters).
    training : bool
        A training chapter (04-06): tracks and profile narrowed by :func:`training_inputs`.
    chunk_seconds : float or None
        With ``training``: the chapter's chunk length (``None``: the profile's).
    with_duration : bool
        Read every clip's duration into the track table (slower; chapter 01).

    Returns
    -------
    ChapterContext

    Raises
    ------
    ConfigError
        For an unknown profile, a seed out of range, an unknown device, or (in a notebook) an
        unknown parameter or a value of the wrong type
        (:func:`genrelib.chapters.parameters.check_parameters`).
    DeviceUnavailableError
        For a device this machine lacks (checked before any work).
    """
    install_error_display()
    namespace = notebook_namespace()
    if namespace is not None:
        check_parameters(namespace)
    if not 0 <= int(seed) <= MAX_SEED:
        raise ConfigError(
            f"parameter seed must be between 0 and {MAX_SEED} (what numpy, torch and "
            f"scikit-learn all accept), got {seed}"
        )
    if device != "auto":  # "auto" takes what is there; another device is checked now,
        from genrelib.device import resolve_device  # before any spectrogram is computed

        try:
            resolve_device(device)
        except GenrelibError as error:
            raise type(error)(f"parameter device: {error}") from None
    chosen = get_profile(resolve_profile_name(profile))
    return ChapterContext(
        profile=training_profile(chosen, chunk_seconds) if training else chosen,
        data_dir=data_dir,
        results=profile_results_dir(chosen.name, results_dir),
        synthetic=is_synthetic_source(chosen, data_dir),
        seed=int(seed),
        device=device,
        training=training,
        with_duration=with_duration,
    )

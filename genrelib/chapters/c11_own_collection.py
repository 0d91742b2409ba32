"""Chapter 11, your own collection: the glue the notebook calls.

The chapter takes a folder of label folders (the ``collection_dir`` parameter) through
everything the book did to GTZAN: an inventory, a musicnn probe measured by cross-validation,
a CRNN trained on it, and songs from outside answered in its labels, with the rules that
say when an answer is not meaningful. Without ``collection_dir`` it writes the
demonstration collection, :func:`genrelib.data.regroup.regroup_tracks` of the book's clips
(the synthetic clips in ``smoke``), into genrelib's cache, so its labels are not GTZAN's.

What a long run produces is stored under ``results/<profile>/own_collection/``: the CRNN
run (``runs/<key>/``, read back by the next rendering) and the probe file that
``genrelib predict --model`` reads.

Notebook: 11_own_collection.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown

from genrelib.audio.io import audio_info, load_audio
from genrelib.chapters.c08_external_songs import chapter_songs  # noqa: F401
from genrelib.chapters.context import (  # noqa: F401
    ChapterContext,
    chapter_context,
    training_profile,
)
from genrelib.chapters.display import glue_values, shown_path  # noqa: F401
from genrelib.config import cache_dir
from genrelib.data.collection import (  # noqa: F401
    Collection,
    content_duplicates,
    index_collection,
    label_summary,
)
from genrelib.data.regroup import DEMO_LABELS, regroup_tracks  # noqa: F401
from genrelib.data.verify import verify_dataset  # noqa: F401
from genrelib.errors import AudioDecodeError
from genrelib.exercises import check, filled  # noqa: F401
from genrelib.experiments import HISTORY_FILE, Experiment, data_fingerprint, run_path
from genrelib.input_checks import NOISE_FLATNESS, SILENCE_DBFS, check_signal  # noqa: F401
from genrelib.models.musicnn import PATCH_SECONDS, SAMPLE_RATE  # noqa: F401
from genrelib.plots import (  # noqa: F401
    plot_collection_files,
    plot_confusion_matrix,
    plot_novelty_distances,
    plot_training_curves,
)
from genrelib.predict import SongPrediction, predict_songs, prediction_table  # noqa: F401
from genrelib.transfer.collection_probe import (  # noqa: F401
    ProbeFit,
    fit_collection_probe,
    write_probe,
)
from genrelib.transfer.embeddings import MusicnnEmbeddings, musicnn_embeddings
from genrelib.transfer.novelty import (  # noqa: F401
    NOVELTY_QUANTILE,
    leave_one_out_distances,
    standardise,
)

CHAPTER = "11_own_collection"
SUBDIR = "own_collection"
SMOKE_PER_LABEL = 6
"""Tracks per label of the smoke profile's demonstration collection (5 folds need 5)."""
PROBE_FILE = "collection.probe"
"""The collection probe the chapter writes, for ``genrelib predict --model``."""


def collection_results(ch: ChapterContext) -> Path:
    """The chapter's results folder, ``results/<profile>/own_collection``.

    Notebook: 11_own_collection.
    """
    return ch.results / SUBDIR


def demo_collection_dir(ch: ChapterContext) -> Path:
    """Where the demonstration collection of these clips lives, in genrelib's cache.

    The name holds the profile and a fingerprint of the clips it is made from, so the real
    clips and the synthetic ones never share a folder.

    Notebook: 11_own_collection.
    """
    return cache_dir() / "collections" / f"demo-{ch.profile.name}-{data_fingerprint(ch.tracks)}"


def demo_size(ch: ChapterContext) -> int | None:
    """Tracks per label of the demonstration collection: every clip, or a few in smoke.

    Notebook: 11_own_collection.
    """
    return SMOKE_PER_LABEL if ch.smoke else None


def demo_collection(ch: ChapterContext) -> Collection:
    """The demonstration collection of the chapter's clips, written first if it is missing.

    What the notebook's setup cell does when ``collection_dir`` is ``None``; ``genrelib book
    train`` calls it to plan the chapter's run.

    Notebook: 11_own_collection.
    """
    folder = demo_collection_dir(ch)
    if not folder.exists():
        regroup_tracks(ch.tracks, folder, DEMO_LABELS, per_label=demo_size(ch))
    return index_collection(folder)


def is_demo(ch: ChapterContext, collection: Collection) -> bool:
    """Whether ``collection`` is the chapter's demonstration collection (not the user's).

    Notebook: 11_own_collection.
    """
    return collection.root == demo_collection_dir(ch)


def collection_name(ch: ChapterContext, collection: Collection) -> str:
    """How titles name the collection: its folder's name, or "the demonstration collection".

    Notebook: 11_own_collection.
    """
    if is_demo(ch, collection):
        return "the demonstration collection"
    return collection.root.name


def banner(ch: ChapterContext, collection: Collection) -> Markdown:
    """The chapter's opening line: profile, the collection, its labels and its size.

    Notebook: 11_own_collection.
    """
    labels = ", ".join(f"{label} ({n})" for label, n in collection.counts().items())
    if is_demo(ch, collection):
        what = "The demonstration collection, regrouped from these clips"
    else:
        what = f"Your collection {shown_path(collection.root)}"
    return ch.banner(f"{what}: {len(collection.tracks)} files, labels {labels}.")


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def artist_note(ch: ChapterContext, collection: Collection) -> str:
    """A sentence on artists in the demonstration's folds (empty for another collection).

    The demonstration regroups GTZAN clips whose genres may each come from one artist; its
    folds keep tracks apart, not artists, so the sentence names those genres.

    Notebook: 11_own_collection.
    """
    if not is_demo(ch, collection):
        return ""
    genres = [genre for group in DEMO_LABELS.values() for genre in group]
    artists = ch.tracks[ch.tracks["genre"].isin(genres)].groupby("genre")["artist"].nunique()
    single = [genre for genre in genres if artists.get(genre, 0) == 1]
    if not single:
        return "Every genre under its labels comes from several artists."
    return (
        f"Its folds keep tracks apart, not artists, and {_and(single)} each come from a "
        "single artist in these clips (chapter 6b): part of the score may be the probe "
        "recognising an artist. Give your own collection a manifest with a group column and "
        "the folds keep each group whole."
    )


def file_table(collection: Collection) -> pd.DataFrame:
    """What each file of a collection is: label, name, format, length, rate and channels.

    Notebook: 11_own_collection.

    Returns
    -------
    pandas.DataFrame
        One row per file: ``label``, ``file``, ``format`` (the extension), ``seconds`` (2
        decimals), ``sample_rate``, ``channels`` (NaN when the header cannot be read).
    """
    rows = []
    for track in collection.tracks.itertuples():
        row = {"label": track.genre, "file": track.track_id, "format": Path(track.path).suffix[1:]}
        try:
            info = audio_info(track.path)
            seconds = round(info.duration, 2)
            row.update(seconds=seconds, sample_rate=info.sample_rate, channels=info.channels)
        except AudioDecodeError:
            row.update(seconds=np.nan, sample_rate=np.nan, channels=np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def collection_embeddings(
    ch: ChapterContext, collection: Collection, progress: bool = False
) -> MusicnnEmbeddings:
    """MSD_musicnn embeddings of every usable file of a collection (cached; as the probe).

    Notebook: 11_own_collection.
    """
    return musicnn_embeddings(
        collection.tracks,
        track_seconds=ch.profile.track_seconds,
        device=ch.device,
        progress=progress,
        variable_length=True,
    )


def chapter_probe(ch: ChapterContext, collection: Collection, n_folds: int = 5) -> ProbeFit:
    """The collection probe of the chapter: 5-fold accuracy, then fitted on every track.

    Notebook: 11_own_collection.
    """
    return fit_collection_probe(
        collection,
        seconds=ch.profile.track_seconds,
        n_folds=n_folds,
        seed=ch.seed,
        device=ch.device,
        progress=False,
    )


def save_probe(ch: ChapterContext, fit: ProbeFit) -> Path:
    """Write the chapter's probe to ``results/<profile>/own_collection/collection.probe``.

    Notebook: 11_own_collection.
    """
    folder = collection_results(ch)
    folder.mkdir(parents=True, exist_ok=True)
    return write_probe(fit, folder / PROBE_FILE)


def collection_experiment(
    ch: ChapterContext, collection: Collection, model: str = "base_crnn"
) -> Experiment:
    """The chapter's CRNN experiment: track-disjoint, or group-disjoint with a manifest's groups.

    Notebook: 11_own_collection (and ``genrelib book train``).
    """
    protocol = "artist" if (collection.tracks["artist"] != "").any() else "track"
    return ch.experiment(model, protocol)


def train_on_collection(
    ch: ChapterContext, collection: Collection, model: str = "base_crnn"
) -> dict:
    """Train (or read back) a CRNN on the collection, track-disjoint, the profile's budget.

    The run lives in ``results/<profile>/own_collection/runs/``; in smoke its tracks are cut
    to a few chunks, as in every training chapter (:func:`training_profile`).

    Notebook: 11_own_collection.

    Returns
    -------
    dict
        The run's result row (:func:`genrelib.experiments.run_experiment`).
    """
    return ch.run(
        collection_experiment(ch, collection, model),
        tracks=collection.tracks,
        profile=training_profile(ch.profile),
        results=collection_results(ch),
        classes=collection.classes,
        progress=False,
    )


def run_history(ch: ChapterContext, row: dict) -> pd.DataFrame:
    """The per-epoch history of a run trained by :func:`train_on_collection`.

    Notebook: 11_own_collection.
    """
    return pd.read_csv(run_path(collection_results(ch), row) / HISTORY_FILE)


def budget_note(row: dict) -> str:
    """One sentence on what ended a run: early stopping, or the epoch budget (and how).

    Notebook: 11_own_collection.
    """
    if row["stopped_early"]:
        return "Early stopping ended the run: its validation loss had stopped improving."
    if row["best_epoch"] == row["epochs_run"]:
        how = "its validation loss still falling at the last epoch"
    else:
        how = f"its best validation loss at epoch {row['best_epoch']}"
    return (
        f"The run ended at its budget of {row['max_epochs']} epochs, {how}: its score "
        "measures the budget as much as the model."
    )


def accuracy_text(estimate: float, low: float, high: float) -> str:
    """``"p % [low, high]"``: a track accuracy and its interval (fractions), as the page prints.

    Fed by :attr:`ProbeFit.accuracy` or a run's ``test_track_accuracy`` and its bounds (both
    exact binomial 95 % intervals).

    Notebook: 11_own_collection.
    """
    return f"{100 * estimate:.1f} % [{100 * low:.1f}, {100 * high:.1f}]"


def training_distances(fit: ProbeFit, embeddings: MusicnnEmbeddings) -> pd.Series:
    """Each training track's leave-one-out distance to the nearest class centroid.

    The distances the probe's ``far_distance`` is the 95th percentile of
    (:mod:`genrelib.transfer.novelty`).

    Notebook: 11_own_collection.

    Returns
    -------
    pandas.Series
        Indexed by ``track_id``, in the embeddings' track order.
    """
    z = standardise(embeddings.features("pooled"), fit.arrays["mean"], fit.arrays["scale"])
    chunks = embeddings.chunks
    _, distances = leave_one_out_distances(
        z, chunks["label"].to_numpy(), chunks["track_id"].to_numpy()
    )
    return pd.Series(distances, index=pd.unique(chunks["track_id"]), name="distance")


def song_answers(results: list[SongPrediction]) -> pd.DataFrame:
    """The songs answered by the collection probe: top label, distance and the warning.

    Notebook: 11_own_collection.

    Returns
    -------
    pandas.DataFrame
        ``song``, ``predicted``, ``probability`` (%, 1 decimal), ``second``, ``distance``
        (2 decimals) and ``warning`` (``""`` when the answer stands).
    """
    ok = [result for result in results if result.ok]
    table = prediction_table(ok)[["song", "predicted", "probability", "second"]]
    return table.assign(
        probability=(100 * table["probability"]).round(1),
        distance=[round(result.distance, 2) for result in ok],
        warning=[result.warning or "" for result in ok],
    )


def collection_checks(collection: Collection) -> pd.DataFrame:
    """The input check of every file of a collection, at musicnn's sample rate.

    Notebook: 11_own_collection.

    Returns
    -------
    pandas.DataFrame
        One row per readable file: ``file``, ``level_dbfs``, ``flatness``, ``warning``.
    """
    rows = []
    for track in collection.tracks.itertuples():
        try:
            rows.append({"file": track.track_id, **_check_row(load_audio(track.path, SAMPLE_RATE))})
        except AudioDecodeError:
            continue
    return pd.DataFrame(rows)


def _check_row(y: np.ndarray) -> dict:
    """``level_dbfs``, ``flatness`` and ``warning`` of :func:`check_signal` of ``y``."""
    result = check_signal(y)
    return {
        "level_dbfs": result.level_dbfs,
        "flatness": result.flatness,
        "warning": result.warning or "",
    }


def signal_checks(clip: str | Path, seconds: float = 10.0, seed: int = 0) -> pd.DataFrame:
    """The input check of a real clip beside silence, near-silence and white noise.

    Notebook: 11_own_collection.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``input``, ``level_dbfs`` (1 decimal), ``flatness`` (3 decimals)
        and ``warning``.
    """
    n = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    inputs = {
        "a clip of the collection": load_audio(clip, SAMPLE_RATE)[:n],
        "silence": np.zeros(n, dtype=np.float32),
        "near-silence (-100 dBFS noise)": (1e-5 * rng.standard_normal(n)).astype(np.float32),
        "white noise": (0.1 * rng.standard_normal(n)).astype(np.float32),
    }
    table = pd.DataFrame([{"input": name, **_check_row(y)} for name, y in inputs.items()])
    return table.round({"level_dbfs": 1, "flatness": 3})

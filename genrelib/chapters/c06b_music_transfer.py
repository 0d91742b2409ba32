"""Chapter 06b, transfer from a network trained on music: the glue the notebook calls.

The notebook sets its parameters, calls :func:`chapter_context`, then the functions below in
order, and plots. Everything a long run produces is a tidy file under
``results/<profile>/music_transfer/`` that the next rendering reads back:

* ``probe_predictions.csv``: test predictions of the frozen-embedding probes, every
  protocol and seed (:func:`probe_results`);
* ``runs/<key>/``: the fine-tuning runs, one per protocol (:func:`finetune_results`);
* ``external_songs.csv``: the shipped genre probe on the songs folder (:func:`song_table`);
* ``summary.csv``: accuracy and macro F1 with intervals of every system and protocol
  (:func:`save_summary`).

The notebook's setup line is ``ch = chapter_context(profile, data_dir, ..., training=True)``
(:func:`genrelib.chapters.context.chapter_context`); what the ``smoke`` profile changes
here (3 tracks per genre of 3 patches each, 2 probe seeds, the paper and track protocols,
one epoch of fine-tuning on 32 patches) is decided there, in
:meth:`~genrelib.chapters.context.ChapterContext.probe_seeds`,
:meth:`~genrelib.chapters.context.ChapterContext.protocols` and
:meth:`~genrelib.chapters.context.ChapterContext.finetune_budget`.

Notebook: 06b_music_transfer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown

from genrelib.atomic import atomic_write
from genrelib.chapters.c05_extended_crnn import history_by_model  # noqa: F401
from genrelib.chapters.c06_resnet_transfer import HEAD_LABELS, weights_label
from genrelib.chapters.c08_external_songs import SONG_GENRES, songs_view  # noqa: F401
from genrelib.chapters.c09_honest_evaluation import percent_table
from genrelib.chapters.context import ChapterContext, chapter_context  # noqa: F401
from genrelib.chapters.display import glue_values  # noqa: F401
from genrelib.config import GENRES
from genrelib.data.splits import assign_splits
from genrelib.exercises import check, filled  # noqa: F401
from genrelib.experiments import collect_results, data_fingerprint
from genrelib.models import build_model, count_parameters  # noqa: F401
from genrelib.models.musicnn import (  # noqa: F401
    N_MELS,
    PATCH_FRAMES,
    PATCH_SECONDS,
    SAMPLE_RATE,
    load_musicnn,
    tag_names,
)
from genrelib.plots import plot_loss_comparison, plot_protocol_intervals  # noqa: F401
from genrelib.plots.music_transfer import (  # noqa: F401
    plot_patch_votes,
    plot_taggram,
    plot_track_tags,
)
from genrelib.predict import list_songs, predict_songs, prediction_table, song_excerpt
from genrelib.protocols import experiment_predictions, protocol_summary
from genrelib.summary import SEED_TRACK_BOOTSTRAP, TRACK_BOOTSTRAP, record_headline
from genrelib.transfer import (  # noqa: F401
    PROBE_LABELS,
    MusicnnEmbeddings,
    build_probe,
    embed_patches,
    genre_probe_info,
    musicnn_embeddings,
    probe_predictions,
    run_finetune,
    signal_patches,
    split_probe,
)

CHAPTER = "06b_music_transfer"
SUBDIR = "music_transfer"
PROBE_FILE = "probe_predictions.csv"
SONGS_FILE = "external_songs.csv"
SUMMARY_FILE = "summary.csv"

SINGLE_ARTIST_GENRES: tuple[str, ...] = ("blues", "classical", "reggae", "rock")
"""Genres whose GTZAN indices 00000-00009 all belong to one artist (GTZANindex)."""


def transfer_dir(ch: ChapterContext) -> Path:
    """The chapter's results folder, ``results/<profile>/music_transfer``.

    Notebook: 06b_music_transfer.
    """
    return ch.results / SUBDIR


def banner(ch: ChapterContext, n_seeds: int | None = None) -> Markdown:
    """The chapter's opening line: profile, data, tracks, patches, protocols, probe seeds.

    Notebook: 06b_music_transfer.
    """
    return ch.banner(
        f"{len(ch.tracks)} tracks, musicnn patches of {PATCH_SECONDS:.2f} s at {SAMPLE_RATE} Hz, "
        f"protocols {', '.join(ch.protocols())}, {len(ch.probe_seeds(n_seeds))} probe seed(s)."
    )


def song_taggram(path: str | Path, model: str = "MSD_musicnn") -> pd.DataFrame:
    """musicnn's tag probabilities of every patch of a song (its taggram).

    Notebook: 06b_music_transfer.

    Returns
    -------
    pandas.DataFrame, shape (n_patches, 50)
        Index: patch start in seconds; columns: the model's tags.
    """
    from genrelib.audio import load_audio

    patches = signal_patches(load_audio(path, SAMPLE_RATE))
    tags = embed_patches(load_musicnn(model), patches)[:, :50]
    starts = np.arange(len(patches)) * PATCH_SECONDS
    return pd.DataFrame(tags, index=pd.Index(starts, name="start"), columns=list(tag_names(model)))


def chapter_embeddings(ch: ChapterContext, progress: bool = False) -> MusicnnEmbeddings:
    """MSD_musicnn embeddings of every patch of the chapter's tracks (cached).

    Notebook: 06b_music_transfer.
    """
    return musicnn_embeddings(
        ch.tracks, track_seconds=ch.profile.track_seconds, device=ch.device, progress=progress
    )


def probe_results(
    ch: ChapterContext,
    embeddings: MusicnnEmbeddings,
    n_seeds: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Test predictions of both probes under every protocol and seed, stored or computed.

    The stored file is reused when it holds exactly these tracks (data fingerprint),
    protocols and seeds.

    Notebook: 06b_music_transfer.

    Returns
    -------
    pandas.DataFrame
        :data:`genrelib.protocols.PREDICTION_COLUMNS` plus ``data``.
    """
    target = transfer_dir(ch) / PROBE_FILE
    fingerprint = data_fingerprint(ch.tracks)
    protocols, seeds = ch.protocols(), ch.probe_seeds(n_seeds)
    if target.is_file():
        stored = pd.read_csv(target)
        same = (
            set(stored["data"]) == {fingerprint}
            and set(stored["protocol"]) == set(protocols)
            and set(stored["seed"]) == set(seeds)
            and set(stored.loc[stored["protocol"] == "fault-filtered", "seed"]) <= {seeds[0]}
        )
        if same:
            return stored
    table = probe_predictions(
        embeddings, protocols, seeds, ("logistic_regression", "svm"), progress=progress
    ).assign(data=fingerprint)
    target.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(target, index=False)
    return table


def finetune_results(ch: ChapterContext, progress: bool = False) -> tuple[list, pd.DataFrame]:
    """Fine-tune (or read back) musicnn + GRU under every protocol, first seed.

    Notebook: 06b_music_transfer.

    Returns
    -------
    rows : list of dict
        Result rows of :func:`genrelib.transfer.run_finetune`.
    predictions : pandas.DataFrame
        Track-level test predictions (:func:`genrelib.protocols.experiment_predictions`),
        the model named by :func:`finetune_label`.
    """
    results, budget = transfer_dir(ch), ch.finetune_budget()
    rows = [
        run_finetune(
            ch.tracks, ch.profile, results, budget, protocol, ch.seed, device=ch.device,
            progress=progress,
        )
        for protocol in ch.protocols()
    ]  # fmt: skip
    predictions = experiment_predictions(rows, results)
    return rows, predictions.assign(model=finetune_label(rows))


def finetune_label(rows: list[dict]) -> str:
    """The fine-tuned system's name, flagged as a demonstration when a run hit the epoch cap.

    A run that early stopping did not end was still improving when the budget ran out: its
    score measures the budget, not fine-tuning, and must not be compared with the probes'.

    Notebook: 06b_music_transfer.

    Parameters
    ----------
    rows : list of dict
        Result rows of the fine-tuning runs (``epochs_run``, ``max_epochs``,
        ``stopped_early``).

    Returns
    -------
    str
        ``"musicnn front end + GRU (fine-tuned)"``, or ``"musicnn front end + GRU
        (demonstration, N-epoch cap)"`` when any run stopped at its cap of N epochs.
    """
    capped = [int(r["max_epochs"]) for r in rows if not r["stopped_early"]]
    if not capped:
        return PROBE_LABELS["musicnn_gru"]
    return f"musicnn front end + GRU (demonstration, {max(capped)}-epoch cap)"


def finetune_budget(ch: ChapterContext) -> str:
    """One sentence stating the fine-tuning cap of this profile.

    Notebook: 06b_music_transfer.
    """
    s = ch.finetune_budget()
    per_epoch = "all" if s["max_train_chunks"] is None else f"a random {s['max_train_chunks']}"
    return (
        f"Fine-tuning is capped at {s['max_epochs']} epoch(s) of {per_epoch} training patches "
        f"(batch {s['batch_size']}, Adam, one learning rate), early stopping after "
        f"{s['patience']} epoch(s) without a lower validation loss."
    )


def scratch_predictions(ch: ChapterContext) -> pd.DataFrame:
    """Track-level test predictions of the from-scratch runs of chapters 04-06 on these tracks.

    Only runs on the same tracks (data fingerprint) and with the chapters' own settings
    (the profile's chunk length, hop and patience: not chapter 07's other lengths nor chapter
    10's variants) are kept; with the same protocol and seed their test tracks are the
    fine-tuned model's (the same 80/10/10 split).

    Notebook: 06b_music_transfer.
    """
    runs = collect_results(ch.results)
    if runs.empty:
        return pd.DataFrame()
    profile = ch.profile
    runs = runs[
        (runs["data_fingerprint"] == data_fingerprint(ch.tracks))
        & (runs["chunk_seconds"] == profile.chunk_seconds)
        & (runs["hop_length"] == profile.mel.hop_length)
        & (runs["patience"] == profile.patience)
    ]
    runs = runs[runs["protocol"].isin(ch.protocols()) & (runs["seed"] == ch.seed)]
    if runs.empty:
        return pd.DataFrame()
    return experiment_predictions(runs.to_dict("records"), ch.results)


def comparison(predictions: pd.DataFrame, n_boot: int = 1000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summary (seed-then-track bootstrap) and its readable % table, systems labelled.

    Notebook: 06b_music_transfer.

    Returns
    -------
    summary : pandas.DataFrame
        :func:`genrelib.protocols.protocol_summary` output with readable ``model`` names.
    table : pandas.DataFrame
        ``estimate [low, high]`` % cells (chapter 09's :func:`percent_table`).
    """
    labels = {
        **PROBE_LABELS,
        "base_crnn": "base CRNN (from scratch)",
        "extended_crnn": "extended CRNN (from scratch)",
    }

    def label(name: str) -> str:  # experiment_predictions appends a run's options to its name
        head, _, options = name.partition(" ")
        if head == "resnet18":  # chapter 06's names: the head, then the weights it started from
            options = json.loads(options or "{}")
            kind = "faithful" if options.get("faithful", False) else "sequence"
            return f"{HEAD_LABELS[kind]} ({weights_label(bool(options.get('pretrained')))})"
        return labels.get(name, labels.get(head, name))

    labelled = predictions.assign(model=predictions["model"].map(label))
    summary = protocol_summary(labelled, n_boot=n_boot)
    return summary, percent_table(summary)


def save_summary(ch: ChapterContext, *summaries: pd.DataFrame) -> Path:
    """Write the chapter's summaries (probes over all seeds, then the seed-0 comparison).

    Notebook: 06b_music_transfer.

    Returns
    -------
    Path
        ``results/<profile>/music_transfer/summary.csv``; a ``table`` column says which
        summary a row comes from (``probes, all seeds`` or ``seed <k>``).
    """
    names = ["probes, all seeds"] + [f"seed {ch.seed}"] * (len(summaries) - 1)
    frames = [s.assign(table=name) for s, name in zip(summaries, names, strict=True)]
    target = transfer_dir(ch) / SUMMARY_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).round(4).to_csv(target, index=False)
    return target


def degenerate_protocols(ch: ChapterContext) -> pd.DataFrame:
    """Test tracks per genre under each track-level protocol (first seed).

    Shows where a protocol degenerates. ``paper`` is left out: it splits patches, not
    tracks, so its test patches come from most tracks.

    Notebook: 06b_music_transfer.

    Returns
    -------
    pandas.DataFrame
        One row per protocol, one column per genre: number of test tracks; plus
        ``artists`` (distinct artists among the test tracks).
    """
    tracks = ch.tracks.reset_index(drop=True)
    rows = {}
    for protocol in [p for p in ch.protocols() if p != "paper"]:
        split = assign_splits(tracks, protocol, seed=ch.seed).to_numpy()
        test = tracks[split == "test"]
        counts = test["genre"].value_counts().reindex(list(GENRES), fill_value=0)
        rows[protocol] = {**counts.to_dict(), "artists": test["artist"].nunique()}
    return pd.DataFrame(rows).T


def single_artist_genres(ch: ChapterContext) -> list[str]:
    """Genres whose tracks here all share one artist (the artist split cannot test them).

    Notebook: 06b_music_transfer.
    """
    artists = ch.tracks.groupby("genre")["artist"].nunique()
    return sorted(artists[artists == 1].index)


def song_table(
    ch: ChapterContext, songs_dir: str | None, trim_seconds: float | None = 120
) -> tuple[list, pd.DataFrame]:
    """The shipped genre probe (``genrelib predict``'s default) on every song of ``songs_dir``.

    Notebook: 06b_music_transfer.

    Returns
    -------
    results : list
        :class:`~genrelib.predict.SongPrediction` or failures, one per song.
    table : pandas.DataFrame
        :func:`genrelib.predict.prediction_table` with the expected genres.
    """
    if songs_dir is None:
        return [], pd.DataFrame()
    results = predict_songs(
        list_songs(songs_dir), None, trim_seconds=trim_seconds, device=ch.device, progress=False
    )
    table = prediction_table(results, SONG_GENRES)
    atomic_write(transfer_dir(ch) / SONGS_FILE, table.to_csv(index=False))
    return results, table


def shipped_probe() -> dict:
    """What the probe shipped with genrelib was trained on, and its CV accuracy.

    Notebook: 06b_music_transfer.
    """
    info = genre_probe_info()
    return {k: v for k, v in info.items() if k != "track_ids"}


def record_headlines(ch: ChapterContext, summary: pd.DataFrame) -> None:
    """Record the chapter's track-protocol numbers in the intro's summary table.

    Notebook: 06b_music_transfer.
    """
    data = ch.headline_data
    chosen = summary[summary["protocol"] == "track"]
    for _, row in chosen.iterrows():
        if not row["model"].startswith("musicnn"):
            continue
        record_headline(
            CHAPTER,
            f"{row['model']}, test track accuracy",
            100 * row["accuracy"],
            ch.profile.name,
            low=100 * row["accuracy_low"],
            high=100 * row["accuracy_high"],
            interval=SEED_TRACK_BOOTSTRAP if row["n_seeds"] > 1 else TRACK_BOOTSTRAP,
            data=data,
            protocol="track",
            results=ch.results,
        )


def excerpt(path: str | Path, seconds: float = 10.0) -> tuple[np.ndarray, int]:
    """A short excerpt of a song for an audio player: ``(signal, sample_rate)``.

    Notebook: 06b_music_transfer.
    """
    return song_excerpt(path, seconds=seconds), 11_025

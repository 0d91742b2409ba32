"""The book-wide results table: each chapter records its headline numbers, the intro shows them.

A chapter calls :func:`record_headline` for each result a reader should see first (our
number, its confidence interval and the method that gave it, the paper's number when the
paper has one, the data and the protocol). Rows live in
``<results root>/<profile>/headlines.csv`` (the results root is ``$GENRELIB_RESULTS`` or the
project's ``results/``: :func:`genrelib.project.results_root`), one per (chapter, result, protocol),
replaced when the chapter runs again; the intro, executed last, reads them with
:func:`read_headlines`. So the table always shows what this run computed, never a pasted
figure. Chapters executed at the same time (``genrelib book run --jobs 2``) update the file
one after another, under a lock beside it (:func:`~genrelib.atomic.file_lock`).

Each row also carries the build it belongs to (:data:`BUILD_ENV`, set by
``genrelib book run`` from the profile and parameters of the run), so rows left by a run
with other parameters are never mixed into the intro's table (:func:`build_headlines`).

Notebook: intro (the table), and every chapter that records a headline.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from genrelib.atomic import atomic_write, file_lock
from genrelib.errors import ConfigError
from genrelib.project import BUILD_ENV, results_dir

HEADLINES_FILE = "headlines.csv"
COLUMNS = (
    "chapter",
    "result",
    "ours",
    "low",
    "high",
    "interval",
    "paper",
    "unit",
    "data",
    "protocol",
    "build",
    "recorded",
)
EXACT_BINOMIAL = "exact binomial"
"""Interval of an accuracy over test tracks: Clopper-Pearson (:mod:`genrelib.evaluation`)."""
TRACK_BOOTSTRAP = "bootstrap over test tracks"
"""Interval of a chunk-level score of one run: its test tracks resampled."""
SEED_TRACK_BOOTSTRAP = "bootstrap over seeds, then test tracks"
"""Interval of a score pooled over seeds (:func:`genrelib.protocols.protocol_summary`)."""

INTERACTIVE_BUILD = "interactive"
"""Build name of headlines recorded outside ``genrelib book run`` (a notebook run by hand)."""


def current_build() -> str:
    """The build the running chapter belongs to: ``$GENRELIB_BUILD``, else ``"interactive"``.

    Notebook: every chapter that records a headline (through :func:`record_headline`), intro.
    """
    return os.environ.get(BUILD_ENV) or INTERACTIVE_BUILD


def record_headline(
    chapter: str,
    result: str,
    ours: float,
    profile: str,
    *,
    low: float = math.nan,
    high: float = math.nan,
    interval: str = "",
    paper: float = math.nan,
    unit: str = "%",
    data: str = "",
    protocol: str = "",
    results: str | Path | None = None,
) -> pd.DataFrame:
    """Record (or replace) one headline result of a chapter under one protocol.

    Notebook: 03_baselines to 10_reproducibility.

    Parameters
    ----------
    chapter : str
        Chapter file stem, e.g. ``"03_baselines"``.
    result : str
        What was measured, e.g. ``"tuned SVM, 30-s features, test accuracy"``.
    ours : float
        Our value, in ``unit``.
    profile : str
        Profile of the run (results of different profiles never mix).
    low, high : float
        95 % confidence interval of ``ours`` (NaN when there is none).
    interval : str
        How the interval was computed (:data:`EXACT_BINOMIAL`, :data:`TRACK_BOOTSTRAP`,
        :data:`SEED_TRACK_BOOTSTRAP`); required with ``low`` and ``high``.
    paper : float
        The paper's value for the same cell (NaN when the paper has none).
    unit : str
        Unit of ``ours``, ``low``, ``high`` and ``paper``.
    data : str
        Which data the number comes from (say "synthetic" when it is).
    protocol : str
        Split protocol (``paper``, ``track``, ``artist``, ``fault-filtered``).
    results : str or Path, optional
        Results folder (default ``<results root>/<profile>``,
        :func:`~genrelib.project.results_dir`).

    Returns
    -------
    pandas.DataFrame
        All headlines of this profile after the update.
    """
    if not chapter or not result:
        raise ConfigError("record_headline needs a chapter and a result name")
    if not math.isfinite(float(ours)):
        raise ConfigError(f"record_headline: {chapter} / {result}: value {ours!r} is not finite")
    if math.isfinite(float(low)) and math.isfinite(float(high)) and not interval:
        raise ConfigError(
            f"record_headline: {chapter} / {result}: name the interval's method (interval=...)"
        )
    target = results_dir(profile, results) / HEADLINES_FILE
    row = {
        "chapter": chapter,
        "result": result,
        "ours": float(ours),
        "low": float(low),
        "high": float(high),
        "interval": interval,
        "paper": float(paper),
        "unit": unit,
        "data": data,
        "protocol": protocol,
        "build": current_build(),
        "recorded": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with file_lock(target):
        table = read_headlines(profile, results)
        same = (table["chapter"] == chapter) & (table["result"] == result)
        keep = ~(same & (table["protocol"] == protocol))
        table = pd.concat([table[keep], pd.DataFrame([row])], ignore_index=True)
        table = table.sort_values(["chapter"], kind="stable", ignore_index=True)
        atomic_write(target, table.to_csv(index=False))
    return table


def forget_headlines(
    chapter: str, profile: str, build: str, results: str | Path | None = None
) -> None:
    """Drop the rows ``chapter`` recorded in ``build``, before it runs again in that build.

    A chapter whose results changed may record other rows than last time (a renamed
    result, a row it no longer records); its old rows would otherwise stay in the intro's
    table beside the new ones.

    Notebook: used by ``genrelib book run`` before it executes each chapter.
    """
    target = results_dir(profile, results) / HEADLINES_FILE
    if not target.is_file():
        return
    with file_lock(target):
        table = read_headlines(profile, results)
        stale = (table["chapter"] == chapter) & (table["build"] == build)
        if stale.any():
            atomic_write(target, table[~stale].to_csv(index=False))


def read_headlines(profile: str, results: str | Path | None = None) -> pd.DataFrame:
    """All recorded headlines of a profile (an empty table when none were recorded).

    Notebook: intro.
    """
    target = results_dir(profile, results) / HEADLINES_FILE
    if not target.is_file():
        return pd.DataFrame(columns=list(COLUMNS))
    text = ("chapter", "result", "interval", "unit", "data", "protocol", "build", "recorded")
    table = pd.read_csv(target, dtype=dict.fromkeys(text, str))
    for column in ("interval", "build", "recorded"):  # files written before these existed
        if column not in table:
            table[column] = ""
    table[list(text)] = table[list(text)].fillna("")
    return table[list(COLUMNS)]


def build_headlines(headlines: pd.DataFrame, build: str | None = None) -> tuple[pd.DataFrame, str]:
    """The headlines of one build, so that a table never mixes runs with other parameters.

    Notebook: intro.

    Parameters
    ----------
    headlines : pd.DataFrame
        Output of :func:`read_headlines`.
    build : str, optional
        The build to keep (default: :func:`current_build`). When no row belongs to it (the
        intro run by hand), the build of the most recently recorded row is kept.

    Returns
    -------
    rows : pd.DataFrame
        The rows of that build, index reset.
    build : str
        The build kept ("" when ``headlines`` is empty).
    """
    if headlines.empty:
        return headlines, ""
    build = current_build() if build is None else build
    if not (headlines["build"] == build).any():
        build = headlines.sort_values("recorded", kind="stable")["build"].iloc[-1]
    return headlines[headlines["build"] == build].reset_index(drop=True), build


def headline_table(headlines: pd.DataFrame) -> pd.DataFrame:
    """Readable version of the headlines: ours with its interval beside the paper's value.

    Notebook: intro.

    Parameters
    ----------
    headlines : pandas.DataFrame
        Output of :func:`read_headlines`.

    Returns
    -------
    pandas.DataFrame
        Columns ``chapter``, ``result``, ``ours [95% CI]``, ``interval`` (its method),
        ``paper``, ``data``, ``protocol`` (numbers formatted with their unit; "-" where the
        paper has no such cell).
    """

    def number(value: float, unit: str) -> str:
        return "-" if pd.isna(value) else f"{value:.1f}{'' if unit == '%' else ' '}{unit}"

    rows = []
    for row in headlines.itertuples(index=False):
        ours = number(row.ours, row.unit)
        if not pd.isna(row.low) and not pd.isna(row.high):
            ours += f" [{row.low:.1f}, {row.high:.1f}]"
        rows.append(
            {
                "chapter": row.chapter,
                "result": row.result,
                "ours [95% CI]": ours,
                "interval": row.interval or "-",
                "paper": number(row.paper, row.unit),
                "data": row.data,
                "protocol": row.protocol,
            }
        )
    return pd.DataFrame(rows)

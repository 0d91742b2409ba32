"""How numbers, names and paths appear on a page: rounded, escaped, never a local path.

Notebook: 02_preprocessing to 10_reproducibility (through their chapter modules).
"""

from __future__ import annotations

import base64
import html
import os
import re
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import HTML, display
from pandas.io.formats.style import Styler

from genrelib.data.home import data_home
from genrelib.project import project_dir, results_root

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def format_number(value: object, decimals: int = 2) -> object:
    """``value`` rounded for display: floats to ``decimals`` places, integers with commas.

    Text is returned unchanged; a missing value (None, NaN, ``pd.NA``) becomes ``"-"``.

    Notebook: 02_preprocessing (through :func:`rounded`).
    """
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, Real):
        return value
    if isinstance(value, Integral):
        return f"{int(value):,}"
    return f"{float(value):,.{decimals}f}"


def rounded(
    frame: pd.DataFrame, decimals: int | dict[str, int] = 2, hide_index: bool = False
) -> Styler:
    """A table as the page shows it: every number rounded (also in mixed-type columns).

    Notebook: 02_preprocessing, 03_baselines, 04_base_crnn, 05_extended_crnn,
    06_resnet_transfer, 10_reproducibility.

    Parameters
    ----------
    frame : pd.DataFrame
        The table; its values are not changed.
    decimals : int or dict
        Decimal places of floats; a dict gives them per column (others: 2).
    hide_index : bool
        Hide the row labels.

    Returns
    -------
    Styler
    """
    per_column = decimals if isinstance(decimals, dict) else {}
    default = 2 if isinstance(decimals, dict) else decimals
    styler = frame.style
    for column in frame.columns:
        places = per_column.get(column, default)
        styler = styler.format(
            lambda value, places=places: format_number(value, places), subset=[column]
        )
    styler = styler.format_index(format_label)
    return styler.hide(axis="index") if hide_index else styler


def format_label(value: object) -> object:
    """A row or column label as shown: a float without trailing zeros (``3``, ``0.5``).

    Notebook: 02_preprocessing (through :func:`rounded`).
    """
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:g}"
    return value


def markdown_text(text: str) -> str:
    """``text`` with Markdown's special characters escaped (``_`` stays an underscore).

    Notebook: 08_external_songs (song file names).
    """
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def shown_path(path: str | Path, start: str | Path | None = None) -> str:
    """``path`` as a page may show it: relative to the project (or data home), never absolute.

    Notebook: 08_external_songs (the checkpoint), every chapter naming its data folder.

    Parameters
    ----------
    path : str or Path
        Any path.
    start : str or Path, optional
        Folder it is shown relative to (default: :func:`genrelib.project.project_dir`).

    Returns
    -------
    str
        A relative POSIX path (``results/smoke/runs/.../best.pt``, ``../shared/data``);
        inside the data home, the path from it (``gtzan_mini/genres``); inside the results
        folder (``$GENRELIB_RESULTS``), ``results/`` and the path from it; the bare file
        name when no relative path exists (another drive).
    """
    absolute = Path(path).expanduser().resolve()
    if start is None:
        home, results = data_home().resolve(), results_root().resolve()
        if absolute.is_relative_to(home):
            return absolute.relative_to(home).as_posix()  # the downloads: gtzan_mini/genres
        if absolute.is_relative_to(results):  # wherever $GENRELIB_RESULTS puts them
            return (Path("results") / absolute.relative_to(results)).as_posix()
    start = project_dir() if start is None else Path(start)
    try:
        return Path(os.path.relpath(absolute, start.resolve())).as_posix()
    except ValueError:
        return absolute.name


def preview(frame: pd.DataFrame, rows: int = 3, columns: int = 8, decimals: int = 3) -> Styler:
    """The first ``rows`` rows and ``columns`` columns of a wide table, and its last column.

    A 60-column feature table cannot fit a page; its first columns show its layout.

    Notebook: 03_baselines.

    Returns
    -------
    Styler
        Rounded (:func:`rounded`), captioned with the table's full shape.
    """
    keep = list(frame.columns[:columns])
    if len(frame.columns) > columns:
        keep.append(frame.columns[-1])
    shown = rounded(frame.iloc[:rows][keep], decimals)
    return shown.set_caption(
        f"First {min(rows, len(frame))} of {len(frame):,} rows; {len(keep)} of "
        f"{len(frame.columns)} columns ({', '.join(map(str, keep[:-1]))} ... {keep[-1]})."
    )


def percent_interval(estimate: float, low: float, high: float) -> str:
    """A fraction and its interval as a page prints them: ``"73.0 [70.5, 75.5]"`` (percent).

    Notebook: 04_base_crnn, 09_honest_evaluation (the tables of scores with intervals).
    """
    return f"{100 * estimate:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def csv_download(frame: pd.DataFrame, filename: str, what: str) -> HTML:
    """A link that saves ``frame`` as a CSV file, the data inside the page itself.

    A page shows the columns its text discusses; the link gives the reader every column
    (all metrics, their intervals and spreads, as fractions to 4 significant digits). The file
    travels in the link (a ``data:`` address), so it works on the static site, offline and
    in JupyterLab alike, and needs no file beside the page.

    Notebook: 03_baselines, 09_honest_evaluation.

    Parameters
    ----------
    frame : pd.DataFrame
        The full table; its index is written when it is named.
    filename : str
        The name the browser saves it under, e.g. ``table_iv_30s.csv``.
    what : str
        What the table holds, for the link's text.

    Returns
    -------
    IPython.display.HTML
        ``Download <what> (CSV, <rows> rows x <columns> columns)``.
    """
    named_index = any(name is not None for name in frame.index.names)
    text = frame.to_csv(index=named_index, float_format="%.4g")
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    columns = len(frame.columns) + (frame.index.nlevels if named_index else 0)
    label = html.escape(f"Download {what} (CSV, {len(frame)} rows x {columns} columns)")
    return HTML(
        f'<a download="{html.escape(filename)}" href="data:text/csv;base64,{encoded}">{label}</a>'
    )


def glue_values(**values: object) -> None:
    """Make numbers and short texts available to the page's prose, without showing them.

    Each value is glued under its name (myst-nb ``glue``), so a markdown cell writes
    ``{glue:text}`clip_samples:,``` and the rendered book shows the number the chapter
    computed, formatted. numpy scalars become Python numbers first, so the format spec
    applies to them as to any float. The cells calling this are tagged ``remove-cell``:
    they feed the prose and are not part of the lesson's code.

    Notebook: 01_dataset, 02_preprocessing (every chapter rebuilt as a lesson).

    Parameters
    ----------
    **values : object
        Name and value of each number or text.
    """
    for name, value in values.items():
        plain = value.item() if isinstance(value, np.generic) else value
        glue_hidden(name, plain)


GLUE_PREFIX = "application/papermill.record/"
"""MIME prefix of a hidden glued value in a cell's outputs (myst-nb's ``GLUE_PREFIX``)."""


def glue_hidden(name: str, value: object) -> None:
    """Glue ``value`` under ``name`` without showing it: ``myst_nb.glue(name, value, False)``.

    The same output myst-nb's ``glue`` writes (the value's display formats under
    :data:`GLUE_PREFIX`, ``{"scrapbook": {"name", "mime_prefix"}}`` metadata; a test pins
    the two together), written here because calling myst-nb's imports its notebook
    validator: 1.8 s in every chapter kernel, 25 s a book run.

    Notebook: every chapter (through :func:`glue_values` and :func:`glue_run_scores`).
    """
    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = {"name": name, "mime_prefix": GLUE_PREFIX}
    display({GLUE_PREFIX + key: data for key, data in bundle.items()}, raw=True, metadata=metadata)


RUN_SCORE_PREFIX = "run_score:"
"""Prefix of the hidden glue under which a page records each run whose score it shows."""


def glue_run_scores(*groups: object) -> None:
    """Record, hidden, the test track accuracy of every run a page shows, under its run key.

    A run shown on several pages (chapter 4's run is a row of chapters 5, 6 and 7 too) must
    show the same score everywhere; the site test reads these records from every executed
    page and checks that each key has one value, printed on each page that records it.

    Notebook: 04_base_crnn, 05_extended_crnn, 06_resnet_transfer, 07_split_length,
    10_reproducibility.

    Parameters
    ----------
    *groups : object
        Result rows: a dict, a list of dicts, a DataFrame, or a dict of any of these; each
        row has ``key`` and ``test_track_accuracy`` (a fraction).
    """
    rows: dict[str, float] = {}
    pending = list(groups)
    while pending:
        group = pending.pop()
        if isinstance(group, pd.DataFrame):
            pending.extend(group.to_dict("records"))
        elif isinstance(group, dict) and "key" in group:
            rows[str(group["key"])] = round(100 * float(group["test_track_accuracy"]), 1)
        elif isinstance(group, dict):
            pending.extend(group.values())
        elif isinstance(group, list | tuple):
            pending.extend(group)
    glue_values(**{f"{RUN_SCORE_PREFIX}{key}": score for key, score in rows.items()})

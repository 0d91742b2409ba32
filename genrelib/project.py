"""Where the project lives: its root folder and each profile's results folder.

Kept apart from :mod:`genrelib.book` (papermill, Sphinx) so that code which only reads
or writes results imports nothing of the book machinery.

Notebook: every chapter (through :mod:`genrelib.chapters.context`).
"""

from __future__ import annotations

from pathlib import Path

BUILD_ENV = "GENRELIB_BUILD"
"""Environment variable naming the current book build (read by :mod:`genrelib.summary`)."""


def project_dir(start: Path | None = None) -> Path:
    """Return the book's root: the first folder at or above ``start`` holding ``_toc.yml``.

    Falls back to ``start`` (default: the current folder) when none is found, so the
    notebooks also work when copied elsewhere.

    Notebook: every chapter (default results folder ``project_dir() / "results" / profile``).
    """
    start = Path.cwd() if start is None else Path(start)
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    return start


def results_dir(profile: str, results: str | Path | None = None) -> Path:
    """Folder where a chapter reads and writes its tidy result files.

    Parameters
    ----------
    profile : str
        Profile name; results of different profiles never mix.
    results : str or Path, optional
        Explicit folder (a notebook's ``results_dir`` parameter); ``None`` gives
        ``project_dir() / "results" / profile``.

    Notebook: 04_base_crnn to 10_reproducibility.
    """
    folder = Path(results) if results is not None else project_dir() / "results" / profile
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""Where the project lives: its root folder and each profile's results folder.

Kept apart from :mod:`genrelib.book` (papermill, Sphinx) so that code which only reads
or writes results imports nothing of the book machinery.

Results root: every result (runs, headlines, tables) lives under one folder,
``<results root>/<profile>/``. It is ``$GENRELIB_RESULTS`` when that is set (a relative
value is read from the project folder, so the chapter kernels, which run in ``book/``,
find the same folder), else the project's ``results/`` (:func:`committed_results_dir`),
which holds the committed runs the published book is rendered from. The tests set it to
a fresh temporary folder (``tests/conftest.py``), so a test session never writes into
``results/`` nor reads back what an earlier session left there; a test that must read
the committed runs sets it back to :func:`committed_results_dir`. Chapter kernels and
command-line calls started by the book inherit it with the environment.

Notebook: every chapter (through :mod:`genrelib.chapters.context`).
"""

from __future__ import annotations

import os
from pathlib import Path

BUILD_ENV = "GENRELIB_BUILD"
"""Environment variable naming the current book build (read by :mod:`genrelib.summary`)."""

RESULTS_ENV = "GENRELIB_RESULTS"
"""Environment variable naming the results root (default: the project's ``results/``)."""

BUILD_DIR_ENV = "GENRELIB_BUILD_DIR"
"""Environment variable naming the build folder (default: the project's ``_build/``)."""

BUILD_DIR = "_build"
"""The project's own build folder: executed chapters, the staged sources, the HTML site."""


def project_dir(start: Path | None = None) -> Path:
    """Return the book's root: the first folder at or above ``start`` holding ``_toc.yml``.

    Falls back to ``start`` (default: the current folder) when none is found, so the
    notebooks also work when copied elsewhere.

    Notebook: every chapter (default results folder ``results_root() / profile``).
    """
    start = Path.cwd() if start is None else Path(start)
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    return start


def committed_results_dir(root: Path | None = None) -> Path:
    """The project's own ``results/`` folder (``root`` or :func:`project_dir`), ignoring the env.

    It holds the committed runs (``results/cpu/runs``) the published book reads. A test of
    the published book points the results root back at it, e.g.
    ``monkeypatch.setenv(RESULTS_ENV, str(committed_results_dir()))``.

    Notebook: none (the published book, through :func:`results_root`).
    """
    return (project_dir() if root is None else Path(root).resolve()) / "results"


def results_root(root: Path | None = None) -> Path:
    """Folder of every profile's results: ``$GENRELIB_RESULTS``, else the project's ``results/``.

    Parameters
    ----------
    root : Path, optional
        Project folder (default: :func:`project_dir`); a relative ``$GENRELIB_RESULTS``
        is read from it.

    Notebook: every chapter (through :func:`results_dir`).
    """
    root = project_dir() if root is None else Path(root).resolve()
    value = os.environ.get(RESULTS_ENV)
    if not value:
        return committed_results_dir(root)
    return (root / Path(value).expanduser()).resolve()


def build_root(root: Path | None = None) -> Path:
    """Folder of the book's build: ``$GENRELIB_BUILD_DIR``, else the project's ``_build/``.

    It holds the executed chapters (``executed/``), the staged site sources and the HTML site
    (``html/``). The tests point it at a temporary folder, so a test session never
    overwrites the book a user built in the project.

    Parameters
    ----------
    root : Path, optional
        Project folder (default: :func:`project_dir`); a relative ``$GENRELIB_BUILD_DIR``
        is read from it.

    Notebook: none (``genrelib book run`` and ``genrelib book build``).
    """
    root = project_dir() if root is None else Path(root).resolve()
    value = os.environ.get(BUILD_DIR_ENV)
    return (root / Path(value).expanduser()).resolve() if value else root / BUILD_DIR


def results_dir(profile: str, results: str | Path | None = None) -> Path:
    """Folder where a chapter reads and writes its tidy result files.

    Parameters
    ----------
    profile : str
        Profile name; results of different profiles never mix.
    results : str or Path, optional
        Explicit folder (a notebook's ``results_dir`` parameter); ``None`` gives
        ``results_root() / profile`` (``$GENRELIB_RESULTS/<profile>`` when it is set).

    Notebook: 04_base_crnn to 10_reproducibility.
    """
    folder = Path(results) if results is not None else results_root() / profile
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""Shared fixtures: the real data of the read-only shared folder, found through an env variable.

Session-wide, caches and results go to temporary folders: a test session never writes into
the user's cache nor into the repository's ``results/`` (and so never reads back the runs an
earlier session left there).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from genrelib.project import BUILD_DIR_ENV, RESULTS_ENV

SHARED_ENV = "GENRELIB_SHARED_DATA"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the shared development data (``$GENRELIB_SHARED_DATA``).

    Fails, never skips, when it is missing: CI must exercise the real clips.
    """
    value = os.environ.get(SHARED_ENV)
    if not value:
        pytest.fail(f"set {SHARED_ENV} to the shared data folder (CI sets it to ../shared/data)")
    root = Path(value).resolve()
    if not (root / "gtzan_mini").is_dir():
        pytest.fail(f"{SHARED_ENV}={value} has no gtzan_mini/ folder")
    return root


@pytest.fixture(scope="session")
def gtzan_mini(shared_data: Path) -> Path:
    """The 100 real GTZAN clips (10 per genre) in the standard layout."""
    return shared_data / "gtzan_mini"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep caches of the test session out of the user's home folder."""
    if "GENRELIB_CACHE" not in os.environ:
        os.environ["GENRELIB_CACHE"] = str(tmp_path_factory.mktemp("genrelib_cache"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_results(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Write every result of the session (runs, headlines) into a fresh temporary folder.

    ``$GENRELIB_RESULTS`` is inherited by the chapter kernels papermill starts and by
    command-line calls. A test of the committed runs points it back at the repository's
    ``results/`` (:func:`genrelib.project.committed_results_dir`).
    """
    if RESULTS_ENV not in os.environ:
        os.environ[RESULTS_ENV] = str(tmp_path_factory.mktemp("results"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_build(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build the book (executed chapters, site) into a temporary folder, not ``_build/``.

    A user's own build in the project is never overwritten by a test session.
    """
    if BUILD_DIR_ENV not in os.environ:
        os.environ[BUILD_DIR_ENV] = str(tmp_path_factory.mktemp("build"))


@pytest.fixture(autouse=True, scope="session")
def _empty_data_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start from an empty data home: the user's downloads never leak into a test.

    Tests that need the book's data fill a data home by downloading from a local server
    (``tests/book_server.py``) and point ``$GENRELIB_DATA`` at it.
    """
    os.environ["GENRELIB_DATA"] = str(tmp_path_factory.mktemp("data_home"))
    os.environ.pop("GTZAN_DIR", None)

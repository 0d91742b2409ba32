"""What a chapter kernel imports: each name on first use, nothing the chapter does not call.

Every chapter kernel pays its imports again (14 kernels a book run), so the packages name
their exports through ``lazy_loader`` and the kernels never load the book runner's tools.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

CHAPTER_MODULES = sorted(
    f"genrelib.chapters.{path.stem}"
    for path in (Path(__file__).resolve().parents[1] / "genrelib" / "chapters").glob("*.py")
    if path.stem != "__init__"
)
LAZY_PACKAGES = (
    "genrelib.audio",
    "genrelib.data",
    "genrelib.models",
    "genrelib.plots",
    "genrelib.training",
    "genrelib.transfer",
)


def _loaded_after(modules: list[str], watched: tuple[str, ...], then: str = "") -> list[str]:
    """The ``watched`` modules loaded by importing ``modules`` (then running ``then``) in a
    fresh interpreter."""
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"{then}\n"
        f"print(','.join(m for m in {watched!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().split(",") if name]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_name_a_lazy_package_lists_imports(package: str) -> None:
    """A name in a package's lazy table that its module lacks fails here, not in a chapter."""
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"


def test_no_chapter_loads_the_book_runner_or_the_notebook_validator() -> None:
    """papermill and nbformat (whose schema validator alone costs 1.7 s) stay in the runner."""
    watched = ("papermill", "nbformat", "jsonschema", "filelock")
    assert _loaded_after(CHAPTER_MODULES, watched) == []
    glued = "from genrelib.chapters.display import glue_values; glue_values(n_clips=100)"
    assert _loaded_after(["genrelib.chapters.display"], watched, glued) == []


def test_the_summary_pages_load_no_torch() -> None:
    """The intro and the teachers' guide only read tables: no torch, no training code."""
    watched = ("torch", "genrelib.experiments", "sklearn", "librosa.display")
    modules = ["genrelib.chapters.intro", "genrelib.chapters.teachers_guide"]
    assert _loaded_after(modules, watched) == []

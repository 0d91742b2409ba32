"""Every chapter executes end to end with papermill in the smoke profile.

The chapters selected for this session execute once, two at a time (``genrelib book run
--jobs 2``: chapters that need the same run wait for the one training it); each test then
reads its chapter's executed copy.

Notebook: all chapters (this is the CI check behind ``genrelib book run``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from genrelib.book import run_notebooks, toc_notebooks
from genrelib.project import results_dir
from genrelib.summary import build_headlines, read_headlines

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [path.name for path in toc_notebooks(ROOT)]


def smoke_parameters(shared_data: Path) -> dict:
    """Parameters CI passes to the chapters that declare them (real tables and songs)."""
    return {
        "features_csv": str(shared_data / "features" / "features_30_sec.csv"),
        "songs_dir": str(shared_data / "external_songs"),
    }


@pytest.fixture(scope="session")
def smoke_book(request: pytest.FixtureRequest, shared_data: Path) -> dict[str, Path]:
    """The executed copy of every chapter this session's tests select, by file name."""
    chosen = sorted(
        {
            item.callspec.params["chapter"]
            for item in request.session.items
            if item.originalname == "test_chapter_executes_in_smoke_profile"
        }
    )
    executed = run_notebooks(
        "smoke", smoke_parameters(shared_data), root=ROOT, only=chosen, progress=False, jobs=2
    )
    return {path.name: path for path in executed}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_executes_in_smoke_profile(chapter: str, smoke_book: dict[str, Path]) -> None:
    """The chapter runs without error and shows at least one figure (the intro: the results)."""
    notebook = nbformat.read(smoke_book[chapter], as_version=4)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    errors = [out for out in outputs if out.output_type == "error"]
    assert not errors, f"{chapter} has error outputs: {errors[0]['ename']}"
    if chapter == "intro.ipynb":
        # Executed after the others: it shows the headline table the chapters recorded.
        shown = "".join(out.get("data", {}).get("text/html", "") for out in outputs)
        # This session's results folder ($GENRELIB_RESULTS, tests/conftest.py) starts empty,
        # so the rows come from the chapters executed with it in this session.
        recorded, _ = build_headlines(read_headlines("smoke"))  # the latest build's rows
        assert not recorded.empty, (
            f"no headline recorded in {results_dir('smoke')}: run the chapters with the intro"
        )
        missing = [result for result in recorded["result"] if result not in shown]
        assert not missing, f"the intro does not show {missing}"
        return
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert images, f"{chapter} shows no figure"

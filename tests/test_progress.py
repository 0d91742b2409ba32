"""A chapter saved by papermill shows where each progress bar ended, never "0%"."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest
from tqdm.auto import tqdm as auto_tqdm

from genrelib.progress import tqdm

LOOPS = """
from genrelib.progress import tqdm
for _ in tqdm(range(5), desc="clips"):
    pass
for _ in tqdm(range(5), desc="scratch", leave=False):
    pass
"""


def test_outside_a_notebook_it_is_tqdms_own_bar() -> None:
    assert tqdm is auto_tqdm


@pytest.mark.slow
def test_saved_bars_show_their_final_state(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LOOPS)])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    nbformat.write(notebook, tmp_path / "in.ipynb")
    papermill.execute_notebook(
        str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False
    )
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs
    texts = [output["data"]["text/plain"] for output in outputs if "data" in output]
    assert texts[0].startswith("clips: 100%") and "5/5" in texts[0]
    assert texts[1] == ""  # a bar that does not stay leaves nothing behind
    assert not any("0%|" in text and "100%" not in text for text in texts)

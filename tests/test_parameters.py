"""A chapter's parameters are a contract: typed, described, checked, failing in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Optional

import nbformat
import papermill
import pytest

from genrelib.book import run_notebooks, toc_notebooks
from genrelib.chapters.parameters import check_parameters, check_value, injected_names
from genrelib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = toc_notebooks(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_every_parameter_has_a_type_and_a_description(chapter: Path) -> None:
    """What ``papermill --help-notebook`` prints: no 'Unknown type', no empty help."""
    declared = papermill.inspect_notebook(str(chapter))
    assert declared, f"{chapter.name} declares no parameters"
    for name, parameter in declared.items():
        assert parameter["inferred_type_name"] != "None", f"{chapter.name}: {name} has no type"
        assert parameter["help"], f"{chapter.name}: {name} has no description"


@pytest.mark.parametrize(
    ("value", "annotation", "expected"),
    [
        ("cpu", str, "cpu"),
        (None, Optional[str], None),  # noqa: UP045 (the form papermill's --help-notebook reads)
        (3, float, 3.0),
        ("base_crnn", Optional[list[str]], ["base_crnn"]),  # noqa: UP045
        ("base_crnn, extended_crnn", list[str], ["base_crnn", "extended_crnn"]),
        (3, Optional[list[float]], [3.0]),  # noqa: UP045 (-p chunk_lengths 3)
        ("1,3", list[float], [1.0, 3.0]),
        ([1, 3], list[float], [1.0, 3.0]),  # -y "chunk_lengths: [1, 3]"
        (Path("x"), str, "x"),
    ],
)
def test_values_are_checked_and_normalised(value, annotation, expected) -> None:
    assert check_value("p", value, annotation) == expected


@pytest.mark.parametrize(
    ("value", "annotation", "message"),
    [
        ("abc", int, "parameter p must be int, got 'abc' (str)"),
        (True, int, "must be an int, got True (bool)"),
        (None, str, "parameter p must be str, got None"),
        ("1,x", list[float], "'x' is not float"),
        ("", list[str], "at least one value"),
    ],
)
def test_wrong_values_are_one_line_naming_the_parameter(value, annotation, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        check_value("p", value, annotation)
    assert "\n" not in str(info.value)


def test_injected_names_come_from_papermills_cell() -> None:
    history = ["", "profile: str = 'auto'", '# Parameters\nprofile = "cpu"\nsong_dir = "x"\n']
    assert injected_names(history) == ["profile", "song_dir"]
    assert injected_names(["profile = 'cpu'"]) == []  # run by hand: nothing injected


def test_an_unknown_name_suggests_the_declared_one() -> None:
    namespace = {
        "__annotations__": {"songs_dir": Optional[str], "seed": int},  # noqa: UP045
        "In": ["", "# Parameters\nsong_dir = 'x'\n"],
        "songs_dir": None,
        "seed": 0,
        "song_dir": "x",
    }
    with pytest.raises(ConfigError, match="unknown parameter song_dir .did you mean songs_dir"):
        check_parameters(namespace)
    namespace["In"] = ["", "# Parameters\nseed = 2\n"]
    namespace["seed"] = 2
    assert check_parameters(namespace) == {"songs_dir": None, "seed": 2}


def _error_output(notebook: Path) -> dict:
    executed = nbformat.read(notebook, as_version=4)
    errors = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert len(errors) == 1
    return errors[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("chapter", "parameters", "message"),
    [
        ("01_dataset", {"song_dir": "x"}, "ConfigError: unknown parameter song_dir: this chapter"),
        ("01_dataset", {"seed": "abc"}, "ConfigError: parameter seed must be int, got 'abc'"),
        ("01_dataset", {"seed": -3}, "ConfigError: parameter seed must be between 0 and"),
        ("01_dataset", {"profile": "bogus"}, "ConfigError: unknown profile 'bogus'"),
        ("04_base_crnn", {"device": "tpu"}, "ConfigError: parameter device: unknown device"),
    ],
)
def test_papermill_stops_the_chapter_in_its_setup_cell_with_one_line(
    chapter: str, parameters: dict, message: str, tmp_path: Path
) -> None:
    """Plain papermill, as a practitioner runs a chapter: the error is its one line."""
    out = tmp_path / "out.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(ROOT / "book" / f"{chapter}.ipynb"),
            str(out),
            parameters=parameters,
            cwd=str(ROOT / "book"),
            progress_bar=False,
        )
    assert info.value.exec_count <= 3  # the setup cell, before any work
    error = _error_output(out)
    assert error["traceback"] == [f"{error['ename']}: {error['evalue']}"]
    assert error["traceback"][0].startswith(message)


@pytest.mark.slow
def test_a_list_passed_as_text_reaches_the_chapter_as_a_list(tmp_path: Path) -> None:
    """``-p models base_crnn`` (papermill gives a str) is read as ["base_crnn"]."""
    notebook = nbformat.read(ROOT / "book" / "07_split_length.ipynb", as_version=4)
    setup = next(
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and "chapter_context(" in cell.source
    )
    probe = "import json\nprint(json.dumps({'models': models, 'chunk_lengths': chunk_lengths}))"
    notebook.cells = [*notebook.cells[: setup + 1], nbformat.v4.new_code_cell(probe)]
    source = tmp_path / "07_probe.ipynb"
    nbformat.write(notebook, source)
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters={"models": "base_crnn,extended_crnn", "chunk_lengths": 3},
        cwd=str(ROOT / "book"),
        progress_bar=False,
    )
    printed = nbformat.read(out, as_version=4).cells[-1].outputs[-1]["text"]
    assert json.loads(printed) == {"models": ["base_crnn", "extended_crnn"], "chunk_lengths": [3.0]}


def test_book_run_refuses_a_parameter_no_chapter_declares() -> None:
    with pytest.raises(ConfigError, match="unknown parameter song_dir .did you mean songs_dir"):
        run_notebooks("smoke", {"song_dir": "x"}, root=ROOT, progress=False)


@pytest.mark.slow
def test_papermill_engine_genrelib_starts_the_kernel_without_the_tcp_warning(
    tmp_path: Path,
) -> None:
    """``papermill --engine genrelib`` (the IPC kernel of ``genrelib book run``): a quiet run."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    notebook.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    source, out = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    command = [sys.executable, "-m", "papermill", str(source), str(out), "--engine", "genrelib"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-500:]
    assert "without encryption" not in result.stderr
    assert nbformat.read(out, as_version=4).cells[0].outputs[0]["text"] == "42\n"

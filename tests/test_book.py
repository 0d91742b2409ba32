"""The book runner: table of contents, staging of executed chapters for the web."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from genrelib.book import WIDGET_MIME, prepare_for_web, project_dir, toc_files, toc_notebooks
from genrelib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_toc_lists_intro_then_chapters_in_order_then_back_matter() -> None:
    files = toc_files(ROOT)
    assert files[0].name == "intro.ipynb"
    chapters = [path.name for path in files[1:] if path.name[0].isdigit()]
    assert chapters == sorted(chapters) and chapters[0].startswith("01_")
    back = [path.name for path in files[1 + len(chapters) :]]
    assert back == ["teachers_guide.ipynb", "glossary.md"], "guide and glossary close the book"


def test_intro_is_executed_last_because_it_summarises_the_chapters() -> None:
    order = [path.name for path in toc_notebooks(ROOT)]
    assert order[-1] == "intro.ipynb" and order[0].startswith("01_")


def test_project_dir_found_from_a_subfolder() -> None:
    assert project_dir(ROOT / "book") == ROOT


def test_toc_entry_without_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    with pytest.raises(ConfigError, match="intro"):
        toc_files(tmp_path)


def test_prepare_for_web_drops_progress_widgets_and_hides_default_parameters() -> None:
    notebook = nbformat.v4.new_notebook()
    defaults = nbformat.v4.new_code_cell("profile = 'smoke'", metadata={"tags": ["parameters"]})
    injected = nbformat.v4.new_code_cell(
        "profile = 'cpu'", metadata={"tags": ["injected-parameters"]}
    )
    work = nbformat.v4.new_code_cell("run()")
    work.outputs = [
        nbformat.v4.new_output("display_data", data={WIDGET_MIME: {}, "text/plain": "0%|"}),
        nbformat.v4.new_output("stream", name="stdout", text="done\n"),
    ]
    notebook.cells = [defaults, injected, work]
    notebook.metadata["widgets"] = {"state": {}}

    prepared = prepare_for_web(notebook)

    assert "remove-cell" in prepared.cells[0].metadata["tags"]
    assert "remove-cell" not in prepared.cells[1].metadata["tags"]
    assert [out.output_type for out in prepared.cells[2].outputs] == ["stream"]
    assert "widgets" not in prepared.metadata


def test_relative_path_parameters_are_read_from_the_callers_folder(tmp_path: Path) -> None:
    """A relative songs_dir means a folder below where the user ran the command; the kernel
    runs in the chapter's folder, so it gets the same folder relative to that one."""
    from genrelib.book import build_id, resolve_path_parameters

    songs = tmp_path / "data" / "songs"
    songs.mkdir(parents=True)
    chapter_dir = tmp_path / "project" / "book"
    chapter_dir.mkdir(parents=True)
    given = {"songs_dir": "data/songs", "features_csv": None, "profile": "smoke", "seed": 0}
    resolved = resolve_path_parameters(given, chapter_dir, cwd=tmp_path)
    assert resolved["songs_dir"] == "../../data/songs"
    assert (chapter_dir / resolved["songs_dir"]).resolve() == songs.resolve()
    assert resolved["features_csv"] is None and resolved["profile"] == "smoke"
    # the same parameters name the same build, wherever they were given from
    absolute = {**given, "songs_dir": str(songs)}
    assert build_id("smoke", given, cwd=tmp_path) == build_id("smoke", absolute, cwd=chapter_dir)
    assert build_id("smoke", given, cwd=tmp_path) != build_id("cpu", given, cwd=tmp_path)


def test_chapter_kernels_use_sockets_of_their_own(tmp_path: Path, monkeypatch) -> None:
    """Two chapters run at once from one folder must not share jupyter_client's default
    ``kernel-ipc-<n>`` sockets there (they would read each other's messages)."""
    import threading

    import nbformat
    import papermill

    from genrelib.kernels import BookKernelManager

    monkeypatch.chdir(tmp_path)
    first, second = BookKernelManager(), BookKernelManager()
    assert first.transport == "ipc" and first.ip != second.ip
    assert Path(first.ip).is_absolute() and Path(first.ip).parent != tmp_path
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 6 * 7\nx")])
    nbformat.write(notebook, tmp_path / "chapter.ipynb")
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            papermill.execute_notebook(
                str(tmp_path / "chapter.ipynb"), str(tmp_path / f"{name}.ipynb"),
                engine_name="genrelib", kernel_name="python3", progress_bar=False,
            )  # fmt: skip
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for name in ("a", "b"):
        assert (
            nbformat.read(tmp_path / f"{name}.ipynb", 4).cells[0].outputs[0].data["text/plain"]
            == "42"
        )
    assert not list(tmp_path.glob("kernel-ipc*"))  # nothing left in the working folder


def test_each_chapter_kernel_starts_in_its_own_folder_without_moving_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths in a chapter are read from its folder, and the folder is the kernel's
    own: changing the whole process's folder (papermill's ``cwd=``) made a chapter run
    beside another (``--jobs 2``) start its kernel in the other's folder, or in the
    caller's, and read a relative ``songs_dir`` from there. With the process held in
    place, each kernel still starts in its chapter's folder."""
    import os
    import threading

    from genrelib.book import _execute_chapter

    monkeypatch.setattr(os, "chdir", lambda path: None)  # the process never moves
    cell = nbformat.v4.new_code_cell("import os\nos.getcwd()")
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), folder / "chapter.ipynb")
    threads = [
        threading.Thread(
            target=_execute_chapter,
            args=(folder / "chapter.ipynb", folder / "run.ipynb", {}, tmp_path),
        )
        for folder in folders
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for folder in folders:
        shown = nbformat.read(folder / "run.ipynb", 4).cells[0].outputs[0].data["text/plain"]
        assert Path(shown.strip("'")) == folder


def _book_of(root: Path, chapters: dict[str, str]) -> Path:
    """A project folder whose book has one code cell per chapter, in this order."""
    (root / "book").mkdir(parents=True)
    for name, code in chapters.items():
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, root / "book" / f"{name}.ipynb")
    entries = "".join(f"  - file: book/{name}\n" for name in list(chapters)[1:])
    (root / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/{next(iter(chapters))}\nchapters:\n{entries}"
    )
    return root


@pytest.mark.slow  # starts four kernels
@pytest.mark.parametrize("stop", ["a chapter fails", "Ctrl-C"])
def test_with_jobs_the_chapters_running_beside_are_stopped(
    stop: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    """``--jobs 2``: when one chapter fails, or on Ctrl-C, the chapter running beside it
    is stopped at once (its kernel and the kernel's own processes killed) instead of
    running to its end, and no other chapter starts."""
    import os
    import signal
    import subprocess
    import threading
    import time

    from genrelib.book import EXECUTED_DIR, NotebookExecutionError, run_notebooks
    from genrelib.project import build_root

    pid_file = tmp_path / "child.pid"
    slow = (  # a chapter with a worker process of its own, busy for two minutes
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(120)"
    )
    wait = f"import os, time\nwhile not os.path.exists({str(pid_file)!r}):\n    time.sleep(0.1)\n"
    second = wait + ("raise ValueError('bad cell')" if stop != "Ctrl-C" else "time.sleep(120)")
    chapters = {"intro": "6 * 7", "00_slow": slow, "01_second": second, "02_never": "6 * 7"}
    root = _book_of(tmp_path / "project", chapters)
    if stop == "Ctrl-C":  # once the slow chapter runs, as a user's Ctrl-C would
        # Python's own SIGINT handler, as in a terminal: a session started in the background
        # inherits SIGINT ignored.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
        main_process = os.getpid()

        def press_ctrl_c() -> None:
            while not pid_file.exists():
                time.sleep(0.1)
            os.kill(main_process, signal.SIGINT)

        threading.Thread(target=press_ctrl_c, daemon=True).start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt if stop == "Ctrl-C" else NotebookExecutionError):
        run_notebooks("smoke", root=root, progress=False, jobs=2)
    assert time.perf_counter() - started < 40, "the other chapter ran on"
    shown = capsys.readouterr()
    assert "stopped before the end: 00_slow.ipynb" in shown.out + shown.err
    assert "Kernel died" not in caplog.text  # expected, so not logged as an error
    assert not (build_root(root) / EXECUTED_DIR / "book" / "02_never.ipynb").exists()
    child = int(pid_file.read_text())
    for _ in range(50):  # the killed kernel's worker is gone (reaped by init or a zombie)
        state = subprocess.run(
            ["ps", "-o", "stat=", "-p", str(child)], capture_output=True, text=True
        )
        if not state.stdout.strip() or state.stdout.strip().startswith("Z"):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the stopped chapter's worker process still runs")


def test_summary_pages_execute_after_every_other_chapter() -> None:
    from genrelib.book import SUMMARY_PAGES, execution_stages

    chapters, summaries = execution_stages(toc_notebooks(ROOT))
    assert [path.stem for path in summaries] == ["teachers_guide", "intro"]
    assert set(SUMMARY_PAGES) == {path.stem for path in summaries}
    assert chapters[0].stem == "01_dataset" and chapters[-1].stem == "11_own_collection"
    assert execution_stages(chapters[:2]) == [chapters[:2]]


def test_the_slowest_chapters_start_first(tmp_path: Path) -> None:
    """With several at a time, chapters start slowest first; unrecorded ones before all."""
    from genrelib.book import run_notebooks, slowest_first
    from genrelib.course import record_chapter_time

    chapters = [ROOT / "book" / f"{stem}.ipynb" for stem in ("01_dataset", "03_baselines", "07_x")]
    record_chapter_time(tmp_path, "01_dataset", 10.5, False)
    record_chapter_time(tmp_path, "03_baselines", 27.2, False)
    order = [path.stem for path in slowest_first(chapters, tmp_path)]
    assert order == ["07_x", "03_baselines", "01_dataset"]
    assert slowest_first(chapters[:2], tmp_path / "none") == chapters[:2]  # toc order kept
    with pytest.raises(ConfigError, match="--jobs 0"):
        run_notebooks("smoke", root=ROOT, only=["01_dataset"], training=False, jobs=0)


@pytest.mark.slow
def test_two_chapters_at_once_then_the_summaries(tmp_path: Path) -> None:
    """``jobs=2``: both chapters run at once, the guide and intro after both; no time stored."""
    from genrelib.book import run_notebooks
    from genrelib.course import read_chapter_times

    only = ["01_dataset", "02_preprocessing", "teachers_guide", "intro"]
    executed = run_notebooks(
        "smoke", {"results_dir": str(tmp_path)}, root=ROOT, only=only, progress=False,
        training=False, jobs=2,
    )  # fmt: skip
    assert [path.stem for path in executed] == ["01_dataset", "02_preprocessing"] + only[2:]
    spans = {}
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata.papermill.exception is None, f"{path.name} failed"
        spans[path.stem] = (
            notebook.metadata.papermill.start_time,
            notebook.metadata.papermill.end_time,
        )
    assert spans["02_preprocessing"][0] < spans["01_dataset"][1], "the chapters ran one by one"
    last_chapter = max(spans["01_dataset"][1], spans["02_preprocessing"][1])
    assert min(spans["teachers_guide"][0], spans["intro"][0]) > last_chapter
    assert not (tmp_path / "chapter_times.csv").exists()
    # one at a time (the default): the chapter's time is recorded for the teachers' guide
    run_notebooks(
        "smoke", {"results_dir": str(tmp_path)}, root=ROOT, only=["01_dataset"], progress=False
    )
    assert read_chapter_times(tmp_path)["chapter"].tolist() == ["01_dataset"]

"""Run the book: execute every chapter with papermill, then build the HTML site.

The chapters are listed in ``_toc.yml`` (:mod:`genrelib.toc`). :func:`run_notebooks`
executes them in that order, one or several at a time, into ``_build/executed/`` (sources
stay clean); :func:`build_book` stages the executed copies beside ``_config.yml``/``_toc.yml``
and runs Jupyter Book 1 on them, so the HTML pages show every output and figure. Nothing
needs the network.

Notebook: used by ``genrelib book run|build`` (the README's main job).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import nbformat
import papermill
import yaml

from genrelib.config import EDITIONS, NO_TRAINING_ENV, PROFILES
from genrelib.course import read_chapter_times, record_chapter_time
from genrelib.errors import ConfigError, GenrelibError
from genrelib.exercises import student_edition
from genrelib.kernels import BookKernelManager, stop_book_kernels
from genrelib.progress import tqdm
from genrelib.project import BUILD_ENV, build_root, project_dir, results_root
from genrelib.summary import forget_headlines
from genrelib.toc import toc_files, toc_notebooks

EXECUTED_DIR = "executed"
SITE_SOURCE_DIR = "site_source"
STAGED_FILES = ("_config.yml", "_toc.yml", "references.bib")


class NotebookExecutionError(GenrelibError):
    """A chapter failed while papermill executed it."""


def _declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    return set(papermill.inspect_notebook(str(notebook)))


PATH_SUFFIXES = ("_dir", "_csv", "_path")
PATH_NAMES = ("checkpoint",)


def is_path_parameter(name: str) -> bool:
    """Whether a chapter parameter names a file or folder (``data_dir``, ``checkpoint``...).

    Notebook: used by ``genrelib book run``.
    """
    return name in PATH_NAMES or name.endswith(PATH_SUFFIXES)


def resolve_path_parameters(parameters: dict, notebook_dir: Path, cwd: Path | None = None) -> dict:
    """Path parameters as a chapter kernel must receive them.

    A relative path means a path from the caller's current folder (``cwd``), but papermill
    runs each chapter in its own folder; so every path parameter is resolved from ``cwd``
    and then written relative to ``notebook_dir``. The kernel finds the same file, and the
    page's parameters cell shows no local absolute path (``../../shared/data/...``).

    Notebook: used by ``genrelib book run``.

    Parameters
    ----------
    parameters : dict
        Papermill parameters; values of path parameters that are ``None`` stay ``None``.
    notebook_dir : Path
        The folder the chapter runs in.
    cwd : Path, optional
        The folder relative paths are read from (default: the current folder).

    Returns
    -------
    dict
        A copy of ``parameters`` with path values rewritten.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    resolved = dict(parameters)
    for name, value in parameters.items():
        if value is None or not is_path_parameter(name) or not isinstance(value, str | Path):
            continue
        absolute = (cwd / Path(value).expanduser()).resolve()
        try:
            relative = os.path.relpath(absolute, Path(notebook_dir).resolve())
            resolved[name] = Path(relative).as_posix()
        except ValueError:  # another drive: only an absolute path reaches it
            resolved[name] = str(absolute)
    return resolved


def build_id(profile: str, parameters: dict, cwd: Path | None = None) -> str:
    """Name of a build: the profile and a short hash of every parameter given.

    Chapters run with the same profile and parameters share it (also when run one at a
    time), so the intro shows only headlines of one build.

    Notebook: used by ``genrelib book run`` (the intro's results table).
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    absolute = {
        name: str((cwd / Path(value).expanduser()).resolve())
        if is_path_parameter(name) and isinstance(value, str | Path)
        else value
        for name, value in parameters.items()
    }
    text = json.dumps({"profile": profile, **absolute}, sort_keys=True, default=str)
    return f"{profile}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


SUMMARY_PAGES = ("intro", "teachers_guide")
"""Notebooks that show what the other chapters record (the intro's headlines, the teachers'
guide's chapter times): :func:`run_notebooks` executes them after every other chapter."""

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""How many threads a kernel's torch and numpy use: set to ``cores // jobs`` when several
chapters execute at once (unless the caller set them), so the kernels share the cores."""


@contextmanager
def _kernel_environment(
    build: str | None = None, training: bool = True, threads: int | None = None
) -> Iterator[None]:
    """Start the chapter kernels without an inherited ``MPLBACKEND``, restored afterwards.

    CI exports ``MPLBACKEND=Agg``; a kernel inheriting it replaces its inline backend,
    and the executed chapters would hold no figure. ``build`` is passed to the kernels
    as ``$GENRELIB_BUILD`` (the build their headlines belong to); ``training=False``
    sets ``$GENRELIB_NO_TRAINING`` (the kernels only read stored runs back); ``threads``
    sets :data:`THREAD_VARIABLES` where the environment does not set them already.
    """
    changes = {"MPLBACKEND": None, BUILD_ENV: build, NO_TRAINING_ENV: None if training else "1"}
    if threads is not None:
        changes |= {name: str(threads) for name in THREAD_VARIABLES if name not in os.environ}
    saved = {name: os.environ.get(name) for name in changes}
    for name, value in changes.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _execute_chapter(notebook: Path, target: Path, parameters: dict, root: Path) -> float:
    """Execute one chapter into ``target`` with papermill; return its wall time in seconds.

    Raises
    ------
    NotebookExecutionError
        Naming the chapter, the cell, the error and the partly executed copy.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        # The kernel starts in the chapter's folder (nbclient's resources path), not through
        # papermill's cwd=, which changes the folder of the whole process for the run: two
        # chapters run at once (--jobs) would start kernels in each other's folders.
        papermill.execute_notebook(
            str(notebook),
            str(target),
            parameters=parameters,
            resources={"metadata": {"path": str(notebook.parent)}},
            kernel_name="python3",
            progress_bar=False,
            kernel_manager_class=BookKernelManager,
        )
    except papermill.PapermillExecutionError as error:
        raise NotebookExecutionError(
            f"{notebook.relative_to(root)} failed in cell {error.exec_count}: "
            f"{error.ename}: {error.evalue} (partly executed copy: {target})"
        ) from None
    return time.perf_counter() - started


def execution_stages(notebooks: list[Path]) -> list[list[Path]]:
    """Split the notebooks to execute into the chapters, then the :data:`SUMMARY_PAGES`.

    Notebook: used by ``genrelib book run``.

    Parameters
    ----------
    notebooks : list of Path
        Notebooks in execution order (:func:`toc_notebooks`).

    Returns
    -------
    list of list of Path
        The non-empty stages, in order; the notebooks of one stage may execute at once.
    """
    chapters = [notebook for notebook in notebooks if notebook.stem not in SUMMARY_PAGES]
    summaries = [notebook for notebook in notebooks if notebook.stem in SUMMARY_PAGES]
    return [stage for stage in (chapters, summaries) if stage]


def slowest_first(notebooks: list[Path], results: str | Path) -> list[Path]:
    """Order chapters by their recorded execution time, slowest first.

    With several chapters at a time, a long chapter started last would run alone at the
    end; started first, the short ones fill the other cores meanwhile. Chapters without a
    recorded time (:func:`~genrelib.course.read_chapter_times`) come first, ties keep
    their order.

    Notebook: used by ``genrelib book run --jobs``.

    Parameters
    ----------
    notebooks : list of Path
        Chapters of one stage (:func:`execution_stages`).
    results : str or Path
        The profile's results folder, holding ``chapter_times.csv``.

    Returns
    -------
    list of Path
        The same notebooks, reordered.
    """
    times = read_chapter_times(results).set_index("chapter")["last_seconds"]
    return sorted(notebooks, key=lambda notebook: -float(times.get(notebook.stem, math.inf)))


def run_notebooks(
    profile: str = "smoke",
    parameters: dict | None = None,
    root: Path | None = None,
    only: list[str] | None = None,
    progress: bool = True,
    training: bool = True,
    jobs: int = 1,
) -> list[Path]:
    """Execute the chapters with papermill, in ``_toc.yml`` order, ``jobs`` at a time.

    Each notebook receives ``profile`` plus those entries of ``parameters`` that its
    parameters cell declares (so one ``-p songs_dir ...`` reaches only chapter 08).
    A chapter declaring ``interactive`` gets ``interactive=False`` unless ``parameters``
    says otherwise: its widgets then render as static figures and audio players.
    The executed copy is written to ``_build/executed/<same path>``.
    Relative path parameters are read from the current folder (:func:`resolve_path_parameters`), and
    every chapter's headlines are recorded under one build (:func:`build_id`).

    With ``jobs`` above 1, that many kernels run at once, each with ``cores // jobs``
    threads, the slowest first (:func:`slowest_first`); a chapter needing a run another one
    is training waits for it (:func:`~genrelib.experiments.run_experiment`), and the
    :data:`SUMMARY_PAGES` start when every other chapter is done
    (:func:`execution_stages`). A chapter's execution time is recorded in the results
    folder (:func:`~genrelib.course.record_chapter_time`) only when it ran alone
    (``jobs=1``): the teachers' guide shows what one chapter costs.

    Parameters
    ----------
    profile : {"smoke", "cpu", "full"}
        Run size passed to every chapter.
    parameters : dict, optional
        Extra papermill parameters (e.g. ``data_dir``, ``features_csv``).
    root : Path, optional
        Project folder (default: :func:`project_dir`).
    only : list of str, optional
        Run only notebooks whose file name contains one of these strings.
    progress : bool
        Show a progress bar over chapters.
    training : bool
        False: the chapters only read stored runs back, and one that is missing fails the
        chapter with :class:`~genrelib.errors.RunNotStoredError` (the published book).
    jobs : int
        Chapters executed at once.

    Returns
    -------
    list of Path
        Executed notebooks, in the order of :func:`toc_notebooks`.

    Raises
    ------
    NotebookExecutionError
        Naming the chapter, the error and where the partly executed copy is; with
        ``jobs`` above 1, the chapters running beside it are stopped (their kernels killed,
        as on Ctrl-C) and none starts.
    ConfigError
        An unknown profile or parameter, no matching chapter, or ``jobs`` below 1.

    Notebook: used by ``genrelib book run``.
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: give 1 or more chapters at once")
    root = project_dir() if root is None else Path(root).resolve()
    notebooks = toc_notebooks(root)
    declared_by = {notebook: _declared_parameters(notebook) for notebook in notebooks}
    if only:
        notebooks = [nb for nb in notebooks if any(key in nb.name for key in only)]
        if not notebooks:
            raise ConfigError(f"no notebook in _toc.yml matches {only}")
    given = {"profile": profile, "interactive": False, **(parameters or {})}
    known = set().union(*declared_by.values())
    unknown = sorted(set(parameters or {}) - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise ConfigError(
            f"unknown parameter {unknown[0]}"
            + (f" (did you mean {close[0]}?)" if close else "")
            + f": no chapter declares it; they declare {', '.join(sorted(known))}"
        )
    build = build_id(profile, given)
    results = given.get("results_dir") or results_root(root) / profile
    caller = Path.cwd()  # relative paths are the caller's, read here and not in a worker thread

    def execute(notebook: Path) -> float:
        (target,) = _executed_copies([notebook], root)
        chosen = {key: value for key, value in given.items() if key in declared_by[notebook]}
        forget_headlines(notebook.stem, profile, build, results)
        return _execute_chapter(
            notebook, target, resolve_path_parameters(chosen, notebook.parent, caller), root
        )

    def finished(notebook: Path, seconds: float) -> None:
        if jobs == 1:
            record_chapter_time(results, notebook.stem, seconds, training)
        tqdm.write(f"executed {notebook.relative_to(root)} in {seconds:.1f} s")
        bar.update()

    bar = tqdm(total=len(notebooks), desc=f"chapters ({profile})", unit="nb", disable=not progress)
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    with bar, _kernel_environment(build, training, threads):
        if jobs == 1:  # in this thread, so that Ctrl-C stops the chapter it interrupts
            for notebook in notebooks:
                bar.set_postfix_str(notebook.name)
                finished(notebook, execute(notebook))
            return _executed_copies(notebooks, root)
        # A chapter is handed to the pool only when a lane is free, so that none starts
        # after another has failed.
        with ThreadPoolExecutor(jobs) as pool:
            running: dict[Future, Path] = {}
            try:
                for stage in execution_stages(notebooks):
                    waiting = slowest_first(stage, results)
                    while waiting or running:
                        while waiting and len(running) < jobs:
                            notebook = waiting.pop(0)
                            running[pool.submit(execute, notebook)] = notebook
                        bar.set_postfix_str(", ".join(path.name for path in running.values()))
                        done, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in done:
                            notebook = running.pop(future)
                            if future.exception() is not None:
                                raise future.exception()
                            finished(notebook, future.result())
            except BaseException:  # a chapter failed, or Ctrl-C: stop the others now
                _stop_chapters(running, pool)
                raise
    tqdm.write(
        f"chapter times not recorded: {jobs} chapters shared the cores "
        "(a run with --jobs 1 records them for the teachers' guide)"
    )
    return _executed_copies(notebooks, root)


def _stop_chapters(running: dict[Future, Path], pool: ThreadPoolExecutor) -> None:
    """Kill the kernels of the chapters still running (``--jobs``) and wait for their threads.

    papermill logs "Kernel died while waiting for execute reply" for each: expected here,
    so its log is silenced until they are gone, and one line names the stopped chapters.
    """
    stopped = [path.name for future, path in running.items() if not future.done()]
    papermill_log = logging.getLogger("papermill")
    level = papermill_log.level
    papermill_log.setLevel(logging.CRITICAL)
    try:
        stop_book_kernels()
        pool.shutdown(wait=True)
    finally:
        papermill_log.setLevel(level)
    if stopped:
        tqdm.write(f"stopped before the end: {', '.join(stopped)}")


def _executed_copies(notebooks: list[Path], root: Path) -> list[Path]:
    """Where :func:`run_notebooks` writes the executed copy of each notebook."""
    return [build_root(root) / EXECUTED_DIR / notebook.relative_to(root) for notebook in notebooks]


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HIDING_TAGS = {"remove-cell", "remove-input"}


def prepare_for_web(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Make an executed chapter read well as a static page.

    Progress bars are ipywidgets while a chapter runs; a static page cannot draw them
    (and their text fallback shows the bar at 0 %), so widget outputs and the widget
    state are dropped. Papermill's injected-parameters cell states the values the page
    was run with; the original parameters cell (the defaults) is then hidden so the
    reader sees one set of parameters (and the injected cell is hidden too where the
    original was).

    Notebook: used by ``genrelib book build``.
    """
    tags_of = [cell.metadata.get("tags", []) for cell in notebook.cells]
    injected = any("injected-parameters" in tags for tags in tags_of)
    hidden = {tag for tags in tags_of if "parameters" in tags for tag in tags} & HIDING_TAGS
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if injected and "parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        if "injected-parameters" in tags:
            cell.metadata["tags"] = [*tags, *sorted(hidden)]
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if WIDGET_MIME not in out.get("data", {})]
    notebook.metadata.pop("widgets", None)
    return notebook


def _stage_config(source: Path, target: Path, edition: str) -> None:
    """Copy ``_config.yml``; the student edition's title says so and hides any solution."""
    config = yaml.safe_load(source.read_text())
    if edition == "student":
        config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
        config["title"] = f"{config.get('title', '')} (student edition)"
    target.write_text(yaml.safe_dump(config, sort_keys=False))


def _stage_book_files(root: Path, target: Path, edition: str) -> None:
    """Copy the book's own files (:data:`STAGED_FILES`), ``_config.yml`` for ``edition``."""
    for name in STAGED_FILES:
        if name == "_config.yml":
            _stage_config(root / name, target / name, edition)
        elif (root / name).is_file():
            shutil.copy2(root / name, target / name)


def _stage_site_source(root: Path, edition: str = "teacher") -> Path:
    """Copy the book's sources, with executed notebooks in place of clean ones."""
    staged = build_root(root) / SITE_SOURCE_DIR
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    _stage_book_files(root, staged, edition)
    executed_root = build_root(root) / EXECUTED_DIR
    missing = []
    for source in (root / "book").rglob("*"):
        if not source.is_file() or ".ipynb_checkpoints" in source.parts:
            continue  # folders, and the IPC sockets a killed chapter kernel leaves behind
        relative = source.relative_to(root)
        executed = executed_root / relative
        origin = executed if source.suffix == ".ipynb" and executed.is_file() else source
        if source.suffix == ".ipynb" and origin is source:
            missing.append(str(relative))
        (staged / relative).parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ipynb":
            notebook = prepare_for_web(nbformat.read(origin, as_version=4))
            if edition == "student":
                notebook = student_edition(notebook)
            nbformat.write(notebook, staged / relative)
        else:
            shutil.copy2(origin, staged / relative)
    if missing:
        tqdm.write(f"not executed yet (shown without outputs): {', '.join(sorted(missing))}")
    return staged


def build_book(root: Path | None = None, strict: bool = False, edition: str = "teacher") -> Path:
    """Build the HTML book from the executed chapters with Jupyter Book 1.

    Parameters
    ----------
    root : Path, optional
        Project folder (default: :func:`project_dir`).
    strict : bool
        Treat Sphinx warnings as errors.
    edition : {"teacher", "student"}
        ``teacher``: every exercise's solution, collapsed under it; ``student``: no
        solutions (:func:`genrelib.exercises.student_edition`), the starting points kept.

    Returns
    -------
    Path
        The site's ``index.html`` (``_build/html/index.html``).

    Notebook: used by ``genrelib book build``.
    """
    if edition not in EDITIONS:
        raise ConfigError(f"unknown edition {edition!r}: choose one of {', '.join(EDITIONS)}")
    root = project_dir() if root is None else Path(root).resolve()
    staged = _stage_site_source(root, edition)
    command = [
        sys.executable,
        "-c",
        "from jupyter_book.cli.main import main; main()",
        "build",
        str(staged),
        "--path-output",
        str(build_root(root) / "jb"),
        "--all",
    ]
    if strict:
        command += ["-W", "--keep-going"]
    completed = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if completed.returncode != 0:
        log = build_root(root) / "book-build.log"
        log.write_text(completed.stdout + completed.stderr)
        raise GenrelibError(f"jupyter-book build failed (exit {completed.returncode}); see {log}")
    html = build_root(root) / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(build_root(root) / "jb" / "_build" / "html", html)
    return html / "index.html"


def write_student_notebooks(target: Path, root: Path | None = None) -> list[Path]:
    """Write the student edition of every chapter (clean, not executed) into ``target``.

    What a teacher hands out: the chapters with their exercises and starting points and
    without any solution, plus ``_toc.yml``, ``_config.yml`` and ``references.bib`` so the
    folder also builds as a book. Nothing is executed.

    Notebook: used by ``genrelib book student``.

    Parameters
    ----------
    target : Path
        Folder to fill (created); it must not be the project folder.
    root : Path, optional
        Project folder (default: :func:`project_dir`).

    Returns
    -------
    list of Path
        The notebooks written, in reading order.

    Raises
    ------
    ConfigError
        When ``target`` is the project folder or inside its ``book/`` folder.
    """
    root = project_dir() if root is None else Path(root).resolve()
    target = Path(target).expanduser().resolve()
    if target == root or target.is_relative_to(root / "book"):
        raise ConfigError(
            f"student notebooks would overwrite the chapters in {target}: give another folder"
        )
    written = []
    for source in toc_files(root):
        relative = source.relative_to(root)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".ipynb":
            notebook = student_edition(nbformat.read(source, as_version=4))
            nbformat.write(notebook, target / relative)
            written.append(target / relative)
        else:
            shutil.copy2(source, target / relative)
    _stage_book_files(root, target, "student")
    return written

"""The book's table of contents: the pages ``_toc.yml`` lists, in reading and execution order.

A module of its own so that a chapter kernel reading the list (the teachers' guide) does not
import papermill and nbformat with the book runner.

Notebook: teachers_guide; used by ``genrelib book run``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from genrelib.errors import ConfigError


def toc_files(root: Path) -> list[Path]:
    """Return the files listed in ``root/_toc.yml``, in reading order (with suffixes).

    Notebook: used by ``genrelib book run``.
    """
    toc_path = root / "_toc.yml"
    if not toc_path.is_file():
        raise ConfigError(f"{toc_path}: no _toc.yml here; run from the genrelib project folder")
    toc = yaml.safe_load(toc_path.read_text())
    entries = [toc["root"]]

    def walk(node: dict | list) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for key in ("chapters", "sections", "parts"):
                if key in node:
                    walk(node[key])

    walk(toc)
    paths = []
    for entry in entries:
        for suffix in (".ipynb", ".md"):
            candidate = root / f"{entry}{suffix}"
            if candidate.is_file():
                paths.append(candidate)
                break
        else:
            raise ConfigError(f"{toc_path}: entry {entry!r} has no .ipynb or .md file")
    return paths


def toc_notebooks(root: Path) -> list[Path]:
    """Return the notebooks listed in ``_toc.yml``, in execution order.

    That is reading order, except that the root page (the intro) comes last when it is a
    notebook: it summarises the results the chapters record.

    Notebook: used by ``genrelib book run``.
    """
    files = toc_files(root)
    ordered = files[1:] + files[:1]
    return [path for path in ordered if path.suffix == ".ipynb"]

"""Sphinx extension: every script of a rendered page is included once.

With Jupyter Book 1 (Sphinx 7, sphinx-thebe 0.3) each page carried sphinx-thebe's inline
configuration script twice, and the second copy stopped with the console error
``Identifier 'THEBE_JS_URL' has already been declared``. This extension drops repeated
scripts (same file, same inline body, same attributes) from each page's context before the
page is written. ``_config.yml`` loads it (``extra_extensions``).

Notebook: the rendered book (every page).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two script entries the same: file name and attributes (inline body included)."""
    filename = str(getattr(script, "filename", script) or "")
    attributes = getattr(script, "attributes", {}) or {}
    return filename, tuple(sorted((key, str(value)) for key, value in attributes.items()))


def unique_scripts(scripts: list[Any]) -> list[Any]:
    """Keep the first of each repeated script, in page order.

    Parameters
    ----------
    scripts : list
        A page context's ``script_files`` (Sphinx ``_JavaScript`` entries or plain names).

    Returns
    -------
    list
        The same entries without repeats.

    Notebook: the rendered book (every page).
    """
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    return kept


def _dedupe_page_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if "script_files" in context:
        context["script_files"] = unique_scripts(list(context["script_files"]))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page-context hook (runs after the theme's own hooks)."""
    app.connect("html-page-context", _dedupe_page_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx hook that keeps each page script once (genrelib.page_scripts)."""

from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript

from genrelib.page_scripts import unique_scripts


def test_repeated_inline_script_is_kept_once() -> None:
    config = _JavaScript(None, body='const THEBE_JS_URL = "x"')
    scripts = [
        config,
        _JavaScript("_static/sphinx-thebe.js", **{"async": "async"}),
        _JavaScript(None, body='const THEBE_JS_URL = "x"'),
        _JavaScript(None, body="const other = 1"),
    ]
    kept = unique_scripts(scripts)
    assert kept == [scripts[0], scripts[1], scripts[3]]
    assert kept[0] is config


def test_same_file_with_different_attributes_stays() -> None:
    scripts = [_JavaScript("_static/a.js"), _JavaScript("_static/a.js", **{"async": "async"})]
    assert unique_scripts(scripts) == scripts

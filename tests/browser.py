"""Headless Chromium for the browser tests (the rendered book, JupyterLab).

Any Chromium or Chrome is used: ``$CHROMIUM``, one on the ``PATH``, or Playwright's own
build. It starts with the flags of an offline machine: no background networking, no
component updates, no sync.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM_ENV = "CHROMIUM"
"""Environment variable naming a Chromium or Chrome executable to use instead of the PATH's."""
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable(bundled: str) -> str:
    """The headless browser: ``$CHROMIUM``, a Chromium or Chrome on the PATH, or Playwright's.

    ``bundled`` is where ``python -m playwright install chromium`` puts its own build.
    Fails (never skips) with the command that installs one when there is none.
    """
    chosen = os.environ.get(CHROMIUM_ENV)
    found = chosen or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None) or bundled
    if not found or not Path(found).is_file():
        pytest.fail(
            "no Chromium for the browser tests: on Debian/Ubuntu run "
            "`sudo apt-get install -y chromium`; elsewhere install Chromium or Chrome (or run "
            f"`python -m playwright install chromium`), or set {CHROMIUM_ENV} to its executable"
        )
    return found


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards."""
    with sync_playwright() as playwright:
        executable = chromium_executable(playwright.chromium.executable_path)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

"""The rendered book in headless Chromium: every page loads, shows its figures and audio, no errors.

The session fixture executes the chapters whose executed copy is missing or older than
the notebook (smoke profile, same parameters as ``test_notebooks``), builds the book,
serves ``_build/html`` on 127.0.0.1 and opens each page listed in ``_toc.yml``. Requests
to other hosts (the CDN scripts of MathJax or widgets) are refused, as on an offline
machine. Full-page screenshots of the introduction and chapter 01 land in
``_build/screenshots/`` for CI to keep.

Notebook: all chapters (the rendered book).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from test_notebooks import smoke_parameters

from genrelib.book import BUILD_DIR, EXECUTED_DIR, build_book, run_notebooks, toc_files

ROOT = Path(__file__).resolve().parents[1]
PAGES = [path.relative_to(ROOT) for path in toc_files(ROOT)]
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
AUDIO_PAGES = ("01_dataset", "08_external_songs")
"""Chapters that embed audio players."""
SCREENSHOT_PAGES = ("intro", "01_dataset")
ERROR_OUTPUTS = ".output.traceback, .output.error, .output.stderr, .cell_output .traceback"
TRACEBACK = "Traceback (most recent call last)"  # plain Python and IPython tracebacks alike


def _chromium(bundled: str) -> str:
    """The headless browser: ``$CHROMIUM``, a Chromium or Chrome on the PATH, or Playwright's.

    ``bundled`` is where ``python -m playwright install chromium`` puts its own build.
    Fails (never skips) with the command that installs one when there is none.
    """
    chosen = os.environ.get(CHROMIUM_ENV)
    found = chosen or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None) or bundled
    if not found or not Path(found).is_file():
        pytest.fail(
            "no Chromium for the rendered-book test: on Debian/Ubuntu run "
            "`sudo apt-get install -y chromium`; elsewhere install Chromium or Chrome (or run "
            f"`python -m playwright install chromium`), or set {CHROMIUM_ENV} to its executable"
        )
    return found


def _stale(notebook: Path) -> bool:
    executed = ROOT / BUILD_DIR / EXECUTED_DIR / notebook
    return not executed.is_file() or executed.stat().st_mtime < (ROOT / notebook).stat().st_mtime


@pytest.fixture(scope="session")
def site(shared_data: Path) -> Path:
    """``_build/html`` of a fresh build, every chapter executed first."""
    stale = [page.name for page in PAGES if page.suffix == ".ipynb" and _stale(page)]
    if stale:
        run_notebooks("smoke", smoke_parameters(shared_data), root=ROOT, only=stale, progress=False)
    return build_book(ROOT).parent


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the test output free of one line per request."""


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        executable = _chromium(playwright.chromium.executable_path)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(base_url)
            else route.abort("internetdisconnected")
        ),
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.slow
@pytest.mark.parametrize("source", PAGES, ids=[page.stem for page in PAGES])
def test_page_renders(source: Path, page: Page, base_url: str) -> None:
    """The page loads, images decode, chapters show figures (and audio), the intro its results."""
    response = page.goto(base_url + source.with_suffix(".html").as_posix(), wait_until="load")
    assert response is not None and response.status == 200, f"{source}: HTTP error"
    assert page.title() and "404" not in page.title(), f"{source}: title {page.title()!r}"
    article = page.locator("article.bd-article")
    assert article.count() == 1, f"{source}: no main article"

    images = article.evaluate(
        "node => Array.from(node.querySelectorAll('img'), img => "
        "({src: img.src.slice(0, 80), width: img.naturalWidth}))"
    )
    broken = [image["src"] for image in images if image["width"] == 0]
    assert not broken, f"{source}: images that do not decode: {broken}"
    if source.stem == "intro":
        # The root page shows the results table the chapters recorded, not a figure.
        assert article.locator(".cell_output table").count() >= 1, f"{source}: no results table"
    elif source.suffix == ".ipynb":
        figures = article.locator(".cell_output img").count()
        assert figures >= 1, f"{source}: an executed chapter without a figure"

    text = article.inner_text()
    assert TRACEBACK not in text, f"{source}: the page shows a Python traceback"
    assert article.locator(ERROR_OUTPUTS).count() == 0, f"{source}: error or stderr outputs"

    if any(key in source.stem for key in AUDIO_PAGES):
        players = article.locator("audio")
        assert players.count() >= 1, f"{source}: no audio player"
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('article audio'))"
            ".every(a => a.readyState >= 1 && a.duration > 0)",
            timeout=10_000,
        )

    if source.stem in SCREENSHOT_PAGES:
        shots = ROOT / BUILD_DIR / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{source.stem}.png"), full_page=True)

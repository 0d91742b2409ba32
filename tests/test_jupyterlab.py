"""A learner's JupyterLab: a chapter opened in a real JupyterLab runs every cell, with live widgets.

The test starts JupyterLab on 127.0.0.1 in a copy of the book (so nothing is saved into the
repository), opens chapter 01 in headless Chromium, runs all cells from the Run menu and
waits for the last one. With no data downloaded the chapter runs the smoke profile on the
synthetic clips; its explorer must be a live widget (dropdowns), not the static twin the
rendered book shows, and no cell may show an error.

Notebook: 01_dataset (as a learner runs it).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser import launch_chromium
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from genrelib.project import build_root

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "book/01_dataset.ipynb"
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle' && panel.content.widgets.length > 5;
}"""
"""JavaScript: the notebook panel is loaded and its kernel has started and is idle."""
RUN_SECONDS = 300
"""Longest a chapter may take to run all its cells (smoke profile, two busy cores)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = log.read_text().strip().splitlines()[-1:] or ["(no output)"]
            pytest.fail(f"JupyterLab exited with status {process.returncode}: {last[0]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer at {url} within {seconds:.0f} s")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a chapter in a JupyterLab serving a copy of the book, with its token."""
    root = tmp_path_factory.mktemp("lab")
    for name in ("_toc.yml", "_config.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book")
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter_runtime")
    settings = tmp_path_factory.mktemp("lab_settings")
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')  # every cell in the page, not only visible ones
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("jupyter_config")),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("lab_workspaces")),
    }
    env.pop("JPY_SESSION_NAME", None)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--ServerApp.open_browser=False",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log = open(runtime / "lab.log", "w")  # noqa: SIM115 (closed below, after the server)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base}/api/status?token={token}", process, runtime / "lab.log")
        yield f"{base}/lab/tree/{CHAPTER}?token={token}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _shot(page: Page, name: str) -> Path:
    """A full-page screenshot into the build folder's ``screenshots/``; its path."""
    shot = build_root(ROOT) / "screenshots" / f"{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    return shot


@pytest.mark.slow
def test_a_chapter_runs_in_jupyterlab_with_live_widgets(lab: str) -> None:
    base = lab.split("/lab/")[0]
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if urlparse(route.request.url).netloc == urlparse(base).netloc
                else route.abort("internetdisconnected")
            ),
        )
        page = context.new_page()
        page.goto(lab)
        choose = page.locator(".jp-Dialog button", has_text="Select")
        try:  # the chapter is open and its kernel is ready (JupyterLab's own state)
            page.wait_for_function(KERNEL_READY, timeout=120_000, polling=500)
        except PlaywrightTimeout:
            if not choose.count():  # JupyterLab may ask which kernel, even the notebook's own
                pytest.fail(f"chapter or kernel not ready; see {_shot(page, 'jupyterlab-start')}")
            choose.first.click()
            page.wait_for_function(KERNEL_READY, timeout=120_000, polling=500)
        # Run > Run All Cells, through JupyterLab's command registry (what the menu calls);
        # the command's promise settles only when the run ends, so it is not awaited here
        page.evaluate(
            "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"
        )
        code_cells = page.locator(".jp-CodeCell")
        count = code_cells.count()
        assert count > 5
        # every code cell ends with a number in its prompt: "[7]:", never "[*]:" or "[ ]:"
        try:
            page.wait_for_function(
                """() => {
                    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                    return prompts.length > 0
                        && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                }""",
                timeout=RUN_SECONDS * 1000,
            )
        except PlaywrightTimeout:
            shot = _shot(page, "jupyterlab-timeout")
            prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
            pytest.fail(f"cells not all run after {RUN_SECONDS} s: prompts {prompts}; see {shot}")
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        shown = [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
        assert not [text for text in shown if "Error" in text or "Traceback" in text], shown
        # the explorer is live: its genre and clip dropdowns are on the page
        assert page.locator(".jp-OutputArea-output .widget-dropdown select").count() >= 2
        # the banner says the clips are synthetic and how to get the real ones
        banner = page.locator(".jp-OutputArea-output", has_text="SYNTHETIC data").first
        assert "genrelib data download --book" in banner.inner_text()
        context.close()

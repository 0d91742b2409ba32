"""The rendered book in headless Chromium: every page loads, shows its figures and audio, no errors.

The session fixture builds the published book as a user does on a fresh clone: it fills a
data home with ``download_book`` (from a local server serving the shared real data: the 100
GTZAN clips, the 30-s feature table, the external songs), then executes every chapter in the
``cpu`` profile with no paths and training off, two at a time, so that every result comes
from the committed runs under ``results/cpu``.
It then builds the book into the session's build folder (``$GENRELIB_BUILD_DIR``, a
temporary folder: the project's own ``_build/`` is never touched), serves its ``html/`` on
127.0.0.1 and opens each page listed in ``_toc.yml``; no page may show synthetic results.
Requests to other hosts (the CDN scripts of MathJax or widgets) are refused, as on an
offline machine. Full-page screenshots of the introduction and chapter 01 land in
``<build folder>/screenshots/``.

Notebook: all chapters (the rendered book).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from book_server import book_files, serve
from browser import launch_chromium
from lessons import LESSONS as LESSON_PAGES
from playwright.sync_api import Browser, ConsoleMessage, Page

from genrelib.book import EXECUTED_DIR, build_book, toc_files
from genrelib.chapters.display import RUN_SCORE_PREFIX
from genrelib.cli import main
from genrelib.data import DATA_ENV, book_data, download_book
from genrelib.exercises import chapter_number
from genrelib.project import BUILD_DIR_ENV, RESULTS_ENV, build_root

ROOT = Path(__file__).resolve().parents[1]
PAGES = [path.relative_to(ROOT) for path in toc_files(ROOT)]
AUDIO_PAGES = ("01_dataset", "08_external_songs")
"""Chapters that embed audio players."""
SCREENSHOT_PAGES = ("intro", "01_dataset", "02_preprocessing")
ERROR_OUTPUTS = ".output.traceback, .output.error, .output.stderr, .cell_output .traceback"
TRACEBACK = "Traceback (most recent call last)"  # plain Python and IPython tracebacks alike

RAW_CITE = re.compile(r"\{cite(?::\w+)?\}")
"""A MyST citation role Sphinx never parsed (written inside a Markdown() output)."""
RAW_MYST = re.compile(r":::+\{[\w-]+\}|\{(?:glue(?::\w+)?|numref|eq|ref)\}`")
"""MyST markup Sphinx never parsed: a directive fence or a glue/numref/eq role as text."""
WARNING = re.compile(r"\b\w*Warning: ")
"""A Python warning printed into an output (``UserWarning: ...``)."""
MISSING_VALUE = re.compile(r"(?<![\w-])(NaN|nan|<NA>|NaT)(?![\w-])")
"""pandas' missing values shown to the reader."""
LONG_FLOAT = re.compile(r"(?<![\w.])\d+\.\d{4,}(?![\w.])")
"""A number with more than 3 decimals (GTZAN ids like ``blues.00012`` do not match)."""
LOCAL_PATH = re.compile(r"(?<![\w.~-])/(work|home|tmp|root|Users|mnt|private|var/folders)/")
"""An absolute path of the machine that ran the book."""
SIDE_EFFECT_CALL = re.compile(r"^(?:\w+\.)*(?:record|write|save|store|update)_?\w*\(", re.M)
"""The last statement of a cell that is called for what it does, not for what it returns."""
OFFLINE_ERROR = "net::ERR_INTERNET_DISCONNECTED"
SYNTHETIC_LABEL = "SYNTHETIC"
"""How every chapter labels results of the synthetic clips (``ChapterContext.source``)."""

PAGE_FACTS_JS = r"""
article => {
  const text = node => node.innerText || "";
  const outputs = Array.from(article.querySelectorAll(".cell_output"), text);
  // pandas' plain-text frame repr: a header line, then index + values lines
  const plainFrames = Array.from(
    article.querySelectorAll(".cell_output .output.text_plain pre, .cell_output pre"),
    node => node.innerText,
  );
  // a raw DataFrame (HTML repr) shown by a cell whose last line is a side-effect call
  const strayFrames = [];
  for (const cell of article.querySelectorAll("div.cell")) {
    const input = cell.querySelector(".cell_input pre");
    const frame = cell.querySelector(".cell_output table.dataframe");
    if (!input || !frame) continue;
    const lines = input.innerText.split("\n");
    let start = lines.length - 1;  // the last top-level statement
    while (start > 0 && (lines[start].startsWith(" ") || /^[)\]}]/.test(lines[start]) ||
           lines[start].trim() === "")) start--;
    strayFrames.push(lines[start]);
  }
  const box = article.getBoundingClientRect();
  const cut = [];
  for (const table of article.querySelectorAll("table")) {
    // a table must fit where the reader sees it: a scroll box whose scroll bar the browser
    // hides (overlay scroll bars) cuts the columns off just the same
    const rect = table.getBoundingClientRect();
    let visibleRight = box.right;
    for (let node = table.parentElement; node && node !== article; node = node.parentElement) {
      if (getComputedStyle(node).overflowX !== "visible") {
        visibleRight = Math.min(visibleRight, node.getBoundingClientRect().right);
      }
    }
    const tooWide = table.scrollWidth > table.clientWidth + 1;
    if (tooWide || rect.right > visibleRight + 1) {
      cut.push(`${(table.innerText || "").slice(0, 40).replace(/\s+/g, " ")}... ` +
               `(right ${Math.round(rect.right)} px > ${Math.round(visibleRight)} px)`);
    }
  }
  // boilerplate cells (recording headlines) must be collapsed: hide-input or remove-input
  const boilerplate = Array.from(article.querySelectorAll("div.cell"))
    .filter(cell => !/tag_(hide|remove)-(input|cell)/.test(cell.className))
    .map(cell => cell.querySelector(".cell_input pre"))
    .filter(pre => pre && /\brecord_\w*\(/.test(pre.innerText))
    .map(pre => pre.innerText.slice(0, 40));
  return {text: text(article), outputs, plainFrames, strayFrames, cut, boilerplate};
}
"""


def _looks_like_frame(text: str) -> bool:
    """Whether preformatted output text is a pandas DataFrame's plain-text repr."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith(" "):
        return False
    rows = lines[1:]
    columns = len(lines[0].split())
    return columns >= 1 and all(len(re.split(r"\s{2,}", row.strip())) >= 2 for row in rows)


def page_defects(page: Page, article_selector: str = "article.bd-article") -> list[str]:
    """Reader-visible defects of the page's main article (empty when there are none).

    Raw ``{cite}`` roles and MyST markup (directives, glue and numref roles), warnings,
    missing values and floats of more than 3 decimals in outputs, DataFrame reprs left at
    the end of a cell (plain text, or a raw frame shown by a cell whose last statement is a
    ``record_``/``write_``... call), absolute local paths,
    boilerplate cells (a ``record_...(`` call) not collapsed by ``hide-input``,
    and tables cut off at the right edge (wider than their own box, or reaching past the
    article or past a box that clips or scrolls them: browsers with overlay scroll bars
    show no bar, so a reader does not see the hidden columns).
    """
    facts = page.locator(article_selector).evaluate(PAGE_FACTS_JS)
    defects = []
    text, outputs = facts["text"], "\n".join(facts["outputs"])
    for name, pattern, where in (
        ("raw {cite} role", RAW_CITE, text),
        ("raw MyST markup", RAW_MYST, text),
        ("warning in an output", WARNING, outputs),
        ("missing value in an output", MISSING_VALUE, outputs),
        ("float with more than 3 decimals", LONG_FLOAT, outputs),
        ("absolute local path", LOCAL_PATH, text),
    ):
        found = sorted({match.group(0) for match in pattern.finditer(where)})
        if found:
            defects.append(f"{name}: {found[:5]}")
    if TRACEBACK in text:
        defects.append("Python traceback")
    frames = [t[:60] for t in facts["plainFrames"] if _looks_like_frame(t)]
    if frames:
        defects.append(f"plain-text DataFrame repr: {frames[:3]}")
    stray = [line for line in facts["strayFrames"] if SIDE_EFFECT_CALL.match(line)]
    if stray:
        defects.append(f"DataFrame left at the end of a cell by {stray[:3]}")
    if facts["boilerplate"]:
        defects.append(f"boilerplate cell not collapsed: {facts['boilerplate'][:3]}")
    if facts["cut"]:
        defects.append(f"tables cut off at the right edge: {facts['cut'][:3]}")
    return defects


def console_errors(messages: list[ConsoleMessage], errors: list[str], base_url: str) -> list[str]:
    """Browser console errors and uncaught page errors, less the test's own refusals.

    Requests to other hosts are refused by the test (offline, like CI); the console
    error each refusal logs is not a defect of the page.
    """
    found = list(errors)
    for message in messages:
        if message.type != "error":
            continue
        url = (message.location or {}).get("url", "")
        if OFFLINE_ERROR in message.text or (
            "Failed to load resource" in message.text and url and not url.startswith(base_url)
        ):
            continue
        found.append(message.text)
    return found


PUBLISHED_PROFILE = "cpu"
"""Profile of the published book (the real clips and the committed runs)."""


@pytest.fixture(scope="session")
def book_data_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home filled as a user fills it (``genrelib data download --book``).

    The files come from a local server standing in for GitHub, the Kaggle-table copy and
    librosa's data server (tests/book_server.py), built from the shared data.
    """
    home = tmp_path_factory.mktemp("book_data_home")
    with serve(book_files(shared_data)) as (url, _):
        download_book(home, mirrors=[url], progress=False)
    assert book_data(home).complete
    return home


@pytest.fixture(scope="session")
def site(book_data_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``<build folder>/html`` of the published book: README's ``genrelib book run --profile cpu
    --no-train --jobs 2`` with no paths, every chapter executed anew in this session.

    The chapters find the clips, the table and the songs in the data home; the runs are
    read back from a copy of the committed ``results/`` (so nothing is written into it).
    """
    results = tmp_path_factory.mktemp("published_results")
    shutil.copytree(ROOT / "results" / PUBLISHED_PROFILE, results / PUBLISHED_PROFILE)
    with pytest.MonkeyPatch.context() as patch:  # the chapter kernels inherit os.environ
        patch.setenv(DATA_ENV, str(book_data_home))
        patch.setenv(RESULTS_ENV, str(results))
        command = ["book", "run", "--profile", PUBLISHED_PROFILE, "--no-train", "--no-build"]
        command += ["--jobs", "2"]  # as the README runs it: two chapters at a time
        assert main(command) == 0
        yield build_book(ROOT).parent


@pytest.fixture(scope="session")
def student_site(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``html/`` of the student edition, built from the chapters the teacher's site ran."""
    build = tmp_path_factory.mktemp("student_build")
    shutil.copytree(build_root(ROOT) / EXECUTED_DIR, build / EXECUTED_DIR)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(BUILD_DIR_ENV, str(build))
        return build_book(ROOT, edition="student").parent


def _serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the test output free of one line per request."""


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    yield from _serve(site)


@pytest.fixture(scope="session")
def student_url(student_site: Path) -> Iterator[str]:
    yield from _serve(student_site)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def _offline_page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page that reaches ``base_url`` only, as on an offline machine."""
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


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    yield from _offline_page(browser, base_url)


@pytest.fixture
def student_page(browser: Browser, student_url: str) -> Iterator[Page]:
    yield from _offline_page(browser, student_url)


SHARED_NUMBERS: dict[str, tuple[str, ...]] = {
    "svm_random": ("03_baselines", "09_honest_evaluation"),
    "svm_honest": ("03_baselines", "09_honest_evaluation"),
}
"""Numbers glued under one name on several pages (tuned SVM, 30-s rows, random and
fault-filtered splits): every page must print the same value."""


def glued_numbers(notebook: Path) -> dict[str, str]:
    """Name -> text of every value an executed chapter glued (myst-nb ``glue``)."""
    values = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = output["data"]["application/papermill.record/text/plain"]
    return values


@pytest.mark.slow
def test_shared_numbers_agree_on_every_page(site: Path, page: Page, base_url: str) -> None:
    """03, 09 and the intro print the same tuned-SVM cells, and the intro's drop is their
    difference as printed."""
    executed = build_root(ROOT) / EXECUTED_DIR / "book"
    pages = {stem for stems in SHARED_NUMBERS.values() for stem in stems}
    glued = {stem: glued_numbers(executed / f"{stem}.ipynb") for stem in pages}
    printed = {}
    for name, stems in SHARED_NUMBERS.items():
        values = {stem: glued[stem].get(name) for stem in stems}
        assert len(set(values.values())) == 1 and None not in values.values(), (name, values)
        printed[name] = float(values[stems[0]])
    # every baseline cell of the 30-s rows that both chapters glue (shared_cells)
    cells = {
        stem: {name: value for name, value in glued[stem].items() if name.startswith("acc30_")}
        for stem in pages
    }
    common = set.intersection(*(set(named) for named in cells.values()))
    assert len(common) >= 12, f"too few shared cells: {sorted(common)}"  # 4 models x 3 protocols
    for name in common:
        assert len({named[name] for named in cells.values()}) == 1, (name, cells)
    for stem in pages:
        page.goto(base_url + f"book/{stem}.html", wait_until="load")
        text = page.locator("article.bd-article").inner_text()
        assert f"{printed['svm_random']:.1f}" in text, stem
    page.goto(base_url + "book/intro.html", wait_until="load")
    intro = page.locator("article.bd-article").inner_text()
    for name in ("svm_random", "svm_honest"):
        assert f"{printed[name]:.1f}%" in intro, name
    drop = printed["svm_random"] - printed["svm_honest"]
    assert f"{drop:.1f}" in intro, f"the intro's drop is not {drop:.1f} = 03's difference"


@pytest.mark.slow
def test_every_run_shows_one_score_on_every_page(site: Path, page: Page, base_url: str) -> None:
    """A run shown on several pages (chapter 4's run is a row of 5, 6 and 7 too) has one test
    track accuracy: every page records the runs it shows (``glue_run_scores``), the records
    agree, and each page prints the score."""
    executed = build_root(ROOT) / EXECUTED_DIR / "book"
    scores: dict[str, dict[str, float]] = {}
    for notebook in sorted(executed.glob("*.ipynb")):
        for name, value in glued_numbers(notebook).items():
            if name.startswith(RUN_SCORE_PREFIX):
                scores.setdefault(name, {})[notebook.stem] = float(value)
    shared = {key: pages for key, pages in scores.items() if len(pages) > 1}
    assert len(shared) >= 3, f"too few runs shown on several pages: {scores}"
    texts: dict[str, str] = {}
    for key, pages in shared.items():
        assert len(set(pages.values())) == 1, f"{key} shows different scores: {pages}"
        for stem, value in pages.items():
            if stem not in texts:
                page.goto(base_url + f"book/{stem}.html", wait_until="load")
                texts[stem] = page.locator("article.bd-article").inner_text()
            assert f"{value:.1f}" in texts[stem], f"{stem} does not print {key}'s {value:.1f}"


@pytest.mark.slow
@pytest.mark.parametrize("source", PAGES, ids=[page.stem for page in PAGES])
def test_page_renders(source: Path, page: Page, base_url: str) -> None:
    """The page loads, images decode, chapters show figures (and audio), the intro its results.

    And the reader sees none of :func:`page_defects` and no console error.
    """
    messages: list[ConsoleMessage] = []
    errors: list[str] = []
    page.on("console", lambda message: messages.append(message))
    page.on("pageerror", lambda error: errors.append(str(error)))
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
    shown = " ".join(article.locator(".cell_output").all_inner_texts())
    assert SYNTHETIC_LABEL not in shown, f"{source}: the published book shows synthetic results"
    assert article.locator(ERROR_OUTPUTS).count() == 0, f"{source}: error or stderr outputs"
    defects = page_defects(page)
    assert not defects, f"{source}: " + "; ".join(defects)

    if any(key in source.stem for key in AUDIO_PAGES):
        players = article.locator("audio")
        assert players.count() >= 1, f"{source}: no audio player"
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('article audio'))"
            ".every(a => a.readyState >= 1 && a.duration > 0)",
            timeout=10_000,
        )

    # figures are numbered within their chapter (figure_numbers); a page outside the
    # numbered chapters (the teacher's guide) numbers its own from 1
    chapter = chapter_number(source.stem)
    numbers = [text.strip() for text in article.locator(".caption-number").all_inner_texts()]
    prefix = f"{chapter}." if source.stem[0].isdigit() else ""
    expected = [f"Fig. {prefix}{k}" for k in range(1, len(numbers) + 1)]
    assert numbers == expected, f"{source}: figure numbers {numbers}"

    if source.stem in LESSON_PAGES:
        exercises = article.locator("div.exercise")
        assert exercises.count() >= 3, f"{source}: fewer than 3 exercises"
        shown = exercises.locator(".admonition-title").all_inner_texts()
        titles = [title.strip() for title in shown]
        assert titles == [f"Exercise {chapter}.{number}" for number in range(1, len(titles) + 1)], (
            f"{source}: exercise titles {titles}"
        )
        links = article.locator("div.solution .admonition-title").all_inner_texts()
        assert [link.strip() for link in links] == [f"Solution to {title}" for title in titles]
        solutions = article.locator("div.solution")
        assert solutions.count() == exercises.count(), f"{source}: a solution per exercise"
        assert all(
            not body.is_visible() for body in solutions.locator(".admonition-title ~ *").all()
        ), f"{source}: a solution is open; the teacher edition collapses them"
        # the checks' outputs sit in the collapsed solutions: in the page, not on screen
        assert "checked:" in article.text_content(), f"{source}: no solution's check ran"

    logged = console_errors(messages, errors, base_url)
    assert not logged, f"{source}: browser console errors: {logged[:3]}"

    if source.stem in SCREENSHOT_PAGES:
        shots = build_root(ROOT) / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{source.stem}.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.parametrize("stem", LESSON_PAGES)
def test_student_edition_has_the_exercises_and_no_solution(
    stem: str, student_page: Page, student_url: str
) -> None:
    """The student site: every exercise and starting point, no solution, no raw markup."""
    page = student_page
    response = page.goto(f"{student_url}book/{stem}.html", wait_until="load")
    assert response is not None and response.status == 200
    article = page.locator("article.bd-article")
    assert article.locator("div.exercise").count() >= 3
    assert article.locator("div.solution").count() == 0
    text = article.text_content()
    assert "checked:" not in text and "replace `...` with" in text
    assert "(student edition)" in page.title()
    assert not page_defects(page), page_defects(page)
    shots = build_root(ROOT) / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{stem}-student.png"), full_page=True)


# The checks themselves, on small pages that have (or lack) each defect: each must fail.

ARTICLE = '<article class="bd-article" style="width: 600px">{}</article>'
OUTPUT = '<div class="cell_output">{}</div>'
DEFECTIVE_PAGES = {
    "raw {cite} role": "<p>As shown by {cite}`castellon2021codified`.</p>",
    "warning in an output": OUTPUT.format("<pre>UserWarning: X does not have valid names</pre>"),
    "missing value in an output": OUTPUT.format("<table><tr><td>NaN</td></tr></table>"),
    "missing value in an output (<NA>)": OUTPUT.format("<table><td>&lt;NA&gt;</td></table>"),
    "float with more than 3 decimals": OUTPUT.format("<p>x real time 42462.168862</p>"),
    "Python traceback": OUTPUT.format("<pre>Traceback (most recent call last):</pre>"),
    "plain-text DataFrame repr": OUTPUT.format(
        '<div class="output text_plain">'
        "<pre>   genre  clips\n0  blues     10\n1  jazz      10</pre></div>"
    ),
    "DataFrame left at the end of a cell": (
        '<div class="cell"><div class="cell_input"><pre>x = 1\nrecord_headline(\n    "07",\n)'
        '</pre></div><div class="cell_output"><table class="dataframe"><tr><td>07</td></tr>'
        "</table></div></div>"
    ),
    "boilerplate cell not collapsed": (
        '<div class="cell"><div class="cell_input"><pre>_ = record_headline("07", "best", 1.0)'
        "</pre></div></div>"
    ),
    "absolute local path": "<p>Checkpoint: <code>/work/wt/results/smoke/best.pt</code>.</p>",
    "raw MyST markup": "<p>:::{solution-start} ex-02-hop</p>",
    "raw MyST markup (role)": "<p>A clip holds {glue:text}`clip_samples:,` samples.</p>",
    "tables cut off at the right edge": OUTPUT.format(
        '<table style="width: 900px"><tr><td>wide</td></tr></table>'
    ),
    "tables cut off at the right edge (scroll box)": OUTPUT.format(
        '<div style="overflow-x: auto"><table style="width: 900px"><tr><td>wide</td></tr>'
        "</table></div>"
    ),
}
CLEAN_PAGE = (
    "<p>Clip <code>blues.00012</code> lasts 30.013 s; results in <code>results/smoke/</code>."
    " Prose (not an output) may quote the paper's 1.23456.</p>"
    + OUTPUT.format('<table style="width: 500px"><tr><td>45.0 [30.0, 60.0]</td></tr></table>')
    + '<div class="cell tag_hide-input"><div class="cell_input"><pre>record_headline("07")</pre>'
    "</div></div>"
    + '<div class="cell"><div class="cell_input"><pre>counts = parameter_comparison()\ncounts'
    '</pre></div><div class="cell_output"><table class="dataframe"><tr><td>1</td></tr>'
    "</table></div></div>"
)


@pytest.fixture
def blank(browser: Browser) -> Iterator[Page]:
    """A page with no site behind it (nothing is fetched from the network)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("defect", list(DEFECTIVE_PAGES))
def test_page_defects_catch_each_defect(defect: str, blank: Page) -> None:
    """Every check of :func:`page_defects` fails on a page that has its defect."""
    blank.set_content(ARTICLE.format(DEFECTIVE_PAGES[defect]))
    found = page_defects(blank)
    assert any(item.startswith(defect.split(" (")[0]) for item in found), found


def test_page_defects_pass_a_clean_page(blank: Page) -> None:
    """Ids, 3-decimal numbers, relative paths, fitting tables and shown frames are fine."""
    blank.set_content(ARTICLE.format(CLEAN_PAGE))
    assert page_defects(blank) == []


def test_console_errors_catch_page_errors_but_not_refused_requests(blank: Page) -> None:
    """A redeclared script identifier (the THEBE_JS_URL defect) and console.error fail the
    check; the console error of a request the test itself refused does not."""
    messages: list[ConsoleMessage] = []
    errors: list[str] = []
    blank.on("console", lambda message: messages.append(message))
    blank.on("pageerror", lambda error: errors.append(str(error)))
    blank.set_content('<img src="http://example.invalid/logo.png">')
    blank.wait_for_timeout(200)
    assert console_errors(messages, errors, "http://127.0.0.1:1/") == []
    blank.set_content(
        "<script>const THEBE_JS_URL = 1;</script><script>const THEBE_JS_URL = 2;</script>"
        '<script>console.error("boom")</script>'
    )
    blank.wait_for_timeout(200)
    found = console_errors(messages, errors, "http://127.0.0.1:1/")
    assert any("THEBE_JS_URL" in text for text in found) and "boom" in found, found

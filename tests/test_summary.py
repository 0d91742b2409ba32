"""The book-wide results table: chapters record headlines, the intro reads them."""

from __future__ import annotations

import math
import multiprocessing
from pathlib import Path

import pytest

from genrelib.errors import ConfigError
from genrelib.project import BUILD_ENV
from genrelib.summary import forget_headlines, headline_table, read_headlines, record_headline


def test_headlines_are_replaced_per_chapter_result_and_protocol(tmp_path: Path) -> None:
    record_headline("03_baselines", "SVM F1", 70.0, "smoke", protocol="paper", results=tmp_path)
    record_headline(
        "03_baselines", "SVM F1", 48.0, "smoke", protocol="fault-filtered", results=tmp_path
    )
    record_headline(
        "03_baselines",
        "SVM F1",
        72.5,
        "smoke",
        low=70,
        high=75,
        interval="exact binomial",
        paper=78.03,
        protocol="paper",
        results=tmp_path,
    )
    table = read_headlines("smoke", tmp_path)
    assert len(table) == 2
    paper_row = table[table["protocol"] == "paper"].iloc[0]
    assert paper_row["ours"] == 72.5 and paper_row["paper"] == 78.03
    shown = headline_table(table)
    assert "72.5% [70.0, 75.0]" in set(shown["ours [95% CI]"])
    assert shown.set_index("protocol").loc["paper", "interval"] == "exact binomial"
    assert shown.set_index("protocol").loc["fault-filtered", "interval"] == "-"  # no interval
    assert "-" in set(shown["paper"])  # the fault-filtered cell has no paper value
    assert not list(tmp_path.glob(".headlines.csv.*.tmp"))  # no temporary file left behind


def test_a_chapter_run_again_forgets_its_rows_of_that_build_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUILD_ENV, "cpu-a")
    record_headline("04_base_crnn", "old name", 70.0, "cpu", results=tmp_path)
    record_headline("05_extended_crnn", "kept", 80.0, "cpu", results=tmp_path)
    monkeypatch.setenv(BUILD_ENV, "cpu-b")
    record_headline("04_base_crnn", "other build", 60.0, "cpu", results=tmp_path)
    forget_headlines("04_base_crnn", "cpu", "cpu-a", tmp_path)
    table = read_headlines("cpu", tmp_path)
    assert sorted(table["result"]) == ["kept", "other build"]
    forget_headlines("04_base_crnn", "cpu", "cpu-a", tmp_path / "missing")  # nothing to forget


def test_empty_and_invalid_headlines(tmp_path: Path) -> None:
    assert read_headlines("cpu", tmp_path).empty
    with pytest.raises(ConfigError, match="not finite"):
        record_headline("04_base_crnn", "accuracy", math.nan, "cpu", results=tmp_path)
    with pytest.raises(ConfigError, match="name the interval's method"):
        record_headline("04_base_crnn", "accuracy", 70, "cpu", low=60, high=80, results=tmp_path)


def test_headlines_written_before_the_interval_column_still_read(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "headlines.csv").write_text(
        "chapter,result,ours,low,high,paper,unit,data,protocol\n"
        "04_base_crnn,accuracy,70.0,60.0,80.0,,%,GTZAN,track\n"
    )
    table = read_headlines("cpu", tmp_path / "cpu")
    assert table.loc[0, "interval"] == "" and headline_table(table).loc[0, "interval"] == "-"


def test_intro_shows_the_headlines_of_one_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of a run with other parameters are left out, never mixed into the table."""
    from genrelib.summary import BUILD_ENV, build_headlines

    monkeypatch.setenv(BUILD_ENV, "smoke-aaaa")
    record_headline("03_baselines", "SVM F1", 70.0, "smoke", protocol="paper", results=tmp_path)
    monkeypatch.setenv(BUILD_ENV, "smoke-bbbb")
    record_headline("04_base_crnn", "accuracy", 40.0, "smoke", results=tmp_path)
    table = read_headlines("smoke", tmp_path)
    rows, build = build_headlines(table)
    assert build == "smoke-bbbb" and list(rows["chapter"]) == ["04_base_crnn"]
    rows, build = build_headlines(table, "smoke-aaaa")
    assert list(rows["chapter"]) == ["03_baselines"]
    monkeypatch.delenv(BUILD_ENV)  # the intro run by hand: the latest build
    assert build_headlines(table)[1] == "smoke-bbbb"


def test_intro_groups_headlines_by_question_and_links_each_chapter(tmp_path: Path) -> None:
    from genrelib.chapters.intro import QUESTIONS, headline_view

    record_headline("07_split_length", "grid mean", 76.2, "cpu", results=tmp_path)
    record_headline("03_baselines", "SVM F1", 73.0, "cpu", protocol="paper", results=tmp_path)
    record_headline("03_baselines", "SVM F1", 48.4, "cpu", protocol="artist", results=tmp_path)
    styler, _ = headline_view(read_headlines("cpu", tmp_path))
    index = styler.data.index
    assert list(index.get_level_values("question")) == [
        QUESTIONS["03_baselines"], QUESTIONS["03_baselines"], QUESTIONS["07_split_length"]
    ]  # fmt: skip
    assert index.get_level_values("chapter")[2] == '<a href="07_split_length.html">chapter 7</a>'
    html = styler.to_html()
    assert 'rowspan="2"' in html and "73.0% [" not in html and "73.0%" in html


def _record_many(results: str, chapter: str, count: int) -> None:
    """Record ``count`` headlines of one chapter (a kernel of a parallel book run)."""
    for index in range(count):
        record_headline(chapter, f"result {index}", float(index), "cpu", results=results)


def test_chapters_recording_at_once_lose_no_row(tmp_path: Path) -> None:
    """Four processes recording at the same time (``book run --jobs``): every row is kept."""
    chapters = ["03_baselines", "04_base_crnn", "05_extended_crnn", "09_honest_evaluation"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(chapters)) as pool:
        pool.starmap(_record_many, [(str(tmp_path), chapter, 15) for chapter in chapters])
    table = read_headlines("cpu", tmp_path)
    assert len(table) == 60
    assert table.groupby("chapter").size().to_dict() == dict.fromkeys(chapters, 15)

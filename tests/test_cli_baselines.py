"""``genrelib baselines`` and ``genrelib protocols`` on the real Kaggle 30-s feature table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from genrelib.cli import main
from genrelib.features import feature_table


def test_feature_table_reads_a_csv_without_touching_audio(shared_data: Path) -> None:
    table, artists = feature_table(shared_data / "features" / "features_30_sec.csv")
    assert table.shape == (1000, 60) and artists is None


def test_baselines_command_writes_tidy_results(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.csv"
    status = main(
        [
            "baselines",
            "--features-csv",
            str(shared_data / "features" / "features_30_sec.csv"),
            "--protocols",
            "paper",
            "fault-filtered",
            "--seeds",
            "1",
            "--models",
            "logistic_regression",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    results = pd.read_csv(out)
    assert set(results["protocol"]) == {"paper", "fault-filtered"}
    by_protocol = results.set_index("protocol")["accuracy"]
    # The random split over clips scores higher than the artist-disjoint fault-filtered one.
    assert by_protocol["paper"] > by_protocol["fault-filtered"]
    printed = capsys.readouterr().out
    assert "logistic_regression" in printed
    # Scores are printed in percent, as the book shows them.
    lines = printed.splitlines()
    assert "f1_micro_mean (%)" in lines[-3]
    model, protocol, _, shown, *_ = lines[-1].split()
    expected = 100 * results.loc[results["protocol"] == protocol, "f1_micro"].mean()
    assert float(shown) == pytest.approx(expected, abs=0.05) and float(shown) > 1


def test_protocols_command_prints_the_gap(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "protocols",
            "--features-csv",
            str(shared_data / "features" / "features_30_sec.csv"),
            "--protocols",
            "paper",
            "fault-filtered",
            "--seeds",
            "1",
            "--models",
            "logistic_regression",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0 and "fault-filtered" in printed and "logistic_regression" in printed
    assert "accuracy (%)" in printed and "percentage points" in printed

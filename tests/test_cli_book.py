"""The ``genrelib`` command line: help everywhere, clean one-line errors."""

from __future__ import annotations

import pytest

from genrelib.cli import build_parser, main


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` works on the top level and on every sub-command."""
    parser = build_parser()
    groups = [action for action in parser._actions if action.dest == "command"][0].choices
    for name, group in groups.items():
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        sub = [a for a in group._actions if getattr(a, "choices", None) and a.dest != "help"]
        for action in sub:
            if isinstance(action.choices, dict):
                for command in action.choices:
                    with pytest.raises(SystemExit) as exit_info:
                        main([name, command, "--help"])
                    assert exit_info.value.code == 0
    assert "genrelib" in capsys.readouterr().out


def test_book_run_unknown_chapter_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A user error prints one line on stderr and exits 2, with no traceback."""
    status = main(["book", "run", "--only", "no-such-chapter", "--no-build"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "no-such-chapter" in err and "Traceback" not in err


def test_book_run_jobs_below_one_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["book", "run", "--only", "01_dataset", "--no-build", "--jobs", "0"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--jobs" in err and "Traceback" not in err

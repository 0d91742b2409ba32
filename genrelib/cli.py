"""The ``genrelib`` command line: a thin layer over the package, with no logic of its own.

Every command group registers itself in one ``_add_<group>_commands`` function listed in
``_COMMAND_GROUPS``. A :class:`~genrelib.errors.GenrelibError` is printed as its one-line
message (no traceback) and exits with status 2.

Notebook: the README's commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from genrelib import __version__
from genrelib.config import PROFILES
from genrelib.errors import GenrelibError


def _parse_parameter(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE`` (VALUE read as YAML: numbers, booleans, null) for papermill."""
    import yaml

    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), yaml.safe_load(value)


def _book_run(args: argparse.Namespace) -> int:
    from genrelib.book import build_book, run_notebooks

    parameters = dict(args.parameter or [])
    if args.data_dir is not None:
        parameters["data_dir"] = str(Path(args.data_dir).resolve())
    run_notebooks(args.profile, parameters, only=args.only)
    if not args.no_build:
        index = build_book(strict=args.strict)
        print(f"book built: open {index}")
    return 0


def _book_build(args: argparse.Namespace) -> int:
    from genrelib.book import build_book

    index = build_book(strict=args.strict)
    print(f"book built: open {index}")
    return 0


def _add_book_commands(subparsers: argparse._SubParsersAction) -> None:
    book = subparsers.add_parser("book", help="execute the chapters and build the HTML book")
    commands = book.add_subparsers(dest="book_command", required=True)

    run = commands.add_parser(
        "run",
        help="execute every chapter with papermill (in _toc.yml order), then build the book",
    )
    run.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="smoke",
        help="run size: smoke (synthetic data, minutes), cpu (real clips), full (GPU)",
    )
    run.add_argument("--data-dir", help="GTZAN folder (default: $GTZAN_DIR; smoke: synthetic)")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        type=_parse_parameter,
        metavar="KEY=VALUE",
        help="papermill parameter for the chapters that declare it (repeatable)",
    )
    run.add_argument("--only", nargs="+", help="run only chapters whose file name contains these")
    run.add_argument("--no-build", action="store_true", help="execute only, do not build HTML")
    run.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    run.set_defaults(handler=_book_run)

    build = commands.add_parser("build", help="build the HTML book from the executed chapters")
    build.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    build.set_defaults(handler=_book_build)


_COMMAND_GROUPS = (_add_book_commands,)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``genrelib`` argument parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="genrelib",
        description="Neural music genre classification: data, models and the runnable book.",
    )
    parser.add_argument("--version", action="version", version=f"genrelib {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_commands in _COMMAND_GROUPS:
        add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``genrelib`` command. Returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except GenrelibError as error:
        print(f"genrelib: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("genrelib: interrupted; finished results and checkpoints are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

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


def _data_root(args: argparse.Namespace) -> Path:
    from genrelib.config import get_profile
    from genrelib.data import resolve_data_dir

    return resolve_data_dir(get_profile("cpu"), args.data_dir)


def _data_info(args: argparse.Namespace) -> int:
    from genrelib.data import index_gtzan

    table = index_gtzan(_data_root(args))
    print(f"GTZAN folder: {args.data_dir or '$GTZAN_DIR'} ({len(table)} clips)")
    print(table.groupby("genre", sort=False).size().to_string(header=False))
    hours, rest = divmod(int(table["duration"].sum()), 3600)
    print(
        f"total duration: {hours} h {rest // 60:02d} min; unreadable headers: "
        f"{int(table['duration'].isna().sum())}"
    )
    named = table["artist"] != ""
    print(
        f"artists known for {int(named.sum())} of {len(table)} clips "
        f"({table.loc[named, 'artist'].nunique()} artists)"
    )
    return 0


def _data_verify(args: argparse.Namespace) -> int:
    from genrelib.data import summarize_report, verify_dataset

    report = verify_dataset(_data_root(args), progress=True, min_seconds=args.min_seconds)
    bad = report.loc[~report["ok"], ["path", "reason"]]
    if len(bad):
        print(bad.to_string(index=False))
    print(summarize_report(report))
    return 0 if bad.empty else 1


def _data_download(args: argparse.Namespace) -> int:
    from genrelib.data import download_gtzan

    root = download_gtzan(args.dest, mirrors=args.mirror, sha256=args.sha256, timeout=args.timeout)
    print(f"GTZAN is in {root}; use --data-dir {root} or set GTZAN_DIR={root}")
    return 0


def _add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect, verify or download GTZAN")
    commands = data.add_subparsers(dest="data_command", required=True)
    folder_help = "GTZAN folder (default: $GTZAN_DIR)"

    info = commands.add_parser("info", help="clips per genre, total duration, known artists")
    info.add_argument("--data-dir", help=folder_help)
    info.set_defaults(handler=_data_info)

    verify = commands.add_parser(
        "verify", help="decode every clip and list the bad ones (exit status 1 if any)"
    )
    verify.add_argument("--data-dir", help=folder_help)
    verify.add_argument(
        "--min-seconds", type=float, default=1.0, help="clips shorter than this are bad"
    )
    verify.set_defaults(handler=_data_verify)

    download = commands.add_parser(
        "download", help="download genres.tar.gz (~1.2 GB, resumable) and extract it safely"
    )
    download.add_argument("--dest", required=True, help="folder receiving the archive")
    download.add_argument(
        "--mirror", action="append", help="archive URL to try instead of the built-in mirrors"
    )
    download.add_argument("--sha256", help="expected SHA-256 of the archive (hex)")
    download.add_argument("--timeout", type=float, default=30.0, help="seconds per server")
    download.set_defaults(handler=_data_download)


def _features_run(args: argparse.Namespace) -> int:
    from genrelib.config import get_profile
    from genrelib.data.resolve import resolve_data_dir
    from genrelib.features import compute_features, write_feature_table

    root = resolve_data_dir(get_profile(args.profile), args.data_dir)
    table = compute_features(
        root, chunk_seconds=args.chunk_seconds, n_jobs=args.jobs, cache=not args.no_cache
    )
    target = write_feature_table(table, args.out)
    print(f"{len(table)} rows x {len(table.columns)} columns written to {target}")
    for path, reason in table.attrs.get("skipped", []):
        print(f"skipped {path}: {reason}")
    return 0


def _add_features_commands(subparsers: argparse._SubParsersAction) -> None:
    features = subparsers.add_parser(
        "features", help="compute the 57 Kaggle-table features of every clip to a CSV"
    )
    features.add_argument("--data-dir", help="GTZAN folder (default: $GTZAN_DIR; smoke: synthetic)")
    features.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="smoke: synthetic data"
    )
    features.add_argument(
        "--chunk-seconds",
        type=float,
        default=None,
        help="one row per chunk of this length (default: one row per whole clip, the 30-s table)",
    )
    features.add_argument("--out", required=True, help="CSV to write (Kaggle table layout)")
    features.add_argument("--jobs", type=int, default=1, help="parallel processes (-1: all cores)")
    features.add_argument("--no-cache", action="store_true", help="ignore the per-file cache")
    features.set_defaults(handler=_features_run)


def _baselines_run(args: argparse.Namespace) -> int:
    from genrelib.baselines import run_baselines, summarise
    from genrelib.features import feature_table

    table, artists = feature_table(
        args.features_csv, args.data_dir, args.profile, args.chunk_seconds, args.jobs
    )
    results = run_baselines(
        table,
        args.protocol,
        seeds=range(args.seeds),
        models=args.models,
        artists=artists,
        n_jobs=args.jobs,
    )
    if args.out is not None:
        from genrelib.features import write_feature_table

        print(f"results written to {write_feature_table(results, args.out)}")
    columns = ["model", "protocol", "n_seeds", "f1_micro_mean", "f1_micro_std", "f1_macro_mean"]
    columns += ["test_ci_low", "test_ci_high"]
    print(summarise(results)[columns].round(3).to_string(index=False))
    return 0


def _add_baselines_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import BASELINE_NAMES as MODEL_NAMES
    from genrelib.config import SPLIT_PROTOCOLS as PROTOCOLS

    baselines = subparsers.add_parser(
        "baselines", help="train the Table IV baselines (SVM, KNN, RF, LR) and summarise them"
    )
    source = baselines.add_mutually_exclusive_group()
    source.add_argument(
        "--features-csv", help="Kaggle-style feature table (e.g. features_30_sec.csv)"
    )
    source.add_argument("--data-dir", help="GTZAN folder to compute features from")
    baselines.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="smoke: synthetic data"
    )
    baselines.add_argument(
        "--chunk-seconds", type=float, default=None, help="feature rows per chunk (with audio)"
    )
    baselines.add_argument(
        "--protocol",
        nargs="+",
        choices=PROTOCOLS,
        default=["paper", "fault-filtered"],
        help="split protocols (paper: random 80/20 over rows, as the paper)",
    )
    baselines.add_argument("--seeds", type=int, default=10, help="number of seeds (0, 1, ...)")
    baselines.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES))
    baselines.add_argument("--jobs", type=int, default=1, help="parallel jobs")
    baselines.add_argument("--out", help="CSV receiving the tidy per-seed results")
    baselines.set_defaults(handler=_baselines_run)


def _train_run(args: argparse.Namespace) -> int:
    from genrelib.book import results_dir
    from genrelib.config import get_profile
    from genrelib.data import index_gtzan, resolve_data_dir
    from genrelib.experiments import Experiment, run_experiment

    profile = get_profile(args.profile)
    tracks = index_gtzan(resolve_data_dir(profile, args.data_dir), with_duration=False)
    experiment = Experiment.from_profile(
        profile,
        args.model,
        args.protocol,
        seed=args.seed,
        chunk_seconds=args.chunk_seconds,
        **dict(args.option or []),
    )
    overrides = {"device": args.device}
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    out = results_dir(args.profile, args.out)
    print(f"experiment {experiment.name} ({len(tracks)} tracks) -> {out}", flush=True)

    def report(row: dict) -> None:
        print(
            f"epoch {row['epoch']}: train loss {row['train_loss']:.3f} acc {row['train_acc']:.3f}"
            f" | valid loss {row['valid_loss']:.3f} acc {row['valid_acc']:.3f}"
            f" | {row['seconds']:.1f} s/epoch",
            flush=True,
        )

    row = run_experiment(
        experiment, tracks, profile, out, train_overrides=overrides, on_epoch_end=report
    )
    shown = {k: v for k, v in row.items() if k not in ("setup", "experiment")}
    print("\n".join(f"{key}: {value}" for key, value in shown.items()))
    print(
        f"test track accuracy {row['test_track_accuracy']:.3f} "
        f"[{row['test_track_accuracy_low']:.3f}, {row['test_track_accuracy_high']:.3f}], "
        f"{row['epochs_run']} epochs, {row['seconds_per_epoch']:.1f} s/epoch; "
        f"results in {out / row['run_dir']}"
    )
    return 0


def _evaluate_run(args: argparse.Namespace) -> int:
    from genrelib.config import get_profile
    from genrelib.data import index_gtzan, resolve_data_dir
    from genrelib.experiments import evaluate_checkpoint

    root = resolve_data_dir(get_profile(args.profile), args.data_dir)
    tracks = index_gtzan(root, with_duration=False)
    evaluation = evaluate_checkpoint(
        args.checkpoint, tracks, args.protocol, args.split, args.seed, args.device
    )
    print(
        f"{args.split} set: {len(evaluation.chunks)} chunks of {len(evaluation.tracks)} tracks "
        "(95 % bootstrap intervals over tracks)"
    )
    print(evaluation.metrics.round(4).to_string(index=False))
    return 0


def _add_train_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import MODEL_NAMES
    from genrelib.config import SPLIT_PROTOCOLS as PROTOCOLS

    device_help = "auto (CUDA, then MPS, then CPU), cpu or cuda"
    train = subparsers.add_parser(
        "train", help="train and evaluate one model (resumable; a finished run is read back)"
    )
    train.add_argument("--model", choices=MODEL_NAMES, default="base_crnn")
    train.add_argument(
        "--chunk-seconds", type=float, default=None, help="chunk length (default: the profile's)"
    )
    train.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="track",
        help="split protocol (paper: chunks at random, as the paper; track: whole tracks)",
    )
    train.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="run size and spectrogram"
    )
    train.add_argument("--data-dir", help="GTZAN folder (default: $GTZAN_DIR; smoke: synthetic)")
    train.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    train.add_argument("--out", help="results folder (default: results/<profile>)")
    train.add_argument("--epochs", type=int, help="maximum epochs (default: the profile's)")
    train.add_argument("--device", default="auto", help=device_help)
    train.add_argument(
        "-o",
        "--option",
        action="append",
        type=_parse_parameter,
        metavar="KEY=VALUE",
        help="model option, e.g. faithful=true or pretrained=false (repeatable)",
    )
    train.set_defaults(handler=_train_run)

    evaluate = subparsers.add_parser(
        "evaluate", help="score a checkpoint on the set its training run held out"
    )
    evaluate.add_argument("--checkpoint", required=True, help="best.pt or last.pt of a run")
    evaluate.add_argument("--data-dir", help="GTZAN folder the run used (default: $GTZAN_DIR)")
    evaluate.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="smoke: the synthetic data"
    )
    evaluate.add_argument(
        "--protocol", choices=PROTOCOLS, help="split protocol (default: the run's result.json)"
    )
    evaluate.add_argument("--split", choices=("train", "valid", "test"), default="test")
    evaluate.add_argument("--seed", type=int, help="split seed (default: the run's)")
    evaluate.add_argument("--device", default="auto", help=device_help)
    evaluate.set_defaults(handler=_evaluate_run)


def _predict_run(args: argparse.Namespace) -> int:
    import json

    from genrelib.predict import predict_songs

    results = predict_songs(
        args.songs,
        args.checkpoint,
        trim_seconds=args.trim,
        batch_size=args.batch_size,
        device=args.device,
        progress=not args.no_progress,
    )
    if args.json:
        print(json.dumps([result.to_dict(chunks=args.chunks) for result in results], indent=1))
    for result in results:
        if not result.ok:
            print(f"genrelib: error: {result.error}", file=sys.stderr)
        elif not args.json:
            print(
                f"{result.name}: {result.duration:.1f} s, {result.n_chunks} chunk(s) of "
                f"{result.chunk_seconds:g} s{' (zero-padded)' if result.padded else ''}, "
                f"{result.seconds:.2f} s to predict"
            )
            for rank, (genre, probability) in enumerate(result.top3, start=1):
                print(f"  {rank}. {genre:<10} {probability:6.1%}")
            print(f"  majority vote of the chunks: {result.vote}")
    return 0 if all(result.ok for result in results) else 1


def _add_predict_commands(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="top-3 genres of whole songs (any format, length, sample rate); no checkpoint needed",
    )
    predict.add_argument("songs", nargs="+", metavar="SONG", help="audio files")
    predict.add_argument(
        "--checkpoint",
        default=None,
        help="best.pt of a training run (default: the musicnn genre probe shipped with genrelib)",
    )
    predict.add_argument(
        "--trim",
        type=float,
        default=None,
        metavar="SECONDS",
        help="use only the first SECONDS of each song (the paper: 120; default: all of it)",
    )
    predict.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    predict.add_argument(
        "--chunks", action="store_true", help="with --json: include every chunk's probabilities"
    )
    predict.add_argument("--device", default="auto", help="auto (GPU if present), cpu or cuda")
    predict.add_argument("--batch-size", type=int, default=32, help="chunks per forward pass")
    predict.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    predict.set_defaults(handler=_predict_run)


def _protocols_run(args: argparse.Namespace) -> int:
    from genrelib.features import feature_table
    from genrelib.protocols import baseline_predictions, protocol_gap, protocol_summary

    table, artists = feature_table(
        args.features_csv, args.data_dir, args.profile, args.chunk_seconds, args.jobs
    )
    predictions = baseline_predictions(
        table, args.protocol, range(args.seeds), args.models, artists, args.jobs
    )
    summary = protocol_summary(predictions)
    print(f"{len(table)} rows, seeds 0-{args.seeds - 1}; 95 % intervals over seeds and test tracks")
    print(summary.set_index(["model", "protocol"]).round(3).to_string())
    if "paper" in args.protocol and len(args.protocol) > 1:
        print("\ndrop from the random split (paper), fractions:")
        print(protocol_gap(predictions).round(3).to_string(index=False))
    return 0


def _add_protocols_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import BASELINE_NAMES as MODEL_NAMES
    from genrelib.config import DEFAULT_BASELINES
    from genrelib.config import SPLIT_PROTOCOLS as PROTOCOLS

    protocols = subparsers.add_parser(
        "protocols",
        help="baselines under several split protocols: accuracy, macro F1, intervals, gaps",
    )
    source = protocols.add_mutually_exclusive_group()
    source.add_argument(
        "--features-csv", help="Kaggle-style feature table (e.g. features_30_sec.csv)"
    )
    source.add_argument("--data-dir", help="GTZAN folder to compute features from")
    protocols.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="smoke: synthetic data"
    )
    protocols.add_argument(
        "--chunk-seconds", type=float, default=None, help="feature rows per chunk (with audio)"
    )
    protocols.add_argument(
        "--protocol", nargs="+", choices=PROTOCOLS, default=list(PROTOCOLS), help="split protocols"
    )
    protocols.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
    protocols.add_argument(
        "--models", nargs="+", choices=MODEL_NAMES, default=list(DEFAULT_BASELINES)
    )
    protocols.add_argument("--jobs", type=int, default=1, help="parallel jobs")
    protocols.set_defaults(handler=_protocols_run)


_COMMAND_GROUPS = (
    _add_book_commands,
    _add_data_commands,
    _add_features_commands,
    _add_baselines_commands,
    _add_train_commands,
    _add_predict_commands,
    _add_protocols_commands,
)


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

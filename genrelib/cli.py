"""The ``genrelib`` command line: a thin layer over the package, with no logic of its own.

Every command group registers itself in one ``_add_<group>_commands`` function listed in
``_COMMAND_GROUPS``. Options shared by several commands (data source and profile, device,
seeds, the feature-table source) are declared once, in the ``_*_options`` parent parsers,
and options that take several values have plural names. Scores are printed in percent,
as the book shows them. A :class:`~genrelib.errors.GenrelibError` is printed as its
one-line message (no traceback) and exits with status 2.

Notebook: the README's commands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from genrelib import __version__
from genrelib.config import DOWNLOAD_SUBSETS, EDITIONS, PREDICT_BATCH_SIZE, PROFILES
from genrelib.errors import GenrelibError


def _data_options(
    default_profile: str = "cpu", collections: bool = False
) -> argparse.ArgumentParser:
    """Parent parser of ``--profile`` and ``--data-dir`` (the run size and the data it reads).

    ``default_profile="auto"`` also offers ``auto``: ``cpu`` once the book's data are
    downloaded, else ``smoke``. ``collections``: ``--data-dir`` may be your own collection.
    """
    options = argparse.ArgumentParser(add_help=False)
    auto = ["auto"] if default_profile == "auto" else []
    options.add_argument(
        "--profile",
        choices=[*auto, *sorted(PROFILES)],
        default=default_profile,
        help="run size: smoke (synthetic data, minutes), cpu (real clips), full (GPU)"
        + ("; auto: cpu once `genrelib data download --book` ran, else smoke" if auto else ""),
    )
    options.add_argument(
        "--data-dir",
        help="GTZAN folder (default: $GTZAN_DIR, else the downloaded clips; smoke: synthetic)"
        + (
            "; or your own collection: a folder <label>/**/<audio>, or a CSV path,label[,group]"
            if collections
            else ""
        ),
    )
    return options


def _run_options() -> argparse.ArgumentParser:
    """Parent parser of ``--device`` and ``--seed`` (training and evaluation commands)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu or cuda"
    )
    options.add_argument(
        "--seed",
        type=_at_least(int, 0),
        help="seed of the split and the training (evaluate: the run's)",
    )
    return options


def _feature_options(
    protocols: Sequence[str], models: Sequence[str], seeds: int
) -> argparse.ArgumentParser:
    """Parent parser of the baseline commands: feature source, protocols, models, seeds, jobs."""
    from genrelib.config import BASELINES, SPLIT_PROTOCOLS

    options = argparse.ArgumentParser(add_help=False)
    source = options.add_mutually_exclusive_group()
    source.add_argument(
        "--features-csv", help="Kaggle-style feature table (e.g. features_30_sec.csv)"
    )
    source.add_argument(
        "--data-dir", help="GTZAN folder, or your own collection, to compute features from"
    )
    options.add_argument(
        "--profile", choices=sorted(PROFILES), default="cpu", help="smoke: synthetic data"
    )
    options.add_argument(
        "--chunk-seconds", type=_seconds, default=None, help="feature rows per chunk (with audio)"
    )
    options.add_argument(
        "--protocols",
        nargs="+",
        choices=SPLIT_PROTOCOLS,
        default=None,
        help="split protocols (paper: random 80/20 over rows, as the paper; default: "
        f"{' '.join(protocols)}; a collection's table: {' '.join(COLLECTION_PROTOCOLS)})",
    )
    options.add_argument(
        "--seeds", type=_at_least(int, 1), default=seeds, help="number of seeds (0, 1, ...)"
    )
    options.add_argument("--models", nargs="+", choices=BASELINES, default=list(models))
    options.add_argument("--jobs", type=_jobs, default=1, help="parallel jobs (-1: all cores)")
    options.set_defaults(default_protocols=list(protocols))
    return options


COLLECTION_PROTOCOLS = ("paper", "track")
"""The protocols the baselines compare by default on a collection's feature table."""


def _protocols(args: argparse.Namespace, table) -> list[str]:
    """The ``--protocols`` asked for, else the command's default for this feature table."""
    from genrelib.features import is_collection_table

    if args.protocols:
        return list(args.protocols)
    return list(COLLECTION_PROTOCOLS if is_collection_table(table) else args.default_protocols)


def _feature_table(args: argparse.Namespace):
    """The feature table (and artist index) named by the ``_feature_options`` of ``args``."""
    from genrelib.features import feature_table

    return feature_table(
        args.features_csv, args.data_dir, args.profile, args.chunk_seconds, args.jobs
    )


def _percent(table, columns: Sequence[str]):
    """``table`` with the fraction ``columns`` shown in percent (one decimal), renamed ``(%)``."""
    shown = table.copy()
    for column in columns:
        shown[column] = (100 * shown[column]).round(1)
    return shown.rename(columns={column: f"{column} (%)" for column in columns})


def _parse_parameter(text: str) -> tuple[str, object]:
    """Parse ``KEY=VALUE`` (VALUE read as YAML: numbers, booleans, null) for papermill."""
    import yaml

    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key.strip(), yaml.safe_load(value)


def _book_run(args: argparse.Namespace) -> int:
    from genrelib.book import build_book, run_notebooks
    from genrelib.data import resolve_profile_name

    parameters = dict(args.parameter or [])
    if args.data_dir is not None:
        parameters["data_dir"] = str(Path(args.data_dir).resolve())
    profile = resolve_profile_name(args.profile)
    if profile != args.profile:
        print(f"profile {args.profile}: {profile}")
    run_notebooks(profile, parameters, only=args.only, training=not args.no_train, jobs=args.jobs)
    if not args.no_build:
        index = build_book(strict=args.strict, edition=args.edition)
        print(f"book built ({args.edition} edition): open {index}")
    return 0


def _book_train(args: argparse.Namespace) -> int:
    from genrelib.book_runs import book_runs, train_book_runs
    from genrelib.chapters.context import chapter_context

    runs, results = book_runs(
        args.profile, args.data_dir, args.results_dir, args.seed or 0, args.only
    )
    synthetic = chapter_context(args.profile, args.data_dir).synthetic
    table = train_book_runs(runs, results, synthetic, args.jobs, args.device, args.max_epochs)
    print(table.to_string(index=False, float_format=lambda value: f"{value:.3f}"))
    failed = table["error"].notna().sum() if "error" in table else 0
    print(f"{len(table) - failed} of {len(table)} runs stored under {results}")
    return 1 if failed else 0


def _book_build(args: argparse.Namespace) -> int:
    from genrelib.book import build_book

    index = build_book(strict=args.strict, edition=args.edition)
    print(f"book built ({args.edition} edition): open {index}")
    return 0


def _book_student(args: argparse.Namespace) -> int:
    from genrelib.book import write_student_notebooks

    written = write_student_notebooks(Path(args.dest))
    print(f"{len(written)} student notebooks (no solutions) written to {Path(args.dest).resolve()}")
    return 0


def _edition_option() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--edition",
        choices=EDITIONS,
        default="teacher",
        help="teacher: each exercise's solution collapsed under it (default); student: none",
    )
    return options


def _add_book_commands(subparsers: argparse._SubParsersAction) -> None:
    book = subparsers.add_parser("book", help="execute the chapters and build the HTML book")
    commands = book.add_subparsers(dest="book_command", required=True)

    run = commands.add_parser(
        "run",
        parents=[_data_options("auto"), _edition_option()],
        help="execute every chapter with papermill (in _toc.yml order), then build the book",
    )
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
    run.add_argument(
        "--no-train",
        action="store_true",
        help="only read stored runs back; a missing run fails its chapter (the published book)",
    )
    run.add_argument(
        "--jobs",
        type=_at_least(int, 1),
        default=1,
        help="chapters executed at once (their times are then not recorded)",
    )
    run.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    run.set_defaults(handler=_book_run)

    train = commands.add_parser(
        "train",
        parents=[_data_options("smoke"), _run_options()],
        help="train every run the chapters read, several at once (then: book run --no-train)",
    )
    train.add_argument("--results-dir", help="results folder (default: results/<profile>)")
    train.add_argument("--jobs", type=_jobs, default=1, help="runs trained at once (processes)")
    train.add_argument(
        "--max-epochs",
        type=_at_least(int, 1),
        help="epoch budget of the runs (default: the profile's)",
    )
    train.add_argument("--only", nargs="+", help="only the runs of chapters containing these")
    train.set_defaults(handler=_book_train)

    build = commands.add_parser(
        "build", parents=[_edition_option()], help="build the HTML book from the executed chapters"
    )
    build.add_argument("--strict", action="store_true", help="treat Sphinx warnings as errors")
    build.set_defaults(handler=_book_build)

    student = commands.add_parser(
        "student",
        help="write the chapters without their solutions into a folder, for handing out",
    )
    student.add_argument("dest", help="folder to write the student notebooks into")
    student.set_defaults(handler=_book_student)


def _data_root(args: argparse.Namespace) -> Path:
    from genrelib.config import get_profile
    from genrelib.data import resolve_data_dir

    return resolve_data_dir(get_profile("cpu"), args.data_dir)


def _data_info(args: argparse.Namespace) -> int:
    from genrelib.data import index_gtzan

    root = _data_root(args)
    table = index_gtzan(root)
    print(f"GTZAN folder: {root} ({len(table)} clips)")
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
    from genrelib.data.collection import is_own_collection

    if is_own_collection(args.data_dir):
        return _verify_collection(args)
    report = verify_dataset(_data_root(args), progress=True, min_seconds=args.min_seconds)
    bad = report.loc[~report["ok"], ["path", "reason"]]
    if len(bad):
        print(bad.to_string(index=False))
    print(summarize_report(report))
    return 0 if bad.empty else 1


def _verify_collection(args: argparse.Namespace) -> int:
    """``data verify`` of your own collection: labels from its folders (or manifest)."""
    from genrelib.data import summarize_report, verify_dataset
    from genrelib.data.collection import content_duplicates, index_collection, label_summary

    collection = index_collection(args.data_dir, with_duration=False)
    report = verify_dataset(collection.tracks, progress=True, min_seconds=args.min_seconds)
    twins = content_duplicates(collection.tracks)
    print(
        f"collection {collection.root}: {len(collection.tracks)} audio files, "
        f"{len(collection.classes)} labels"
    )
    print(label_summary(collection, report, twins).to_string())
    bad = report.loc[~report["ok"], ["track_id", "reason"]]
    if len(bad):
        print(bad.to_string(index=False))
    for _, group in twins.groupby("digest"):
        names = ", ".join(f"{row.track_id} ({row.genre})" for row in group.itertuples())
        print(f"the same audio under {len(group)} names: {names}")
    print(summarize_report(report) + f", {twins['digest'].nunique()} duplicated audio")
    return 0 if bad.empty and twins.empty else 1


def _origin(record: dict) -> str:
    """Where a downloaded file came from, naming a mirror as a mirror of its source."""
    if record["from"] == "a copy in place":
        return f"checked in place (a copy of {record['source']})"
    if record["from"] == "a mirror":
        return f"from the mirror {record['url']} (a copy of {record['source']})"
    return f"from {record['source']}"


def _data_download(args: argparse.Namespace) -> int:
    from genrelib.data import DATA_ENV, data_home, download_book, download_gtzan, download_mini

    mirrors = args.mirrors or ()
    if args.subset == "full":
        root = download_gtzan(
            args.dest, mirrors=args.mirrors, sha256=args.sha256, timeout=args.timeout
        )
        print(f"GTZAN is in {root}; use --data-dir {root} or set GTZAN_DIR={root}")
        return 0
    home = Path(args.dest).expanduser().resolve() if args.dest else data_home().resolve()
    fetch = download_book if args.book else download_mini
    records = fetch(home, mirrors=mirrors, timeout=args.timeout)
    for record in records:
        print(
            f"{record['file']}: {record['bytes'] / 1e6:.1f} MB, {record['hash']}, "
            + _origin(record)
        )
    what = "the published book's data" if args.book else "the 100 gtzan_mini clips"
    done = "downloaded and checked" if records else "already downloaded and checked"
    print(f"{what}: {done}, in {home}")
    if home != data_home().resolve():
        print(f"set {DATA_ENV}={home} so that every command finds them")
    return 0


def _add_data_commands(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect, verify or download GTZAN")
    commands = data.add_subparsers(dest="data_command", required=True)
    folder_help = "GTZAN folder (default: $GTZAN_DIR, else the downloaded clips)"

    info = commands.add_parser("info", help="clips per genre, total duration, known artists")
    info.add_argument("--data-dir", help=folder_help)
    info.set_defaults(handler=_data_info)

    verify = commands.add_parser(
        "verify",
        help="decode every clip and list the bad ones (exit status 1 if any); of your own "
        "collection also the files per label and the same audio under two names",
    )
    verify.add_argument(
        "--data-dir",
        help="GTZAN folder, or your own collection: a folder with one sub-folder of audio per "
        "label, or a CSV manifest path,label[,group] (default: $GTZAN_DIR, else the "
        "downloaded clips)",
    )
    verify.add_argument(
        "--min-seconds",
        type=_at_least(float, 0.0, " s"),
        default=1.0,
        help="clips shorter than this are bad",
    )
    verify.set_defaults(handler=_data_verify)

    download = commands.add_parser(
        "download",
        help="download the book's data (--book) or GTZAN (--subset), checked and resumable",
        description=(
            "Download into the data home ($GENRELIB_DATA, else the per-user data folder), where "
            "`genrelib book run`, the other commands and the chapters find it. Every file is "
            "checked against a recorded hash; an interrupted download resumes when run again."
        ),
    )
    what = download.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--book",
        action="store_true",
        help="everything the published book reads: the 100 gtzan_mini clips (127 MB), the "
        "Kaggle 30-s feature table and 8 songs (librosa's examples)",
    )
    what.add_argument(
        "--subset",
        choices=DOWNLOAD_SUBSETS,
        help="mini: the 100 gtzan_mini clips; full: genres.tar.gz (~1.2 GB), extracted",
    )
    download.add_argument(
        "--dest",
        help="data home to fill (default: $GENRELIB_DATA or the per-user data folder); with "
        "--subset full, the folder receiving the archive (default: <data home>/gtzan)",
    )
    download.add_argument(
        "--mirrors",
        nargs="+",
        help="local folders or URLs tried first, holding the files by name: "
        "gtzan_mini-main.zip or the extracted genres/<genre>/*.wav, features_30_sec.csv, "
        "<song>.hq.ogg and .txt (also in a data home's layout); with --subset full, "
        "genres.tar.gz",
    )
    download.add_argument("--sha256", help="--subset full: expected SHA-256 of the archive (hex)")
    download.add_argument("--timeout", type=_seconds, default=30.0, help="seconds per server")
    download.set_defaults(handler=_data_download)


def _features_run(args: argparse.Namespace) -> int:
    from genrelib.atomic import check_output_file
    from genrelib.config import ChunkConfig
    from genrelib.features import feature_table, write_feature_table

    check_output_file(args.out, example="features.csv")
    _check_chunk_seconds(args.chunk_seconds, ChunkConfig().track_seconds)
    table, _ = feature_table(
        None, args.data_dir, args.profile, args.chunk_seconds, args.jobs, not args.no_cache
    )
    target = write_feature_table(table, args.out)
    print(f"{len(table)} rows x {len(table.columns)} columns written to {target}")
    for path, reason in table.attrs.get("skipped", []):
        print(f"skipped {path}: {reason}")
    return 0


def _add_features_commands(subparsers: argparse._SubParsersAction) -> None:
    features = subparsers.add_parser(
        "features",
        parents=[_data_options(collections=True)],
        help="compute the 57 Kaggle-table features of every clip to a CSV",
    )
    features.add_argument(
        "--chunk-seconds",
        type=_seconds,
        default=None,
        help="one row per chunk of this length (default: one row per whole clip, the 30-s table)",
    )
    features.add_argument("--out", required=True, help="CSV to write (Kaggle table layout)")
    features.add_argument(
        "--jobs", type=_jobs, default=1, help="parallel processes (-1: all cores)"
    )
    features.add_argument("--no-cache", action="store_true", help="ignore the per-file cache")
    features.set_defaults(handler=_features_run)


def _baselines_run(args: argparse.Namespace) -> int:
    from genrelib.atomic import check_output_file
    from genrelib.baselines import run_baselines, summarise

    if args.out is not None:
        check_output_file(args.out, example="baselines.csv")
    table, artists = _feature_table(args)
    results = run_baselines(
        table,
        _protocols(args, table),
        seeds=range(args.seeds),
        models=args.models,
        artists=artists,
        n_jobs=args.jobs,
    )
    if args.out is not None:
        from genrelib.features import write_feature_table

        print(f"results written to {write_feature_table(results, args.out)}")
    scores = ["f1_micro_mean", "f1_micro_std", "f1_macro_mean", "test_ci_low", "test_ci_high"]
    summary = summarise(results)[["model", "protocol", "n_seeds", *scores]]
    print(_percent(summary, scores).to_string(index=False))
    return 0


def _add_baselines_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import BASELINES

    baselines = subparsers.add_parser(
        "baselines",
        parents=[_feature_options(("paper", "fault-filtered"), BASELINES, seeds=10)],
        help="train the Table IV baselines (SVM, KNN, RF, LR) and summarise them",
    )
    baselines.add_argument("--out", help="CSV receiving the tidy per-seed results")
    baselines.set_defaults(handler=_baselines_run)


def _training_data(args: argparse.Namespace, profile) -> tuple:
    """The tracks ``train``/``evaluate`` use: GTZAN (or its synthetic stand-in) or a collection.

    Returns ``(tracks, classes, synthetic, default results folder)``; ``classes`` is ``None``
    for GTZAN. A ``--data-dir`` that is not a GTZAN folder is a collection of your own.
    """
    from genrelib.data import index_gtzan, is_synthetic_source, resolve_data_dir
    from genrelib.data.collection import check_label_sizes, index_collection, is_own_collection
    from genrelib.errors import ConfigError
    from genrelib.project import results_root

    if not is_own_collection(args.data_dir):
        root = resolve_data_dir(profile, args.data_dir)
        synthetic = is_synthetic_source(profile, args.data_dir)
        return index_gtzan(root, with_duration=False), None, synthetic, None
    if args.protocol == "fault-filtered":
        raise ConfigError(
            "--protocol fault-filtered lists GTZAN's faulty clips; a collection of your own "
            "takes --protocol track (or artist, with a manifest's group column)"
        )
    collection = index_collection(args.data_dir, with_duration=False)
    check_label_sizes(collection, 3, "a train/validation/test split")
    name = collection.root.name if collection.root.name else "collection"
    return collection.tracks, collection.classes, False, results_root() / "collections" / name


def _train_run(args: argparse.Namespace) -> int:
    from genrelib.config import get_profile
    from genrelib.experiments import Experiment, plan_run, run_experiment, run_path, why_new_run
    from genrelib.project import results_dir

    profile = get_profile(args.profile)
    _check_chunk_seconds(args.chunk_seconds, profile.track_seconds)
    tracks, classes, synthetic, default_out = _training_data(args, profile)
    experiment = Experiment.from_profile(
        profile,
        args.model,
        args.protocol,
        seed=args.seed,
        chunk_seconds=args.chunk_seconds,
        **dict(args.option or []),
    )
    overrides = {"device": args.device, "precision": args.precision}
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    out = results_dir(args.profile, args.out or default_out)
    labels = f", labels {', '.join(classes)}" if classes else ""
    print(f"experiment {experiment.name} ({len(tracks)} tracks{labels}) -> {out}", flush=True)
    changed = why_new_run(plan_run(experiment, tracks, profile, out, overrides, classes))
    if changed:
        print(changed, flush=True)

    def report(row: dict) -> None:
        print(
            f"epoch {row['epoch']}: train loss {row['train_loss']:.3f} acc {row['train_acc']:.3f}"
            f" | valid loss {row['valid_loss']:.3f} acc {row['valid_acc']:.3f}"
            f" | {row['seconds']:.1f} s/epoch",
            flush=True,
        )

    row = run_experiment(
        experiment,
        tracks,
        profile,
        out,
        train_overrides=overrides,
        on_epoch_end=report,
        synthetic=synthetic,
        classes=classes,
    )
    shown = {k: v for k, v in row.items() if k not in ("setup", "experiment")}
    print("\n".join(f"{key}: {value}" for key, value in shown.items()))
    print(
        f"test track accuracy {row['test_track_accuracy']:.1%} "
        f"[{row['test_track_accuracy_low']:.1%}, {row['test_track_accuracy_high']:.1%}], "
        f"{row['epochs_run']} epochs, {row['seconds_per_epoch']:.1f} s/epoch; "
        f"{row['n_skipped_files']} file(s) skipped; results in {run_path(out, row)}"
    )
    return 0


def _evaluate_run(args: argparse.Namespace) -> int:
    from genrelib.config import get_profile
    from genrelib.experiments import evaluate_checkpoint

    tracks, classes, _, _ = _training_data(args, get_profile(args.profile))
    evaluation = evaluate_checkpoint(
        args.checkpoint, tracks, args.protocol, args.split, args.seed, args.device, classes=classes
    )
    print(
        f"{args.split} set: {len(evaluation.chunks)} chunks of {len(evaluation.tracks)} tracks "
        "(95 % bootstrap intervals over tracks)"
    )
    print(_percent(evaluation.metrics, ["estimate", "low", "high"]).to_string(index=False))
    return 0


def _add_train_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import DEEP_MODELS
    from genrelib.config import SPLIT_PROTOCOLS as PROTOCOLS

    train = subparsers.add_parser(
        "train",
        parents=[_data_options(collections=True), _run_options()],
        help="train and evaluate one model (resumable; a finished run is read back)",
    )
    train.add_argument("--model", choices=DEEP_MODELS, default="base_crnn")
    train.add_argument(
        "--chunk-seconds", type=_seconds, default=None, help="chunk length (default: the profile's)"
    )
    train.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="track",
        help="split protocol (paper: chunks at random, as the paper; track: whole tracks)",
    )
    train.add_argument("--out", help="results folder (default: results/<profile>)")
    train.add_argument(
        "--epochs", type=_at_least(int, 1), help="maximum epochs (default: the profile's)"
    )
    train.set_defaults(seed=0)
    train.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="auto: the device's fast path (bf16 where supported); fp32 turns it off",
    )
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
        "evaluate",
        parents=[_data_options(collections=True), _run_options()],
        help="score a checkpoint on the set its training run held out (the run's data and seed)",
    )
    evaluate.add_argument("--checkpoint", required=True, help="best.pt or last.pt of a run")
    evaluate.add_argument(
        "--protocol", choices=PROTOCOLS, help="split protocol (default: the run's result.json)"
    )
    evaluate.add_argument("--split", choices=("train", "valid", "test"), default="test")
    evaluate.set_defaults(handler=_evaluate_run)


def _predict_run(args: argparse.Namespace) -> int:
    import json

    # Checked before genrelib.predict imports torch (seconds), so a typo is reported at once.
    if args.chunks and not args.json:
        raise GenrelibError("--chunks adds each chunk's probabilities to the JSON: add --json")
    if args.model is not None and args.checkpoint is not None:
        raise GenrelibError(
            "give --model (a probe of `genrelib probe fit`) or --checkpoint, not both"
        )
    if args.model is not None and not Path(args.model).is_file():
        raise GenrelibError(
            f"--model {args.model}: file not found; write it with `genrelib probe fit`"
        )
    if args.checkpoint is not None and not Path(args.checkpoint).is_file():
        raise GenrelibError(f"{args.checkpoint}: checkpoint not found; pass the best.pt of a run")
    candidates = [song for given in args.songs for song in _songs_in(given)]
    missing = {
        song: f"{song}: song not found; check the path"
        for song in candidates
        if not Path(song).is_file()
    }
    for reason in missing.values():
        print(f"genrelib: error: {reason}", file=sys.stderr)
    songs = [song for song in candidates if song not in missing]
    if not songs:
        if args.json:  # one entry per song asked for, in order
            print(json.dumps([_missing_entry(song, missing[song]) for song in candidates]))
        return 1

    from genrelib.audio.prefetch import SongReader

    with SongReader(songs) as reader:  # the first song decodes while torch is imported
        from genrelib.predict import predict_songs

        results = predict_songs(
            songs,
            args.model or args.checkpoint,
            trim_seconds=args.trim,
            batch_size=args.batch_size,
            device=args.device,
            progress=not args.no_progress,
            reader=reader,
        )
    if args.json:  # one entry per song asked for, in order; a missing one says so
        found = iter(results)
        entries = [
            _missing_entry(song, missing[song])
            if song in missing
            else next(found).to_dict(chunks=args.chunks)
            for song in candidates
        ]
        print(json.dumps(entries, indent=1))
    for result in results:
        if not result.ok:
            print(f"genrelib: error: {result.error}", file=sys.stderr)
        elif not args.json:
            trimmed = args.trim is not None and args.trim < result.duration
            print(
                f"{result.name}: {result.duration:.1f} s long, {result.analysed_seconds:.1f} s "
                f"analysed{f' (first {args.trim:g} s, --trim)' if trimmed else ''} in "
                f"{result.n_chunks} chunk(s) of {result.chunk_seconds:.3g} s"
                f"{' (zero-padded)' if result.padded else ''}, {result.seconds:.2f} s to predict"
            )
            if result.warning:
                print(f"  {result.warning_message}")
            if result.warning in ("silence", "noise"):  # no genre at all for what is not music
                continue
            for rank, (genre, probability) in enumerate(result.top3, start=1):
                print(f"  {rank}. {genre:<10} {probability:6.1%}")
            print(f"  majority vote of the chunks: {result.vote}")
    return 0 if not missing and all(result.ok for result in results) else 1


def _missing_entry(song: str, reason: str) -> dict:
    """The JSON entry of a song that could not be read, in the shape of a failed prediction."""
    return {"path": song, "ok": False, "error": reason, "kind": "FileNotFoundError"}


def _songs_in(given: str) -> list[str]:
    """A song as given, or every audio file under a folder (recursively, sorted)."""
    from genrelib.config import AUDIO_EXTENSIONS

    folder = Path(given)
    if not folder.is_dir():
        return [given]
    found = sorted(
        str(path)
        for path in folder.rglob("*")
        if path.suffix.lower() in AUDIO_EXTENSIONS
        and path.is_file()
        and not path.name.startswith(".")
    )
    if not found:
        raise GenrelibError(
            f"{given}: a folder without audio files ({', '.join(AUDIO_EXTENSIONS)})"
        )
    return found


def _add_predict_commands(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser(
        "predict",
        help="top-3 genres of whole songs (any format, length, sample rate); no checkpoint needed",
    )
    predict.add_argument(
        "songs", nargs="+", metavar="SONG", help="audio files, or folders of them (recursively)"
    )
    predict.add_argument(
        "--model",
        default=None,
        help="a probe written by `genrelib probe fit`: answers in its collection's labels",
    )
    predict.add_argument(
        "--checkpoint",
        default=None,
        help="best.pt of a training run (default: the musicnn genre probe shipped with genrelib)",
    )
    predict.add_argument(
        "--trim",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="use only the first SECONDS of each song (the paper: 120; default: all of it)",
    )
    predict.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    predict.add_argument(
        "--chunks", action="store_true", help="with --json: include every chunk's probabilities"
    )
    predict.add_argument("--device", default="auto", help="auto (GPU if present), cpu or cuda")
    predict.add_argument(
        "--batch-size",
        type=_at_least(int, 1),
        default=PREDICT_BATCH_SIZE,
        help=f"chunks per forward pass (default {PREDICT_BATCH_SIZE})",
    )
    predict.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    predict.set_defaults(handler=_predict_run)


def _at_least(kind: type, minimum: float, unit: str = "", strict: bool = False):
    """An argparse type: a number of ``kind`` (int or float) of at least ``minimum``.

    ``strict``: more than ``minimum``. A value that is not a number, or is out of range, is
    refused with one line naming the option and the value (argparse adds the option).
    """

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if strict and not value > minimum:
            raise argparse.ArgumentTypeError(f"{text}{unit} is not more than {minimum:g}{unit}")
        if not value >= minimum:
            raise argparse.ArgumentTypeError(f"{text}{unit} is less than {minimum:g}{unit}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: a duration in seconds, more than 0."""
    return _at_least(float, 0.0, " s", strict=True)(text)


def _check_chunk_seconds(chunk_seconds: float | None, track_seconds: float) -> None:
    """Refuse, before any work, a ``--chunk-seconds`` longer than the tracks it cuts."""
    if chunk_seconds is not None and chunk_seconds > track_seconds:
        raise GenrelibError(
            f"--chunk-seconds {chunk_seconds:g} is longer than the {track_seconds:g}-s tracks "
            f"it cuts; give at most {track_seconds:g}"
        )


def _jobs(text: str) -> int:
    """An argparse type: parallel processes, at least 1, or -1 for every core."""
    value = _at_least(int, -1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 processes: give 1 or more, or -1 for every core")
    return value


def _probe_fit(args: argparse.Namespace) -> int:
    from genrelib.data.collection import check_label_sizes, index_collection
    from genrelib.transfer.collection_probe import (
        check_probe_target,
        fit_collection_probe,
        write_probe,
    )

    target = check_probe_target(args.out)
    collection = index_collection(args.data_dir, with_duration=False)
    check_label_sizes(collection, args.folds, f"{args.folds}-fold cross-validation (--folds)")
    fit = fit_collection_probe(
        collection, seconds=args.seconds, n_folds=args.folds, seed=args.seed, device=args.device
    )
    for path, reason in fit.skipped:
        print(f"skipped {path}: {reason}")
    accuracy, low, high = fit.accuracy
    print(
        f"{len(collection.classes)} labels, {int(fit.confusion.to_numpy().sum())} tracks used "
        f"({len(fit.skipped)} skipped); {fit.info['cv']} cross-validation: track accuracy "
        f"{accuracy:.1%} [{low:.1%}, {high:.1%}] (exact binomial 95 % interval)"
    )
    print(fit.confusion.to_string())
    write_probe(fit, target)
    print(f"probe written to {target}: genrelib predict --model {target} SONG_OR_FOLDER")
    return 0


def _add_probe_commands(subparsers: argparse._SubParsersAction) -> None:
    probe = subparsers.add_parser(
        "probe", help="a musicnn probe for your own collection, answering in its labels"
    )
    commands = probe.add_subparsers(dest="probe_command", required=True)
    fit = commands.add_parser(
        "fit",
        help="embed a collection with musicnn, cross-validate a logistic-regression probe, "
        "write it for `genrelib predict --model`",
    )
    fit.add_argument(
        "--data-dir",
        required=True,
        help="your collection: a folder with one sub-folder of audio per label, or a CSV "
        "manifest path,label[,group] (groups are kept on one side of every fold)",
    )
    fit.add_argument("--out", required=True, help="file to write the probe to, e.g. my.probe")
    fit.add_argument("--folds", type=_at_least(int, 2), default=5, help="cross-validation folds")
    fit.add_argument("--seed", type=_at_least(int, 0), default=0, help="seed of the folds")
    fit.add_argument(
        "--seconds",
        type=_at_least(float, 3.0, " s"),
        default=30.0,
        help="most seconds of each track used (its middle); a shorter track gives what it holds",
    )
    fit.add_argument("--device", default="auto", help="auto (GPU if present), cpu or cuda")
    fit.set_defaults(handler=_probe_fit)


def _protocols_run(args: argparse.Namespace) -> int:
    from genrelib.errors import ConfigError
    from genrelib.features import is_collection_table
    from genrelib.protocols import baseline_predictions, protocol_gap, protocol_summary

    table, artists = _feature_table(args)
    if is_collection_table(table):
        raise ConfigError(
            "genrelib protocols compares GTZAN's protocols; on your own collection run "
            "genrelib baselines --protocols paper track (artist, with a manifest's groups)"
        )
    protocols = _protocols(args, table)
    predictions = baseline_predictions(
        table, protocols, range(args.seeds), args.models, artists, args.jobs
    )
    summary = protocol_summary(predictions)
    scores = [c for c in summary.columns if c.split("_")[0] in ("accuracy", "f1")]
    print(f"{len(table)} rows, seeds 0-{args.seeds - 1}; 95 % intervals over seeds and test tracks")
    print(_percent(summary, scores).set_index(["model", "protocol"]).to_string())
    if "paper" in protocols and len(protocols) > 1:
        gap = protocol_gap(predictions)
        print("\ndrop from the random split (paper), percentage points:")
        gaps = ["reference_value", "value", "gap", "gap_low", "gap_high"]
        print(_percent(gap, gaps).to_string(index=False))
    return 0


def _add_protocols_commands(subparsers: argparse._SubParsersAction) -> None:
    from genrelib.config import DEFAULT_BASELINES, SPLIT_PROTOCOLS

    protocols = subparsers.add_parser(
        "protocols",
        parents=[_feature_options(SPLIT_PROTOCOLS, DEFAULT_BASELINES, seeds=3)],
        help="baselines under several split protocols: accuracy, macro F1, intervals, gaps",
    )
    protocols.set_defaults(handler=_protocols_run)


_COMMAND_GROUPS = (
    _add_book_commands,
    _add_data_commands,
    _add_features_commands,
    _add_baselines_commands,
    _add_train_commands,
    _add_predict_commands,
    _add_probe_commands,
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

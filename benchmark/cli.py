"""``python -m benchmark``: run, report, score, list, data status / import."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from .errors import BenchmarkError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow is first imported
DEFAULT_OUT = "reports"


def default_cache_dir():
    return Path(os.environ.get("BENCHMARK_CACHE_DIR") or Path.home() / ".cache" / "genbench")


def _whole_number(text, least):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def _positive_int(text):
    return _whole_number(text, 1)


def _non_negative_int(text):
    return _whole_number(text, 0)


DATA_DIR_HELP = "folder with dataset files (default $BENCHMARK_DATA_DIR)"


class _Parser(argparse.ArgumentParser):
    """Usage mistakes give one error line (and the hint to --help), not the usage block."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _parser():
    parser = _Parser(prog="python -m genbench",
                     description="Train and score generative models; write leaderboards.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    report = sub.add_parser("report",
                            help="rebuild results.csv and leaderboard.md from stored runs")
    report.add_argument("--out", default=DEFAULT_OUT,
                        help=f"results folder (default {DEFAULT_OUT}/)")
    _add_score(sub)
    sub.add_parser("list", help="suites, tasks, models, datasets, metrics and profiles")
    perf = sub.add_parser("perf",
                          help="training, input-pipeline, sampling and extractor throughput")
    perf.add_argument("--out", default=DEFAULT_OUT,
                      help=f"folder for perf.md (default {DEFAULT_OUT}/)")
    perf.add_argument("--data-dir", help=DATA_DIR_HELP)
    perf.add_argument("--steps", type=_positive_int, default=200, help="training steps per timing")
    perf.add_argument("--engines", action="store_true",
                      help="also time the smoke gan suite at --jobs 1 and 2 (several minutes)")
    _add_data(sub)
    return parser


def _add_run(sub):
    from .distribute import STRATEGIES
    from .precision import PRECISIONS
    from .suites import (
        DEFAULT_PROFILE,
        PROFILES,
        REPORTED_FIRST_SEED,
        SUITES,
        TUNING_FIRST_SEED,
    )

    # Run flags default to None so that only flags actually given override the experiment file.
    run = sub.add_parser("run", help="train and score a suite, then rebuild the leaderboards")
    run.add_argument("--config", metavar="FILE.toml",
                     help="experiment file with these options (flags given here override it)")
    run.add_argument("--suite", help=f"one of: {', '.join(SUITES)}, all (default all)")
    run.add_argument("--model", help="only this model (e.g. dcgan), or your own: "
                                     "module.path:ClassName or a genbench.models entry point "
                                     "(README: Extending)")
    run.add_argument("--dataset", help="only this dataset (e.g. mnist)")
    run.add_argument("--setting", help="only this setting (e.g. labels=100; see `list`)")
    run.add_argument("--profile", help=f"budget: {', '.join(PROFILES)} (default {DEFAULT_PROFILE})")
    run.add_argument("--seeds", type=_positive_int,
                     help="number of seeds; default: 1 for smoke, 3 otherwise")
    run.add_argument("--first-seed", type=_non_negative_int,
                     help=f"seeds run are S, S+1, ... (default {REPORTED_FIRST_SEED}, the "
                          f"reported seeds; tune recipes on {TUNING_FIRST_SEED}, "
                          f"{TUNING_FIRST_SEED + 1}, ...: README, protocol)")
    run.add_argument("--out", help=f"results folder (default {DEFAULT_OUT}/)")
    run.add_argument("--data-dir", help=DATA_DIR_HELP)
    run.add_argument("--strategy", choices=STRATEGIES,
                     help="tf.distribute strategy: default (one device), mirrored (all local "
                          "GPUs), multiworker (hosts in TF_CONFIG)")
    run.add_argument("--precision", choices=PRECISIONS,
                     help="float32 (default), bfloat16 or float16 (mixed precision: 16-bit "
                          "compute, float32 weights, outputs and losses), or auto: bfloat16 "
                          "where the hardware computes it natively, float32 elsewhere")
    run.add_argument("--jobs", type=_positive_int,
                     help="runs at once, each in a worker process with its own GPU or share of "
                          "the CPU cores (default: the number of GPUs, else 1)")
    run.add_argument("--threads", type=_positive_int,
                     help="TensorFlow threads per run on CPU (default: cores / jobs; 1 with "
                          "--cluster, where each run asks for that many CPUs)")
    run.add_argument("--cluster", metavar="ADDRESS",
                     help="run on a Ray cluster, each run with one GPU or --threads CPUs: auto "
                          "(the cluster this host joined), HOST:PORT or ray://HOST:PORT (Ray "
                          "client); --out on storage all hosts share (README: several hosts)")
    run.add_argument("--offline", action=argparse.BooleanOptionalAction,
                     help="never download: a missing dataset is an error (default: datasets that "
                          "Keras/TFDS can fetch are downloaded on first use)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.KEY=VALUE",
                     help="override a config value, e.g. --set train.steps=200 "
                          "--set model.latent_dim=32")


def _add_score(sub):
    from .suites import DEFAULT_PROFILE, PROFILES

    score = sub.add_parser("score", help="score your own samples against a dataset split or other "
                                         "images, as the suite scores its models")
    score.add_argument("samples", help="a folder of image files (PNG, JPEG, ...), an .npy/.npz "
                                       "array (uint8 in [0, 255] or floats in [-1, 1]) or a "
                                       ".keras generator")
    score.add_argument("--real", required=True, metavar="DATASET[:SPLIT] | PATH",
                       help="reference: a dataset and split (mnist:test; default: its train "
                            "split, the suite's reference), or images given like the samples")
    score.add_argument("--num-samples", type=_positive_int,
                       help="images to score: the first N given, or N draws of a generator "
                            "(default: the profile's eval.num_samples, as the suite's models)")
    score.add_argument("--seed", type=int, default=0,
                       help="seed of the generator's latents and of the metrics' draws (default 0)")
    score.add_argument("--profile", default=DEFAULT_PROFILE,
                       help=f"evaluation sizes of a profile: {', '.join(PROFILES)} (default "
                            f"{DEFAULT_PROFILE}, as the leaderboard's rows)")
    score.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="eval.KEY=VALUE", help="change an evaluation size, e.g. "
                                                      "--set eval.num_real=2000")
    score.add_argument("--json", action="store_true", help="print the scores as JSON")
    score.add_argument("--out", help="also store the scores in this results folder and rebuild "
                                     "its leaderboard (the samples appear as an external model)")
    score.add_argument("--name", help="the model's name in the results store (default: the "
                                      "samples' file name)")
    score.add_argument("--data-dir", help=DATA_DIR_HELP)
    score.add_argument("--offline", action="store_true",
                       help="never download the reference dataset")


def _add_data(sub):
    data = sub.add_parser("data", help="dataset status and import")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    status = data_sub.add_parser(
        "status", help="which datasets are present, verified, and how to get the rest")
    status.add_argument("--data-dir", help=DATA_DIR_HELP)
    fetch = data_sub.add_parser("download",
                                help="download datasets through Keras/TFDS and verify them")
    fetch.add_argument("names", nargs="+", metavar="name")
    fetch.add_argument("--data-dir", help=DATA_DIR_HELP)
    imp = data_sub.add_parser(
        "import", help="copy a downloaded dataset into the data folder and verify it")
    imp.add_argument("name")
    imp.add_argument("path")
    imp.add_argument("--data-dir", help="destination folder (default $BENCHMARK_DATA_DIR)")


def _run_options(args):
    """Each run option from its flag if given, else from the experiment file, else its default;
    the file's overrides come first, so that a --set of the same key wins."""
    from .experiment import load_experiment, overrides
    from .suites import DEFAULT_PROFILE, REPORTED_FIRST_SEED

    experiment = load_experiment(args.config) if args.config else None
    content = experiment["content"] if experiment else {}
    defaults = {"suite": "all", "model": None, "dataset": None, "setting": None,
                "profile": DEFAULT_PROFILE, "seeds": None, "first_seed": REPORTED_FIRST_SEED,
                "out": DEFAULT_OUT, "data_dir": None,
                "strategy": "default", "offline": False, "jobs": None, "threads": None,
                "precision": "float32", "cluster": None}
    options = {key: content.get(key, default) if getattr(args, key) is None else getattr(args, key)
               for key, default in defaults.items()}
    return argparse.Namespace(**options, overrides=overrides(content) + args.overrides,
                              experiment=experiment)


def _cmd_run(args):
    from .distribute import gpu_count, make_strategy
    from .workers import set_threads

    args = _run_options(args)
    if args.cluster:
        from .cluster import check_address, import_ray

        if args.jobs or args.strategy == "multiworker":
            raise BenchmarkError("--cluster takes its runs at once from the cluster's GPUs or "
                                 "CPUs; it cannot be combined with --jobs or --strategy "
                                 "multiworker")
        import_ray()  # says how to install Ray before anything else happens
        check_address(args.cluster)
        jobs, strategy = 1, None  # each Ray task builds its own strategy
    else:
        jobs = args.jobs or max(1, gpu_count())
        if jobs > 1 and args.strategy != "default":
            raise BenchmarkError(f"--strategy {args.strategy} spreads one run over several "
                                 "devices; it cannot be combined with --jobs above 1 (use one or "
                                 "the other)")
        if jobs == 1:
            set_threads(args.threads)  # before TensorFlow runs anything
        strategy = make_strategy(args.strategy)  # before any other TensorFlow work

    from .config import apply_overrides
    from .data import resolve_data_dir
    from .precision import resolve as resolve_precision
    from .runner import run_plan
    from .suites import DEFAULT_SEEDS, build_configs

    precision = resolve_precision(args.precision)
    configs = [dataclasses.replace(apply_overrides(c, args.overrides), precision=precision)
               for c in build_configs(args.suite, args.profile, args.model, args.dataset,
                                      args.setting, resolve_data_dir(args.data_dir))]
    seeds = range(args.first_seed, args.first_seed + (args.seeds or DEFAULT_SEEDS[args.profile]))
    plan = [(config, seed) for config in configs for seed in seeds]
    counts = run_plan(plan, args.out, resolve_data_dir(args.data_dir), default_cache_dir(),
                      download=not args.offline, strategy=strategy, jobs=jobs, threads=args.threads,
                      experiment=args.experiment, cluster=args.cluster,
                      cluster_strategy=args.strategy)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to run"
    print(f"{summary}; leaderboard: {Path(args.out) / 'leaderboard.md'}")
    return 1 if counts.get("failed") else 0


def _cmd_report(args):
    from .reporting import write_reports
    from .store import ResultsStore

    path = Path(args.out) / "results.sqlite"
    if not path.exists():
        raise BenchmarkError(f"no results store at {path}; run `python -m genbench run` first "
                             "or pass --out with the folder of an earlier run")
    store = ResultsStore(path)
    try:
        write_reports(store, args.out)
    finally:
        store.close()
    print(f"wrote {Path(args.out) / 'results.csv'} and {Path(args.out) / 'leaderboard.md'}")
    return 0


def _cmd_score(args):
    import json

    from .data import resolve_data_dir
    from .samples import print_table, score

    scores = score(args.samples, args.real, num_samples=args.num_samples, seed=args.seed,
                   profile=args.profile, overrides=args.overrides, name=args.name, out=args.out,
                   data_dir=resolve_data_dir(args.data_dir), download=not args.offline,
                   log=lambda text: print(text, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(scores, indent=2))
    else:
        print_table(scores, sys.stdout)
    if args.out:
        print(f"stored as {scores['stored_as']} (external); leaderboard: "
              f"{Path(args.out) / 'leaderboard.md'}", file=sys.stderr)
    return 0


def _cmd_list(args):
    from .data import dataset_names
    from .reporting.tables import METRIC_ORDER
    from .suites import FALLBACKS, PROFILES, SUITES

    print("suites:")
    for name, specs in SUITES.items():
        print(f"  {name}: " + ", ".join(
            f"{s.task}:{s.model}/{s.dataset}"
            + (f" (else {FALLBACKS[s.dataset]})" if s.dataset in FALLBACKS else "")
            + (f"[{s.setting}]" if s.setting else "") for s in specs))
    print("tasks: " + ", ".join(sorted({s.task for specs in SUITES.values() for s in specs})))
    print("models: " + ", ".join(sorted({s.model for specs in SUITES.values() for s in specs}))
          + "; your own (gan suite): module.path:ClassName or a genbench.models entry point")
    print("datasets: " + ", ".join(dataset_names()))
    print("metrics: " + ", ".join(METRIC_ORDER))
    print("profiles: " + ", ".join(PROFILES))
    return 0


def _cmd_data(args):
    from .data import (
        ImageDataset,
        format_status,
        get_dataset,
        import_dataset,
        resolve_data_dir,
        status_rows,
    )

    data_dir = resolve_data_dir(args.data_dir)
    if args.data_command == "status":
        print(format_status(status_rows(data_dir)))
        return 0
    if args.data_command == "download":
        for name in args.names:
            dataset = get_dataset(name)
            if not isinstance(dataset, ImageDataset):
                raise BenchmarkError(f"{name}: nothing to download "
                                     "(generated, or read from its own path)")
            source = dataset.locate(data_dir)
            if source is not None:
                print(f"{name}: already present at {source.path}")
                continue
            dataset.download(data_dir)
        return 0
    if not data_dir:
        raise BenchmarkError("data import needs a destination: "
                             "pass --data-dir or set BENCHMARK_DATA_DIR")
    print(import_dataset(args.name, args.path, data_dir))
    return 0


def _cmd_perf(args):
    from .data import resolve_data_dir
    from .perf import run_perf
    from .runner import check_writable

    check_writable(args.out)
    run_perf(args.out, resolve_data_dir(args.data_dir), default_cache_dir(), args.steps,
             engines=args.engines)
    print(f"wrote {Path(args.out) / 'perf.md'}")
    return 0


COMMANDS = {"run": _cmd_run, "report": _cmd_report, "score": _cmd_score, "list": _cmd_list,
            "data": _cmd_data, "perf": _cmd_perf}


def main(argv=None):
    args = _parser().parse_args(argv)
    from .data import DataError

    try:
        return COMMANDS[args.command](args)
    except (BenchmarkError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished runs are stored, the current one resumes from its last "
              "checkpoint on the next run", file=sys.stderr)
        return 130

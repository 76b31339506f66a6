"""Runs a plan of (config, seed) pairs: seeding, skipping finished runs, resuming killed ones,
isolating failures, progress with ETA, and the reports at the end."""

from __future__ import annotations

import importlib
import re
import sys
import time
import traceback
from pathlib import Path

import keras
import tensorflow as tf

from benchmark.data import UnpairedDataset, dataset_parts, get_dataset
from benchmark.distribute import describe
from benchmark.environment import environment
from benchmark.errors import BenchmarkError
from benchmark.reporting import write_reports
from benchmark.store import ResultsStore
from benchmark.tasks.base import RunSkipped, TaskContext
from benchmark.training import Diverged

FINAL = ("done", "diverged")
# Rough training throughput (img/s on 2 CPU cores) for the first ETA; replaced by measurements.
RATE_GUESS = {"gan": 60000.0, "dcgan": 1200.0, "cyclegan": 110.0, "discogan": 700.0, "ldm": 600.0,
              "ddpm": 130.0,
              # transfer (four label fractions per run) and adaptation (source CNN cached per seed)
              "frozen": 1000.0, "finetune_all": 800.0, "finetune_top": 900.0, "scratch": 800.0,
              "dcgan_features": 250.0,  # mostly its DCGAN's 500 steps
              "source_only": 1e9, "dann": 1500.0, "adda": 1200.0, "pixel_cyclegan": 80.0,
              # ssl (counted per step as one batch, 100 images; 33 steps/s measured); baselines use the default
              "ssgan": 3700.0, "ssgan_explicit": 3700.0}


def run_workdir(out_dir, config, seed):
    name = f"{config.model}-{config.dataset}-{config.profile}-{config.training_hash}-s{seed}"
    # One folder, whatever the dataset string holds (the ":" of a pair, the path of "unpaired:PATH").
    return Path(out_dir) / "work" / re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def check_writable(out_dir):
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise BenchmarkError(f"output directory {out} is not writable ({exc.strerror}); "
                             "pass --out with a writable folder") from None


def check_data(configs, data_dir, download=False):
    """Load every dataset the plan needs before training anything (DataError on a bad file).

    A pair of domains ("mnist:usps") needs both, "unpaired:PATH" its two folders; ``download``
    fetches missing sets through Keras/TFDS (a network is needed).
    """
    names = {name for c in configs for name in dataset_parts(c.dataset)}
    for name in sorted(names):
        dataset = get_dataset(name)
        for part in [dataset.domain(d) for d in dataset.domains] if isinstance(dataset, UnpairedDataset) else [dataset]:
            part.load("train", data_dir, download=download)


class Progress:
    """One line per checkpoint: the run's step, and the whole plan's ETA."""

    def __init__(self, plan):
        self.plan = plan
        self.started = time.time()
        self.measured = {}  # (model, dataset, profile) -> seconds per run

    def estimate(self, config):
        key = (config.model, config.dataset, config.profile)
        if key in self.measured:
            return self.measured[key]
        images = config.train.steps * config.train.batch_size
        return images / RATE_GUESS.get(config.model, 5000.0) + 15.0

    def eta(self, index, run_fraction):
        current = self.estimate(self.plan[index][0]) * (1 - run_fraction)
        return current + sum(self.estimate(c) for c, _ in self.plan[index + 1:])

    def line(self, index, text):
        elapsed = time.time() - self.started
        print(f"[{index + 1}/{len(self.plan)}] {text} | elapsed {elapsed / 60:.1f} min", file=sys.stderr,
              flush=True)


def _fmt_minutes(seconds):
    return f"{seconds / 60:.1f} min"


def run_plan(plan, out_dir, data_dir, cache_dir, download=False, strategy=None, experiment=None):
    """Run every (config, seed) of ``plan`` not finished yet; returns counts by status.

    ``strategy`` is a ``tf.distribute`` strategy (default: one device). ``experiment`` (the
    experiment file's path, sha256 and content) is kept in each run's environment, not its config:
    a run defined by a file is the same run (config hash) as one defined by the same flags."""
    check_writable(out_dir)
    store = ResultsStore(Path(out_dir) / "results.sqlite")
    try:
        todo = [(c, s) for c, s in plan if not (store.find(c.hash, s) and store.find(c.hash, s)["status"] in FINAL)]
        if len(todo) < len(plan):
            print(f"{len(plan) - len(todo)} of {len(plan)} runs already finished in {out_dir}; "
                  "skipping them", file=sys.stderr)
        check_data([c for c, _ in todo], data_dir, download)
        strategy = strategy or tf.distribute.get_strategy()
        env = {**environment(), "distribution": describe(strategy)}
        if experiment:
            env["experiment"] = experiment
        progress = Progress(todo)
        counts = {}
        for index, (config, seed) in enumerate(todo):
            status = _run_one(index, config, seed, store, env, progress, out_dir, data_dir, cache_dir,
                              strategy)
            counts[status] = counts.get(status, 0) + 1
        write_reports(store, out_dir)
        return counts
    finally:
        store.close()


def _run_one(index, config, seed, store, env, progress, out_dir, data_dir, cache_dir, strategy):
    workdir = run_workdir(out_dir, config, seed)
    workdir.mkdir(parents=True, exist_ok=True)
    resumed = any(workdir.rglob("checkpoint.npz"))  # tasks with stages checkpoint in sub-folders
    run_id = store.start(config, seed, env)
    label = f"{config.label()} seed {seed} ({config.profile})"
    progress.line(index, f"{label}: {'resuming from checkpoint' if resumed else 'starting'}, "
                         f"suite ETA {_fmt_minutes(progress.eta(index, 0))}")

    def report(step, total, logs):
        losses = " ".join(f"{k}={v:.3f}" for k, v in logs.items())
        progress.line(index, f"{label}: step {step}/{total} {losses}, "
                             f"suite ETA {_fmt_minutes(progress.eta(index, step / total))}")

    task = importlib.import_module(f"benchmark.tasks.{config.task}")
    ctx = TaskContext(workdir=workdir, data_dir=data_dir, cache_dir=Path(cache_dir), report=report,
                      log=lambda text: progress.line(index, f"{label}: {text}"), strategy=strategy)
    keras.utils.set_random_seed(seed)
    started = time.time()
    try:
        result = task.run(config, seed, ctx)
    except RunSkipped as exc:
        store.discard(run_id)
        progress.line(index, f"{label}: skipped ({exc})")
        return "skipped"
    except Diverged as exc:
        store.finish(run_id, "diverged", time.time() - started, reason=str(exc))
        progress.line(index, f"{label}: {exc}")
        return "diverged"
    except (BenchmarkError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a crashed task is recorded and the suite goes on
        (workdir / "error.log").write_text(traceback.format_exc())
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        store.finish(run_id, "failed", time.time() - started, reason=reason)
        progress.line(index, f"{label}: FAILED ({reason}); traceback in {workdir / 'error.log'}")
        return "failed"
    wall = time.time() - started
    # A spec's setting (e.g. "labels=100") labels every metric that does not name its own.
    metrics = [{**m, "setting": m["setting"] or config.setting} for m in result.metrics]
    store.finish(run_id, "done", wall, metrics, result.artifacts)
    progress.measured[(config.model, config.dataset, config.profile)] = wall
    progress.line(index, f"{label}: done in {wall:.0f} s")
    return "done"

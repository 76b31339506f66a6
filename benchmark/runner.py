"""Runs a plan of (config, seed) pairs: seeding, skipping finished runs, resuming killed ones,
isolating failures, progress with ETA, and the reports at the end."""

from __future__ import annotations

import fcntl
import importlib
import re
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import keras
import tensorflow as tf

from .data import UnpairedDataset, dataset_parts, get_dataset
from .distribute import describe
from .environment import environment
from .errors import BenchmarkError
from .reporting import write_reports
from .store import ResultsStore
from .tasks.base import RunSkipped, TaskContext
from .training import CHECKPOINT, Diverged
from .workers import relay

FINAL = ("done", "diverged")
# Rough training throughput (img/s on 2 CPU cores) for the first ETA; replaced by measurements.
RATE_GUESS = {"gan": 60000.0, "dcgan": 1200.0, "cyclegan": 110.0, "discogan": 700.0, "ldm": 600.0,
              "ddpm": 130.0,
              # transfer (four label fractions per run) and adaptation (source CNN cached per seed)
              "frozen": 1000.0, "finetune_all": 800.0, "finetune_top": 900.0, "scratch": 800.0,
              "dcgan_features": 250.0,  # mostly its DCGAN's 500 steps
              "source_only": 1e9, "dann": 1500.0, "adda": 1200.0, "pixel_cyclegan": 80.0,
              # ssl (counted per step as one batch, 100 images; 33 steps/s measured); baselines
              # use the default
              "ssgan": 3700.0, "ssgan_explicit": 3700.0}


def run_workdir(out_dir, config, seed):
    name = f"{config.model}-{config.dataset}-{config.profile}-{config.training_hash}-s{seed}"
    # One folder, whatever the dataset string holds (the ":" of a pair, the path of
    # "unpaired:PATH").
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
        parts = ([dataset.domain(d) for d in dataset.domains]
                 if isinstance(dataset, UnpairedDataset) else [dataset])
        for part in parts:
            part.load("train", data_dir, download=download)


class Progress:
    """Progress lines: the run's step, every running run and one ETA for the whole plan."""

    def __init__(self, plan, jobs=1, finished=()):
        """``finished``: store rows of runs done before; other seeds of a planned config time it."""
        self.plan, self.jobs = plan, jobs
        self.started = time.time()
        hashes = {config.hash for config, _ in plan}
        self.measured = {}  # config hash -> seconds each finished run of it took (any seed)
        for row in finished:
            if row["config_hash"] in hashes and row["wall_seconds"]:
                self.measured.setdefault(row["config_hash"], []).append(row["wall_seconds"])
        self.latest = {}  # (model, dataset, profile) -> seconds of the latest finished run
        # (dataset, profile) -> seconds a finished run spent outside training (scoring, sampling)
        self.beyond_training = {}
        self.running = {}  # plan index -> fraction of the run done
        self.ended = set()  # plan indices finished, failed or skipped

    def record(self, config, wall, metrics):
        """A finished run's wall time, and the part of it not spent training."""
        self.measured.setdefault(config.hash, []).append(wall)
        self.latest[(config.model, config.dataset, config.profile)] = wall
        trained = sum(m["value"] for m in metrics if m["metric"] == "train_seconds")
        self.beyond_training[(config.dataset, config.profile)] = max(0.0, wall - trained)

    def estimate(self, config):
        """Seconds a run of ``config`` takes: the mean of its finished seeds, else the latest run
        of the same model on the same data (another setting), else a guess from its steps."""
        if config.hash in self.measured:
            return statistics.fmean(self.measured[config.hash])
        key = (config.model, config.dataset, config.profile)
        if key in self.latest:
            return self.latest[key]
        images = config.train.steps * config.train.batch_size if config.train else 0
        return (images / RATE_GUESS.get(config.model, 5000.0)
                + self.beyond_training.get((config.dataset, config.profile), 15.0))

    def eta(self):
        """Seconds left: the running runs' remainders and every run not started, over the jobs."""
        left = sum(self.estimate(self.plan[i][0]) * (1 - f) for i, f in self.running.items())
        left += sum(self.estimate(c) for i, (c, _) in enumerate(self.plan)
                    if i not in self.running and i not in self.ended)
        return left / self.jobs

    def line(self, index, text):
        elapsed = time.time() - self.started
        others = [f"{_short(self.plan[i])} {f:.0%}"
                  for i, f in sorted(self.running.items()) if i != index]
        also = f" | also running: {', '.join(others)}" if others else ""
        print(f"[{index + 1}/{len(self.plan)}] {text}{also} | "
              f"suite ETA {_fmt_minutes(self.eta())}, elapsed {elapsed / 60:.1f} min",
              file=sys.stderr, flush=True)


def _short(item):
    config, seed = item
    return f"{config.model} {config.dataset} s{seed}"


def _fmt_minutes(seconds):
    return f"{seconds / 60:.1f} min"


@dataclass
class Outcome:
    """What a run produced, in a form a worker process can send back to the one store writer."""

    status: str  # done, diverged, failed or skipped
    wall: float = 0.0
    metrics: list = field(default_factory=list)
    artifacts: dict = field(default_factory=dict)
    reason: str | None = None


def execute(config, seed, workdir, data_dir, cache_dir, strategy, report, log):
    """Train and score one run in this process: seeded, failures caught and described."""
    task = importlib.import_module(f".tasks.{config.task}", __package__)
    ctx = TaskContext(workdir=workdir, data_dir=data_dir, cache_dir=Path(cache_dir), report=report,
                      log=log, strategy=strategy, precision=config.precision)
    keras.utils.set_random_seed(seed)
    started = time.time()
    try:
        result = task.run(config, seed, ctx)
    except RunSkipped as exc:
        return Outcome("skipped", reason=str(exc))
    except Diverged as exc:
        return Outcome("diverged", time.time() - started, reason=str(exc))
    except (BenchmarkError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a crashed task is recorded and the suite goes on
        (workdir / "error.log").write_text(traceback.format_exc())
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Outcome("failed", time.time() - started, reason=reason)
    # A spec's setting (e.g. "labels=100") labels every metric that does not name its own.
    metrics = [{**m, "setting": m["setting"] or config.setting} for m in result.metrics]
    return Outcome("done", time.time() - started, metrics, result.artifacts)


class InlineExecutor:
    """Runs each run in this process, one at a time (``--jobs 1``)."""

    slots = 1

    def __init__(self, data_dir, cache_dir, strategy, progress):
        self.data_dir, self.cache_dir = data_dir, cache_dir
        self.strategy, self.progress = strategy, progress
        self.queued = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def busy(self):
        return len(self.queued)

    def submit(self, index, config, seed, workdir, label):
        self.queued.append((index, config, seed, workdir, label))

    def wait(self):
        index, config, seed, workdir, label = self.queued.pop()

        def report(step, total, logs):
            relay(self.progress, label, ("progress", index, step, total, logs))

        def log(text):
            relay(self.progress, label, ("log", index, text))

        return [(index, execute(config, seed, workdir, self.data_dir, self.cache_dir, self.strategy,
                                report, log))]


def run_plan(plan, out_dir, data_dir, cache_dir, download=False, strategy=None, jobs=1,
             threads=None, experiment=None, cluster=None, cluster_strategy="default"):
    """Run every (config, seed) of ``plan`` not finished yet; returns counts by status.

    ``strategy`` is a ``tf.distribute`` strategy (default: one device), used with ``jobs=1``;
    ``jobs > 1`` runs that many runs at once in worker processes (``benchmark.workers``), each
    with ``threads`` TensorFlow threads. ``cluster`` (a Ray address) runs them as tasks on a Ray
    cluster instead (``benchmark.cluster``), each task building ``cluster_strategy`` (default
    or mirrored). This process alone writes the results store.
    ``experiment`` (the experiment file's path, sha256 and content) is kept in each run's
    environment, not its config: a run defined by a file is the same run (config hash) as one
    defined by the same flags."""
    check_writable(out_dir)
    store = ResultsStore(Path(out_dir) / "results.sqlite")
    try:
        todo = [(c, s) for c, s in plan
                if (row := store.find(c.hash, s)) is None or row["status"] not in FINAL]
        if len(todo) < len(plan):
            print(f"{len(plan) - len(todo)} of {len(plan)} runs already finished in {out_dir}; "
                  "skipping them", file=sys.stderr)
        check_data([c for c, _ in todo], data_dir, download)
        progress = Progress(todo, finished=store.runs("done"))
        if cluster:
            from .cluster import RayExecutor

            executor = RayExecutor(cluster, threads, cluster_strategy, data_dir, cache_dir,
                                   progress)
            distribution = executor.distribution
        elif jobs == 1:
            executor = InlineExecutor(data_dir, cache_dir, strategy or tf.distribute.get_strategy(),
                                      progress)
            distribution = describe(executor.strategy)
        else:
            from .workers import WorkerPool

            executor = WorkerPool(jobs, threads, data_dir, cache_dir, progress)
            distribution = describe(tf.distribute.get_strategy())
        progress.jobs = executor.slots
        env = {**environment(), "distribution": distribution, "jobs": executor.slots,
               "threads_per_run": getattr(executor, "threads", threads) or "tensorflow default"}
        if cluster:
            env["cluster"] = executor.engine
        if experiment:
            env["experiment"] = experiment
        with executor:
            counts = _dispatch(todo, executor, store, env, progress, out_dir)
        write_reports(store, out_dir)
        return counts
    finally:
        store.close()


def _dispatch(todo, executor, store, env, progress, out_dir):
    """Hand runs to the executor as it has room, record each outcome as it comes back."""
    counts, pending, started = {}, list(enumerate(todo)), {}
    pending.reverse()
    while pending or executor.busy():
        while pending and executor.busy() < executor.slots:
            index, (config, seed) = pending.pop()
            workdir = run_workdir(out_dir, config, seed)
            workdir.mkdir(parents=True, exist_ok=True)
            claim = claim_run(workdir)
            label = f"{config.label()} seed {seed} ({config.profile})"
            if claim is None:
                progress.ended.add(index)
                progress.line(index, f"{label}: skipped, another process is running it")
                counts["busy"] = counts.get("busy", 0) + 1
                continue
            resumed = any(workdir.rglob(CHECKPOINT))  # tasks with stages checkpoint in sub-folders
            run_id = store.start(config, seed, env)
            started[index] = (run_id, claim, label, config, workdir)
            progress.running[index] = 0.0
            progress.line(index,
                          f"{label}: {'resuming from checkpoint' if resumed else 'starting'}")
            executor.submit(index, config, seed, workdir, label)
        for index, outcome in executor.wait() if executor.busy() else ():
            run_id, claim, label, config, workdir = started.pop(index)
            progress.running.pop(index, None)
            progress.ended.add(index)
            _record(store, run_id, outcome, progress, index, label, config, workdir)
            claim.close()
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


def _record(store, run_id, outcome, progress, index, label, config, workdir):
    if outcome.status == "skipped":
        store.discard(run_id)
        progress.line(index, f"{label}: skipped ({outcome.reason})")
        return
    store.finish(run_id, outcome.status, outcome.wall, outcome.metrics, outcome.artifacts,
                 reason=outcome.reason)
    if outcome.status == "done":
        progress.record(config, outcome.wall, outcome.metrics)
        progress.line(index, f"{label}: done in {outcome.wall:.0f} s")
    elif outcome.status == "diverged":
        progress.line(index, f"{label}: {outcome.reason}")
    else:
        log = workdir / "error.log"
        where = f"; traceback in {log}" if log.exists() else ""
        progress.line(index, f"{label}: FAILED ({outcome.reason}){where}")


def claim_run(workdir):
    """An exclusive lock on the run's folder, or None if another process holds it. The OS drops
    the lock when its holder dies, even by SIGKILL, so a killed run can always be taken again."""
    handle = open(workdir / ".lock", "w")  # noqa: SIM115 (held open for the run's lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle

"""``--cluster ADDRESS``: the plan's runs as Ray tasks on the hosts of a Ray cluster.

Each task asks for one GPU (all GPUs of a host with ``--strategy mirrored``) or, on CPU-only
clusters, ``threads`` CPUs. It trains and scores like a ``--jobs`` worker and returns the
``Outcome``: the driver (this process) alone writes the results store. Every host needs genbench
and the datasets at the same paths, and ``--out`` must be on storage that all hosts share: a run
writes its checkpoints and figures to its folder there. Progress lines come back through a Ray
queue. Ray does not retry a task whose worker or host is lost: its run is recorded as failed and
resumes from its last checkpoint when the command is run again.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from .errors import BenchmarkError

INSTALL = "pip install 'genbench[cluster]'"
RESUME = "run the same command again to resume from its last checkpoint"


def import_ray():
    try:
        import ray
    except ImportError:
        raise BenchmarkError(f"--cluster needs Ray; install it with: {INSTALL}") from None
    return ray


def check_address(address):
    """Fail now, in one line, where Ray would retry an address with nothing behind it for
    minutes."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except ValueError:
        raise BenchmarkError(f"--cluster takes auto, HOST:PORT or ray://HOST:PORT, not "
                             f"{address!r}") from None
    except OSError as exc:
        raise BenchmarkError(f"no Ray cluster answers at {address!r} ({exc.strerror or exc}); "
                             "start one with `ray start --head` (see the README)") from None


def _train(index, config, seed, workdir, data_dir, cache_dir, threads, strategy, queue):
    """One run in a Ray worker. A CPU worker may be reused for the next run of the same plan:
    its threads are the same, so setting them again is a no-op."""
    from .data import DataError
    from .distribute import make_strategy
    from .runner import execute
    from .workers import set_threads

    set_threads(threads)  # before TensorFlow runs anything in a fresh worker
    queue.put(("log", index, f"on {socket.gethostname()} (pid {os.getpid()})"))

    def report(step, total, logs):
        queue.put(("progress", index, step, total, {k: float(v) for k, v in logs.items()}))

    def log(text):
        queue.put(("log", index, text))

    try:
        return ("outcome", index, execute(config, seed, workdir, data_dir, cache_dir,
                                          make_strategy(strategy), report, log))
    except (BenchmarkError, DataError) as exc:
        return ("fatal", index, str(exc))


class RayExecutor:
    """The executor of ``runner.run_plan`` for ``--cluster``: slots from the cluster's GPUs, or
    its CPUs over ``threads`` (default 1), counted per host when the command starts."""

    def __init__(self, address, threads, strategy, data_dir, cache_dir, progress):
        self.ray = ray = import_ray()
        try:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
        except Exception as exc:  # Ray raises ConnectionError, ValueError, RuntimeError, ...
            raise BenchmarkError(f"cannot connect to the Ray cluster at {address!r} "
                                 f"({str(exc).splitlines()[0]}); start one with `ray start --head` "
                                 "or pass its address (see the README)") from None
        hosts = [node["Resources"] for node in ray.nodes() if node["Alive"]]
        gpus = [int(r["GPU"]) for r in hosts if r.get("GPU")]
        if gpus:
            per_run = min(gpus) if strategy == "mirrored" else 1
            self.threads, self.slots = None, sum(g // per_run for g in gpus)
            self.resources = {"num_gpus": per_run, "num_cpus": 1}
        elif strategy == "mirrored":
            ray.shutdown()
            raise BenchmarkError(f"--strategy mirrored spreads a run over the GPUs of one host; "
                                 f"the Ray cluster at {address!r} has no GPUs")
        else:
            self.threads = threads or 1
            self.slots = sum(int(r.get("CPU", 0)) // self.threads for r in hosts)
            self.resources = {"num_cpus": self.threads}
            if not self.slots:
                ray.shutdown()
                raise BenchmarkError(f"no host of the Ray cluster at {address!r} has "
                                     f"{self.threads} CPUs for a run; lower --threads")
        self.address, self.strategy, self.progress = address, strategy, progress
        # Absolute: the same paths on every host, whatever a worker's current directory.
        self.data_dir = str(Path(data_dir).resolve()) if data_dir else None
        self.cache_dir = str(Path(cache_dir).resolve())
        self.engine = {"engine": "ray", "address": address, "slots": self.slots,
                       "per_run": self.resources}
        self.distribution = {"strategy": "MirroredStrategy" if strategy == "mirrored"
                             else "_DefaultDistributionStrategy",
                             "replicas": self.resources.get("num_gpus", 1)}
        self.tasks, self.labels = {}, {}  # ObjectRef -> plan index; plan index -> label

    def __enter__(self):
        from ray.util.queue import Queue

        self.queue = Queue(actor_options={"num_cpus": 0})
        self.remote = self.ray.remote(_train).options(**self.resources, max_retries=0)
        each = (f"{self.resources['num_gpus']} GPU" if self.threads is None
                else f"{self.threads} CPU{'s' * (self.threads > 1)} (TensorFlow threads)")
        print(f"Ray cluster at {self.address}: {self.slots} runs at once, {each} each",
              file=sys.stderr, flush=True)
        return self

    def __exit__(self, error_type, *exc):
        if error_type is not None:  # interrupted or a fatal error: stop the runs now
            for task in self.tasks:
                self.ray.cancel(task, force=True)
        self.ray.shutdown()
        return False

    def busy(self):
        return len(self.tasks)

    def submit(self, index, config, seed, workdir, label):
        task = self.remote.remote(index, config, seed, Path(workdir).resolve(), self.data_dir,
                                  self.cache_dir, self.threads, self.strategy, self.queue)
        self.tasks[task], self.labels[index] = index, label

    def wait(self):
        """Block until a run ends; print progress meanwhile. Returns [(plan index, Outcome)]."""
        from .runner import Outcome
        from .workers import relay

        while True:
            done, _ = self.ray.wait(list(self.tasks), num_returns=1, timeout=1.0)
            # Drained after the wait: a finished task's messages are all in the queue by now.
            for message in self.queue.get_nowait_batch(self.queue.qsize()):
                relay(self.progress, self.labels[message[1]], message)
            if not done:
                continue
            index = self.tasks.pop(done[0])
            label = self.labels.pop(index)
            try:
                message = self.ray.get(done[0])
            except self.ray.exceptions.RayTaskError as exc:  # outside execute: e.g. no genbench
                reason = f"{type(exc.cause).__name__}: {exc.cause}".splitlines()[0]
                return [(index, Outcome("failed", reason=reason))]
            except self.ray.exceptions.RayError as exc:  # its worker or host was lost
                reason = f"Ray worker lost ({type(exc).__name__}); {RESUME}"
                return [(index, Outcome("failed", reason=reason))]
            return [(index, relay(self.progress, label, message))]

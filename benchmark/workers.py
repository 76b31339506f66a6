"""``--jobs N``: N runs at once, each in a worker process that owns a GPU or a share of the cores.

Workers start with ``spawn`` (TensorFlow is not fork-safe) and set their own thread pools,
TensorFlow's and BLAS' (or ``CUDA_VISIBLE_DEVICES``), before TensorFlow starts. A worker trains
and scores; it never opens the results store: outcomes come back over its pipe to the parent, the
one writer. Each worker has a pipe of its own, so a worker killed mid-message (SIGKILL, out of
memory) cannot corrupt another's channel; its run is recorded as failed (it resumes from its
checkpoint next time) and a new worker takes the slot. Workers exit when the parent dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import wait

from .errors import BenchmarkError


def default_threads(jobs: int) -> int:
    """TensorFlow threads per run: the cores shared evenly between the jobs."""
    return max(1, (os.cpu_count() or 1) // jobs)


def set_threads(threads: int | None) -> None:
    """TensorFlow's intra- and inter-op pools and the BLAS pools of numpy and scipy (the scores'
    matrix products), ``threads`` each; call before TensorFlow runs anything. A BLAS product's
    last bits depend on its thread count (KID moved by 2 ulps between 1 and 2 threads), and Ray
    sets its workers' to their CPUs: so the run's threads, everywhere. None: the defaults (all
    cores)."""
    if threads:
        import scipy.linalg  # noqa: F401  loads scipy's own BLAS, so that the limit covers it
        import tensorflow as tf
        from threadpoolctl import threadpool_limits

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        threadpool_limits(threads, user_api="blas")


def relay(progress, label, message):
    """Show a run's ("progress", index, step, total, logs) or ("log", index, text) message, or
    raise its ("fatal", index, text); returns the Outcome of ("outcome", index, outcome)."""
    kind, index, *rest = message
    if kind == "progress":
        step, total, logs = rest
        progress.running[index] = step / total
        losses = " ".join(f"{k}={v:.3f}" for k, v in logs.items())
        progress.line(index, f"{label}: step {step}/{total} {losses}")
    elif kind == "log":
        progress.line(index, f"{label}: {rest[0]}")
    elif kind == "fatal":
        raise BenchmarkError(rest[0])
    else:
        return rest[0]
    return None


def _exit_with_parent(parent_pid: int) -> None:
    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)  # orphaned: the parent was killed, stop training into its folders

    threading.Thread(target=watch, daemon=True).start()


def _worker(conn, parent_pid, threads, gpu, data_dir, cache_dir):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
    _exit_with_parent(parent_pid)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)
    set_threads(threads)
    import tensorflow as tf

    from .data import DataError
    from .runner import execute

    strategy = tf.distribute.get_strategy()
    while (job := conn.recv()) is not None:
        index, config, seed, workdir = job

        def report(step, total, logs, index=index):
            conn.send(("progress", index, step, total, {k: float(v) for k, v in logs.items()}))

        def log(text, index=index):
            conn.send(("log", index, text))

        try:
            conn.send(("outcome", index, execute(config, seed, workdir, data_dir, cache_dir,
                                                 strategy, report, log)))
        except (BenchmarkError, DataError) as exc:
            conn.send(("fatal", index, str(exc)))


class _Slot:
    def __init__(self, context, number, threads, gpu, data_dir, cache_dir):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, os.getpid(), threads, gpu, data_dir, cache_dir),
            name=f"genbench-worker-{number}", daemon=True)
        self.process.start()
        child.close()
        self.job = None  # (plan index, label) of the run it trains


class WorkerPool:
    """The executor of ``runner.run_plan`` for ``jobs > 1``."""

    def __init__(self, jobs, threads, data_dir, cache_dir, progress):
        import tensorflow as tf

        self.slots = jobs
        self.gpus = len(tf.config.list_physical_devices("GPU"))
        self.threads = None if self.gpus else threads or default_threads(jobs)
        self.data_dir, self.cache_dir, self.progress = data_dir, str(cache_dir), progress
        self.context = multiprocessing.get_context("spawn")
        self.workers = []

    def _start(self, number):
        gpu = number % self.gpus if self.gpus else None
        return _Slot(self.context, number, self.threads, gpu, self.data_dir, self.cache_dir)

    def __enter__(self):
        self.workers = [self._start(n) for n in range(self.slots)]
        each = (f"GPU {self.gpus and 'each'}" if self.gpus
                else f"{self.threads} TensorFlow threads each")
        print(f"{self.slots} worker processes ({each}; pids "
              f"{', '.join(str(w.process.pid) for w in self.workers)})", file=sys.stderr,
              flush=True)
        return self

    def __exit__(self, error_type, *exc):
        for worker in self.workers:
            if error_type is not None:  # interrupted or a fatal error: stop the runs now
                worker.process.terminate()
            try:
                worker.conn.send(None)
            except OSError:
                pass  # already gone
        deadline = time.time() + 10
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.time()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()
        return False

    def busy(self):
        return sum(w.job is not None for w in self.workers)

    def submit(self, index, config, seed, workdir, label):
        worker = next(w for w in self.workers if w.job is None)
        worker.job = (index, label)
        worker.conn.send((index, config, seed, workdir))

    def wait(self):
        """Block until a run ends; print progress meanwhile. Returns [(plan index, Outcome)]."""
        while True:
            busy = [w for w in self.workers if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn in ready or worker.conn.poll():
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        return [self._lost(worker)]
                    index, label = worker.job
                    outcome = relay(self.progress, label, message)
                    if outcome is not None:
                        worker.job = None
                        return [(index, outcome)]
                elif worker.process.sentinel in ready:
                    return [self._lost(worker)]

    def _lost(self, worker):
        """A worker died mid-run: fail its run (resumable) and start a new worker in its place."""
        from .runner import Outcome

        index, _ = worker.job
        worker.process.join()
        code = worker.process.exitcode
        how = f"signal {signal.Signals(-code).name}" if code and code < 0 else f"exit code {code}"
        number = self.workers.index(worker)
        self.workers[number] = self._start(number)
        return index, Outcome("failed", reason=f"worker process died ({how}); run the same "
                                               "command again to resume from its last checkpoint")

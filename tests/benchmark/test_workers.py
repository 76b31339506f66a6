"""``--jobs N``: faults cost only the run they hit (same numbers as one job: test_cluster.py)."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "train.steps=20", "--set", "train.checkpoint_every=10"]
LONG = ["--set", "train.steps=1200", "--set", "train.checkpoint_every=100"]
# Runs that cannot end before a second command has started (the first is interrupted after).
NEVER_ENDING = ["--set", "train.steps=100000", "--set", "train.checkpoint_every=100"]
TIMING = ("train_seconds", "train_img_per_s", "sample_img_per_s")


def _command(out, data_dir, *args):
    """The smoke gan run on seeds 0, 1, ... (the engine's tests name runs by seed)."""
    return [sys.executable, "-m", "benchmark", "run", "--suite", "gan", "--model", "gan",
            "--profile", "smoke", "--first-seed", "0", "--out", str(out), "--data-dir", data_dir,
            *args]


def _env():
    # faulthandler: a command that hangs in a test dumps its threads' stacks on SIGABRT.
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"}


def _runs(out):
    with sqlite3.connect(Path(out) / "results.sqlite") as db:
        return {(d, s): (status, reason) for d, s, status, reason in db.execute(
            "SELECT dataset, seed, status, reason FROM runs")}


def _metrics(out):
    with sqlite3.connect(Path(out) / "results.sqlite") as db:
        return {(d, m): v for d, m, v in db.execute(
            "SELECT r.dataset, m.metric, m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
            f"WHERE m.metric NOT IN {TIMING}")}


def _interruptible():
    """Let SIGINT reach the command: a shell that starts the tests in the background (``&``,
    nohup) ignores it, and children inherit that, so Python would never raise KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_two_long_runs(out, data_dir, steps=LONG):
    """Two long ring8 runs (seeds 0, 1) on two workers; returns the process and the worker pids,
    once both runs are past their first checkpoints."""
    proc = subprocess.Popen(_command(out, data_dir, "--dataset", "ring8", "--seeds", "2", "--jobs",
                                     "2", "--threads", "1", *steps),
                            cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_interruptible)
    pids, seen, deadline = [], set(), time.time() + 180
    for line in proc.stderr:
        if match := re.search(r"pids (\d+), (\d+)\)", line):
            pids = [int(match[1]), int(match[2])]
        if re.search(r"step 300/\d+ ", line):
            seen.add(line.split(" seed ")[1][0])
        if seen == {"0", "1"} or time.time() > deadline:
            break
    assert len(pids) == 2 and seen == {"0", "1"}
    return proc, pids


def test_a_killed_worker_fails_only_its_run_which_then_resumes(tmp_path, data_dir):
    out = tmp_path / "out"
    proc, pids = _start_two_long_runs(out, data_dir)
    os.kill(pids[0], signal.SIGKILL)
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 1  # a failed run makes the exit nonzero
    runs = _runs(out)
    statuses = sorted(status for status, _ in runs.values())
    assert statuses == ["done", "failed"], stderr
    reason = next(r for status, r in runs.values() if status == "failed")
    assert reason.startswith("worker process died (signal SIGKILL)")

    again = subprocess.run(_command(out, data_dir, "--dataset", "ring8", "--seeds", "2", "--jobs",
                                    "2", "--threads", "1", *LONG),
                           cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "1 of 2 runs already finished" in again.stderr
    assert "resuming from checkpoint" in again.stderr and "step 100/1200" not in again.stderr
    assert sorted(status for status, _ in _runs(out).values()) == ["done", "done"]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (dead, not yet reaped) counts as gone
        return stat.read().split(") ")[1][0] != "Z"


def test_workers_die_with_the_parent_and_the_runs_resume(tmp_path, data_dir):
    out = tmp_path / "out"
    proc, pids = _start_two_long_runs(out, data_dir)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while any(_alive(pid) for pid in pids) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids), "orphaned workers kept training"
    assert sorted(status for status, _ in _runs(out).values()) == ["running", "running"]

    again = subprocess.run(_command(out, data_dir, "--dataset", "ring8", "--seeds", "2", "--jobs",
                                    "2", "--threads", "1", *LONG),
                           cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("resuming from checkpoint") == 2
    assert sorted(status for status, _ in _runs(out).values()) == ["done", "done"]


def _signal_states(pids):
    """State and blocked, ignored and caught signal masks of each live process in ``pids``."""
    states = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        states.append(f"{pid}: " + ", ".join(line for line in status if line.startswith(
            ("State", "SigBlk", "SigIgn", "SigCgt"))))
    return states


def test_a_second_command_leaves_runs_in_progress_alone(tmp_path, data_dir):
    out = tmp_path / "out"
    proc, pids = _start_two_long_runs(out, data_dir, NEVER_ENDING)
    # Keep reading the first command's progress lines while the second runs: unread, they fill
    # the pipe and the first command blocks writing, unable to stop when interrupted.
    stderr = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    try:
        second = subprocess.run(_command(out, data_dir, "--dataset", "ring8", "--seeds", "2",
                                         *NEVER_ENDING),
                                cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            # Say where it hangs: the processes' signal states, then its threads' stacks (dumped
            # by faulthandler, enabled in _env, on SIGABRT).
            states = _signal_states([proc.pid, *pids])
            proc.send_signal(signal.SIGABRT)
            proc.wait(timeout=60)
            time.sleep(1)
            said = [line for line in stderr if "/100000 " not in line]  # not progress lines
            raise AssertionError("the interrupted command did not exit within 60 s\n"
                                 + "\n".join(states) + "\n" + "".join(said[-60:])) from None
    assert second.returncode == 0, second.stderr
    assert second.stderr.count("skipped, another process is running it") == 2


def test_a_run_computes_its_scores_on_its_own_threads():
    """``set_threads`` sizes the BLAS pools of numpy and scipy (the scores' matrix products) as
    TensorFlow's: a product's last bits depend on its thread count, and Ray presets its workers'."""
    code = ("import threadpoolctl\nfrom genbench.benchmark.workers import set_threads\n"
            "set_threads(1)\nimport scipy.linalg\n"
            "print({p['num_threads'] for p in threadpoolctl.threadpool_info()"
            " if p['user_api'] == 'blas'})")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "{1}"  # numpy's BLAS and scipy's (here two)

"""``--cluster``: the same numbers as ``--jobs``, on a 2-CPU Ray cluster started on 127.0.0.1."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genbench.benchmark.cli import main
from tests.benchmark.test_workers import LONG, TINY, _command, _env, _metrics, _runs

ROOT = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).parent / "ray"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a head node with 2 CPUs, its own ports and folder, stopped at the end.
    Its workers import this checkout (PYTHONPATH) and log to the driver only through its queue."""
    pytest.importorskip("ray")
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    head = subprocess.Popen(
        [str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
         "--port", str(port), "--ray-client-server-port", str(_free_port()),
         "--runtime-env-agent-port", str(_free_port()), "--num-cpus", "2", "--num-gpus", "0",
         "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(temp)],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        for line in head.stdout:
            if "Ray runtime started" in line or time.time() > deadline:
                break
        assert "Ray runtime started" in line, "the Ray head did not start in 120 s"
        yield f"127.0.0.1:{port}"
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops the processes it started
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever is left of its session
        except ProcessLookupError:
            pass


def test_the_cluster_gives_the_numbers_of_one_and_two_jobs(tmp_path, data_dir, cluster,
                                                           cifar_copy):
    values = {}
    for name, engine in [("jobs1", ["--jobs", "1"]), ("jobs2", ["--jobs", "2"]),
                         ("ray", ["--cluster", cluster])]:
        out = tmp_path / name
        started = time.time()
        result = subprocess.run(_command(out, data_dir, *engine, "--threads", "1", *TINY),
                                cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        print(f"{name}: {time.time() - started:.0f} s")
        values[name] = _metrics(out)
        if name == "jobs2":
            assert "also running:" in result.stderr  # the progress line shows the other run
    assert values["jobs1"] == values["jobs2"] == values["ray"]  # exactly, to the float
    assert {d for d, _ in values["ray"]} == {"ring8", "grid25", "mnist", "fashion_mnist",
                                            cifar_copy}
    assert "Ray cluster at 127.0.0.1" in result.stderr and "2 runs at once, 1 CPU " in result.stderr
    assert re.search(r"step 20/20 .*also running: .*suite ETA", result.stderr)


def test_a_lost_ray_worker_fails_only_its_run_which_then_resumes(tmp_path, data_dir, cluster):
    out = tmp_path / "out"
    command = _command(out, data_dir, "--dataset", "ring8", "--seeds", "2", "--cluster", cluster,
                       "--threads", "1", *LONG)
    proc = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    pids, seen, deadline = {}, set(), time.time() + 300
    for line in proc.stderr:
        if match := re.search(r" seed (\d).*: on \S+ \(pid (\d+)\)", line):
            pids[match[1]] = int(match[2])
        if "step 300/1200" in line:
            seen.add(line.split(" seed ")[1][0])
        if seen == {"0", "1"} or time.time() > deadline:
            break
    assert seen == {"0", "1"} and set(pids) == {"0", "1"}
    os.kill(pids["0"], signal.SIGKILL)  # a worker of the cluster this test started
    stderr = proc.stderr.read()
    assert proc.wait(timeout=300) == 1, stderr  # a failed run makes the exit nonzero
    (status0, reason0), (status1, _) = _runs(out)[("ring8", 0)], _runs(out)[("ring8", 1)]
    assert (status0, status1) == ("failed", "done"), stderr
    assert reason0.startswith("Ray worker lost (") and "resume from its last checkpoint" in reason0

    again = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "1 of 2 runs already finished" in again.stderr
    assert "resuming from checkpoint" in again.stderr and "step 100/1200" not in again.stderr
    assert [status for status, _ in _runs(out).values()] == ["done", "done"]


def test_without_ray_the_flag_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    assert main(["run", "--suite", "gan", "--cluster", "auto"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --cluster needs Ray; install it with: pip install 'genbench[cluster]'"


@pytest.mark.parametrize("address, message", [
    ("127.0.0.1:1", "error: no Ray cluster answers at '127.0.0.1:1' (Connection refused)"),
    ("head-node", "error: --cluster takes auto, HOST:PORT or ray://HOST:PORT, not 'head-node'"),
])
def test_a_bad_address_gives_one_line_at_once(address, message, capsys):
    pytest.importorskip("ray")
    assert main(["run", "--suite", "gan", "--cluster", address]) == 2
    assert capsys.readouterr().err.startswith(message)

import sqlite3

import pytest

from genbench.benchmark.config import EvalConfig, RunConfig, TrainConfig
from genbench.benchmark.errors import BenchmarkError
from genbench.benchmark.store import ResultsStore

CONFIG = RunConfig(suite="gan", task="generation", model="gan", dataset="ring8", profile="smoke",
                   train=TrainConfig(steps=10, batch_size=8),
                   eval=EvalConfig(num_samples=10, num_real=10))


def test_run_lifecycle_and_metrics(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    run_id = store.start(CONFIG, 0, {"python": "3"})
    assert store.find(CONFIG.hash, 0)["status"] == "running"
    assert store.metrics() == []  # a running run has no visible metrics
    store.finish(run_id, "done", 1.5, [{"metric": "modes_covered", "value": 8, "unit": "modes"}],
                 {"samples": "x.png"})
    rows = store.metrics()
    assert [(r["metric"], r["value"], r["seed"]) for r in rows] == [("modes_covered", 8.0, 0)]
    assert store.artifacts(run_id) == {"samples": "x.png"}
    store.close()


def test_restart_of_a_killed_run_reuses_its_row(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    first = store.start(CONFIG, 0, {})
    second = store.start(CONFIG, 0, {})  # e.g. after SIGKILL the same command starts it again
    assert first == second
    store.finish(second, "done", 1.0, [{"metric": "hq_share", "value": 0.5}])
    store.finish(second, "done", 1.0, [{"metric": "hq_share", "value": 0.7}])
    assert [r["value"] for r in store.metrics()] == [0.7]
    assert len(store.runs()) == 1
    store.close()


def test_failure_reason_is_kept(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    run_id = store.start(CONFIG, 1, {})
    store.finish(run_id, "diverged", 2.0, reason="diverged at step 7: non-finite loss")
    (run,) = store.runs("diverged")
    assert run["reason"].startswith("diverged at step 7")
    store.close()


def test_corrupt_store_gives_clear_error_and_is_left_alone(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(BenchmarkError, match="results store .* is unusable"):
        ResultsStore(path)
    assert path.read_bytes() == before


def test_status_is_constrained(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    run_id = store.start(CONFIG, 0, {})
    with pytest.raises(sqlite3.IntegrityError):
        store.finish(run_id, "maybe", 0.0)
    store.close()

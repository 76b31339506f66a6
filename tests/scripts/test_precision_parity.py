"""scripts/precision_parity.py: the parity table of a store with runs at two precisions."""

import json
import sqlite3
import sys
from pathlib import Path

from benchmark.store import SCHEMA

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import precision_parity  # noqa: E402


def _store(runs):
    """An in-memory store of SSGAN-like runs: (precision, seed, {metric: value})."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    for run_id, (precision, seed, metrics) in enumerate(runs, start=1):
        db.execute("INSERT INTO runs (id, config_hash, seed, suite, task, model, dataset, setting, "
                   "profile, config, status, environment) VALUES (?, ?, ?, 'ssl', 'ssl', 'ssgan', "
                   "'mnist', 'labels=100', 'standard', ?, 'done', ?)",
                   (run_id, precision, seed, json.dumps({"precision": precision}),
                    json.dumps({"cpu": "test CPU", "threads_per_run": 1})))
        db.executemany("INSERT INTO metrics VALUES (?, 'labels=100', ?, ?, '', '{}')",
                       [(run_id, metric, value) for metric, value in metrics.items()])
    return db


def _rows(db):
    values, _ = precision_parity._values(db)
    lines, verdicts = precision_parity.table(values)
    return {line.split(" | ")[4]: line for line in lines[2:]}, verdicts


def test_runs_that_stop_at_different_steps_compare_time_per_step():
    db = _store([("float32", 1, {"train_seconds": 100.0, "train_steps": 1000, "val_accuracy": 0.90,
                                 "accuracy": 0.5}),
                 ("float32", 2, {"train_seconds": 300.0, "train_steps": 3000, "val_accuracy": 0.92,
                                 "accuracy": 0.5}),
                 ("bfloat16", 1, {"train_seconds": 100.0, "train_steps": 2000,
                                  "val_accuracy": 0.91}),
                 ("bfloat16", 2, {"train_seconds": 50.0, "train_steps": 1000,
                                  "val_accuracy": 0.99})])
    rows, verdicts = _rows(db)
    # float32 0.1 s a step, bfloat16 0.05: twice the speed, though its wall times are shorter
    # by a factor 200/150 only.
    assert "2.00x the float32 speed" in rows["seconds_per_step"]
    assert "train_seconds" not in rows and "train_steps" not in rows
    # A test-split score is never read; the bfloat16 val_accuracy mean 0.95 lies 2.8 float32 stds
    # (0.0141) from 0.91.
    assert "accuracy" not in rows
    assert rows["val_accuracy"].endswith("**no** |") and verdicts == [False]


def test_runs_without_step_counts_compare_wall_time():
    db = _store([("float32", 1, {"train_seconds": 100.0}),
                 ("float32", 2, {"train_seconds": 120.0}),
                 ("bfloat16", 1, {"train_seconds": 50.0}),
                 ("bfloat16", 2, {"train_seconds": 60.0})])
    rows, _ = _rows(db)
    assert "2.00x the float32 speed" in rows["train_seconds"]


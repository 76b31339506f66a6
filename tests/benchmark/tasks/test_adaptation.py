"""The adaptation task end to end through the CLI: every method on one pair, sharing one source
CNN."""

import csv
import dataclasses
import os
import sqlite3
from pathlib import Path

import pytest

from genbench.benchmark.cli import main
from genbench.benchmark.config import ConfigError
from genbench.benchmark.suites import build_configs
from genbench.benchmark.tasks import adaptation

TINY = ["--set", "train.steps=4", "--set", "train.checkpoint_every=2",
        "--set", "train.batch_size=16",
        "--set", 'model.source={"steps": 20, "batch_size": 32, "classifier_lr": 0.001}']


def test_every_method_scores_the_whole_target_test_split_with_one_cached_source_cnn(
        tmp_path, data_dir):
    out = tmp_path / "reports"
    assert main(["run", "--suite", "adaptation", "--profile", "smoke", "--dataset", "mnist:usps",
                 "--out", str(out), "--data-dir", data_dir, *TINY]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        runs = sorted(db.execute("SELECT model, status FROM runs").fetchall())
    assert runs == [("adda", "done"), ("dann", "done"), ("pixel_cyclegan", "done"),
                    ("pixel_dann", "done"), ("source_only", "done")]
    with open(out / "results.csv") as f:
        rows = {(r["model"], r["metric"]): float(r["mean"]) for r in csv.DictReader(f)}
    for method in adaptation.METHODS:
        assert 0 <= rows[(method, "accuracy")] <= 1
        assert rows[(method, "error_pct")] == pytest.approx(100 * (1 - rows[(method, "accuracy")]),
                                                            abs=1e-3)
        assert rows[(method, "train_seconds")] > 0
        assert 0 <= rows[(method, "source_val_accuracy")] <= 1
        assert 0 <= rows[(method, "reverse_val_accuracy")] <= 1
    # One source CNN (MNIST at USPS's common 28 px grey format), trained once, shared by the
    # methods.
    pretrained = Path(os.environ["BENCHMARK_CACHE_DIR"]) / "pretrained"
    cached = list(pretrained.glob("mnist-28x28x1-*steps20*"))
    assert sorted(p.name for p in cached) == [
        f"mnist-28x28x1-smallcnn-steps20-batch32-lr0.001-seed1000-val1000{suffix}"
        for suffix in (".json", ".weights.h5")]
    board = (out / "leaderboard.md").read_text()
    assert ("## adaptation / adaptation (smoke profile)" in board
            and "| dann | mnist:usps |" in board)


def test_suite_lists_feature_methods_on_three_pairs_pixel_methods_on_two_and_no_unknown_one():
    configs = build_configs("adaptation", "standard")
    assert {(c.model, c.dataset) for c in configs} == {
        (m, p) for m in ("source_only", "dann", "adda")
        for p in ("mnist:usps", "usps:mnist", "mnist:mnist_m")
    } | {(m, p) for m in ("pixel_cyclegan", "pixel_dann") for p in ("mnist:usps", "mnist:mnist_m")}
    with pytest.raises(ConfigError, match="adaptation model 'coral' unknown"):
        adaptation.run(dataclasses.replace(configs[0], model="coral"), 0, None)

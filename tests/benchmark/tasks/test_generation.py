"""What a generation run's scores are computed against: a fixed subset of the train split, and
as many real images as samples wherever the ratio of the two changes the metric."""

import json
import sqlite3

from genbench.benchmark.budgets.common import IMAGE_EVAL
from genbench.benchmark.cli import main

EQUAL_COUNTS = ("precision", "recall", "density", "coverage", "c2st_acc")


def test_generation_scores_name_the_train_subset_and_equal_knn_counts(tmp_path, data_dir):
    out = tmp_path / "reports"
    assert main(["run", "--suite", "gan", "--model", "dcgan", "--dataset", "mnist", "--profile",
                 "smoke", "--set", "train.steps=10", "--out", str(out),
                 "--data-dir", data_dir]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        provenance = {metric: json.loads(p) for metric, p in
                      db.execute("SELECT metric, provenance FROM metrics")}
    sizes = IMAGE_EVAL["smoke"]
    samples, real = sizes.num_samples, sizes.num_real
    assert samples < real  # the Fréchet distances use more real images than samples
    for metric in EQUAL_COUNTS:
        assert (provenance[metric]["n_fake"], provenance[metric]["n_real"],
                provenance[metric]["real_split"]) == (samples, samples,
                                                      f"train ({samples}, seed 0)"), metric
    for metric in ("cfid", "cfid_inf", "ckid", "classes_covered", "memorization"):
        assert (provenance[metric]["n_fake"], provenance[metric]["n_real"],
                provenance[metric]["real_split"]) == (samples, real,
                                                      f"train ({real}, seed 0)"), metric
    assert provenance["memorization"]["held_out_split"].startswith(f"test (first {real})")

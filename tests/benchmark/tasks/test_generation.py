"""What a generation run's scores are computed against: a fixed subset of the train split, and
as many real images as samples wherever the ratio of the two changes the metric; latent
arithmetic on a generator whose classes are known."""

import json
import sqlite3
from pathlib import Path

import numpy as np

from genbench.benchmark.budgets.common import IMAGE_EVAL
from genbench.benchmark.cli import main
from genbench.benchmark.data import get_dataset
from genbench.benchmark.domain_classifier import domain_extractor
from genbench.benchmark.suites import build_configs
from genbench.benchmark.tasks import generation
from genbench.benchmark.tasks.base import TaskContext
from genbench.benchmark.tasks.common import RunContext

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


class _TwoDigitGenerator:
    """A "generator" whose sample is a real MNIST 0 where z[0] < 0 and a real 1 elsewhere: the
    class boundary in latent space is a hyperplane, so every straight walk between the class
    means crosses it once."""

    latent_dim = 4

    def __init__(self, zero, one):
        self.generator = self
        self.images = (np.stack([zero, one]) / 127.5 - 1).astype(np.float32)

    def predict(self, z, batch_size=None, verbose=0):
        return self.images[(np.asarray(z)[:, 0] >= 0).astype(int)]


def test_class_walks_cross_once_on_a_generator_with_a_straight_class_boundary(tmp_path, data_dir):
    mnist = get_dataset("mnist")
    x, y = mnist.load("train", data_dir)
    extractor = domain_extractor("mnist", data_dir, tmp_path, 150)
    config = build_configs("gan", "smoke", model="gan", dataset="mnist")[0]
    ctx = TaskContext(workdir=tmp_path, data_dir=data_dir, cache_dir=tmp_path)
    run_ctx = RunContext(config, 0, ctx)
    model = _TwoDigitGenerator(x[np.flatnonzero(y == 0)[0]], x[np.flatnonzero(y == 1)[0]])
    generation._score_class_walks(model, extractor, 10, run_ctx)
    (metric,) = run_ctx.result.metrics
    assert metric["metric"] == "class_transition" and metric["value"] == 1.0
    assert metric["provenance"]["walks"] == 2  # 0 -> 1 and 1 -> 0: no other class is generated
    assert metric["provenance"]["extractor"] == extractor.name
    assert Path(run_ctx.result.artifacts["class_walks"]).stat().st_size > 500

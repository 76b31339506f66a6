"""The semi-supervised task and its baselines: splits, every method end to end, and the GMM on a
toy set."""

import dataclasses
import sqlite3

import keras
import numpy as np
import pytest

from genbench.benchmark import ssl_baselines as baselines
from genbench.benchmark.cli import main
from genbench.benchmark.config import ConfigError
from genbench.benchmark.suites import BUDGETS, SUITES, build_configs
from genbench.benchmark.tasks import ssl
from genbench.benchmark.tasks.base import TaskContext

TINY = {"steps": 60, "batch_size": 20, "checkpoint_every": 30}
SMALL_CLASSIFIER = {"hidden_units": [32, 16]}


def _tiny(config):
    params = config.model_params
    if config.model.startswith("ssgan"):
        params = {**params, "discriminator_units": [32, 16], "generator_units": [32],
                  "latent_dim": 8}
    elif hasattr(params, "classifier"):
        params = dataclasses.replace(params, classifier=SMALL_CLASSIFIER,
                                     **({"rounds": 1} if hasattr(params, "rounds") else {}))
    return dataclasses.replace(config, train=dataclasses.replace(config.train, **TINY),
                               model_params=params)


def test_suite_has_every_method_for_every_label_count():
    specs = SUITES["ssl"]
    counts = {"mnist": {20, 50, 100, 1000}, "fashion_mnist": {100, 1000, 4000}}
    for model in ssl.METHODS:
        for dataset, expected in counts.items():
            found = {ssl.num_labels(s.setting) for s in specs
                     if s.model == model and s.dataset == dataset}
            assert found == expected, (model, dataset)
    # CIFAR-10 (4000 labels): every method on the paper profile; on the standard one SSGAN and
    # supervised-only alone, on a reduced budget, the same for both.
    assert {c.dataset for c in build_configs("ssl", "paper")} == {"mnist", "fashion_mnist",
                                                                  "cifar10-jpeg"}
    standard = [c for c in build_configs("ssl", "standard") if c.dataset == "cifar10-jpeg"]
    assert {c.model for c in standard} == {"ssgan", "supervised"}
    assert len({(c.train.steps, c.train.checkpoint_every, c.train.patience)
                for c in standard}) == 1
    one_count = build_configs("ssl", "standard", dataset="mnist", setting="labels=100")
    assert {(c.model, c.setting) for c in one_count} == {(model, "labels=100")
                                                         for model in ssl.METHODS}
    for spec in specs:
        assert set(BUDGETS[spec.budget]) >= ({"paper"} if spec.dataset == "cifar10" else
                                             {"smoke", "standard", "paper"})
    for config in standard:
        params = config.model_params
        network = params if isinstance(params, dict) else params.classifier
        assert network == {"architecture": "cnn", "cnn_width": 0.25}, config.model
    # ... with Salimans et al.'s CIFAR-10 CNN as every neural method's network.
    for config in build_configs("ssl", "paper", dataset="cifar10-jpeg"):
        params = config.model_params
        network = params if isinstance(params, dict) else getattr(params, "classifier", None)
        assert config.model == "gmm" or network == {"architecture": "cnn"}, config.model


@pytest.mark.parametrize("model", ssl.METHODS)
def test_every_method_trains_and_scores_on_the_official_test_split(tmp_path, data_dir, model):
    config = _tiny(next(c for c in build_configs("ssl", "smoke", model=model, dataset="mnist")
                        if c.setting == "labels=20"))
    if model == "gmm":
        config = dataclasses.replace(config, model_params=dataclasses.replace(
            config.model_params, components=10, iterations=2))
    ctx = TaskContext(workdir=tmp_path, data_dir=data_dir, cache_dir=tmp_path)
    result = ssl.run(config, 0, ctx)
    values = {m["metric"]: m for m in result.metrics}
    trains_steps = {"train_steps"} if model != "gmm" else set()
    assert set(values) == {"accuracy", "error_pct", "val_accuracy", "train_seconds", *trains_steps}
    assert all(m["setting"] == "labels=20" for m in result.metrics)
    if trains_steps:  # every fit by the same rule, each at most the cap
        steps = values["train_steps"]["provenance"]["fits"]
        assert values["train_steps"]["value"] == sum(steps.values())
        assert all(0 < n <= TINY["steps"] for n in steps.values()), steps
        best = values["train_steps"]["provenance"]["best_steps"]
        assert best.keys() == steps.keys() and all(best[k] <= steps[k] for k in best)
        assert values["train_steps"]["provenance"]["cap"] == "60 steps a fit, batch 20"
    assert values["error_pct"]["value"] == pytest.approx(100 * (1 - values["accuracy"]["value"]))
    # Above chance (0.1) after 60 steps; co-training's learners see half an image each.
    assert values["accuracy"]["value"] > (0.15 if model.startswith("cotraining") else 0.3)
    assert "10000 images" in values["accuracy"]["provenance"]["split"]
    assert values["accuracy"]["provenance"]["validation"].startswith("mnist train, 20 labelled")


def test_a_finished_baseline_is_restored_not_retrained(tmp_path, data_dir, monkeypatch):
    """Every fit of a multi-fit method resumes from its folder: a second run in the same work
    folder calls no ``fit`` and scores the same classifier."""
    config = _tiny(next(c for c in build_configs("ssl", "smoke", model="self_training",
                                                 dataset="mnist") if c.setting == "labels=20"))
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, patience=30))
    ctx = TaskContext(workdir=tmp_path, data_dir=data_dir, cache_dir=tmp_path)
    first = {m["metric"]: m for m in ssl.run(config, 0, ctx).metrics}

    def no_training(*args, **kwargs):
        raise AssertionError("a finished fit was trained again")
    monkeypatch.setattr(keras.Model, "fit", no_training)
    again = {m["metric"]: m for m in ssl.run(config, 0, ctx).metrics}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["round0", "round1"]
    assert again["accuracy"]["value"] == first["accuracy"]["value"]
    assert again["train_steps"] == first["train_steps"]


def test_labels_must_be_a_setting_that_splits_evenly(tmp_path, data_dir):
    config = _tiny(build_configs("ssl", "smoke", model="supervised", dataset="mnist")[0])
    ctx = TaskContext(workdir=tmp_path, data_dir=data_dir, cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="labels=N"):
        ssl.run(dataclasses.replace(config, setting=""), 0, ctx)
    with pytest.raises(ConfigError, match="cannot be split evenly"):
        ssl.run(dataclasses.replace(config, setting="labels=25"), 0, ctx)


def test_gaussian_mixture_uses_the_unlabelled_data():
    """A wide class and a narrow one, each labelled once on its far side: EM on the unlabelled
    points learns the two spreads and puts the boundary near the narrow class; the nearest labelled
    point (what the labels alone say) puts it half-way and misses a fifth of the wide class."""
    rng = np.random.default_rng(0)
    labels = (np.arange(600) >= 400).astype(int)
    centre, spread = np.where(labels == 0, 0.0, 5.0), np.where(labels == 0, 2.0, 0.3)
    points = np.stack([centre + spread * rng.normal(size=600), rng.normal(size=600)], 1)
    images = np.clip(np.round(points * 10 + 128), 0, 255).astype(np.uint8).reshape(600, 1, 2, 1)
    labelled = np.array([np.argmin(np.abs(points[:, 0] + 3) + 9 * labels),
                         np.argmin(np.abs(points[:, 0] - 5) + 9 * (1 - labels))])
    gmm = baselines.GaussianMixtureClassifier(2, components=2, iterations=20, regularization=1e-6)
    predicted = gmm.fit(images, labels, labelled).log_probabilities(images).argmax(1)
    accuracy = np.mean(predicted == labels)
    nearest = np.argmin(np.linalg.norm(points[:, None] - points[labelled][None], axis=-1), axis=1)
    assert accuracy > 0.97 and np.mean(nearest == labels) < 0.85


def test_co_training_views_and_confident_picks():
    images = np.full((2, 4, 4, 1), 200, np.uint8)
    top, bottom = baselines.half_view(images, 0), baselines.half_view(images, 1)
    assert (top[:, :2] == 200).all() and (top[:, 2:] == 0).all()
    assert (bottom[:, :2] == 0).all() and (bottom[:, 2:] == 200).all()
    # Rows 0, 1 and 3 are more confident than row 4, but the share is two per class.
    log_probs = np.log(np.array([[0.95, 0.05], [0.9, 0.1], [0.2, 0.8], [0.99, 0.01], [0.4, 0.6]]))
    chosen, predicted = baselines.most_confident(log_probs, 4)
    assert list(chosen) == [3, 0, 2, 4] and list(predicted) == [0, 0, 1, 1]
    chosen, _ = baselines.most_confident(log_probs[:4], 4)  # class 1 has one row only
    assert list(chosen) == [3, 0, 2]


def test_pseudo_labels_fill_their_share_of_every_batch_however_many_there_are():
    real = np.zeros((3, 4, 4, 1), np.uint8), np.zeros(3, np.int64)
    pseudo = np.full((500, 4, 4, 1), 255, np.uint8), np.ones(500, np.int64), 0.5
    for x, y in baselines.training_batches(*real, 10, seed=0, pseudo=pseudo).take(4):
        assert list(y.numpy()) == [0] * 5 + [1] * 5
        assert (x.numpy()[:5] == -1).all() and (x.numpy()[5:] == 1).all()
    no_pseudo = (pseudo[0][:0], pseudo[1][:0], 0.5)
    _, y = next(iter(baselines.training_batches(*real, 10, seed=0, pseudo=no_pseudo)))
    assert list(y.numpy()) == [0] * 10  # no pseudo-labels yet: every example is a real label


def test_smoke_run_through_the_cli_writes_error_rows(tmp_path, data_dir):
    out = tmp_path / "reports"
    assert main(["run", "--suite", "ssl", "--profile", "smoke", "--model", "supervised",
                 "--dataset", "mnist", "--out", str(out), "--data-dir", data_dir,
                 "--set", "train.steps=10", "--set", "train.checkpoint_every=5"]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        settings = {s for (s,) in db.execute("SELECT DISTINCT setting FROM metrics "
                                             "WHERE metric = 'error_pct'")}
    assert settings == {"labels=20", "labels=50", "labels=100", "labels=1000"}
    board = (out / "leaderboard.md").read_text()
    assert "| supervised | mnist | labels=100 |" in board
    # Error % as model x label count, in increasing label order.
    table = board[board.index("error_pct ↓ on mnist:"):]
    assert "| model | labels=20 | labels=50 | labels=100 | labels=1000 |" in table
    assert "\n| supervised | " in table
    # Accuracy against label count, log x, one panel per dataset.
    assert "(figures/ssl_ssl_smoke_accuracy.png)" in board
    assert (out / "figures" / "ssl_ssl_smoke_accuracy.png").stat().st_size > 1000

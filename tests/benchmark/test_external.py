"""A user's own model (``--model module.path:ClassName`` or a ``genbench.models`` entry point)
trained and scored by the gan suite like the built-in ones."""

import csv
import importlib.metadata
import json
import math
import sqlite3
import sys
from dataclasses import asdict
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from genbench.benchmark.cli import main
from genbench.benchmark.config import ConfigError
from genbench.benchmark.suites import BUDGETS, build_configs
from genbench.benchmark.tasks.generation import build_model

ROOT = Path(__file__).resolve().parents[2]
TINY_GAN = "examples.tiny_gan:TinyGAN"

# Models that break the protocol, and one that follows it without a latent space (both optional).
USER_MODELS = '''
import keras
import numpy as np
from keras import ops


class NotAModel:
    pass


class NoTrainStep(keras.Model):
    def generate(self, n, seed=0):
        return np.zeros((n, 2))


class NoGenerate(keras.Model):
    def train_step(self, real):
        return {}


class Noise(keras.Model):
    """Learns nothing; samples clipped Gaussian noise of the data shape."""

    def __init__(self, data_shape, seed=0):
        super().__init__()
        self.data_shape = data_shape

    def compile(self, d_optimizer, g_optimizer):
        super().compile()

    def train_step(self, real):
        return {"d_loss": ops.mean(real)}

    def generate(self, n, seed=0):
        noise = np.random.default_rng(seed).normal(0, 0.5, (n, *self.data_shape))
        return np.clip(noise, -1, 1).astype("float32")


class WrongShape(Noise):
    def generate(self, n, seed=0):
        return super().generate(n, seed)[:, 0]
'''


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    """The user's modules in the current directory (not on sys.path: the loader adds it);
    sys.path and sys.modules are restored after."""
    (tmp_path / "user_models.py").write_text(USER_MODELS)
    (tmp_path / "broken.py").write_text("import a_dependency_not_installed\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("user_models", "broken"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


def _runs(out):
    with sqlite3.connect(Path(out) / "results.sqlite") as db:
        query = "SELECT model, dataset, seed, status, reason, config FROM runs"
        return db.execute(query).fetchall()


def _run(model, dataset, out, data_dir, *extra):
    return main(["run", "--suite", "gan", "--model", model, "--dataset", dataset,
                 "--profile", "smoke", "--out", str(out), "--data-dir", data_dir, *extra])


def test_example_model_trains_scores_and_is_on_the_leaderboard(tmp_path, data_dir, monkeypatch,
                                                                capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    out = tmp_path / "out"
    assert _run(TINY_GAN, "ring8", out, data_dir) == 0
    [(model, dataset, seed, status, reason, config)] = _runs(out)
    assert (model, dataset, seed, status, reason) == (TINY_GAN, "ring8", 1000, "done", None)
    config = json.loads(config)
    # The 2-D mixtures' budget is the MLP GAN's; the user's constructor gets no built-in params.
    assert config["train"] == asdict(BUDGETS["gan-points"]["smoke"].train)
    assert config["model"] == TINY_GAN and config["model_params"] == {}

    with open(out / "results.csv") as f:
        values = {r["metric"]: float(r["mean"]) for r in csv.DictReader(f)
                  if r["model"] == TINY_GAN}
    assert {"modes_covered", "hq_share", "mode_kl", "train_seconds"} <= set(values)
    assert all(math.isfinite(v) for v in values.values()) and values["hq_share"] > 0
    board = (out / "leaderboard.md").read_text()
    assert f"| {TINY_GAN} (external) | ring8 |" in board
    assert "figures/generation_examples.tiny_gan-TinyGAN_ring8_smoke_samples.png" in board
    assert "skipped" not in capsys.readouterr().err  # TinyGAN has a generator and latent_dim

    assert _run(TINY_GAN, "ring8", out, data_dir) == 0
    assert "1 of 1 runs already finished" in capsys.readouterr().err


def test_model_without_latent_space_is_scored_without_latent_walks(user_dir, data_dir, capsys):
    out = user_dir / "out"
    small = ["--set", "train.steps=10", "--set", "train.checkpoint_every=10",
             "--set", "eval.num_samples=200", "--set", "eval.num_real=200",
             "--set", "eval.classifier_steps=20"]  # a weak classifier suffices here
    assert _run("user_models:Noise", "mnist", out, data_dir, *small) == 0
    assert "latent walk, path_smoothness and generator.keras skipped" in capsys.readouterr().err
    assert [status for *_, status, _, _ in _runs(out)] == ["done"]
    with open(out / "results.csv") as f:
        metrics = {r["metric"] for r in csv.DictReader(f)}
    assert {"cfid", "precision", "classes_covered"} <= metrics and "path_smoothness" not in metrics
    assert not list(out.glob("work/*/generator.keras"))
    assert not list(out.glob("figures/*latent_walk*"))


def test_samples_of_the_wrong_shape_fail_the_run_with_the_reason(user_dir, data_dir):
    out = user_dir / "out"
    assert _run("user_models:WrongShape", "ring8", out, data_dir, "--set", "train.steps=10",
                "--set", "train.checkpoint_every=10") == 1
    [(_, _, _, status, reason, _)] = _runs(out)
    assert status == "failed"
    assert reason == ("ValueError: user_models:WrongShape.generate returned shape (2500,), "
                      "expected (2500, 2)")
    assert "| user_models:WrongShape (external) ring8" in (out / "leaderboard.md").read_text()


@pytest.mark.parametrize("reference, fragment", [
    ("no_such_module:Model", "no module named 'no_such_module' in the current directory"),
    ("broken:Model", "importing broken failed: No module named 'a_dependency_not_installed'"),
    ("user_models:Missing", "module user_models has no 'Missing'"),
    ("user_models:NotAModel", "is not a keras.Model subclass"),
    ("user_models:NoTrainStep", "NoTrainStep has no train_step of its own"),
    ("user_models:NoGenerate", "NoGenerate has no generate(n, seed) method"),
    ("user_models:Noise:x", "expected module.path:ClassName"),
    ("no_such_entry_point", "unknown model 'no_such_entry_point'; known: adda,"),
])
def test_bad_model_reference_gives_one_error_line(user_dir, reference, fragment, capsys):
    code = main(["run", "--suite", "gan", "--model", reference, "--profile", "smoke",
                 "--out", str(user_dir / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert fragment in err
    assert not (user_dir / "out").exists()  # nothing ran


def test_entry_point_names_a_model(monkeypatch):
    points = [EntryPoint("tiny", TINY_GAN, "genbench.models"),
              EntryPoint("gone", "package_not_installed:Model", "genbench.models")]
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group: [p for p in points if p.group == group])
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    configs = {c.dataset: c for c in build_configs("gan", "smoke", model="tiny")}
    # Images get DCGAN's budget (CIFAR-10's own on the copy this machine has), 2-D mixtures the
    # MLP GAN's.
    budgets = {"mnist": "dcgan-images", "fashion_mnist": "dcgan-images", "ring8": "gan-points",
               "grid25": "gan-points", "cifar10-jpeg": "dcgan-cifar"}
    assert {d: (c.model, c.train, c.eval) for d, c in configs.items()} == {
        d: ("tiny", BUDGETS[b]["smoke"].train, BUDGETS[b]["smoke"].eval)
        for d, b in budgets.items()}
    model, _ = build_model(configs["mnist"], (28, 28, 1), seed=0)
    assert type(model).__name__ == "TinyGAN"
    assert model.generate(3, seed=1).shape == (3, 28, 28, 1)
    with pytest.raises(ConfigError, match=r"entry point 'gone' of genbench.models .* not load"):
        build_configs("gan", "smoke", model="gone")

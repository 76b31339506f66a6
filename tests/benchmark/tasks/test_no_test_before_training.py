"""Issue 24's protocol: no task reads a test split before its last training has ended.

Every task family runs at the smoke profile with tiny budgets while every ``ImageDataset.load``
and every end of a training (any Keras ``fit``) is recorded in order; scoring networks trained
on train splits or samples (domain and CAS classifiers) count as trainings too.
"""

import keras
import pytest

from genbench.benchmark.cli import main
from genbench.benchmark.data import ImageDataset

TINY_CLASSIFIER = '{"steps": 4, "batch_size": 16, "classifier_lr": 0.001}'
STEPS = ["--set", "train.steps=2", "--set", "train.checkpoint_every=1"]
EVAL = ["--set", "eval.num_samples=50", "--set", "eval.num_real=50",
        "--set", "eval.classifier_steps=4"]


def run(suite, model, dataset, setting, overrides):
    return pytest.param(suite, model, dataset, setting, overrides, id=f"{suite}-{model}")


# One run of every task family; the adaptation and transfer ones train a source CNN first.
RUNS = [
    run("gan", "dcgan", "mnist", "", [*STEPS, *EVAL]),
    run("diffusion", "ldm", "mnist", "cfg=2",
        [*STEPS, "--set", "train.vae_steps=2", *EVAL, "--set", "model.latent_images=64",
         "--set", "model.sampling_steps=2"]),
    run("translation", "cyclegan", "mnist:usps", "", [*STEPS, *EVAL]),
    run("ssl", "ssgan", "mnist", "labels=20", STEPS),
    run("transfer", "frozen", "mnist:mnist", "",
        [*STEPS, "--set", "model.fractions=[1, 100]", "--set", f"model.source={TINY_CLASSIFIER}"]),
    run("adaptation", "dann", "mnist:usps", "",
        [*STEPS, "--set", f"model.source={TINY_CLASSIFIER}"]),
]


@pytest.fixture
def events(monkeypatch, tmp_path):
    """The run's data loads ("load train", "load test") and ends of training ("trained"), in
    order."""
    monkeypatch.setenv("BENCHMARK_CACHE_DIR", str(tmp_path / "cache"))  # every network trains
    seen = []

    def recorded(method, event):
        def wrapper(self, *args, **kwargs):
            if event == "load":
                split = kwargs.get("split", args[0] if args else None)
                seen.append(f"load {split}")
                return method(self, *args, **kwargs)
            result = method(self, *args, **kwargs)
            seen.append(event)
            return result
        return wrapper

    monkeypatch.setattr(ImageDataset, "load", recorded(ImageDataset.load, "load"))
    monkeypatch.setattr(keras.Model, "fit", recorded(keras.Model.fit, "trained"))
    return seen


@pytest.mark.parametrize(("suite", "model", "dataset", "setting", "overrides"), RUNS)
def test_test_split_is_read_only_after_the_last_training(tmp_path, data_dir, events, suite, model,
                                                         dataset, setting, overrides):
    args = ["run", "--suite", suite, "--profile", "smoke", "--model", model, "--dataset", dataset,
            "--out", str(tmp_path / "reports"), "--data-dir", data_dir, *overrides]
    assert main([*args, *(["--setting", setting] if setting else [])]) == 0
    order = ", ".join(events)
    assert "trained" in events and "load test" in events, order
    last_training = len(events) - 1 - events[::-1].index("trained")
    assert events.index("load test") > last_training, order

"""Suites (lists of tasks) and profiles (budgets).

A profile sets how long each task trains and how much it evaluates: ``smoke``
finishes in seconds per task (tests, CI), ``standard`` (the default) gives
meaningful numbers on a 2-core CPU, ``paper`` uses the papers' settings.
Adding a model or dataset to a suite is one line in ``SUITES``; its budget is
one entry in ``BUDGETS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.config import ConfigError, EvalConfig, RunConfig, TrainConfig

PROFILES = ("smoke", "standard", "paper")
DEFAULT_PROFILE = "standard"
DEFAULT_SEEDS = {"smoke": 1, "standard": 3, "paper": 3}


@dataclass(frozen=True)
class TaskSpec:
    task: str
    model: str
    dataset: str


SUITES = {
    "gan": [
        TaskSpec("generation", "gan", "ring8"),
        TaskSpec("generation", "gan", "grid25"),
        TaskSpec("generation", "gan", "mnist"),
        TaskSpec("generation", "gan", "fashion_mnist"),
        TaskSpec("generation", "dcgan", "mnist"),
        TaskSpec("generation", "dcgan", "fashion_mnist"),
    ],
}
SUITES["all"] = [spec for name, specs in SUITES.items() for spec in specs]

# (model, kind of data) -> profile -> (train settings, model constructor settings)
_POINTS_EVAL = {"smoke": EvalConfig(num_samples=2500, num_real=2500),
                "standard": EvalConfig(num_samples=2500, num_real=2500),
                "paper": EvalConfig(num_samples=2500, num_real=2500)}
_IMAGE_EVAL = {"smoke": EvalConfig(num_samples=500, num_real=500, classifier_steps=150),
               "standard": EvalConfig(num_samples=5000, num_real=10000, inception_samples=1000),
               "paper": EvalConfig(num_samples=10000, num_real=10000, inception_samples=10000)}
BUDGETS = {
    ("gan", "points"): {
        # Unrolled-GAN-style 2-D setting: 2x128 ReLU/LeakyReLU MLPs, Adam 1e-3.
        "smoke": (TrainConfig(steps=300, batch_size=256, d_learning_rate=1e-3, g_learning_rate=1e-3,
                              checkpoint_every=100), {"latent_dim": 16, "hidden_units": [128, 128]}),
        "standard": (TrainConfig(steps=10000, batch_size=256, d_learning_rate=1e-3, g_learning_rate=1e-3,
                                 checkpoint_every=2000), {"latent_dim": 16, "hidden_units": [128, 128]}),
        "paper": (TrainConfig(steps=25000, batch_size=512, d_learning_rate=1e-4, g_learning_rate=1e-3,
                              checkpoint_every=2500), {"latent_dim": 256, "hidden_units": [128, 128]}),
    },
    ("gan", "images"): {
        "smoke": (TrainConfig(steps=100, batch_size=64, checkpoint_every=50),
                  {"latent_dim": 64, "hidden_units": [256, 256]}),
        "standard": (TrainConfig(steps=6000, batch_size=64, checkpoint_every=1000),
                     {"latent_dim": 64, "hidden_units": [512, 512]}),
        "paper": (TrainConfig(steps=100000, batch_size=100, checkpoint_every=5000),
                  {"latent_dim": 100, "hidden_units": [1200, 1200]}),
    },
    ("dcgan", "images"): {
        # Radford et al.: Adam 2e-4, beta1 0.5, batch 128.
        "smoke": (TrainConfig(steps=50, batch_size=32, checkpoint_every=25),
                  {"latent_dim": 100, "base_filters": 16}),
        "standard": (TrainConfig(steps=3000, batch_size=64, checkpoint_every=500),
                     {"latent_dim": 100, "base_filters": 64}),
        "paper": (TrainConfig(steps=12000, batch_size=128, checkpoint_every=1000),
                  {"latent_dim": 100, "base_filters": 128}),
    },
}


def data_kind(dataset):
    from benchmark.data import get_dataset

    return "points" if hasattr(get_dataset(dataset), "centers") else "images"


def _choose(name, value, known, what):
    if value is not None and value not in known:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")


def build_configs(suite, profile=DEFAULT_PROFILE, model=None, dataset=None):
    """The run configs of a suite at a profile, optionally narrowed to one model and/or dataset."""
    from benchmark.data import dataset_names

    _choose("suite", suite, SUITES, "suite")
    _choose("profile", profile, PROFILES, "profile")
    _choose("model", model, {s.model for specs in SUITES.values() for s in specs}, "model")
    _choose("dataset", dataset, dataset_names(), "dataset")
    members = [name for name in SUITES if name != "all"] if suite == "all" else [suite]
    specs = [(name, s) for name in members for s in SUITES[name]
             if model in (None, s.model) and dataset in (None, s.dataset)]
    if not specs:
        raise ConfigError(f"suite {suite!r} has no task for model={model} dataset={dataset}; "
                          f"see `python -m benchmark list`")
    configs = []
    for suite_name, spec in specs:
        kind = data_kind(spec.dataset)
        train, model_params = BUDGETS[(spec.model, kind)][profile]
        evaluation = (_POINTS_EVAL if kind == "points" else _IMAGE_EVAL)[profile]
        configs.append(RunConfig(suite=suite_name, task=spec.task, model=spec.model, dataset=spec.dataset,
                                 profile=profile, train=train, eval=evaluation,
                                 model_params=dict(model_params)))
    return configs

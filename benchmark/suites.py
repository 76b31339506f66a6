"""Suites (lists of tasks) and profiles (budgets).

A profile sets how long each task trains and how much it evaluates: ``smoke``
finishes in seconds per task (tests, CI), ``standard`` (the default) gives
meaningful numbers on a 2-core CPU, ``paper`` uses the papers' settings.
Adding a model or dataset to a suite is one line in ``SUITES``; its budget is
one entry in ``BUDGETS``. ``all`` runs every suite.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmark.config import ConfigError, EvalConfig, RunConfig, TrainConfig

PROFILES = ("smoke", "standard", "paper")
DEFAULT_PROFILE = "standard"
DEFAULT_SEEDS = {"smoke": 1, "standard": 3, "paper": 3}


@dataclass(frozen=True)
class TaskSpec:
    task: str       # module in benchmark/tasks
    model: str
    dataset: str    # a registry name, or "source:target" for a pair of domains
    budget: str     # key into BUDGETS


@dataclass(frozen=True)
class Budget:
    train: TrainConfig
    eval: EvalConfig
    model_params: dict


SUITES = {
    "gan": [
        TaskSpec("generation", "gan", "ring8", "gan-points"),
        TaskSpec("generation", "gan", "grid25", "gan-points"),
        TaskSpec("generation", "gan", "mnist", "gan-images"),
        TaskSpec("generation", "gan", "fashion_mnist", "gan-images"),
        TaskSpec("generation", "dcgan", "mnist", "dcgan-images"),
        TaskSpec("generation", "dcgan", "fashion_mnist", "dcgan-images"),
    ],
}

_POINTS_EVAL = EvalConfig(num_samples=2500, num_real=2500)
_IMAGE_EVAL = {"smoke": EvalConfig(num_samples=500, num_real=500, classifier_steps=150),
               "standard": EvalConfig(num_samples=5000, num_real=10000, inception_samples=1000),
               "paper": EvalConfig(num_samples=10000, num_real=10000, inception_samples=10000)}

# budget name -> profile -> Budget
BUDGETS = {
    "gan-points": {
        # Unrolled-GAN-style 2-D setting: 2x128 MLPs, Adam 1e-3.
        "smoke": Budget(TrainConfig(steps=300, batch_size=256, d_learning_rate=1e-3, g_learning_rate=1e-3,
                                    checkpoint_every=100), _POINTS_EVAL,
                        {"latent_dim": 16, "hidden_units": [128, 128]}),
        "standard": Budget(TrainConfig(steps=10000, batch_size=256, d_learning_rate=1e-3,
                                       g_learning_rate=1e-3, checkpoint_every=2000), _POINTS_EVAL,
                           {"latent_dim": 16, "hidden_units": [128, 128]}),
        "paper": Budget(TrainConfig(steps=25000, batch_size=512, d_learning_rate=1e-4, g_learning_rate=1e-3,
                                    checkpoint_every=2500), _POINTS_EVAL,
                        {"latent_dim": 256, "hidden_units": [128, 128]}),
    },
    "gan-images": {
        "smoke": Budget(TrainConfig(steps=100, batch_size=64, checkpoint_every=50), _IMAGE_EVAL["smoke"],
                        {"latent_dim": 64, "hidden_units": [256, 256]}),
        "standard": Budget(TrainConfig(steps=6000, batch_size=64, checkpoint_every=1000),
                           _IMAGE_EVAL["standard"], {"latent_dim": 64, "hidden_units": [512, 512]}),
        "paper": Budget(TrainConfig(steps=100000, batch_size=100, checkpoint_every=5000),
                        _IMAGE_EVAL["paper"], {"latent_dim": 100, "hidden_units": [1200, 1200]}),
    },
    "dcgan-images": {
        # Radford et al.: Adam 2e-4, beta1 0.5, batch 128.
        "smoke": Budget(TrainConfig(steps=50, batch_size=32, checkpoint_every=25), _IMAGE_EVAL["smoke"],
                        {"latent_dim": 100, "base_filters": 16}),
        "standard": Budget(TrainConfig(steps=3000, batch_size=64, checkpoint_every=500),
                           _IMAGE_EVAL["standard"], {"latent_dim": 100, "base_filters": 64}),
        "paper": Budget(TrainConfig(steps=12000, batch_size=128, checkpoint_every=1000),
                        _IMAGE_EVAL["paper"], {"latent_dim": 100, "base_filters": 128}),
    },
}


def _all_specs():
    return [(name, spec) for name, specs in SUITES.items() for spec in specs]


def _choose(value, known, what):
    if value is not None and value not in known:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")


def build_configs(suite, profile=DEFAULT_PROFILE, model=None, dataset=None):
    """The run configs of a suite at a profile, optionally narrowed to one model and/or dataset."""
    from benchmark.data import dataset_names

    _choose(suite, [*SUITES, "all"], "suite")
    _choose(profile, PROFILES, "profile")
    _choose(model, {spec.model for _, spec in _all_specs()}, "model")
    _choose(dataset, {*dataset_names(), *(spec.dataset for _, spec in _all_specs())}, "dataset")
    specs = [(name, spec) for name, spec in _all_specs() if suite in ("all", name)
             and model in (None, spec.model) and dataset in (None, spec.dataset)]
    if not specs:
        raise ConfigError(f"suite {suite!r} has no task for model={model} dataset={dataset}; "
                          f"see `python -m benchmark list`")
    configs = []
    for suite_name, spec in specs:
        budget = BUDGETS[spec.budget][profile]
        configs.append(RunConfig(suite=suite_name, task=spec.task, model=spec.model, dataset=spec.dataset,
                                 profile=profile, train=budget.train, eval=budget.eval,
                                 model_params=dict(budget.model_params)))
    return configs

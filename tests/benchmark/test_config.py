import dataclasses

import pytest

from genbench.benchmark.config import (
    ConfigError,
    EvalConfig,
    RunConfig,
    TrainConfig,
    apply_overrides,
)


def _config(**train):
    return RunConfig(suite="gan", task="generation", model="gan", dataset="ring8", profile="smoke",
                     train=TrainConfig(steps=100, batch_size=8, **train),
                     eval=EvalConfig(num_samples=10, num_real=10), model_params={"latent_dim": 4})


def test_hash_depends_on_settings_not_on_suite():
    base = _config()
    assert base.hash == _config().hash
    assert base.hash != _config(d_learning_rate=1e-3).hash
    assert base.hash == RunConfig(**{**base.__dict__, "suite": "all"}).hash
    # Evaluation settings change the result (hash) but not the trained model (training_hash).
    rescored = dataclasses.replace(base, eval=dataclasses.replace(base.eval, num_samples=7))
    assert rescored.hash != base.hash and rescored.training_hash == base.training_hash
    assert _config(d_learning_rate=1e-3).training_hash != base.training_hash


def test_overrides_by_section():
    config = apply_overrides(_config(), ["train.steps=200", "eval.num_samples=50", "model.latent_dim=8",
                                         "train.beta_1=0.9"])
    assert (config.train.steps, config.eval.num_samples, config.model_params["latent_dim"]) == (200, 50, 8)
    assert config.train.beta_1 == 0.9
    assert config.hash != _config().hash


@pytest.mark.parametrize("override, message", [
    ("train.steps=-5", "train.steps must be a positive number"),
    ("train.batch_size=0", "train.batch_size must be a positive number"),
    ("train.steps=abc", "train.steps must be a positive number"),
    ("train.beta_1=1.5", "beta_1"),
    ("train.stepz=3", "train has no key 'stepz'"),
    ("optim.lr=3", "unknown section 'optim'"),
    ("steps", "section.key=value"),
])
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(_config(), [override])

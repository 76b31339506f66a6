import dataclasses

import pytest

from genbench.benchmark.config import (
    AdversarialTraining,
    ConfigError,
    EvalConfig,
    RunConfig,
    apply_overrides,
)
from genbench.benchmark.data import get_dataset
from genbench.benchmark.suites import SUITES, build_configs
from genbench.benchmark.tasks.configs import check_constructor_arguments


def _config(**train):
    return RunConfig(suite="gan", task="generation", model="gan", dataset="ring8", profile="smoke",
                     train=AdversarialTraining(steps=100, batch_size=8, **train),
                     eval=EvalConfig(num_samples=10, num_real=10), model_params={"latent_dim": 4})


def _built(model, dataset):
    return build_configs("all", "smoke", model=model, dataset=dataset)[0]


def test_hash_depends_on_settings_not_on_suite():
    base = _config()
    assert base.hash == _config().hash
    assert base.hash != _config(discriminator_lr=1e-3).hash
    assert base.hash == RunConfig(**{**base.__dict__, "suite": "all"}).hash
    # Evaluation settings change the result (hash) but not the trained model (training_hash).
    rescored = dataclasses.replace(base, eval=dataclasses.replace(base.eval, num_samples=7))
    assert rescored.hash != base.hash and rescored.training_hash == base.training_hash
    assert _config(discriminator_lr=1e-3).training_hash != base.training_hash


def test_overrides_by_section():
    config = apply_overrides(_config(), ["train.steps=200", "eval.num_samples=50",
                                         "model.latent_dim=8", "train.beta_1=0.9"])
    assert (config.train.steps, config.eval.num_samples,
            config.model_params["latent_dim"]) == (200, 50, 8)
    assert config.train.beta_1 == 0.9
    assert config.hash != _config().hash


@pytest.mark.parametrize("override, message", [
    ("train.steps=-5", "train.steps must be a positive number"),
    ("train.checkpoint_every=30", r"train.steps \(100\) must be a multiple of .*\(30\)"),
    ("train.batch_size=0", "train.batch_size must be a positive number"),
    ("train.steps=abc", "steps must be int, got 'abc'"),
    ("train.beta_1=1.5", "beta_1"),
    ("train.stepz=3", "train has no key 'stepz'"),
    ("train.d_learning_rate=3", "known: steps, batch_size, checkpoint_every, generator_lr, "
                                "discriminator_lr, beta_1"),
    ("model.latent_dimm=3", "gan has no model key 'latent_dimm' .known: d_steps, generator_loss, "
                            "hidden_units, latent_dim"),
    ("optim.lr=3", "unknown section 'optim'"),
    ("steps", "section.key=value"),
])
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(_config(), [override])


def test_every_budget_builds_valid_sections():
    """Every suite row's budget, on every profile, gives its model and task only arguments they
    accept (``check_constructor_arguments`` raises on any other)."""
    for profile in ("smoke", "standard", "paper"):
        configs = build_configs("all", profile)
        assert {c.task for c in configs} == {s.task for specs in SUITES.values() for s in specs}
        for config in configs:
            check_constructor_arguments(config)


@pytest.mark.parametrize("model, dataset, override, message", [
    ("dann", "mnist:usps", "model.init_from_sourse=true", "model has no key 'init_from_sourse' "
     r"\(known: init_from_source, target_batch_norm, anneal_lr, network, source\)"),
    ("dann", "mnist:usps", "model.source.learning_rate=0.1", "model.source has no key"),
    ("dann", "mnist:usps", "train.g_learning_rate=0.1", "known: .*classifier_lr"),
    ("ldm", "mnist", "train.vae_steps=15", "multiple of train.checkpoint_every"),
    ("ldm", "mnist", "model.guidance=2", "needed exactly when model.diffusion.num_classes"),
    ("supervised", "mnist", "model.rounds=2", "model has no key 'rounds' .known: classifier"),
    ("frozen", "mnist:mnist", "model.fractions=3", "fractions must be tuple"),
])
def test_task_sections_reject_unknown_keys_and_bad_values(model, dataset, override, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(_built(model, dataset), [override])


def test_nested_keys_and_objects_set_only_what_they_name():
    config = _built("dann", "mnist:usps")
    changed = apply_overrides(config, ["model.source.steps=7", 'model.source={"batch_size": 5}',
                                       'model.network.domain_batch_norm=true'])
    source = changed.model_params.source
    assert (source.steps, source.batch_size) == (7, 5)
    assert source.classifier_lr == config.model_params.source.classifier_lr
    assert changed.model_params.network == {"domain_batch_norm": True}


def test_a_section_is_checked_once_all_its_overrides_are_in():
    config = apply_overrides(_built("ldm", "mnist"),
                             ['model.diffusion={"num_classes": 10}', "model.guidance=2"])
    assert (config.model_params.diffusion, config.model_params.guidance) == ({"num_classes": 10}, 2)


def test_cifar10_rows_run_on_the_jpeg_copy_where_the_original_is_absent(tmp_path, monkeypatch):
    """The gan and diffusion suites list the original CIFAR-10; on a machine without it they run
    on cifar10-jpeg, under that name, as they do when asked for it by name, and asked for
    cifar10 they run where the suite would run them."""
    def datasets(**narrow):
        return {(c.model, c.dataset) for c in build_configs("all", "smoke", data_dir=str(tmp_path),
                                                            **narrow)
                if c.dataset.startswith("cifar10") and c.task in ("generation", "diffusion")}

    expected = {"gan", "dcgan", "real", "ldm", "ddpm"}
    assert datasets() == {(model, "cifar10-jpeg") for model in expected}
    assert datasets(dataset="cifar10-jpeg") == datasets()
    assert datasets(dataset="cifar10") == datasets()
    monkeypatch.setattr(type(get_dataset("cifar10")), "locate", lambda self, data_dir=None: True)
    assert datasets() == {(model, "cifar10") for model in expected}
    assert datasets(dataset="cifar10") == datasets()
    assert datasets(dataset="cifar10-jpeg") == {(model, "cifar10-jpeg") for model in expected}

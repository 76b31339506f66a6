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
    setting: str = ""  # what varies inside a task family (e.g. "labels=100"); part of the config hash


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
    "translation": [
        TaskSpec("translation", "cyclegan", "mnist:usps", "cyclegan-digits"),
        TaskSpec("translation", "cyclegan", "mnist:mnist_m", "cyclegan-digits"),
        TaskSpec("translation", "discogan", "mnist:usps", "discogan-digits"),
        TaskSpec("translation", "discogan", "mnist:mnist_m", "discogan-digits"),
    ],
    "diffusion": [
        TaskSpec("diffusion", "ldm", "mnist", "ldm-images"),
        TaskSpec("diffusion", "ldm", "fashion_mnist", "ldm-images"),
        # Class-conditional with classifier-free guidance: also scored by the classification accuracy score.
        TaskSpec("diffusion", "ldm", "mnist", "ldm-cfg-images", setting="cfg=2"),
        TaskSpec("diffusion", "ldm", "fashion_mnist", "ldm-cfg-images", setting="cfg=2"),
        TaskSpec("diffusion", "ddpm", "mnist", "ddpm-images"),
        TaskSpec("diffusion", "ddpm", "fashion_mnist", "ddpm-images"),
    ],
}

_POINTS_EVAL = EvalConfig(num_samples=2500, num_real=2500)
_IMAGE_EVAL = {"smoke": EvalConfig(num_samples=500, num_real=500, classifier_steps=150),
               "standard": EvalConfig(num_samples=5000, num_real=10000, inception_samples=1000),
               "paper": EvalConfig(num_samples=10000, num_real=10000, inception_samples=10000)}

_TRANSLATION_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=200, classifier_steps=150),
                     "standard": EvalConfig(num_samples=2000, num_real=2000),
                     "paper": EvalConfig(num_samples=10000, num_real=10000)}

_DIFFUSION_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=500, classifier_steps=150),
                   "standard": EvalConfig(num_samples=1000, num_real=10000)}
# Chosen on MNIST (cfid on 1000 samples vs 5000 test images; one seed each, so +-15 is noise):
# kl_weight 0.2, not SD's 1e-6 (which relies on perceptual and adversarial terms): smoother latents
# sampled better at this budget (cfid 215 -> 193 from 0.05 -> 0.2 at 2500 steps). SD's
# scaled-linear schedule beat Ho's linear one (319 vs 387 at 1500 steps); weight averaging (EMA)
# made samples digit-like at all this early; learning rate 3e-3 beat 1e-3 (198 vs ~290 at 1500
# steps; 2e-3 and 5e-3 gave 209 and 214). Measured: VAE 57 ms/step (batch 32), encoding 5600
# img/s, U-Net 60 ms/step (batch 64), sampling 3.8 ms/img (25 DDIM steps + decoding).
_LDM_STANDARD = {"vae": {"latent_channels": 4, "base_filters": 32, "kl_weight": 0.2}, "vae_steps": 600,
                 "vae_batch_size": 32, "vae_learning_rate": 1e-3, "latent_images": 60000,
                 "diffusion": {"channels": [32, 64], "blocks_per_level": 1, "attention": False,
                               "schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012},
                 "learning_rate": 3e-3, "ema_momentum": 0.99, "sampling_steps": 25}
# The pixel baseline: a 3-level U-Net of about the latent one's parameter count (663k vs 636k).
# One step costs several latent steps (28x28x1 pixels vs 7x7x4 latents through 3 levels), so the
# standard profile gives it 300 steps, about the latent model's whole training time (VAE included):
# the two compare at roughly equal compute, not equal steps.
_DDPM_STANDARD = {"diffusion": {"channels": [16, 32, 64], "blocks_per_level": 1, "attention": False,
                                "schedule": "linear", "beta_start": 1e-4, "beta_end": 0.02,
                                "clip_denoised": True},
                  "learning_rate": 1e-3, "ema_momentum": 0.0, "sampling_steps": 25}

_LDM_BUDGETS = {
    "smoke": Budget(TrainConfig(steps=20, batch_size=32, checkpoint_every=10), _DIFFUSION_EVAL["smoke"],
                    {"vae": {"base_filters": 16, "kl_weight": 0.2}, "vae_steps": 20, "vae_batch_size": 32,
                     "vae_learning_rate": 1e-3, "latent_images": 2000,
                     "diffusion": {"channels": [16, 32], "attention": False}, "learning_rate": 1e-3,
                     "ema_momentum": 0.9, "sampling_steps": 5}),
    "standard": Budget(TrainConfig(steps=1500, batch_size=64, checkpoint_every=300),
                       _DIFFUSION_EVAL["standard"], _LDM_STANDARD),
    # Rombach et al. 2022 (LDM-4, KL-regularised first stage): f = 4, kl_weight 1e-6, EMA 0.9999,
    # SD's scaled-linear schedule, T = 1000, attention, 2 blocks per level, DDIM 200 steps (eta 0)
    # for their unconditional scores. Differs: L1 reconstruction without their perceptual and
    # adversarial terms, and U-Net widths for 28 px.
    "paper": Budget(TrainConfig(steps=200000, batch_size=64, checkpoint_every=5000), _IMAGE_EVAL["paper"],
                    {**_LDM_STANDARD, "vae": {"base_filters": 64, "kl_weight": 1e-6}, "vae_steps": 50000,
                     "vae_batch_size": 64, "vae_learning_rate": 1e-4,
                     "diffusion": {**_LDM_STANDARD["diffusion"], "channels": [64, 128], "attention": True,
                                   "blocks_per_level": 2},
                     "learning_rate": 1e-4, "ema_momentum": 0.9999, "sampling_steps": 200}),
}


def _class_conditional(budget, num_classes, guidance):
    """``budget`` with a class-conditional noise predictor sampled at CFG scale ``guidance``."""
    params = budget.model_params
    return Budget(budget.train, budget.eval, {**params, "diffusion": {**params["diffusion"],
                                                                      "num_classes": num_classes},
                                              "guidance": guidance})


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
    # Translation is scored on eval.num_samples source test images per direction against
    # eval.num_real target test images; the target classifiers are the 4000-step domain classifiers.
    "cyclegan-digits": {
        "smoke": Budget(TrainConfig(steps=20, batch_size=8, checkpoint_every=10), _TRANSLATION_EVAL["smoke"],
                        {"base_filters": 8, "res_blocks": 1, "discriminator_downsamplings": 2}),
        # Measured on 2 cores: 7 steps/s at 28 px grey, 4.9 at 32 px RGB (batch 16, 16 base filters);
        # 32 base filters are 2.3x slower and learned no faster per step over the first 600 steps.
        "standard": Budget(TrainConfig(steps=600, batch_size=16, checkpoint_every=200),
                           _TRANSLATION_EVAL["standard"],
                           {"base_filters": 16, "res_blocks": 2, "discriminator_downsamplings": 2}),
        # Zhu et al.: Adam 2e-4, beta1 0.5, batch 1, lambda 10, identity 0.5, pool 50, 64 base filters,
        # 6 residual blocks (their choice at 128 px). Differs: 200k steps (3.3 MNIST epochs, not 200) and
        # a 2-down-sampling PatchGAN (28 px is not divisible by 8), whose patches span most of a digit.
        "paper": Budget(TrainConfig(steps=200000, batch_size=1, checkpoint_every=5000),
                        _TRANSLATION_EVAL["paper"],
                        {"base_filters": 64, "res_blocks": 6, "discriminator_downsamplings": 2}),
    },
    "discogan-digits": {
        "smoke": Budget(TrainConfig(steps=20, batch_size=8, checkpoint_every=10), _TRANSLATION_EVAL["smoke"],
                        {"base_filters": 8, "downsamplings": 2}),
        # Measured on 2 cores: 35 steps/s at 28 px grey, 28 at 32 px RGB (batch 32, 32 base filters).
        "standard": Budget(TrainConfig(steps=1500, batch_size=32, checkpoint_every=500),
                           _TRANSLATION_EVAL["standard"], {"base_filters": 32, "downsamplings": 2}),
        # Kim et al. (authors' code): Adam 2e-4, beta1 0.5, batch 64, 64 base filters, MSE reconstruction
        # with weight 1. Differs: 2 down-samplings instead of 4 (28-32 px images, not 64 px), no
        # feature-matching loss or loss re-weighting (in the code, not in the paper).
        "paper": Budget(TrainConfig(steps=20000, batch_size=64, checkpoint_every=1000),
                        _TRANSLATION_EVAL["paper"], {"base_filters": 64, "downsamplings": 2}),
    },
    # Diffusion: train.* drives the noise predictor; see benchmark/tasks/diffusion.py for model_params.
    # Sampling costs a U-Net pass per DDIM step, so the standard profile scores fewer samples than the
    # GANs' (every score records n_fake) and skips the Inception network (~28 s per 1000 images).
    "ldm-images": _LDM_BUDGETS,
    # Ho & Salimans 2022: label dropout 0.1 (DDPM's default cond_drop_prob); guidance 2 here is their
    # w = 1 (their eps = (1 + w) cond - w uncond is ours with guidance 1 + w), near their best FID.
    "ldm-cfg-images": {profile: _class_conditional(budget, num_classes=10, guidance=2.0)
                       for profile, budget in _LDM_BUDGETS.items()},
    "ddpm-images": {
        "smoke": Budget(TrainConfig(steps=20, batch_size=32, checkpoint_every=10), _DIFFUSION_EVAL["smoke"],
                        {"diffusion": {"channels": [8, 16, 16], "attention": False, "clip_denoised": True},
                         "learning_rate": 1e-3, "ema_momentum": 0.9, "sampling_steps": 5}),
        "standard": Budget(TrainConfig(steps=300, batch_size=64, checkpoint_every=100),
                           _DIFFUSION_EVAL["standard"], _DDPM_STANDARD),
        # Ho et al. 2020 (CIFAR-10): Adam 2e-4, batch 128, 800k steps, dropout 0.1, EMA 0.9999, linear
        # schedule 1e-4..0.02, attention, 2 blocks per level. Differs: widths for 28 px, attention
        # at the lowest resolution only, DDIM with all 1000 steps instead of ancestral sampling.
        "paper": Budget(TrainConfig(steps=800000, batch_size=128, checkpoint_every=10000),
                        _IMAGE_EVAL["paper"],
                        {"diffusion": {**_DDPM_STANDARD["diffusion"], "channels": [64, 128, 128],
                                       "attention": True, "blocks_per_level": 2, "dropout": 0.1},
                         "learning_rate": 2e-4, "ema_momentum": 0.9999, "sampling_steps": 1000}),
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
                                 model_params=dict(budget.model_params), setting=spec.setting))
    return configs

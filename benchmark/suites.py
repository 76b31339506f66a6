"""Suites (lists of tasks) and profiles (budgets).

A profile sets how long each task trains and how much it evaluates: ``smoke``
finishes in seconds per task (tests, CI), ``standard`` (the default) gives
meaningful numbers on a 2-core CPU, ``paper`` uses the papers' settings.
Adding a model or dataset to a suite is one line in ``SUITES``; its budget is
one entry in ``BUDGETS``. ``all`` runs every suite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

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
        TaskSpec("translation", "cyclegan", "mnist:mnist_m", "cyclegan-digits-rgb"),
        TaskSpec("translation", "discogan", "mnist:usps", "discogan-digits"),
        TaskSpec("translation", "discogan", "mnist:mnist_m", "discogan-digits"),
    ],
    "diffusion": [
        TaskSpec("diffusion", "ldm", "mnist", "ldm-images"),
        TaskSpec("diffusion", "ldm", "fashion_mnist", "ldm-images"),
        # Class-conditional with classifier-free guidance: also scored by the classification accuracy score
        # (add fashion_mnist here for a second dataset; ~4 min per seed on 2 cores).
        TaskSpec("diffusion", "ldm", "mnist", "ldm-cfg-images", setting="cfg=2"),
        TaskSpec("diffusion", "ddpm", "mnist", "ddpm-images"),
        TaskSpec("diffusion", "ddpm", "fashion_mnist", "ddpm-images"),
    ],
    # Task transfer: model = strategy; setting = named class split (benchmark/tasks/transfer.py);
    # each run scores every label fraction (setting "<split>, labels=<f>%"). DCGAN-discriminator
    # features on the digit split (the DCGAN adds ~50 s per seed); ImageNet backbones (frozen; a run
    # without cached Keras weights logs one line, records nothing and runs again next time) on
    # CIFAR-10 animals -> vehicles, the natural images they were trained for.
    "transfer": [
        TaskSpec("transfer", strategy, pair, "transfer-l2sp" if strategy == "finetune_l2sp" else "transfer-small-cnn",
                 setting=split)
        for pair, split in (("mnist:mnist", "digits 0-4->5-9"), ("mnist:fashion_mnist", ""),
                            ("cifar10-jpeg:cifar10-jpeg", "animals->vehicles"))
        for strategy in ("frozen", "finetune_all", "finetune_l2sp", "finetune_conv", "finetune_top", "scratch")
        + {"digits 0-4->5-9": ("dcgan_features",),
           "animals->vehicles": ("imagenet_vgg16", "imagenet_resnet50", "imagenet_mobilenet_v2",
                                 "imagenet_efficientnet_b0")}.get(split, ())
    ],
    # Domain adaptation: model = method; target labels only score.
    "adaptation": [
        TaskSpec("adaptation", method, pair, budget)
        for pair in ("mnist:usps", "usps:mnist", "mnist:mnist_m")
        for method, budget in (("source_only", "adapt-source-only"),
                               ("dann", "adapt-dann-mnist-m" if pair == "mnist:mnist_m" else "adapt-dann"),
                               ("adda", "adapt-adda"))
    ] + [TaskSpec("adaptation", "pixel_cyclegan", "mnist:usps", "adapt-pixel-cyclegan"),  # ~5 min a seed
         TaskSpec("adaptation", "pixel_cyclegan", "mnist:mnist_m", "adapt-pixel-cyclegan-rgb"),
         TaskSpec("adaptation", "pixel_dann", "mnist:usps", "adapt-pixel-dann"),  # ~6 min a seed
         TaskSpec("adaptation", "pixel_dann", "mnist:mnist_m", "adapt-pixel-dann-rgb")],  # ~5 min a seed
    # Semi-supervised: every method on the same class-balanced labelled splits (one per seed);
    # CIFAR-10 has a budget on the paper profile only.
    "ssl": [TaskSpec("ssl", model, dataset, f"ssl-{model}" + ("-paper-only" if dataset == "cifar10-jpeg" else ""),
                     setting=f"labels={count}")
            for model in ("ssgan", "ssgan_explicit", "supervised", "self_training", "pseudo_label",
                          "cotraining_shared", "cotraining_teach", "gmm")
            for dataset, counts in (("mnist", (20, 50, 100, 1000)), ("fashion_mnist", (100, 1000, 4000)),
                                    ("cifar10-jpeg", (4000,)))
            for count in counts],
}

_POINTS_EVAL = EvalConfig(num_samples=2500, num_real=2500)
_IMAGE_EVAL = {"smoke": EvalConfig(num_samples=500, num_real=500, classifier_steps=150),
               "standard": EvalConfig(num_samples=5000, num_real=10000, inception_samples=1000),
               "paper": EvalConfig(num_samples=10000, num_real=10000, inception_samples=10000)}

_TRANSLATION_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=200, classifier_steps=150),
                     "standard": EvalConfig(num_samples=2000, num_real=2000),
                     "paper": EvalConfig(num_samples=10000, num_real=10000)}

_DIFFUSION_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=500, classifier_steps=150),
                   "standard": EvalConfig(num_samples=1000, num_real=10000, inception_samples=1000)}
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
# One step costs several latent steps (28x28x1 pixels vs 7x7x4 latents through 3 levels). The
# standard profile gives it 300 steps: measured ~100 s of training against the latent model's ~200 s
# (VAE and encoding included), so its quality scores describe an early pixel model; the suite's
# point here is the cost ratio per step and per sample (see the leaderboard).
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


# The source CNN of transfer and adaptation (Adam, cached per source, format and seed). 1000 steps of
# batch 64: 98.6% MNIST test, 95.0% USPS test (28 px); ~20 s at 28 px grey, ~30 s at 32 px RGB.
_SOURCE_CNN = {"smoke": {"steps": 30, "batch_size": 32, "learning_rate": 1e-3},
               "standard": {"steps": 1000, "batch_size": 64, "learning_rate": 1e-3},
               "paper": {"steps": 10000, "batch_size": 128, "learning_rate": 1e-3}}

# Semi-supervised (benchmark/tasks/ssl.py). Salimans et al.'s MNIST setup: the SSGAN discriminator
# (MLP 1000-500-250-250-250, weight norm, Gaussian noise) is also every neural baseline's classifier;
# Adam 3e-3, beta1 0.5, batch 100. SSGAN on MNIST-100, seed 0, test error % at 500/1000/1500/2000
# steps (2 shared cores, 18-36 steps/s): before the fixes 25.6/27.1/-/- (12-14% at 5000-7000 steps,
# then unstable); with their noisy weight-norm init 25.5/22.6/21.5/18.6; plus their test on a moving
# average of D's weights 22.5/20.8/19.3/17.5; plus 3 generator steps per D step (feature-matching
# loss 0.16 instead of 1.9 at 2000 steps: one step let G trail D) 22.3/18.4/17.3/14.9 (11-13 steps/s).
# Adam eps 1e-4 (theirs sqrt(v + 1e-8)), direction init std 0.1 (theirs), a weight-normed G output:
# within +-2% of these. Per second, not per step, one G step (the paper's) wins: 33 steps/s instead of
# 13 on 2 idle cores, and with it (seed 0, averaged / raw D) 17.5/18.6 at 2000 steps, 11.4/11.9 at
# 6000, 5.1/4.6 at 12000, 3.5/3.8 at 15000, 2.9/3.2 at 18000, 2.6/3.0 at 21000, 2.4/2.7 at 24000,
# 2.3/2.5 at 27000, 2.03/2.24 at 30000 (15.5 min). The standard profile gives 40000 steps (~20 min
# a run) to reach the <= 2% of Salimans et al.'s MNIST-100 setting; XLA (jit_compile) was slower.
# One forward pass on the concatenated labelled, unlabelled and generated batches: 37 steps/s (~18 min).
# Standard, MNIST-100, seeds 0 / 1 (error %, seconds per run on the loaded machine): ssgan 21.4 / 21.6
# (3000 steps and 3 G steps, 205-230 s; the budget before), supervised 23.2 / 26.1 (10 s), self_training 27.5 / 23.8 (50-60 s),
# pseudo_label 16.7 (seed 0, 63 s), gmm 23.3 (50 PCA components, 30 EM iterations: 190 s, so 30 and 20).
# Self-training's picks by confidence alone: 33.1 +- 5.2% error over seeds 0-2; one share per predicted
# class (ssl_baselines.most_confident): 25.8 +- 2.7%, supervised-only 25.3 +- 1.6%.
# Pseudo-labels simply added to the labelled set outnumber the real ones (17700 against 1000 after
# three rounds), which the fixed 500 steps then see ~3 times each instead of ~50. Half of every batch
# from each (pseudo_batch_share 0.5; error %, seeds 0-2, before / after): MNIST-1000 self_training
# 16.3 / 11.4, cotraining_teach 21.0 / 13.5; Fashion-1000 self_training 27.3 / 21.5; MNIST-20
# self_training 39.7 / 39.5. Supervised-only: 10.3 and 21.2.
# Paper profile: their MNIST settings (300 epochs = 180k steps, Adam 3e-3, beta1 0.5, batch 100,
# unlabelled weight 1 on their halved loss). Differs: generator output tanh (data in [-1, 1]) and
# normal noise (theirs sigmoid, uniform); weight average for testing: an EMA with decay 0.999
# (theirs 0.9999 started from zeros);
# CIFAR-10 uses the same MLP (theirs a 9-layer CNN with dropout), so its error is not comparable.
_SSL_EVAL = EvalConfig(num_samples=1, num_real=1)  # unused: scored on the whole official test split
_SSL_CLASSIFIER = {"hidden_units": [1000, 500, 250, 250, 250], "input_noise": 0.6, "hidden_noise": 0.5}
_SSL_SMOKE_CLASSIFIER = {"hidden_units": [64, 32], "input_noise": 0.6, "hidden_noise": 0.5}
_SSL_SSGAN = {"smoke": {"discriminator_units": [64, 32], "generator_units": [64], "latent_dim": 16},
              "standard": {}, "paper": {}}  # {}: the paper's networks and 1 G step
_SSL_STEPS = {"smoke": 20, "standard": 40000, "paper": 180000}  # SSGAN; paper: 300 epochs of 600 steps
_SSL_FIT_STEPS = {"smoke": 20, "standard": 500, "paper": 5000}  # per fit of a baseline's classifier
_SSL_METHODS = {"supervised": {}, "self_training": {"rounds": 3, "fraction": 0.1, "pseudo_batch_share": 0.5},
                "pseudo_label": {"alpha": 3.0, "ramp_start": 100, "ramp_end": 600},
                "cotraining_shared": {"rounds": 2, "fraction": 0.1, "pseudo_batch_share": 0.5},
                "cotraining_teach": {"rounds": 2, "fraction": 0.1, "pseudo_batch_share": 0.5}}


def _ssl_budgets():
    """budget name -> profile -> Budget of every SSL method (the same networks on every dataset)."""
    budgets = {}
    for profile in PROFILES:
        steps, fit_steps = _SSL_STEPS[profile], _SSL_FIT_STEPS[profile]
        ssgan = Budget(TrainConfig(steps=steps, batch_size=100, d_learning_rate=3e-3, g_learning_rate=3e-3,
                                   checkpoint_every=min(steps, 1000)), _SSL_EVAL, _SSL_SSGAN[profile])
        budgets.setdefault("ssl-ssgan", {})[profile] = budgets.setdefault("ssl-ssgan_explicit", {})[profile] = ssgan
        classifier = _SSL_SMOKE_CLASSIFIER if profile == "smoke" else _SSL_CLASSIFIER
        for method, params in _SSL_METHODS.items():
            # Pseudo-labelling trains one classifier on all the data: three baseline fits long.
            fit = fit_steps * (3 if method == "pseudo_label" else 1)
            budgets.setdefault(f"ssl-{method}", {})[profile] = Budget(
                TrainConfig(steps=fit, batch_size=100, d_learning_rate=3e-3, checkpoint_every=fit), _SSL_EVAL,
                {"classifier": classifier, **params})
        budgets.setdefault("ssl-gmm", {})[profile] = Budget(
            TrainConfig(steps=1, batch_size=1, checkpoint_every=1), _SSL_EVAL,  # EM: no gradient steps
            {"components": 10 if profile == "smoke" else 30, "iterations": 3 if profile == "smoke" else 20,
             "regularization": 1e-2})
    return {**budgets, **{f"{name}-paper-only": {"paper": profiles["paper"]} for name, profiles in budgets.items()}}


# budget name -> profile -> Budget
BUDGETS = {
    **_ssl_budgets(),
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
        # Measured on 2 cores: 7-12 steps/s at 28 px grey, 4.9 at 32 px RGB (batch 16, 16 base filters);
        # 32 base filters are 2.3x slower and learned no faster per step over the first 600 steps.
        # MNIST -> USPS, seed 0, label preservation a2b / b2a on 1000 test images (full schedule of
        # 3000 steps): the paper's losses (lambda 10, identity 0.5) 0.80 / 0.77, with translations
        # as large as MNIST's digits (the identity term holds G near the identity map, and USPS
        # digits fill the frame); without the identity term 0.89 / 0.91; and lambda 5 reached 0.90 /
        # 0.90 at 2000 steps, 0.92 / 0.92 at 3000. Adam 1e-3 instead of 2e-4 learned no faster.
        "standard": Budget(TrainConfig(steps=3000, batch_size=16, checkpoint_every=500),
                           _TRANSLATION_EVAL["standard"],
                           {"base_filters": 16, "res_blocks": 2, "discriminator_downsamplings": 2,
                            "lambda_cycle": 5.0, "lambda_identity": 0.0}),
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
    # Sampling costs a U-Net pass per DDIM step, so the standard profile scores fewer samples on the
    # domain classifier than the GANs' 5000 (every score records n_fake); FID/KID on the Inception
    # network use 1000 samples, as for the GANs, so fid compares across the two suites.
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
    # Transfer: train.steps per label fraction (Adam; batch capped at the labelled-set size);
    # model_params["source"] is the source CNN's budget (cached per seed, shared with adaptation).
    # Fine-tuning rate chosen on seed 0 (MNIST 0-4 -> 5-9, 300 steps; Kornblith et al. 2019 also tune
    # it per task): finetune_all at 1/5/10% labels reached 93.8/-/- with Adam 1e-4 (underfits in 300
    # steps), 95.1/97.9/98.0 with 3e-4, 95.9/98.2/98.6 with 1e-3; linear probe 100 steps then all
    # layers 200 (LP-FT, Kumar et al. 2022) 96.4/98.2/98.4 at 1e-3, worse at lower rates. Scratch's
    # 1e-3 is its best of {3e-4, 1e-3, 3e-3} (1%: 94.7/95.0/94.9). Seed 1: scratch 94.8/98.0/98.2,
    # finetune_all 95.7/98.3/98.0, finetune_top 95.3/97.9/97.6 (fine-tuning wins at 1-5%, ties at 10%).
    # dcgan_features (DCGAN 500 steps on digits 0-4, ~10 steps/s; D's paper optimiser): seed 0
    # 92.1/95.9/96.7, seed 1 92.7/95.8/96.6: above the frozen source CNN's features (84.9/85.7/85.1).
    # CIFAR-10 animals -> vehicles, seeds 0-2, accuracy % at 1/5/10%: finetune_all 60.9/66.2/69.0 at 1e-3,
    # 60.4/68.1/66.9 at 3e-4; scratch 57.5/66.4/69.3 at 1e-3, 57.2/66.9/69.6 at 3e-4, 53.8/61.7/61.1 at
    # 3e-3. A 4000-step source CNN (65.8% on the 6 animals, against 56-59% at 1000) gave seed 0
    # 60.0/68.7/70.2: not better, so the pairs share one source budget.
    "transfer-small-cnn": {
        "smoke": Budget(TrainConfig(steps=10, batch_size=32), _TRANSLATION_EVAL["smoke"],
                        {"source": _SOURCE_CNN["smoke"], "fractions": [1, 100], "learning_rate": 1e-3,
                         "finetune_learning_rate": 1e-3, "dcgan": {"steps": 10, "batch_size": 32}}),
        "standard": Budget(TrainConfig(steps=300, batch_size=64), _TRANSLATION_EVAL["standard"],
                           {"source": _SOURCE_CNN["standard"], "fractions": [1, 5, 10, 100],
                            "learning_rate": 1e-3, "finetune_learning_rate": 1e-3,
                            "dcgan": {"steps": 500, "batch_size": 64}}),
        "paper": Budget(TrainConfig(steps=3000, batch_size=128), _TRANSLATION_EVAL["paper"],
                        {"source": _SOURCE_CNN["paper"], "fractions": [1, 5, 10, 100], "learning_rate": 1e-3,
                         "finetune_learning_rate": 1e-3, "dcgan": {"steps": 10000, "batch_size": 128}}),
    },
    # Adaptation: source_only trains nothing beyond the cached source CNN (train.* unused).
    "adapt-source-only": {profile: Budget(TrainConfig(steps=1, batch_size=64, checkpoint_every=1),
                                          _TRANSLATION_EVAL[profile], {"source": _SOURCE_CNN[profile]})
                          for profile in PROFILES},
    # DANN starts from the source CNN (from scratch, 1500 steps: 82.8% on MNIST->USPS vs 90.1% from
    # the source CNN, seed 0); Adam 1e-3 (beta1 0.9), batch 64 per domain, Ganin's lambda schedule.
    # Measured on 2 cores: 28 steps/s at 28 px grey, 15 at 32 px RGB.
    "adapt-dann": {
        "smoke": Budget(TrainConfig(steps=20, batch_size=32, g_learning_rate=1e-3, beta_1=0.9,
                                    checkpoint_every=10), _TRANSLATION_EVAL["smoke"],
                        {"source": _SOURCE_CNN["smoke"], "init_from_source": True}),
        "standard": Budget(TrainConfig(steps=1500, batch_size=64, g_learning_rate=1e-3, beta_1=0.9,
                                       checkpoint_every=500), _TRANSLATION_EVAL["standard"],
                           {"source": _SOURCE_CNN["standard"], "init_from_source": True}),
        # Ganin et al. 2016: SGD momentum 0.9 with an annealed rate, batch 128 (64 per domain), their
        # 2-conv CNN. Differs: Adam and the suite's small CNN, started from the source CNN.
        "paper": Budget(TrainConfig(steps=20000, batch_size=64, g_learning_rate=1e-3, beta_1=0.9,
                                    checkpoint_every=2000), _TRANSLATION_EVAL["paper"],
                        {"source": _SOURCE_CNN["paper"], "init_from_source": True}),
    },
    # ADDA: Tzeng et al.'s Adam 2e-4, beta1 0.5 for both the discriminator (500-500) and the target
    # encoder. Seed 0, 1000 steps batch 64: MNIST->USPS 93.6%, USPS->MNIST 87.0%, MNIST->MNIST-M 61.1%.
    # Measured: 19 steps/s at 28 px grey, 13 at 32 px RGB.
    "adapt-adda": {
        "smoke": Budget(TrainConfig(steps=20, batch_size=32, d_learning_rate=2e-4, g_learning_rate=2e-4,
                                    checkpoint_every=10), _TRANSLATION_EVAL["smoke"],
                        {"source": _SOURCE_CNN["smoke"]}),
        "standard": Budget(TrainConfig(steps=1000, batch_size=64, d_learning_rate=2e-4, g_learning_rate=2e-4,
                                       checkpoint_every=500), _TRANSLATION_EVAL["standard"],
                           {"source": _SOURCE_CNN["standard"]}),
        # Tzeng et al.: batch 128, 10000 adversarial iterations, LeNet (500-d features); they use
        # 2000 MNIST / 1800 USPS images for the digit pairs. Differs: full train splits, small CNN.
        "paper": Budget(TrainConfig(steps=10000, batch_size=128, d_learning_rate=2e-4, g_learning_rate=2e-4,
                                    checkpoint_every=1000), _TRANSLATION_EVAL["paper"],
                        {"source": _SOURCE_CNN["paper"]}),
    },
}
# MNIST -> MNIST-M (32 px RGB) aligns slower; seed 0: 64.3% after 1500 steps, 74.5% after 3000
# (Ganin schedule), 67.8% after 2000 with a constant lambda 1. Also seed 0, 3000 steps: batch norm
# per domain + AdaBN on target images 74.5% (kept: test statistics are the target's), 74.4% at
# 4000 steps; plus Ganin's rate annealing 71.9%; plus Ganin's 100-unit domain classifier 52.7%.
# USPS -> MNIST (adapt-dann) seed 0: 89.0%. Seeds 0-2 at 3000 steps: 74.5/77.2/72.3; with Adam 5e-4
# 69.4/76.2/71.6; plus target-entropy minimisation (VADA's conditional entropy, weight 0.1)
# 74.2/70.8/73.7; domain discriminator on the flattened conv blocks (Ganin's attachment point):
# it reached 100% domain accuracy by step 2000 and aligned nothing.
_PER_DOMAIN_BATCH_NORM = {"domain_batch_norm": True, "target_batch_norm": True}
BUDGETS["adapt-dann-mnist-m"] = {
    profile: replace(budget, model_params={**budget.model_params, **_PER_DOMAIN_BATCH_NORM})
    for profile, budget in BUDGETS["adapt-dann"].items()}
BUDGETS["adapt-dann-mnist-m"]["standard"] = replace(
    BUDGETS["adapt-dann-mnist-m"]["standard"],
    train=replace(BUDGETS["adapt-dann"]["standard"].train, steps=3000, checkpoint_every=1000))
# Ganin et al.'s rate annealing, lr0 / (1 + 10 p)^0.75 (Adam, not their SGD).
BUDGETS["adapt-dann-mnist-m"]["paper"].model_params["anneal_learning_rate"] = True
# MNIST <-> MNIST-M (32 px RGB, 4.9 steps/s): half the grey pairs' steps keeps a seed near 5 minutes.
BUDGETS["cyclegan-digits-rgb"] = {
    **BUDGETS["cyclegan-digits"],
    "standard": Budget(TrainConfig(steps=1500, batch_size=16, checkpoint_every=500), _TRANSLATION_EVAL["standard"],
                       BUDGETS["cyclegan-digits"]["standard"].model_params),
}
# L2-SP (Li et al. 2018) with Adam at the fine-tuning rate; its own budget keeps the other strategies'
# config hashes. Weight chosen on seeds 0-2, accuracy % at 1/5/10% labels (digits | Fashion | CIFAR):
# 0.1 (Li et al.'s, with SGD) 93.5/96.2/96.2 | 77.7/79.0/79.4 | 59.5/66.6/66.9; 0.01 95.0/97.5/98.1 |
# 80.9/82.6/82.6 | 60.5/70.6/71.2; 0.001 96.0/97.8/98.2 | 81.0/82.9/83.0 | 60.1/67.2/69.2. Against
# scratch 95.4/97.6/98.2 | 81.7/84.3/84.9 | 57.5/66.5/69.3: 0.01 is the only fine-tuning that beats
# scratch at every fraction up to 10% on CIFAR; on MNIST -> Fashion-MNIST no fine-tuning does.
# finetune_conv (conv blocks from the source, fresh dense layers, all fine-tuned at 1e-3), seeds 0-2,
# 1/5/10%: 96.2/98.1/98.5 | 81.5/85.2/85.8 | 62.8/72.5/74.6. Tried after frozen MNIST features gave
# Fashion-MNIST only 59% (finetune_top, with frozen conv blocks, 80.5/82.5/81.9): the dense layer is
# the source-specific part. It beats scratch everywhere but Fashion at 1% (81.5 +- 1.5 vs 81.7 +- 0.1).
# Every strategy gets the same 300 steps at every fraction, so at 100% (Fashion 86.4 vs 84.9, CIFAR
# 76.0 vs 68.5) the gain is partly faster convergence: scratch has not converged there.
BUDGETS["transfer-l2sp"] = {profile: replace(budget, model_params={**budget.model_params, "l2sp_weight": 0.01})
                            for profile, budget in BUDGETS["transfer-small-cnn"].items()}
# Pixel-level adaptation: the translation suite's CycleGAN of the pair, then a fresh CNN on translated
# source images with the source CNN's budget. Before the translation budgets were tuned (600 steps,
# identity loss on), MNIST -> USPS gave 76.0 +- 2.7% over seeds 0-2, barely above source-only.
def _pixel_level(translation_budget):
    return {profile: Budget(budget.train, budget.eval,
                            {"source": _SOURCE_CNN[profile], "cyclegan": budget.model_params,
                             "translated_images": {"smoke": 64, "standard": 20000, "paper": 60000}[profile]})
            for profile, budget in BUDGETS[translation_budget].items()}


BUDGETS["adapt-pixel-cyclegan"] = _pixel_level("cyclegan-digits")
BUDGETS["adapt-pixel-cyclegan-rgb"] = _pixel_level("cyclegan-digits-rgb")


def _pixel_then_feature(pixel_budget, dann_budget):
    """Pixel then feature adaptation: the pixel-level budget, then the pair's DANN budget from its classifier."""
    def dann(profile):
        budget = BUDGETS[dann_budget][profile]
        return {"train": asdict(budget.train), **{k: v for k, v in budget.model_params.items() if k != "source"}}
    return {profile: replace(budget, model_params={**budget.model_params, "dann": dann(profile)})
            for profile, budget in BUDGETS[pixel_budget].items()}


# MNIST -> MNIST-M, seeds 0-2: 76.4/74.8/76.4% (DANN alone 74.5/77.2/72.3, pixel-level alone 63.0/58.5/60.1),
# 4.5 min a seed.
BUDGETS["adapt-pixel-dann"] = _pixel_then_feature("adapt-pixel-cyclegan", "adapt-dann")
BUDGETS["adapt-pixel-dann-rgb"] = _pixel_then_feature("adapt-pixel-cyclegan-rgb", "adapt-dann-mnist-m")


def all_specs():
    """(suite name, TaskSpec) of every suite, in the order the suites list them."""
    return [(name, spec) for name, specs in SUITES.items() for spec in specs]


def _user_pair_specs(dataset):
    """Specs for a domain pair no suite lists: every translation model and adaptation method on a pair
    of labelled datasets ("svhn_cropped:mnist"), every translation model on "unpaired:PATH" (e.g.
    horse2zebra), each with the budget of its first listed pair (override sizes and steps with --set)."""
    from benchmark.data import dataset_names, dataset_parts

    parts = dataset_parts(dataset)
    if not (dataset.startswith("unpaired:") or (len(parts) == 2 and set(parts) <= set(dataset_names()))):
        return []
    first = {}
    for suite in ("translation",) if dataset.startswith("unpaired:") else ("translation", "adaptation"):
        for spec in SUITES[suite]:
            first.setdefault((suite, spec.model), spec)
    return [(suite, replace(spec, dataset=dataset)) for (suite, _), spec in first.items()]


# Tasks that train a user's model (``--model module.path:ClassName`` or a ``genbench.models``
# entry point; protocol in benchmark/external.py) -> the built-in models whose budget it gets on a
# dataset, the first one listed there: DCGAN's on images, the MLP GAN's on the 2-D mixtures
# (where DCGAN has none).
# It gets their training and evaluation budget, not their model_params (architecture settings):
# the user's constructor gets only what ``--set model.KEY=VALUE`` gives.
EXTERNAL_BUDGETS = {"generation": ("dcgan", "gan")}


def is_external(model):
    """Whether ``model`` names a user's model rather than one that a suite lists."""
    return model not in {spec.model for _, spec in all_specs()}


def _external_specs(reference):
    """Specs that train the user's model ``reference`` on every dataset of the tasks in
    ``EXTERNAL_BUDGETS``; a bad reference raises ConfigError here, before anything trains."""
    from benchmark.external import load_model_class

    load_model_class(reference, builtin={spec.model for _, spec in all_specs()})
    chosen = {}
    for task, models in EXTERNAL_BUDGETS.items():
        for model in models:
            for suite, spec in all_specs():
                if (spec.task, spec.model) == (task, model):
                    key = (suite, task, spec.dataset, spec.setting)
                    chosen.setdefault(key, replace(spec, model=reference))
    return [(suite, spec) for (suite, *_), spec in chosen.items()]


def _choose(value, known, what):
    if value is not None and value not in known:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")


def build_configs(suite, profile=DEFAULT_PROFILE, model=None, dataset=None, setting=None):
    """The run configs of a suite at a profile, optionally narrowed to one model, dataset and/or setting."""
    from benchmark.data import dataset_names

    _choose(suite, [*SUITES, "all"], "suite")
    _choose(profile, PROFILES, "profile")
    external = model is not None and is_external(model)
    listed = {*dataset_names(), *(spec.dataset for _, spec in all_specs())}
    extra = _user_pair_specs(dataset) if dataset is not None and dataset not in listed else []
    if not extra:
        _choose(dataset, listed, "dataset")
    if external:
        extra = _external_specs(model)
    _choose(setting, {spec.setting for _, spec in all_specs() + extra}, "setting")
    specs = [(name, spec) for name, spec in all_specs() + extra if suite in ("all", name)
             and model in (None, spec.model) and dataset in (None, spec.dataset) and setting in (None, spec.setting)]
    if not specs:
        raise ConfigError(f"suite {suite!r} has no task for model={model} dataset={dataset} setting={setting}; "
                          f"see `python -m benchmark list`")
    configs = []
    for suite_name, spec in specs:
        if profile not in BUDGETS[spec.budget]:
            continue  # a task listed for some profiles only (e.g. CIFAR-10 SSL: paper)
        budget = BUDGETS[spec.budget][profile]
        configs.append(RunConfig(suite=suite_name, task=spec.task, model=spec.model, dataset=spec.dataset,
                                 profile=profile, train=budget.train, eval=budget.eval,
                                 model_params={} if external else dict(budget.model_params),
                                 setting=spec.setting))
    return configs

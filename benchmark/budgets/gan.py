"""Budgets of the gan suite (benchmark/tasks/generation.py): budget name -> profile -> Budget.
Why each value: docs/budgets.md."""

from ..config import AdversarialTraining, EvalConfig
from .common import CIFAR_EVAL, IMAGE_EVAL, PROFILES, Budget

_POINTS_EVAL = EvalConfig(num_samples=2500, num_real=2500)

BUDGETS = {
    # Unrolled-GAN-style 2-D setting: 2x128 MLPs, Adam 1e-3.
    "gan-points": {
        "smoke": Budget(AdversarialTraining(steps=300, batch_size=256, discriminator_lr=1e-3,
                                    generator_lr=1e-3, checkpoint_every=100),
                        _POINTS_EVAL, {"latent_dim": 16, "hidden_units": [128, 128]}),
        "standard": Budget(AdversarialTraining(steps=10000, batch_size=256, discriminator_lr=1e-3,
                                       generator_lr=1e-3, checkpoint_every=2000),
                           _POINTS_EVAL, {"latent_dim": 16, "hidden_units": [128, 128]}),
        "paper": Budget(AdversarialTraining(steps=25000, batch_size=512, discriminator_lr=1e-4,
                                    generator_lr=1e-3, checkpoint_every=2500),
                        _POINTS_EVAL, {"latent_dim": 256, "hidden_units": [128, 128]}),
    },
    "gan-images": {
        "smoke": Budget(AdversarialTraining(steps=100, batch_size=64, checkpoint_every=50),
                        IMAGE_EVAL["smoke"], {"latent_dim": 64, "hidden_units": [256, 256]}),
        "standard": Budget(AdversarialTraining(steps=6000, batch_size=64, checkpoint_every=1000),
                           IMAGE_EVAL["standard"], {"latent_dim": 64, "hidden_units": [512, 512]}),
        "paper": Budget(AdversarialTraining(steps=100000, batch_size=100, checkpoint_every=5000),
                        IMAGE_EVAL["paper"], {"latent_dim": 100, "hidden_units": [1200, 1200]}),
    },
    # Radford et al.: Adam 2e-4, beta1 0.5, batch 128.
    "dcgan-images": {
        "smoke": Budget(AdversarialTraining(steps=50, batch_size=32, checkpoint_every=25),
                        IMAGE_EVAL["smoke"], {"latent_dim": 100, "base_filters": 16}),
        "standard": Budget(AdversarialTraining(steps=3000, batch_size=64, checkpoint_every=500),
                           IMAGE_EVAL["standard"], {"latent_dim": 100, "base_filters": 64}),
        "paper": Budget(AdversarialTraining(steps=12000, batch_size=128, checkpoint_every=1000),
                        IMAGE_EVAL["paper"], {"latent_dim": 100, "base_filters": 128}),
    },
    # CIFAR-10: standard budgets fill 8-14 of the 20 minutes of training a seed may take on 2 CPU
    # cores, as fast as the machine is that day (docs/budgets.md); the paper profile takes the
    # papers' step counts (for a GPU).
    "gan-cifar": {
        "smoke": Budget(AdversarialTraining(steps=50, batch_size=32, checkpoint_every=25),
                        CIFAR_EVAL["smoke"], {"latent_dim": 64, "hidden_units": [128, 128]}),
        "standard": Budget(AdversarialTraining(steps=20000, batch_size=64, checkpoint_every=2500),
                           CIFAR_EVAL["standard"], {"latent_dim": 64, "hidden_units": [512, 512]}),
        "paper": Budget(AdversarialTraining(steps=100000, batch_size=100, checkpoint_every=5000),
                        CIFAR_EVAL["paper"], {"latent_dim": 100, "hidden_units": [1200, 1200]}),
    },
    # Generator 4x4 -> 32 px through 4x4 transposed convolutions (models/dcgan.py). Standard:
    # channels 128-32 (base 32: base 64 costs ~4x a step, so a quarter of the steps); paper: base
    # 128, the paper's widths (512-128), 100k steps of batch 64 as mimicry trains its DCGAN.
    "dcgan-cifar": {
        "smoke": Budget(AdversarialTraining(steps=50, batch_size=32, checkpoint_every=25),
                        CIFAR_EVAL["smoke"], {"latent_dim": 100, "base_filters": 8}),
        "standard": Budget(AdversarialTraining(steps=9500, batch_size=64, checkpoint_every=500),
                           CIFAR_EVAL["standard"], {"latent_dim": 100, "base_filters": 32}),
        "paper": Budget(AdversarialTraining(steps=100000, batch_size=64, checkpoint_every=5000),
                        CIFAR_EVAL["paper"], {"latent_dim": 100, "base_filters": 128}),
    },
    # The real-data floor: the evaluation sizes of every generation model, no training.
    "real-images": {profile: Budget(None, IMAGE_EVAL[profile], {}) for profile in PROFILES},
    "real-cifar": {profile: Budget(None, CIFAR_EVAL[profile], {}) for profile in PROFILES},
}

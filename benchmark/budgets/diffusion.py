"""Budgets of the diffusion suite (benchmark/tasks/diffusion.py; its sections are in
benchmark/tasks/configs.py): budget name -> profile -> Budget. Why each value: docs/budgets.md.

train.* drives the noise predictor. Evaluation sizes are the GANs' (IMAGE_EVAL), so that every
score compares across the two suites.
"""

from dataclasses import replace

from ..tasks.configs import DdpmParams, DdpmTraining, LdmParams, LdmTraining
from .common import CIFAR_EVAL, IMAGE_EVAL, Budget

_LDM_STANDARD = LdmParams(
    vae={"latent_channels": 4, "base_filters": 32, "kl_weight": 0.2}, latent_images=60000,
    diffusion={"channels": [32, 64], "blocks_per_level": 1, "attention": False,
               "schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012},
    ema_momentum=0.99, sampling_steps=25)

_LDM = {
    "smoke": Budget(LdmTraining(steps=20, batch_size=32, checkpoint_every=10,
                                noise_predictor_lr=1e-3, vae_steps=20, vae_batch_size=32,
                                vae_lr=1e-3), IMAGE_EVAL["smoke"],
                    LdmParams(vae={"base_filters": 16, "kl_weight": 0.2}, latent_images=2000,
                              diffusion={"channels": [16, 32], "attention": False},
                              ema_momentum=0.9, sampling_steps=5)),
    "standard": Budget(LdmTraining(steps=1500, batch_size=64, checkpoint_every=300,
                                   noise_predictor_lr=3e-3, vae_steps=600, vae_batch_size=32,
                                   vae_lr=1e-3), IMAGE_EVAL["standard"], _LDM_STANDARD),
    # Rombach et al. 2022 (LDM-4, KL-regularised first stage): f = 4, kl_weight 1e-6, EMA 0.9999,
    # SD's scaled-linear schedule, T = 1000, attention, 2 blocks per level, DDIM 200 steps (eta 0)
    # for their unconditional scores. Differs: L1 reconstruction without their perceptual and
    # adversarial terms, and U-Net widths for 28 px.
    "paper": Budget(LdmTraining(steps=200000, batch_size=64, checkpoint_every=5000,
                                noise_predictor_lr=1e-4, vae_steps=50000, vae_batch_size=64,
                                vae_lr=1e-4), IMAGE_EVAL["paper"],
                    replace(_LDM_STANDARD, vae={"base_filters": 64, "kl_weight": 1e-6},
                            diffusion={**_LDM_STANDARD.diffusion, "channels": [64, 128],
                                       "attention": True, "blocks_per_level": 2},
                            ema_momentum=0.9999, sampling_steps=200)),
}


def _class_conditional(budget, num_classes, guidance):
    """``budget`` with a class-conditional noise predictor sampled at CFG scale ``guidance``."""
    params = budget.model_params
    return replace(budget, model_params=replace(
        params, diffusion={**params.diffusion, "num_classes": num_classes}, guidance=guidance))


# The pixel baseline: a 3-level U-Net of about the latent one's parameter count (663k vs 636k).
_DDPM_STANDARD = DdpmParams(diffusion={"channels": [16, 32, 64], "blocks_per_level": 1,
                                       "attention": False, "schedule": "linear",
                                       "beta_start": 1e-4, "beta_end": 0.02,
                                       "clip_denoised": True},
                            ema_momentum=0.0, sampling_steps=25)

# CIFAR-10 (32x32x3 -> an 8x8x4 latent): the digits' networks and recipe with longer training,
# ~15 of the 20 minutes a seed may take on 2 CPU cores (VAE ~3.5 min, U-Net ~10.5 min, as `fit`
# ran on 2026-12-03; docs/budgets.md); paper: Rombach et al.'s.
_LDM_CIFAR = {
    "smoke": replace(_LDM["smoke"], eval=CIFAR_EVAL["smoke"]),
    "standard": Budget(replace(_LDM["standard"].train, steps=6000, checkpoint_every=500,
                               vae_steps=2000),
                       CIFAR_EVAL["standard"], replace(_LDM_STANDARD, latent_images=50000)),
    "paper": replace(_LDM["paper"], eval=CIFAR_EVAL["paper"],
                     model_params=replace(_LDM["paper"].model_params, latent_images=50000)),
}

BUDGETS = {
    "ldm-images": _LDM,
    "ldm-cifar": _LDM_CIFAR,
    # Ho & Salimans 2022: label dropout 0.1 (DDPM's default cond_drop_prob); guidance 2 here is
    # their w = 1 (their eps = (1 + w) cond - w uncond is ours with guidance 1 + w), near their
    # best FID.
    "ldm-cfg-images": {profile: _class_conditional(budget, num_classes=10, guidance=2.0)
                       for profile, budget in _LDM.items()},
    "ddpm-images": {
        "smoke": Budget(DdpmTraining(steps=20, batch_size=32, checkpoint_every=10,
                                     noise_predictor_lr=1e-3), IMAGE_EVAL["smoke"],
                        DdpmParams(diffusion={"channels": [8, 16, 16], "attention": False,
                                              "clip_denoised": True},
                                   ema_momentum=0.9, sampling_steps=5)),
        "standard": Budget(DdpmTraining(steps=300, batch_size=64, checkpoint_every=100,
                                        noise_predictor_lr=1e-3),
                           IMAGE_EVAL["standard"], _DDPM_STANDARD),
        # Ho et al. 2020 (CIFAR-10): Adam 2e-4, batch 128, 800k steps, dropout 0.1, EMA 0.9999,
        # linear schedule 1e-4..0.02, attention, 2 blocks per level. Differs: widths for 28 px,
        # attention at the lowest resolution only, DDIM with all 1000 steps instead of ancestral
        # sampling.
        "paper": Budget(DdpmTraining(steps=800000, batch_size=128, checkpoint_every=10000,
                                     noise_predictor_lr=2e-4), IMAGE_EVAL["paper"],
                        replace(_DDPM_STANDARD,
                                diffusion={**_DDPM_STANDARD.diffusion, "channels": [64, 128, 128],
                                           "attention": True, "blocks_per_level": 2,
                                           "dropout": 0.1},
                                ema_momentum=0.9999, sampling_steps=1000)),
    },
    # The pixel U-Net on 32x32x3: 1,600 steps fill ~14 of the 20 minutes (docs/budgets.md).
    # Paper: Ho et al.'s CIFAR-10 network (128 channels, multipliers 1, 2, 2, 2, dropout 0.1).
    "ddpm-cifar": {
        "smoke": Budget(DdpmTraining(steps=20, batch_size=32, checkpoint_every=10,
                                     noise_predictor_lr=1e-3), CIFAR_EVAL["smoke"],
                        DdpmParams(diffusion={"channels": [8, 16, 16], "attention": False,
                                              "clip_denoised": True},
                                   ema_momentum=0.9, sampling_steps=5)),
        "standard": Budget(DdpmTraining(steps=1600, batch_size=64, checkpoint_every=200,
                                        noise_predictor_lr=1e-3),
                           CIFAR_EVAL["standard"], _DDPM_STANDARD),
        "paper": Budget(DdpmTraining(steps=800000, batch_size=128, checkpoint_every=10000,
                                     noise_predictor_lr=2e-4), CIFAR_EVAL["paper"],
                        replace(_DDPM_STANDARD,
                                diffusion={**_DDPM_STANDARD.diffusion,
                                           "channels": [128, 256, 256, 256], "attention": True,
                                           "blocks_per_level": 2, "dropout": 0.1},
                                ema_momentum=0.9999, sampling_steps=1000)),
    },
}

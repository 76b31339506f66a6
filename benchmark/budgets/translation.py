"""Budgets of the translation suite (benchmark/tasks/translation.py): budget name -> profile ->
Budget. Why each value: docs/budgets.md.

Translation is scored on eval.num_samples source test images per direction against eval.num_real
target test images; the target classifiers are the 4000-step domain classifiers.
"""

from ..config import AdversarialTraining
from .common import TRANSLATION_EVAL, Budget, with_train

CYCLEGAN_DIGITS = {
    "smoke": Budget(AdversarialTraining(steps=20, batch_size=8, checkpoint_every=10),
                    TRANSLATION_EVAL["smoke"],
                    {"base_filters": 8, "res_blocks": 1, "discriminator_downsamplings": 2}),
    "standard": Budget(AdversarialTraining(steps=3000, batch_size=16, checkpoint_every=500),
                       TRANSLATION_EVAL["standard"],
                       {"base_filters": 16, "res_blocks": 2, "discriminator_downsamplings": 2,
                        "lambda_cycle": 5.0, "lambda_identity": 0.0}),
    # Zhu et al.: Adam 2e-4, beta1 0.5, batch 1, lambda 10, identity 0.5, pool 50, 64 base
    # filters, 6 residual blocks (their choice at 128 px). Differs: 200k steps (3.3 MNIST epochs,
    # not 200) and a 2-down-sampling PatchGAN (28 px is not divisible by 8), whose patches span
    # most of a digit.
    "paper": Budget(AdversarialTraining(steps=200000, batch_size=1, checkpoint_every=5000),
                    TRANSLATION_EVAL["paper"],
                    {"base_filters": 64, "res_blocks": 6, "discriminator_downsamplings": 2}),
}

# MNIST <-> MNIST-M (32 px RGB): half the grey pairs' standard steps.
CYCLEGAN_DIGITS_RGB = {**CYCLEGAN_DIGITS,
                       "standard": with_train(CYCLEGAN_DIGITS["standard"], steps=1500)}

BUDGETS = {
    "cyclegan-digits": CYCLEGAN_DIGITS,
    "cyclegan-digits-rgb": CYCLEGAN_DIGITS_RGB,
    "discogan-digits": {
        "smoke": Budget(AdversarialTraining(steps=20, batch_size=8, checkpoint_every=10),
                        TRANSLATION_EVAL["smoke"], {"base_filters": 8, "downsamplings": 2}),
        "standard": Budget(AdversarialTraining(steps=1500, batch_size=32, checkpoint_every=500),
                           TRANSLATION_EVAL["standard"], {"base_filters": 32, "downsamplings": 2}),
        # Kim et al. (authors' code): Adam 2e-4, beta1 0.5, batch 64, 64 base filters, MSE
        # reconstruction with weight 1. Differs: 2 down-samplings instead of 4 (28-32 px images,
        # not 64 px), no feature-matching loss or loss re-weighting (in the code, not the paper).
        "paper": Budget(AdversarialTraining(steps=20000, batch_size=64, checkpoint_every=1000),
                        TRANSLATION_EVAL["paper"], {"base_filters": 64, "downsamplings": 2}),
    },
}

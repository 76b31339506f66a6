"""Budgets of the adaptation suite (benchmark/tasks/adaptation.py): budget name -> profile ->
Budget. Target labels only score. Why each value: docs/budgets.md."""

from dataclasses import replace

from ..config import ClassifierTraining, TrainConfig
from ..tasks.configs import (
    AdaptationParams,
    AddaParams,
    AddaTraining,
    DannParams,
    DannStage,
    PixelDannParams,
    PixelParams,
)
from .common import (
    PROFILES,
    SOURCE_CNN,
    TRANSLATION_EVAL,
    Budget,
    with_params,
    with_train,
)
from .translation import CYCLEGAN_DIGITS, CYCLEGAN_DIGITS_RGB

# source_only trains nothing beyond the cached source CNN (train.* unused).
_SOURCE_ONLY = {profile: Budget(TrainConfig(steps=1, batch_size=64, checkpoint_every=1),
                                TRANSLATION_EVAL[profile],
                                AdaptationParams(source=SOURCE_CNN[profile]))
                for profile in PROFILES}

# DANN starts from the source CNN; Adam 1e-3 (beta1 0.9), batch 64 per domain, Ganin's lambda
# schedule.
_DANN = {
    "smoke": Budget(ClassifierTraining(steps=20, batch_size=32, classifier_lr=1e-3,
                                       beta_1=0.9, checkpoint_every=10), TRANSLATION_EVAL["smoke"],
                    DannParams(source=SOURCE_CNN["smoke"], init_from_source=True)),
    "standard": Budget(ClassifierTraining(steps=1500, batch_size=64, classifier_lr=1e-3,
                                          beta_1=0.9, checkpoint_every=500),
                       TRANSLATION_EVAL["standard"],
                       DannParams(source=SOURCE_CNN["standard"], init_from_source=True)),
    # Ganin et al. 2016: SGD momentum 0.9 with an annealed rate, batch 128 (64 per domain), their
    # 2-conv CNN. Differs: Adam and the suite's small CNN, started from the source CNN.
    "paper": Budget(ClassifierTraining(steps=20000, batch_size=64, classifier_lr=1e-3,
                                       beta_1=0.9, checkpoint_every=2000),
                    TRANSLATION_EVAL["paper"],
                    DannParams(source=SOURCE_CNN["paper"], init_from_source=True)),
}

# MNIST -> MNIST-M (32 px RGB): twice the standard steps (reverse validation, docs/budgets.md).
_DANN_MNIST_M = {
    "smoke": _DANN["smoke"],
    "standard": with_train(_DANN["standard"], steps=3000, checkpoint_every=1000),
    # Ganin et al.'s rate annealing, lr0 / (1 + 10 p)^0.75 (Adam, not their SGD).
    "paper": with_params(_DANN["paper"], anneal_lr=True),
}

# ADDA: Tzeng et al.'s Adam 2e-4, beta1 0.5 for both the discriminator (500-500) and the target
# encoder.
_ADDA = {
    "smoke": Budget(AddaTraining(steps=20, batch_size=32, discriminator_lr=2e-4,
                                 encoder_lr=2e-4, checkpoint_every=10),
                    TRANSLATION_EVAL["smoke"], AddaParams(source=SOURCE_CNN["smoke"])),
    "standard": Budget(AddaTraining(steps=1000, batch_size=64, discriminator_lr=2e-4,
                                    encoder_lr=2e-4, checkpoint_every=500),
                       TRANSLATION_EVAL["standard"], AddaParams(source=SOURCE_CNN["standard"])),
    # Tzeng et al.: batch 128, 10000 adversarial iterations, LeNet (500-d features); they use
    # 2000 MNIST / 1800 USPS images for the digit pairs. Differs: full train splits, small CNN.
    "paper": Budget(AddaTraining(steps=10000, batch_size=128, discriminator_lr=2e-4,
                                 encoder_lr=2e-4, checkpoint_every=1000),
                    TRANSLATION_EVAL["paper"], AddaParams(source=SOURCE_CNN["paper"])),
}

_TRANSLATED_IMAGES = {"smoke": 64, "standard": 20000, "paper": 60000}


def _pixel_level(translation):
    """Pixel-level adaptation: the translation suite's CycleGAN of the pair (budget
    ``translation``), then a fresh CNN on translated source images with the source CNN's budget."""
    return {profile: Budget(budget.train, budget.eval,
                            PixelParams(source=SOURCE_CNN[profile], cyclegan=budget.model_params,
                                        translated_images=_TRANSLATED_IMAGES[profile]))
            for profile, budget in translation.items()}


def _pixel_then_feature(pixel, dann):
    """Pixel then feature adaptation: the budget ``pixel``, then the pair's DANN budget ``dann``
    from its classifier."""
    def dann_stage(profile):
        params = dann[profile].model_params
        return DannStage(train=dann[profile].train, init_from_source=params.init_from_source,
                         target_batch_norm=params.target_batch_norm, anneal_lr=params.anneal_lr,
                         network=params.network)
    return {profile: replace(budget, model_params=PixelDannParams(
                **vars(budget.model_params), dann=dann_stage(profile)))
            for profile, budget in pixel.items()}


_PIXEL_CYCLEGAN = _pixel_level(CYCLEGAN_DIGITS)
_PIXEL_CYCLEGAN_RGB = _pixel_level(CYCLEGAN_DIGITS_RGB)

BUDGETS = {
    "adapt-source-only": _SOURCE_ONLY,
    "adapt-dann": _DANN,
    "adapt-dann-mnist-m": _DANN_MNIST_M,
    "adapt-adda": _ADDA,
    "adapt-pixel-cyclegan": _PIXEL_CYCLEGAN,
    "adapt-pixel-cyclegan-rgb": _PIXEL_CYCLEGAN_RGB,
    "adapt-pixel-dann": _pixel_then_feature(_PIXEL_CYCLEGAN, _DANN),
    "adapt-pixel-dann-rgb": _pixel_then_feature(_PIXEL_CYCLEGAN_RGB, _DANN_MNIST_M),
}

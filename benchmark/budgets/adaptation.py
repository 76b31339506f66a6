"""Budgets of the adaptation suite (benchmark/tasks/adaptation.py): budget name -> profile ->
Budget. Target labels only score. Why each value: docs/budgets.md."""

from dataclasses import asdict

from ..config import TrainConfig
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
                                TRANSLATION_EVAL[profile], {"source": SOURCE_CNN[profile]})
                for profile in PROFILES}

# DANN starts from the source CNN; Adam 1e-3 (beta1 0.9), batch 64 per domain, Ganin's lambda
# schedule.
_DANN = {
    "smoke": Budget(TrainConfig(steps=20, batch_size=32, g_learning_rate=1e-3, beta_1=0.9,
                                checkpoint_every=10), TRANSLATION_EVAL["smoke"],
                    {"source": SOURCE_CNN["smoke"], "init_from_source": True}),
    "standard": Budget(TrainConfig(steps=1500, batch_size=64, g_learning_rate=1e-3, beta_1=0.9,
                                   checkpoint_every=500), TRANSLATION_EVAL["standard"],
                       {"source": SOURCE_CNN["standard"], "init_from_source": True}),
    # Ganin et al. 2016: SGD momentum 0.9 with an annealed rate, batch 128 (64 per domain), their
    # 2-conv CNN. Differs: Adam and the suite's small CNN, started from the source CNN.
    "paper": Budget(TrainConfig(steps=20000, batch_size=64, g_learning_rate=1e-3, beta_1=0.9,
                                checkpoint_every=2000), TRANSLATION_EVAL["paper"],
                    {"source": SOURCE_CNN["paper"], "init_from_source": True}),
}

# MNIST -> MNIST-M (32 px RGB): DANN with batch norm per domain, tested on the target's own
# statistics (AdaBN), and twice the standard steps.
_PER_DOMAIN_BATCH_NORM = {"domain_batch_norm": True, "target_batch_norm": True}
_DANN_MNIST_M = {
    "smoke": with_params(_DANN["smoke"], **_PER_DOMAIN_BATCH_NORM),
    "standard": with_train(with_params(_DANN["standard"], **_PER_DOMAIN_BATCH_NORM),
                           steps=3000, checkpoint_every=1000),
    # Ganin et al.'s rate annealing, lr0 / (1 + 10 p)^0.75 (Adam, not their SGD).
    "paper": with_params(_DANN["paper"], **_PER_DOMAIN_BATCH_NORM, anneal_learning_rate=True),
}

# ADDA: Tzeng et al.'s Adam 2e-4, beta1 0.5 for both the discriminator (500-500) and the target
# encoder.
_ADDA = {
    "smoke": Budget(TrainConfig(steps=20, batch_size=32, d_learning_rate=2e-4,
                                g_learning_rate=2e-4, checkpoint_every=10),
                    TRANSLATION_EVAL["smoke"], {"source": SOURCE_CNN["smoke"]}),
    "standard": Budget(TrainConfig(steps=1000, batch_size=64, d_learning_rate=2e-4,
                                   g_learning_rate=2e-4, checkpoint_every=500),
                       TRANSLATION_EVAL["standard"], {"source": SOURCE_CNN["standard"]}),
    # Tzeng et al.: batch 128, 10000 adversarial iterations, LeNet (500-d features); they use
    # 2000 MNIST / 1800 USPS images for the digit pairs. Differs: full train splits, small CNN.
    "paper": Budget(TrainConfig(steps=10000, batch_size=128, d_learning_rate=2e-4,
                                g_learning_rate=2e-4, checkpoint_every=1000),
                    TRANSLATION_EVAL["paper"], {"source": SOURCE_CNN["paper"]}),
}

_TRANSLATED_IMAGES = {"smoke": 64, "standard": 20000, "paper": 60000}


def _pixel_level(translation):
    """Pixel-level adaptation: the translation suite's CycleGAN of the pair (budget
    ``translation``), then a fresh CNN on translated source images with the source CNN's budget."""
    return {profile: Budget(budget.train, budget.eval,
                            {"source": SOURCE_CNN[profile], "cyclegan": budget.model_params,
                             "translated_images": _TRANSLATED_IMAGES[profile]})
            for profile, budget in translation.items()}


def _pixel_then_feature(pixel, dann):
    """Pixel then feature adaptation: the budget ``pixel``, then the pair's DANN budget ``dann``
    from its classifier."""
    def dann_params(profile):
        budget = dann[profile]
        return {"train": asdict(budget.train),
                **{k: v for k, v in budget.model_params.items() if k != "source"}}
    return {profile: with_params(budget, dann=dann_params(profile))
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

"""What the suites' budgets share: the Budget record, the profiles, evaluation sizes, the source
CNN of transfer and adaptation, and the two ways of deriving one budget from another."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import ClassifierTraining, EvalConfig, Section, TrainConfig

PROFILES = ("smoke", "standard", "paper")


@dataclass(frozen=True)
class Budget:
    train: TrainConfig | None  # None: nothing trains (the real-data floor)
    eval: EvalConfig
    model_params: Section | dict  # a task's Section, or its model's constructor arguments


def with_train(budget, **changes):
    """``budget`` with some of its train settings changed."""
    return replace(budget, train=replace(budget.train, **changes))


def with_params(budget, **params):
    """``budget`` with some of its model_params changed (or, for constructor arguments, added)."""
    if isinstance(budget.model_params, dict):
        return replace(budget, model_params={**budget.model_params, **params})
    return replace(budget, model_params=replace(budget.model_params, **params))


# Image generation, every model of a profile alike (docs/budgets.md, "Evaluation sizes"):
# num_samples generated images against the first num_real of the train split in a fixed order
# (benchmark/scoring.py); the k-NN metrics and c2st take as many real images as samples.
# Standard: 2048 samples, the fewest at which FID's 2048-d covariance has full rank.
IMAGE_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=500, classifier_steps=150),
              "standard": EvalConfig(num_samples=2048, num_real=10000, inception_samples=2048),
              "paper": EvalConfig(num_samples=10000, num_real=10000, inception_samples=10000)}

# CIFAR-10 as published CIFAR-10 numbers are scored: FID against the statistics of all 50,000
# training images, at 5,000 samples (standard) or 50,000 (paper); the domain classifier is the
# colour CNN (benchmark/domain_classifier.py) and needs more steps than the digits' small CNN.
CIFAR_CLASSIFIER_STEPS = 16000
CIFAR_EVAL = {"smoke": replace(IMAGE_EVAL["smoke"], classifier_steps=30),  # a check it runs
              "standard": EvalConfig(num_samples=5000, num_real=50000, inception_samples=5000,
                                     classifier_steps=CIFAR_CLASSIFIER_STEPS),
              "paper": EvalConfig(num_samples=50000, num_real=50000, inception_samples=50000,
                                  classifier_steps=CIFAR_CLASSIFIER_STEPS)}

# Translation, transfer and adaptation: test images scored per domain.
TRANSLATION_EVAL = {"smoke": EvalConfig(num_samples=200, num_real=200, classifier_steps=150),
                    "standard": EvalConfig(num_samples=2000, num_real=2000),
                    "paper": EvalConfig(num_samples=10000, num_real=10000)}

# The source CNN of transfer and adaptation (Adam, cached per source, format and seed).
SOURCE_CNN = {"smoke": ClassifierTraining(steps=30, batch_size=32, classifier_lr=1e-3),
              "standard": ClassifierTraining(steps=1000, batch_size=64, classifier_lr=1e-3),
              "paper": ClassifierTraining(steps=10000, batch_size=128, classifier_lr=1e-3)}

"""Budgets of the ssl suite (benchmark/tasks/ssl.py): budget name -> profile -> Budget. Every
method has the same budget on the digit sets; CIFAR-10 (the "-cifar" budgets) runs every method
on Salimans et al.'s CIFAR-10 CNN on the paper profile, and SSGAN against supervised-only on a
quarter-width CNN for 500 steps on the standard one (a reduced budget, reported as such). Why
each value: docs/budgets.md.

Salimans et al.'s MNIST setup: the SSGAN discriminator (MLP 1000-500-250-250-250, weight norm,
Gaussian noise) is also every neural baseline's classifier; Adam 3e-3, beta1 0.5, batch 100.
"""

from dataclasses import replace

from ..config import EvalConfig, TrainConfig
from ..tasks.configs import (
    BaselineParams,
    GmmParams,
    PseudoLabelParams,
    PseudoLabelRounds,
    SslAdversarialTraining,
    SslClassifierTraining,
)
from .common import Budget, with_params

_EVAL = EvalConfig(num_samples=1, num_real=1)  # unused: scored on the whole official test split
_CLASSIFIER = {"hidden_units": [1000, 500, 250, 250, 250], "input_noise": 0.6, "hidden_noise": 0.5}
_SMOKE_CLASSIFIER = {**_CLASSIFIER, "hidden_units": [64, 32]}


# Every fit of every method, SSGAN's included, follows one rule per profile (equal compute): at
# most ``steps`` steps of batch 100, measured on the validation split every ``checkpoint_every``
# steps, ended as its best model, stopped ``patience`` steps after it (0: never).
_STOPPING = {"smoke": {"steps": 20, "checkpoint_every": 10, "patience": 0},
             "standard": {"steps": 40000, "checkpoint_every": 500, "patience": 2000},
             "paper": {"steps": 180000, "checkpoint_every": 1000, "patience": 20000}}


def _ssgan(profile, networks):
    return Budget(SslAdversarialTraining(batch_size=100, discriminator_lr=3e-3, generator_lr=3e-3,
                                         **_STOPPING[profile]), _EVAL, networks)


_SSGAN = {
    "smoke": _ssgan("smoke", {"discriminator_units": [64, 32], "generator_units": [64],
                              "latent_dim": 16}),
    "standard": _ssgan("standard", {}),  # {}: the paper's networks and 1 G step
    # Their MNIST settings (300 epochs of 600 steps, Adam 3e-3, beta1 0.5, batch 100, unlabelled
    # weight 1 on their halved loss). Differs: generator output tanh (data in [-1, 1]) and normal
    # noise (theirs sigmoid, uniform); weight average for testing: an EMA with decay 0.999 (theirs
    # 0.9999 started from zeros); the validation early stopping. CIFAR-10: the "-cifar" budgets.
    "paper": _ssgan("paper", {}),
}


def _classifier_method(params_class, **params):
    """A baseline: each fit of the shared classifier by the profile's ``_STOPPING`` rule."""
    return {profile: Budget(SslClassifierTraining(batch_size=100, classifier_lr=3e-3, beta_1=0.5,
                                                  **stopping), _EVAL,
                            params_class(classifier=_SMOKE_CLASSIFIER if profile == "smoke"
                                         else _CLASSIFIER, **params))
            for profile, stopping in _STOPPING.items()}


# EM: no gradient steps.
_GMM = Budget(TrainConfig(steps=1, batch_size=1, checkpoint_every=1), _EVAL,
              GmmParams(components=30, iterations=20, regularization=1e-2))

_EVERY_PROFILE = {
    "ssl-ssgan": _SSGAN,
    "ssl-ssgan_explicit": _SSGAN,
    "ssl-supervised": _classifier_method(BaselineParams),
    "ssl-self_training": _classifier_method(PseudoLabelRounds, rounds=3, fraction=0.1,
                                            pseudo_batch_share=0.5),
    "ssl-pseudo_label": _classifier_method(PseudoLabelParams, alpha=3.0, ramp_start=100,
                                           ramp_end=600),
    "ssl-cotraining_shared": _classifier_method(PseudoLabelRounds, rounds=2, fraction=0.1,
                                                pseudo_batch_share=0.5),
    "ssl-cotraining_teach": _classifier_method(PseudoLabelRounds, rounds=2, fraction=0.1,
                                               pseudo_batch_share=0.5),
    "ssl-gmm": {"smoke": with_params(_GMM, components=10, iterations=3),
                "standard": _GMM, "paper": _GMM},
}



def _on_cifar_cnn(budget, **width):
    """``budget`` on Salimans et al.'s CIFAR-10 networks: the CNN discriminator for SSGAN and as
    every neural baseline's classifier, Adam 3e-4 (beta1 0.5) as their CIFAR-10 code trains it;
    ``width``: an optional ``cnn_width``."""
    cnn = {"architecture": "cnn", **width}
    if isinstance(budget.model_params, dict):  # SSGAN's constructor arguments
        return replace(with_params(budget, **cnn),
                       train=replace(budget.train, discriminator_lr=3e-4, generator_lr=3e-4))
    if not hasattr(budget.model_params, "classifier"):  # the GMM: no network
        return budget
    return replace(with_params(budget, classifier=cnn),
                   train=replace(budget.train, classifier_lr=3e-4))


# Standard CIFAR-10: ~20 minutes of SSGAN training a seed on 2 CPU cores (2 s a step at a quarter
# of the paper's widths), the same steps for supervised-only; the other methods: paper only.
_CIFAR_STANDARD = {"steps": 500, "checkpoint_every": 100, "patience": 0}
_CIFAR_STANDARD_METHODS = ("ssl-ssgan", "ssl-supervised")


def _cifar_budgets(name, budgets):
    cifar = {"paper": _on_cifar_cnn(budgets["paper"])}
    if name in _CIFAR_STANDARD_METHODS:
        reduced = replace(budgets["standard"], train=replace(budgets["standard"].train,
                                                             **_CIFAR_STANDARD))
        cifar["standard"] = _on_cifar_cnn(reduced, cnn_width=0.25)
    return cifar


BUDGETS = {**_EVERY_PROFILE,
           **{f"{name}-cifar": _cifar_budgets(name, budgets)
              for name, budgets in _EVERY_PROFILE.items()}}

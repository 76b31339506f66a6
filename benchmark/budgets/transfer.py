"""Budgets of the transfer suite (benchmark/tasks/transfer.py): budget name -> profile -> Budget.
Why each value: docs/budgets.md.

train.steps is per label fraction (Adam; batch capped at the labelled-set size);
model.source is the source CNN's budget (cached per seed, shared with adaptation), model.dcgan
the DCGAN's of dcgan_features (the DCGAN paper's Adam 2e-4, beta1 0.5; cached per seed).
"""

from dataclasses import replace

from ..config import AdversarialTraining
from ..tasks.configs import L2spParams, TransferParams, TransferTraining
from .common import SOURCE_CNN, TRANSLATION_EVAL, Budget


def _small_cnn(profile, steps, batch_size, fractions, dcgan_steps):
    return Budget(TransferTraining(steps=steps, batch_size=batch_size, classifier_lr=1e-3,
                                   finetune_lr=1e-3), TRANSLATION_EVAL[profile],
                  TransferParams(source=SOURCE_CNN[profile], fractions=fractions,
                                 dcgan=AdversarialTraining(steps=dcgan_steps,
                                                           batch_size=batch_size)))


_SMALL_CNN = {"smoke": _small_cnn("smoke", 10, 32, (1, 100), dcgan_steps=10),
              "standard": _small_cnn("standard", 300, 64, (1, 5, 10, 100), dcgan_steps=500),
              "paper": _small_cnn("paper", 3000, 128, (1, 5, 10, 100), dcgan_steps=10000)}

BUDGETS = {
    "transfer-small-cnn": _SMALL_CNN,
    # L2-SP (Li et al. 2018) with Adam at the fine-tuning rate; its own budget keeps the other
    # strategies' config hashes.
    "transfer-l2sp": {profile: replace(budget, model_params=L2spParams(
                          **vars(budget.model_params), l2sp_weight=0.01))
                      for profile, budget in _SMALL_CNN.items()},
}

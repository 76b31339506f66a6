"""Budgets of the transfer suite (benchmark/tasks/transfer.py): budget name -> profile -> Budget.
Why each value: docs/budgets.md.

train.steps is per label fraction (Adam; batch capped at the labelled-set size);
model_params["source"] is the source CNN's budget (cached per seed, shared with adaptation).
"""

from ..config import TrainConfig
from .common import SOURCE_CNN, TRANSLATION_EVAL, Budget, with_params

_SMALL_CNN = {
    "smoke": Budget(TrainConfig(steps=10, batch_size=32), TRANSLATION_EVAL["smoke"],
                    {"source": SOURCE_CNN["smoke"], "fractions": [1, 100], "learning_rate": 1e-3,
                     "finetune_learning_rate": 1e-3, "dcgan": {"steps": 10, "batch_size": 32}}),
    "standard": Budget(TrainConfig(steps=300, batch_size=64), TRANSLATION_EVAL["standard"],
                       {"source": SOURCE_CNN["standard"], "fractions": [1, 5, 10, 100],
                        "learning_rate": 1e-3, "finetune_learning_rate": 1e-3,
                        "dcgan": {"steps": 500, "batch_size": 64}}),
    "paper": Budget(TrainConfig(steps=3000, batch_size=128), TRANSLATION_EVAL["paper"],
                    {"source": SOURCE_CNN["paper"], "fractions": [1, 5, 10, 100],
                     "learning_rate": 1e-3, "finetune_learning_rate": 1e-3,
                     "dcgan": {"steps": 10000, "batch_size": 128}}),
}

BUDGETS = {
    "transfer-small-cnn": _SMALL_CNN,
    # L2-SP (Li et al. 2018) with Adam at the fine-tuning rate; its own budget keeps the other
    # strategies' config hashes.
    "transfer-l2sp": {profile: with_params(budget, l2sp_weight=0.01)
                      for profile, budget in _SMALL_CNN.items()},
}

"""Budgets: how long each task trains and how much it evaluates, at each profile.

One module per suite holds its budgets as literals, budget name -> profile -> Budget; a budget
that derives from another is written as a function of it. The measurements behind the values are
in docs/budgets.md, one paragraph per budget.
"""

from . import adaptation, diffusion, gan, ssl, transfer, translation
from .common import PROFILES

BUDGETS = {**gan.BUDGETS, **translation.BUDGETS, **diffusion.BUDGETS, **transfer.BUDGETS,
           **adaptation.BUDGETS, **ssl.BUDGETS}

__all__ = ["BUDGETS", "PROFILES"]

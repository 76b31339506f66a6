"""Inception Score (Salimans et al. 2016)."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy


def inception_score(probs, splits=10) -> tuple[float, float]:
    """Inception Score: ``(mean, std)`` over splits of ``exp(E_x[KL(p(y|x) || p(y))])``.

    ``probs`` is (N, K), one class distribution per generated sample (rows must be
    non-negative and sum to 1 within 1e-3). The rows are cut in order into
    ``splits`` nearly equal parts (``numpy.array_split``); in each part ``p(y)`` is
    the mean row and ``0 log 0 = 0``. The std is the population std (``ddof=0``) as
    in the reference code. Ranges from 1 (every sample gets the same prediction)
    to K (confident predictions spread evenly over the K classes).
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(
            f"probs must be a non-empty 2-D array (samples, classes), got shape {p.shape}"
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("probs must be finite and non-negative")
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("each row of probs must sum to 1 (pass softmax probabilities, not logits)")
    if not 1 <= int(splits) <= p.shape[0]:
        raise ValueError(
            f"splits must be between 1 and the number of samples ({p.shape[0]}), got {splits}"
        )
    scores = []
    for part in np.array_split(p, int(splits)):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))

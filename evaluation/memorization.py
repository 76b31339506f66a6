"""Memorization: how often generated samples sit closer to the training set than real unseen
images do."""

from __future__ import annotations

import numpy as np

from .distances import (
    as_feature_matrix,
    check_same_feature_size,
    kth_smallest_squared_distance,
)


def memorization(generated_features, train_features, test_features, quantile=0.05) -> float:
    """Share of generated samples nearer to the training set than real test images typically are.

    Let ``d(x)`` be the Euclidean distance from ``x`` to its nearest training
    sample, and ``t`` the ``quantile`` (default 0.05, the 5th percentile; linear
    interpolation) of ``d`` over the real test samples, which the model never saw.
    The score is the share of generated samples ``g`` with ``d(g) < t``.

    Reading it: a generator whose samples are as new to the training set as held-out
    real images scores about ``quantile`` (0.05); a generator that copies training
    images scores up to 1. Values well above ``quantile`` signal memorization.
    If at least a ``quantile`` share of test images duplicate training images,
    ``t = 0`` and the score is 0: deduplicate the splits first.
    """
    generated = as_feature_matrix(generated_features, "generated_features")
    train = as_feature_matrix(train_features, "train_features")
    test = as_feature_matrix(test_features, "test_features")
    check_same_feature_size(generated, train, "generated_features", "train_features")
    check_same_feature_size(test, train, "test_features", "train_features")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    test_distances = np.sqrt(kth_smallest_squared_distance(test, train, 1))
    generated_distances = np.sqrt(kth_smallest_squared_distance(generated, train, 1))
    return float((generated_distances < np.quantile(test_distances, quantile)).mean())

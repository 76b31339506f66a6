"""Classifier two-sample test (Lopez-Paz & Oquab 2017) with a 1-nearest-neighbour classifier."""

from __future__ import annotations

import numpy as np

from .distances import as_feature_matrix, check_same_feature_size, squared_distance_blocks


def c2st_accuracy(real_features, fake_features, seed=0) -> float:
    """Held-out accuracy of a 1-nearest-neighbour classifier telling real from generated samples.

    Classes are balanced: ``n = min(N_real, N_fake)`` samples of each set are drawn
    without replacement (``numpy.random.default_rng(seed)``), and each class is split
    in half. Every sample of the test halves is labelled with the class of its
    nearest (Euclidean) sample in the training halves; the score is the share
    labelled correctly. 1-NN is deterministic and, unlike a linear classifier, also
    sees differences in spread or shape (Lopez-Paz & Oquab 2017 use 1-NN among
    their tests; Xu et al. 2018 recommend it for GANs).

    Reading it: 0.5 = indistinguishable, 1.0 = fully separable. Clearly below 0.5
    means generated samples lie on top of real ones (copies of real data).
    Each set needs at least 2 samples.
    """
    real = as_feature_matrix(real_features, "real_features", min_rows=2)
    fake = as_feature_matrix(fake_features, "fake_features", min_rows=2)
    check_same_feature_size(real, fake, "real_features", "fake_features")
    n = min(real.shape[0], fake.shape[0])
    n_train = n // 2
    rng = np.random.default_rng(seed)
    real = real[rng.choice(real.shape[0], n, replace=False)]
    fake = fake[rng.choice(fake.shape[0], n, replace=False)]
    train = np.concatenate([real[:n_train], fake[:n_train]])
    train_is_real = np.arange(train.shape[0]) < n_train
    test = np.concatenate([real[n_train:], fake[n_train:]])
    test_is_real = np.arange(test.shape[0]) < n - n_train
    predicted_real = np.empty(test.shape[0], dtype=bool)
    for rows, d2 in squared_distance_blocks(test, train):
        predicted_real[rows] = train_is_real[d2.argmin(axis=1)]
    return float((predicted_real == test_is_real).mean())

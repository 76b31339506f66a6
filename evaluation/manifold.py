"""k-NN manifold metrics: precision/recall (Kynkäänniemi et al. 2019), density/coverage (Naeem et
al. 2020).

A set's manifold is estimated as the union of balls around its samples, each
ball's radius being the distance to the sample's k-th nearest neighbour within
the same set (the sample itself excluded). A point is inside a ball when its
distance is <= the radius. Distances are Euclidean, computed in float64 and in
blocks, so 10,000 x 10,000 samples of dimension 2048 need well under 1 GB.
"""

from __future__ import annotations

import numpy as np

from .distances import (
    as_feature_matrix,
    check_same_feature_size,
    kth_smallest_squared_distance,
    squared_distance_blocks,
)


def _checked_pair(real_features, fake_features, k) -> tuple[np.ndarray, np.ndarray]:
    real = as_feature_matrix(real_features, "real_features")
    fake = as_feature_matrix(fake_features, "fake_features")
    check_same_feature_size(real, fake, "real_features", "fake_features")
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    for name, array in (("real_features", real), ("fake_features", fake)):
        if array.shape[0] <= k:
            raise ValueError(f"{name} needs more than k={k} samples, got {array.shape[0]}")
    return real, fake


def _share_inside_balls(
    points: np.ndarray, centres: np.ndarray, squared_radii: np.ndarray
) -> float:
    """Share of ``points`` inside at least one ball (centre, radius)."""
    inside = np.zeros(points.shape[0], dtype=bool)
    for rows, d2 in squared_distance_blocks(points, centres):
        inside[rows] = (d2 <= squared_radii[None, :]).any(axis=1)
    return float(inside.mean())


def precision_recall(real_features, fake_features, k=3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019), each in [0, 1].

    precision = share of fake samples inside the real manifold (some real sample's
    k-NN ball); recall = share of real samples inside the fake manifold. Both sets
    need more than ``k`` samples; the paper uses k = 3.
    """
    real, fake = _checked_pair(real_features, fake_features, k)
    real_radii = kth_smallest_squared_distance(real, real, int(k) + 1)
    fake_radii = kth_smallest_squared_distance(fake, fake, int(k) + 1)
    return _share_inside_balls(fake, real, real_radii), _share_inside_balls(real, fake, fake_radii)


def density_coverage(real_features, fake_features, k=5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020), built on the real samples' k-NN balls only.

    density = (1 / (k M)) Σ_j Σ_i 1[fake_j in ball_i], over M fake and all real
    samples: about 1 when both sets come from one distribution, unbounded above.
    coverage = share of real samples whose ball contains at least one fake sample,
    in [0, 1]. The paper uses k = 5.
    """
    real, fake = _checked_pair(real_features, fake_features, k)
    real_radii = kth_smallest_squared_distance(real, real, int(k) + 1)
    balls_containing = 0
    for _, d2 in squared_distance_blocks(fake, real):
        balls_containing += int((d2 <= real_radii[None, :]).sum())
    density = balls_containing / (int(k) * fake.shape[0])
    nearest_fake = kth_smallest_squared_distance(real, fake, 1)
    coverage = float((nearest_fake <= real_radii).mean())
    return float(density), coverage

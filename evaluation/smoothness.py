"""Smoothness of latent interpolations, a perceptual-path-length style figure (Karras et al.
2019)."""

from __future__ import annotations

import numpy as np


def latent_path_smoothness(path_features) -> float:
    """Mean squared feature distance between consecutive images along latent interpolation paths.

    ``path_features`` has shape (num_paths, steps, D): features of the images
    generated at ``steps`` fixed, evenly spaced points of each latent path. The
    figure is ``mean over paths p and t < steps-1 of ||f[p, t+1] - f[p, t]||²``.
    Unlike PPL there is no epsilon and no division by epsilon²: the steps are the
    path's own. Lower is smoother; only comparable between runs with the same
    feature extractor, number of steps and path length in latent space.
    """
    features = np.asarray(path_features, dtype=np.float64)
    if (
        features.ndim != 3
        or features.shape[0] == 0
        or features.shape[1] < 2
        or features.shape[2] == 0
    ):
        raise ValueError(
            "path_features must have shape (num_paths >= 1, steps >= 2, D >= 1), "
            f"got {features.shape}"
        )
    if not np.isfinite(features).all():
        raise ValueError("path_features contains NaN or infinite values")
    steps = np.diff(features, axis=1)
    return float((steps**2).sum(axis=2).mean())

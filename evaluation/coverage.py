"""Mode-collapse metrics: modes of a Gaussian mixture and classes a classifier finds among
samples."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from .distances import as_feature_matrix, check_same_feature_size


def _kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p || uniform) = Σ p_k log(p_k K) of the histogram ``counts``; empty bins add 0
    (0 log 0 = 0)."""
    p = counts / counts.sum()
    return float(xlogy(p, p * counts.size).sum())


def mode_coverage(samples, centers, std, threshold=3.0, min_share=20 / 2500) -> dict:
    """Mode coverage on a Gaussian mixture with equal isotropic components (VEEGAN, Srivastava et
    al. 2017).

    The 8-on-a-ring / 25-on-a-grid protocol of Unrolled GAN, VEEGAN and PacGAN:
    a sample is *high quality* (hq) when its Euclidean distance to the nearest
    centre is at most ``threshold * std``, and it is assigned to that mode. A mode
    is *covered* when it receives at least ``min_share * N`` hq samples — 20 out of
    2500, the VEEGAN/PacGAN rule, scaled to the number N of samples.

    Returns ``modes_covered`` (int), ``hq_share`` (hq samples / N) and ``mode_kl`` =
    KL(histogram of hq samples over the K modes || uniform) = Σ p_k log(p_k K),
    where empty modes add 0; 0 means the hq samples are spread evenly, log K that
    they all sit on one mode. With no hq sample at all the histogram does not
    exist and ``mode_kl`` is reported as log K, the worst value.
    """
    points = as_feature_matrix(samples, "samples")
    modes = as_feature_matrix(centers, "centers")
    check_same_feature_size(points, modes, "samples", "centers")
    if not (np.isfinite(std) and std > 0 and np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"std and threshold must be positive numbers, got {std} and {threshold}")
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    squared_distances = ((points[:, None, :] - modes[None, :, :]) ** 2).sum(axis=2)
    nearest = squared_distances.argmin(axis=1)
    hq = squared_distances.min(axis=1) <= (threshold * std) ** 2
    counts = np.bincount(nearest[hq], minlength=modes.shape[0])
    return {
        "modes_covered": int((counts >= min_share * points.shape[0]).sum()),
        "hq_share": float(hq.mean()),
        "mode_kl": _kl_to_uniform(counts) if counts.sum() else float(np.log(modes.shape[0])),
    }


def class_coverage(probs_or_labels, num_classes, min_share=0.1) -> dict:
    """Classes a classifier finds among generated samples, and how evenly.

    ``probs_or_labels`` is either (N, K) class scores (the predicted class is the
    argmax of each row) or (N,) integer labels in [0, K). A class is *covered*
    when its share of the predictions is at least ``min_share / K``: with the
    default 0.1, a tenth of the share each class gets from a uniform generator.

    Returns ``classes_covered`` (int) and ``class_kl`` = KL(predicted class
    histogram || uniform) = Σ p_k log(p_k K), empty classes adding 0: 0 for an
    even spread, log K when every sample falls into one class.
    """
    num_classes = int(num_classes)
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if not min_share > 0:
        raise ValueError(f"min_share must be > 0, got {min_share}")
    values = np.asarray(probs_or_labels)
    if values.ndim not in (1, 2) or values.shape[0] == 0:
        raise ValueError(
            f"expected (N, K) class scores or (N,) labels with N >= 1, got shape {values.shape}"
        )
    if not np.isfinite(values.astype(np.float64)).all():
        raise ValueError("probs_or_labels contains NaN or infinite values")
    if values.ndim == 2:
        if values.shape[1] != num_classes:
            raise ValueError(
                f"class scores have {values.shape[1]} columns, expected num_classes={num_classes}"
            )
        labels = values.argmax(axis=1)
    else:
        labels = values.astype(np.int64)
        if (labels != values).any() or labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(
                f"labels must be integers in [0, {num_classes}), got values outside that set"
            )
    counts = np.bincount(labels, minlength=num_classes)
    return {
        "classes_covered": int((counts >= min_share / num_classes * labels.size).sum()),
        "class_kl": _kl_to_uniform(counts),
    }

"""The input check of every metric and the chunked pairwise distances that the k-NN metrics
(manifold, memorization, c2st) share. FID and KID are in ``evaluation.fid``."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

_BLOCK_BYTES = 256 * 2**20  # memory budget of one block of pairwise distances


def as_feature_matrix(features, name: str, min_rows: int = 1) -> np.ndarray:
    """Return ``features`` as a finite float64 array (N, D) with N >= min_rows, or raise
    ValueError."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {array.shape}")
    if array.shape[0] < min_rows or array.shape[1] == 0:
        raise ValueError(
            f"{name} needs at least {min_rows} sample(s) of at least 1 feature, "
            f"got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_same_feature_size(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless the two feature matrices have the same number of columns."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} have different feature sizes: {a.shape[1]} vs {b.shape[1]}"
        )


def squared_distance_blocks(x: np.ndarray, y: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, d2)`` where ``d2[i, j] = ||x[rows][i] - y[j]||²``, row block by row block.

    Blocks hold at most ~256 MB, so 10,000 x 10,000 pairs at any dimension fit in
    memory. Both sets are first centred on the mean of ``y`` (distances do not
    change) to limit cancellation in ``|x|² + |y|² - 2 x·y``; results are clipped at 0.
    """
    centre = y.mean(axis=0)
    x = x - centre
    y = y - centre
    y_sq = np.einsum("ij,ij->i", y, y)
    rows_per_block = max(1, _BLOCK_BYTES // (8 * y.shape[0]))
    for start in range(0, x.shape[0], rows_per_block):
        rows = slice(start, start + rows_per_block)
        xb = x[rows]
        d2 = np.einsum("ij,ij->i", xb, xb)[:, None] + y_sq[None, :] - 2.0 * (xb @ y.T)
        yield rows, np.maximum(d2, 0.0)


def kth_smallest_squared_distance(x: np.ndarray, y: np.ndarray, kth: int) -> np.ndarray:
    """For every row of ``x``, the kth smallest (1-based) squared distance to the rows of ``y``.

    For radii within one set pass ``y = x`` and ``kth = k + 1``: the point itself is the first.
    """
    if not 1 <= kth <= y.shape[0]:
        raise ValueError(
            f"need at least {kth} reference samples for this neighbour, got {y.shape[0]}"
        )
    out = np.empty(x.shape[0])
    for rows, d2 in squared_distance_blocks(x, y):
        out[rows] = np.partition(d2, kth - 1, axis=1)[:, kth - 1]
    return out

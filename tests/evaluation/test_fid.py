import numpy as np
import pytest
import scipy.linalg

from genbench.evaluation import (
    frechet_distance,
    frechet_distance_from_moments,
    frechet_distance_infinity,
    kernel_distance,
)


def sqrtm_frechet(mu_a, cov_a, mu_b, cov_b):
    """The usual FID formula with scipy.linalg.sqrtm, as an independent reference."""
    diff = mu_a - mu_b
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean)


def random_spd(rng, dim):
    m = rng.normal(size=(dim, dim))
    return m @ m.T / dim + 0.1 * np.eye(dim)


def test_diagonal_covariances_closed_form():
    rng = np.random.default_rng(0)
    mu_a, mu_b = rng.normal(size=32), rng.normal(size=32)
    var_a, var_b = rng.uniform(0.1, 3, size=32), rng.uniform(0.1, 3, size=32)
    expected = ((mu_a - mu_b) ** 2).sum() + ((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum()
    got = frechet_distance_from_moments(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("dim", [64, 256])
def test_general_spd_matches_sqrtm(dim):
    rng = np.random.default_rng(dim)
    mu_a, mu_b = rng.normal(size=dim), rng.normal(size=dim)
    cov_a, cov_b = random_spd(rng, dim), random_spd(rng, dim)
    expected = sqrtm_frechet(mu_a, cov_a, mu_b, cov_b)
    assert frechet_distance_from_moments(mu_a, cov_a, mu_b, cov_b) == pytest.approx(
        expected, rel=1e-6
    )


def test_commuting_covariances_matches_sqrtm():
    rng = np.random.default_rng(1)
    basis, _ = np.linalg.qr(rng.normal(size=(64, 64)))
    cov_a = basis @ np.diag(rng.uniform(0.1, 2, 64)) @ basis.T
    cov_b = basis @ np.diag(rng.uniform(0.1, 2, 64)) @ basis.T
    mu = np.zeros(64)
    expected = sqrtm_frechet(mu, cov_a, mu, cov_b)
    assert frechet_distance_from_moments(mu, cov_a, mu, cov_b) == pytest.approx(expected, rel=1e-6)


def test_samples_match_sqrtm_on_sample_moments():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(1000, 128))
    b = rng.normal(size=(800, 128)) * 1.3 + 0.2
    expected = sqrtm_frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_identity_symmetry_and_translation():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(500, 64))
    b = rng.normal(size=(400, 64)) * 0.8 + 0.5
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    shift = rng.normal(size=64) * 10
    assert frechet_distance(a + shift, b + shift) == pytest.approx(frechet_distance(a, b), rel=1e-8)


def test_singular_covariance_fewer_samples_than_dimensions():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(50, 128))
    b = rng.normal(size=(500, 128)) + 0.3
    got = frechet_distance(a, b)
    # Independent route: the non-zero eigenvalues of A B equal those of Xa B Xa^T / (n - 1).
    centred = a - a.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eigenvalues = np.linalg.eigvalsh(centred @ cov_b @ centred.T / 49)
    diff = a.mean(0) - b.mean(0)
    expected = (
        diff @ diff
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2 * np.sqrt(np.clip(eigenvalues, 0, None)).sum()
    )
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-6)


def test_frechet_rejects_bad_inputs():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="different feature sizes"):
        frechet_distance(x, np.zeros((10, 5)))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((10, 4), np.nan), x)
    with pytest.raises(ValueError, match="2-D"):
        frechet_distance(np.zeros(10), x)
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(np.zeros((1, 4)), x)
    with pytest.raises(ValueError, match="shape"):
        frechet_distance_from_moments(np.zeros(3), np.eye(4), np.zeros(3), np.eye(3))


def naive_unbiased_mmd2(x, y):
    dim = x.shape[1]

    def k(u, v):
        return (u @ v / dim + 1) ** 3

    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kid_matches_naive_double_loop():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 3)) + 0.5
    # subset_size = N: every subset is the whole set, so each MMD² is the full-sample one.
    mean, std = kernel_distance(x, y, num_subsets=3, subset_size=12)
    assert mean == pytest.approx(naive_unbiased_mmd2(x, y), rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_kid_same_distribution_near_zero_and_shift_positive():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    mean, std = kernel_distance(a, b, num_subsets=20, subset_size=500)
    assert abs(mean) < std
    shifted_mean, shifted_std = kernel_distance(a, b + 1.0, num_subsets=20, subset_size=500)
    assert shifted_mean > 10 * shifted_std > 0


def test_kid_is_unbiased():
    rng = np.random.default_rng(7)
    unbiased, biased = [], []
    for seed in range(200):
        x, y = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
        unbiased.append(kernel_distance(x, y, num_subsets=1, subset_size=20, seed=seed)[0])
        k_xx, k_yy, k_xy = ((u @ v.T / 4 + 1) ** 3 for u, v in ((x, x), (y, y), (x, y)))
        biased.append(k_xx.mean() + k_yy.mean() - 2 * k_xy.mean())
    standard_error = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * standard_error
    assert np.mean(biased) > 10 * standard_error


def test_kid_default_subsets_are_smaller_than_the_sets():
    """By default a subset holds half the smaller set: the subsets differ and their std is > 0
    (subsets as large as the sets are one set in other orders, std 0)."""
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(30, 4)), rng.normal(size=(50, 4))
    mean, std = kernel_distance(a, b, num_subsets=20)
    assert np.isfinite(mean) and std > 0
    assert kernel_distance(a, b, num_subsets=20, subset_size=15) == (mean, std)


def test_kid_rejects_bad_inputs():
    with pytest.raises(ValueError, match="subset_size <= 30"):
        kernel_distance(np.zeros((30, 4)), np.zeros((50, 4)), subset_size=31)
    with pytest.raises(ValueError, match="num_subsets"):
        kernel_distance(np.zeros((10, 4)), np.zeros((10, 4)), num_subsets=0)
    with pytest.raises(ValueError, match="different feature sizes"):
        kernel_distance(np.zeros((10, 4)), np.zeros((10, 3)))


def test_fid_infinity_recovers_the_population_distance_of_gaussians():
    """Real N(0, I) and generated N(mu, diag(s²)) in 64-d: the population Fréchet distance is
    ``|mu|² + Σ (1 - s)²`` (7.113 here). FID on 2,000 generated samples is biased up by ~0.59
    (0.588 ± 0.051 over 10 draws); FID∞'s error is sampling noise, -0.012 ± 0.075 over the same
    draws, plus the real side's own finite-N bias (20,000 samples, ~0.06), hence the tolerance
    0.25 (about 3 of its standard deviations), half the bias of FID at 2,000."""
    dim = 64
    rng = np.random.default_rng(0)
    mu, s = rng.normal(size=dim) * 0.1, rng.uniform(0.5, 1.5, size=dim)
    population = mu @ mu + ((1 - s) ** 2).sum()
    real = rng.normal(size=(20_000, dim))
    fake = mu + s * rng.normal(size=(2_000, dim))
    fid_inf = frechet_distance_infinity(real, fake, seed=0)
    assert frechet_distance(real, fake) - population > 0.45
    assert fid_inf == pytest.approx(population, abs=0.25)


def test_fid_infinity_is_the_intercept_of_fid_against_one_over_n():
    """Two sample counts, every generated row in each subset: the line through FID at N/2 (rows
    drawn with the same seed) and at N, extended to 1/N = 0."""
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(400, 8)), rng.normal(size=(100, 8)) + 0.5
    half = fake[np.random.default_rng(3).permutation(100)[:50]]
    at_half, at_full = frechet_distance(real, half), frechet_distance(real, fake)
    expected = at_full - (at_half - at_full) / (1 / 50 - 1 / 100) * (1 / 100)
    got = frechet_distance_infinity(real, fake, num_points=2, min_size=50, seed=3)
    assert got == pytest.approx(expected, rel=1e-9)


def test_fid_infinity_rejects_bad_sizes():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="min_size"):
        frechet_distance_infinity(x, x, min_size=10)
    with pytest.raises(ValueError, match="num_points"):
        frechet_distance_infinity(x, x, num_points=1)

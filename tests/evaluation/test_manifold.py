import numpy as np
import pytest

from genbench.evaluation import density_coverage, precision_recall


def test_identical_sets_are_fully_precise_and_covered():
    x = np.random.default_rng(0).normal(size=(200, 8))
    assert precision_recall(x, x, k=3) == (1.0, 1.0)
    assert density_coverage(x, x, k=5)[1] == 1.0


def test_far_apart_sets_score_zero():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(200, 8)), rng.normal(size=(150, 8)) + 100
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)


def test_hand_checked_one_dimensional_example():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])  # k=1 radii: all 1
    fake = np.array([[0.5], [10.0]])  # k=1 radii: both 9.5
    # precision: 0.5 lies in the ball of 0 (and 1), 10 in none -> 1/2.
    # recall: every real point is within 9.5 of 0.5 -> 1 (the outlier inflates the fake manifold).
    assert precision_recall(real, fake, k=1) == pytest.approx((0.5, 1.0))
    # density: 0.5 lies in 2 real balls, 10 in none -> 2 / (k * M) = 2 / 2 = 1.
    # coverage: the balls of 0 and 1 hold a fake point, those of 2 and 3 do not -> 1/2.
    assert density_coverage(real, fake, k=1) == pytest.approx((1.0, 0.5))


def test_density_near_one_for_one_gaussian():
    rng = np.random.default_rng(2)
    density, coverage = density_coverage(
        rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8)), k=5
    )
    assert density == pytest.approx(1.0, abs=0.1)
    assert coverage > 0.9


def test_narrow_fake_set_is_precise_but_has_low_recall():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(1000, 2))
    fake = rng.normal(size=(1000, 2)) * 0.2
    precision, recall = precision_recall(real, fake)
    assert precision > 0.95 and recall < 0.5


def test_rejects_bad_inputs():
    x = np.zeros((10, 4))
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall(x[:3], x)
    with pytest.raises(ValueError, match="different feature sizes"):
        density_coverage(x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        precision_recall(x, np.full((10, 4), np.inf))
    with pytest.raises(ValueError, match="k must be"):
        density_coverage(x, x, k=0)

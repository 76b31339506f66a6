import numpy as np
import pytest

from genbench.evaluation import c2st_accuracy


def test_same_distribution_is_at_chance():
    rng = np.random.default_rng(0)
    accuracy = c2st_accuracy(rng.normal(size=(2000, 8)), rng.normal(size=(1500, 8)))
    assert accuracy == pytest.approx(0.5, abs=0.05)


def test_well_separated_sets_are_told_apart():
    rng = np.random.default_rng(1)
    assert c2st_accuracy(rng.normal(size=(500, 8)), rng.normal(size=(500, 8)) + 10) == 1.0


def test_different_spread_is_detected():
    rng = np.random.default_rng(2)
    assert c2st_accuracy(rng.normal(size=(1000, 8)), 3 * rng.normal(size=(1000, 8))) > 0.8


def test_deterministic_given_seed():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) + 0.3
    assert c2st_accuracy(real, fake, seed=5) == c2st_accuracy(real, fake, seed=5)


def test_rejects_bad_inputs():
    with pytest.raises(ValueError, match="at least 2"):
        c2st_accuracy(np.zeros((1, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="different feature sizes"):
        c2st_accuracy(np.zeros((10, 3)), np.zeros((10, 2)))

import numpy as np
import pytest

from genbench.evaluation import memorization


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    return rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))  # train, test


def test_copies_of_training_set_score_one(sets):
    train, test = sets
    assert memorization(train[:500], train, test) == 1.0


def test_independent_samples_score_the_quantile(sets):
    train, test = sets
    generated = np.random.default_rng(1).normal(size=(2000, 16))
    assert memorization(generated, train, test) == pytest.approx(0.05, abs=0.02)
    assert memorization(generated, train, test, quantile=0.5) == pytest.approx(0.5, abs=0.05)


def test_rejects_bad_inputs(sets):
    train, test = sets
    with pytest.raises(ValueError, match="quantile"):
        memorization(train, train, test, quantile=1.0)
    with pytest.raises(ValueError, match="different feature sizes"):
        memorization(train[:, :3], train, test)
    with pytest.raises(ValueError, match="at least 1 sample"):
        memorization(train, train, test[:0])

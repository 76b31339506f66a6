import numpy as np
import pytest

from genbench.models import losses


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


LOGITS = np.array([-3.0, -0.5, 0.0, 0.7, 4.0], dtype=np.float32)


def test_losses_at_even_odds_are_log_two():
    zero = np.zeros(4, np.float32)
    assert float(losses.minimax_discriminator_loss(zero, zero)) == pytest.approx(2 * np.log(2),
                                                                                 rel=1e-6)
    assert float(losses.non_saturating_generator_loss(zero)) == pytest.approx(np.log(2), rel=1e-6)
    assert float(losses.minimax_generator_loss(zero)) == pytest.approx(-np.log(2), rel=1e-6)


def test_losses_match_log_probabilities():
    real, fake = LOGITS, LOGITS[::-1].copy()
    d = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1 - sigmoid(fake)))
    assert float(losses.minimax_discriminator_loss(real, fake)) == pytest.approx(d, rel=1e-5)
    assert float(losses.minimax_generator_loss(fake)) == pytest.approx(
        np.mean(np.log(1 - sigmoid(fake))), rel=1e-5)
    assert float(losses.non_saturating_generator_loss(fake)) == pytest.approx(
        -np.mean(np.log(sigmoid(fake))), rel=1e-5)


def test_losses_are_stable_for_extreme_logits():
    extreme = np.array([-80.0, 80.0], np.float32)
    for value in (losses.minimax_discriminator_loss(extreme, extreme),
                  losses.non_saturating_generator_loss(extreme),
                  losses.minimax_generator_loss(extreme)):
        assert np.isfinite(float(value))


def test_least_squares_losses():
    real = np.array([1.0, 0.0], np.float32)
    fake = np.array([0.0, 1.0], np.float32)
    # 0.5 * mean((real-1)^2) + 0.5 * mean(fake^2) = 0.5 * 0.5 + 0.5 * 0.5
    assert float(losses.least_squares_discriminator_loss(real, fake)) == pytest.approx(0.5)
    assert float(losses.least_squares_generator_loss(fake)) == pytest.approx(0.25)

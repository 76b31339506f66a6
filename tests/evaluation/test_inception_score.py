import numpy as np
import pytest

from genbench.evaluation import inception_score


def test_confident_predictions_spread_over_all_classes_give_k():
    num_classes, n = 10, 1000
    # Every split holds each class equally often.
    probs = np.eye(num_classes)[np.arange(n) % num_classes]
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(num_classes)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_constant_prediction_gives_one():
    probs = np.tile([0.2, 0.5, 0.3], (100, 1))
    assert inception_score(probs, splits=5) == pytest.approx((1.0, 0.0))


def test_hand_computed_example():
    # p(y) = (0.75, 0.25); KL of row 1 = log(4/3),
    # of row 2 = 0.5 log(2/3) + 0.5 log 2 = 0.5 log(4/3).
    probs = np.array([[1.0, 0.0], [0.5, 0.5]])
    mean, std = inception_score(probs, splits=1)
    assert mean == pytest.approx((4 / 3) ** 0.75, rel=1e-12)
    assert std == 0.0


def test_std_over_splits():
    # Split 1: two confident different classes (IS 2); split 2: constant prediction (IS 1).
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert inception_score(probs, splits=2) == pytest.approx((1.5, 0.5))


@pytest.mark.parametrize(
    ("probs", "splits", "message"),
    [
        (np.array([[0.5, 0.6]]), 1, "sum to 1"),
        (np.array([[1.5, -0.5]]), 1, "non-negative"),
        (np.array([[np.nan, 1.0]]), 1, "finite"),
        (np.zeros((0, 3)), 1, "non-empty"),
        (np.array([0.5, 0.5]), 1, "2-D"),
        (np.full((4, 2), 0.5), 5, "splits"),
    ],
)
def test_rejects_bad_inputs(probs, splits, message):
    with pytest.raises(ValueError, match=message):
        inception_score(probs, splits=splits)

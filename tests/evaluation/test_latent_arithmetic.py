"""Latent arithmetic: walks between class means, and the share that cross from A to B once."""

import numpy as np
import pytest

from genbench.evaluation.latent_arithmetic import class_pair_walks, class_transition


def test_class_transition_counts_only_clean_single_crossings():
    pairs = np.array([[0, 1]] * 6)
    predicted = np.array([[0, 0, 1, 1],   # clean
                          [0, 1, 1, 1],   # clean
                          [0, 1, 0, 1],   # goes back to A
                          [0, 2, 1, 1],   # passes through a third class
                          [1, 1, 1, 1],   # never A
                          [0, 0, 0, 0]])  # never reaches B
    assert class_transition(predicted, pairs) == pytest.approx(2 / 6)
    assert class_transition(predicted[:2], pairs[:2]) == 1.0
    # The pair says which class is which end.
    assert class_transition(np.array([[1, 1, 0]]), np.array([[1, 0]])) == 1.0


def test_walks_run_between_means_of_exemplars_of_each_class():
    rng = np.random.default_rng(0)
    latents = rng.standard_normal((12, 5)).astype(np.float32)
    latents[:4, 0] = -np.abs(latents[:4, 0])  # class 0: 4 latents, all of them exemplars
    latents[4:9, 0] = np.abs(latents[4:9, 0])  # class 1: 5 latents, 4 of them exemplars
    classes = np.array([0] * 4 + [1] * 5 + [2] * 3)  # class 2: too few for 4 exemplars, left out
    walks, pairs = class_pair_walks(latents, classes, num_classes=3, exemplars=4, steps=7, seed=1)
    assert pairs.tolist() == [[0, 1], [1, 0]] and walks.shape == (2, 7, 5)
    assert walks.dtype == np.float32
    np.testing.assert_allclose(walks[0, 0], latents[:4].mean(0), atol=1e-6)
    leave_one_out = [np.delete(latents[4:9], i, axis=0).mean(0) for i in range(5)]
    assert any(np.allclose(walks[0, -1], mean, atol=1e-6) for mean in leave_one_out)
    # The two walks are each other's reverse, in evenly spaced points.
    np.testing.assert_allclose(walks[1], walks[0][::-1], atol=1e-6)
    steps = np.diff(walks[0], axis=0)
    np.testing.assert_allclose(steps, np.repeat(steps[:1], 6, axis=0), atol=1e-6)
    # A linear "classifier" (the sign of the first coordinate) of points on a straight walk
    # changes once: a clean crossing.
    predicted = (walks[..., 0] > 0).astype(np.int64)
    assert class_transition(predicted, pairs) == 1.0


def test_no_walks_when_fewer_than_two_classes_have_enough_latents():
    walks, pairs = class_pair_walks(np.zeros((5, 3)), np.zeros(5, np.int64), 10, 3, 4, seed=0)
    assert walks.shape == (0, 4, 3) and pairs.shape == (0, 2)
    with pytest.raises(ValueError, match="no walks"):
        class_transition(np.zeros((0, 4), np.int64), pairs)
    with pytest.raises(ValueError, match="exemplars"):
        class_pair_walks(np.zeros((5, 3)), np.zeros(5, np.int64), 10, 0, 4, seed=0)

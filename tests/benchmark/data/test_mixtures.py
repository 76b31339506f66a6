"""2-D Gaussian mixtures: geometry, determinism, fixed splits."""

import numpy as np
import pytest

from genbench.benchmark.data import DataError, get_dataset


def test_ring8_geometry():
    ring = get_dataset("ring8")
    assert ring.num_classes == 8 and ring.std == 0.02 and ring.centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(ring.centers[:, 1], ring.centers[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)


def test_grid25_geometry():
    grid = get_dataset("grid25")
    assert grid.num_classes == 25 and grid.std == 0.05
    axis = (-4, -2, 0, 2, 4)
    assert {tuple(c) for c in grid.centers} == {(x, y) for x in axis for y in axis}


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_sampling_is_deterministic_and_near_the_modes(name):
    mixture = get_dataset(name)
    points, modes = mixture.sample(5000, seed=3)
    assert points.dtype == np.float32 and points.shape == (5000, 2) and modes.dtype == np.int64
    again, modes_again = mixture.sample(5000, seed=3)
    np.testing.assert_array_equal(points, again)
    np.testing.assert_array_equal(modes, modes_again)
    assert not np.array_equal(points, mixture.sample(5000, seed=4)[0])
    distance = np.linalg.norm(points - mixture.centers[modes], axis=1)
    assert distance.max() < 6 * mixture.std
    assert abs(distance.std() / mixture.std - np.sqrt(2 - np.pi / 2)) < 0.05  # Rayleigh spread
    per_mode = np.bincount(modes, minlength=mixture.num_classes)
    assert per_mode.min() > 0.5 * 5000 / mixture.num_classes


def test_splits_are_fixed_samples():
    ring = get_dataset("ring8")
    train, _ = ring.load("train")
    test, _ = ring.load("test", "/ignored/data/dir")
    assert len(train) == 100_000 and len(test) == 10_000
    np.testing.assert_array_equal(train, ring.sample(100_000, seed=0)[0])
    np.testing.assert_array_equal(test, ring.sample(10_000, seed=1)[0])
    np.testing.assert_array_equal(ring.load("train", limit=10)[0], train[:10])
    with pytest.raises(DataError, match="ring8: no split 'valid'"):
        ring.load("valid")

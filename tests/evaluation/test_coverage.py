import numpy as np
import pytest

from genbench.evaluation import class_coverage, mode_coverage

STD = 0.02
RING = 2.0 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)


def test_samples_from_every_ring_mode():
    rng = np.random.default_rng(0)
    samples = RING[np.arange(2500) % 8] + rng.normal(scale=STD, size=(2500, 2))
    result = mode_coverage(samples, RING, STD)
    assert result["modes_covered"] == 8
    # 2-D Gaussian: P(||z|| <= 3) = 1 - exp(-4.5) = 0.989
    assert result["hq_share"] == pytest.approx(1 - np.exp(-4.5), abs=0.005)
    assert result["mode_kl"] == pytest.approx(0.0, abs=1e-3)


def test_samples_from_one_mode():
    rng = np.random.default_rng(1)
    samples = RING[3] + rng.normal(scale=STD, size=(2500, 2))
    result = mode_coverage(samples, RING, STD)
    assert result["modes_covered"] == 1
    assert result["mode_kl"] == pytest.approx(np.log(8))


def test_far_away_samples_are_not_high_quality():
    samples = np.full((100, 2), 50.0)
    assert mode_coverage(samples, RING, STD) == {
        "modes_covered": 0,
        "hq_share": 0.0,
        "mode_kl": np.log(8),
    }


def test_covered_needs_twenty_hq_samples_in_2500():
    # 2481 samples on mode 0, 19 on mode 1 (below 20/2500), none elsewhere.
    samples = RING[np.r_[np.zeros(2481, int), np.ones(19, int)]]
    result = mode_coverage(samples, RING, STD)
    assert result["modes_covered"] == 1
    p = np.array([2481, 19]) / 2500
    assert result["mode_kl"] == pytest.approx((p * np.log(p * 8)).sum())


def test_mode_coverage_rejects_bad_inputs():
    with pytest.raises(ValueError, match="positive"):
        mode_coverage(RING, RING, std=0.0)
    with pytest.raises(ValueError, match="different feature sizes"):
        mode_coverage(np.zeros((5, 3)), RING, STD)
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(np.full((5, 2), np.nan), RING, STD)


def test_uniform_labels_cover_every_class():
    assert class_coverage(np.arange(100) % 10, 10) == {"classes_covered": 10, "class_kl": 0.0}


def test_one_class_from_probabilities():
    probs = np.tile([0.1, 0.7, 0.2], (30, 1))
    result = class_coverage(probs, 3)
    assert result["classes_covered"] == 1
    assert result["class_kl"] == pytest.approx(np.log(3))


def test_min_share_is_relative_to_uniform_share():
    # 10 classes, 1000 samples: a class needs >= 0.1 * 100 = 10 samples.
    labels = np.r_[np.zeros(982, int), np.full(10, 1), np.full(8, 2)]
    result = class_coverage(labels, 10)
    assert result["classes_covered"] == 2
    p = np.array([982, 10, 8]) / 1000
    assert result["class_kl"] == pytest.approx((p * np.log(p * 10)).sum())


def test_class_coverage_rejects_bad_inputs():
    with pytest.raises(ValueError, match="labels must be integers"):
        class_coverage(np.array([0, 1, 5]), 3)
    with pytest.raises(ValueError, match="labels must be integers"):
        class_coverage(np.array([0.5, 1.0]), 3)
    with pytest.raises(ValueError, match="columns"):
        class_coverage(np.ones((4, 2)) / 2, 3)
    with pytest.raises(ValueError, match="N >= 1"):
        class_coverage(np.array([], dtype=int), 3)

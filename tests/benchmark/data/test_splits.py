"""Class-balanced labelled subsets for semi-supervised tasks and validation splits."""

import numpy as np
import pytest

from genbench.benchmark.data import labelled_split, validation_split


@pytest.fixture
def labels():
    return np.random.default_rng(0).integers(0, 10, 3000)


def test_balanced_disjoint_and_complete(labels):
    labelled, unlabelled = labelled_split(labels, 100, data_seed=1)
    assert labelled.dtype == np.int64 and unlabelled.dtype == np.int64
    assert np.bincount(labels[labelled], minlength=10).tolist() == [10] * 10
    assert np.intersect1d(labelled, unlabelled).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([labelled, unlabelled])),
                                  np.arange(len(labels)))


def test_deterministic_per_data_seed(labels):
    first, _ = labelled_split(labels, 100, data_seed=1)
    np.testing.assert_array_equal(first, labelled_split(labels, 100, data_seed=1)[0])
    assert not np.array_equal(first, labelled_split(labels, 100, data_seed=2)[0])


def test_errors(labels):
    with pytest.raises(ValueError, match="105 labels cannot be split evenly over 10 classes"):
        labelled_split(labels, 105, data_seed=0)
    smallest = np.bincount(labels).min()
    with pytest.raises(ValueError, match=f"has only {smallest} examples"):
        labelled_split(labels, 10 * (smallest + 1), data_seed=0)


def test_validation_split_is_balanced_and_apart_from_what_trains(labels):
    validation, train = validation_split(labels, 200, data_seed=0)
    assert np.bincount(labels[validation], minlength=10).tolist() == [20] * 10
    assert np.intersect1d(validation, train).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([validation, train])),
                                  np.arange(len(labels)))
    # What trains (e.g. a labelled subset) is drawn from the rest only.
    labelled = train[labelled_split(labels[train], 100, data_seed=0)[0]]
    assert np.intersect1d(validation, labelled).size == 0


def test_validation_split_is_fixed_per_data_seed(labels):
    first, _ = validation_split(labels, 100, data_seed=0)
    np.testing.assert_array_equal(first, validation_split(labels, 100, data_seed=0)[0])
    assert not np.array_equal(first, validation_split(labels, 100, data_seed=1)[0])
    # A smaller split of the same seed is part of a larger one; it is not the labelled draw.
    assert np.isin(first, validation_split(labels, 200, data_seed=0)[0]).all()
    assert not np.array_equal(first, labelled_split(labels, 100, data_seed=0)[0])
    with pytest.raises(ValueError, match="a validation split of 15 cannot be split evenly"):
        validation_split(labels, 15, data_seed=0)

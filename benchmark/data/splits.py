"""Splits of a train split: a validation split held out from training, and labelled / unlabelled
subsets for semi-supervised learning."""

from __future__ import annotations

import numpy as np

VALIDATION_STREAM = 1  # with the data seed, seeds the validation split's draw


def labelled_split(labels: np.ndarray, num_labels: int,
                   data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced labelled subset and the rest: (labelled_idx, unlabelled_idx), sorted int64.

    Each class present in ``labels`` gets ``num_labels / num_classes`` examples,
    drawn with ``data_seed`` (kept apart from the model seed, so that runs with
    different model seeds can share one labelled set). Raises ValueError when
    ``num_labels`` does not divide evenly or a class has too few examples.
    """
    labels = np.asarray(labels)
    classes, per_class = _per_class(labels, num_labels, f"{num_labels} labels")
    rng = np.random.default_rng(data_seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes]
    return _and_the_rest(chosen, len(labels))


def validation_split(labels: np.ndarray, size: int,
                     data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced validation split of ``size`` examples carved from a train split, and the
    rest, the only part a task may train on: (validation_idx, train_idx), sorted int64.

    Each class is shuffled once per ``data_seed`` (a stream apart from ``labelled_split``'s) and
    gives its first ``size / num_classes`` examples, so a smaller validation split of a seed is
    part of a larger one. Raises ValueError like ``labelled_split``.
    """
    labels = np.asarray(labels)
    classes, per_class = _per_class(labels, size, f"a validation split of {size}")
    rng = np.random.default_rng([data_seed, VALIDATION_STREAM])
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return _and_the_rest(chosen, len(labels))


def _per_class(labels, count, what):
    """The classes of ``labels`` and ``count`` / their number; ValueError naming ``what`` if that
    does not divide evenly or a class has too few examples."""
    classes, sizes = np.unique(labels, return_counts=True)
    per_class, remainder = divmod(count, len(classes))
    if count <= 0 or remainder:
        raise ValueError(f"{what} cannot be split evenly over {len(classes)} classes; "
                         f"use a positive multiple of {len(classes)}")
    if per_class > sizes.min():
        raise ValueError(f"{what} needs {per_class} per class, but class "
                         f"{classes[sizes.argmin()]} has only {sizes.min()} examples")
    return classes, per_class


def _and_the_rest(chosen, total):
    """(the chosen indices, every other index of ``range(total)``), sorted int64."""
    picked = np.sort(np.concatenate(chosen)).astype(np.int64)
    return picked, np.setdiff1d(np.arange(total), picked).astype(np.int64)

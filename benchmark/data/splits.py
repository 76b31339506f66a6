"""Labelled / unlabelled splits for semi-supervised learning."""

from __future__ import annotations

import numpy as np


def labelled_split(labels: np.ndarray, num_labels: int,
                   data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced labelled subset and the rest: (labelled_idx, unlabelled_idx), sorted int64.

    Each class present in ``labels`` gets ``num_labels / num_classes`` examples,
    drawn with ``data_seed`` (kept apart from the model seed, so that runs with
    different model seeds can share one labelled set). Raises ValueError when
    ``num_labels`` does not divide evenly or a class has too few examples.
    """
    labels = np.asarray(labels)
    classes, sizes = np.unique(labels, return_counts=True)
    per_class, remainder = divmod(num_labels, len(classes))
    if num_labels <= 0 or remainder:
        raise ValueError(f"{num_labels} labels cannot be split evenly over {len(classes)} classes; "
                         f"use a positive multiple of {len(classes)}")
    if per_class > sizes.min():
        raise ValueError(f"{num_labels} labels need {per_class} per class, but class "
                         f"{classes[sizes.argmin()]} has only {sizes.min()} examples")
    rng = np.random.default_rng(data_seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes]
    labelled = np.sort(np.concatenate(chosen)).astype(np.int64)
    unlabelled = np.setdiff1d(np.arange(len(labels)), labelled).astype(np.int64)
    return labelled, unlabelled

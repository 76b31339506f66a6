"""Latent arithmetic between classes (Radford et al. 2015, Sec. 6.3): average the latent vectors
of a few samples of class A and of class B, walk from one mean to the other, and ask whether the
samples along the walk change class from A to B once."""

from __future__ import annotations

import numpy as np


def class_pair_walks(latents, classes, num_classes, exemplars, steps, seed):
    """Straight walks between class means of latent vectors, one per ordered pair of classes.

    ``latents`` (N, ...) are latent points and ``classes`` (N,) the class a classifier assigns to
    each one's sample. For every ordered pair (A, B) of distinct classes with at least
    ``exemplars`` latents each, the walk starts at the mean of ``exemplars`` latents of class A
    and ends at the mean of ``exemplars`` of class B (drawn with ``seed``; the DCGAN paper
    averages three), in ``steps`` evenly spaced points. Returns (walks (W, steps, ...), pairs (W,
    2) of (A, B)); W is 0 when fewer than two classes have enough latents.
    """
    latents = np.asarray(latents)
    classes = np.asarray(classes)
    if len(latents) != len(classes):
        raise ValueError(f"{len(classes)} classes for {len(latents)} latents")
    if exemplars < 1 or steps < 2:
        raise ValueError(f"need exemplars >= 1 and steps >= 2, got {exemplars} and {steps}")
    rng = np.random.default_rng(seed)
    means = {}
    for label in range(num_classes):
        members = np.flatnonzero(classes == label)
        if len(members) >= exemplars:
            means[label] = latents[rng.choice(members, exemplars, replace=False)].mean(axis=0)
    pairs = np.array([(a, b) for a in means for b in means if a != b], dtype=np.int64)
    t = np.linspace(0.0, 1.0, steps).reshape(1, steps, *([1] * (latents.ndim - 1)))
    if not len(pairs):
        return np.zeros((0, steps, *latents.shape[1:]), latents.dtype), pairs.reshape(0, 2)
    start = np.stack([means[a] for a, _ in pairs])[:, None]
    end = np.stack([means[b] for _, b in pairs])[:, None]
    return ((1 - t) * start + t * end).astype(latents.dtype), pairs


def class_transition(predicted, pairs) -> float:
    """Share of walks whose predicted classes go from A to B once and stay there.

    ``predicted`` (W, steps) holds the class predicted for each sample along each walk and
    ``pairs`` (W, 2) each walk's (A, B). A walk counts when its predictions are A for a first
    stretch (at least the start) and B for the rest (at least the end): no third class, no
    return. 1 means every walk between class means crosses cleanly from one class to the other.
    """
    predicted = np.asarray(predicted)
    pairs = np.asarray(pairs)
    if predicted.ndim != 2 or predicted.shape[1] < 2 or pairs.shape != (len(predicted), 2):
        raise ValueError(f"need predicted (W, steps >= 2) and pairs (W, 2), got "
                         f"{predicted.shape} and {pairs.shape}")
    if not len(predicted):
        raise ValueError("no walks to score")
    start, end = pairs[:, :1], pairs[:, 1:]
    is_start, is_end = predicted == start, predicted == end
    # A clean crossing: every prediction is A or B, and no A follows a B.
    only_a_or_b = (is_start | is_end).all(axis=1)
    no_return = ~(is_start[:, 1:] & is_end[:, :-1]).any(axis=1)
    clean = only_a_or_b & no_return & is_start[:, 0] & is_end[:, -1]
    return float(clean.mean())

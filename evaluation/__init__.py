"""Metrics for generative models: pure functions of numpy arrays (no Keras model needed)."""

from .c2st import c2st_accuracy
from .coverage import class_coverage, mode_coverage
from .fid import (
    frechet_distance,
    frechet_distance_from_moments,
    frechet_distance_infinity,
    kernel_distance,
)
from .inception_score import inception_score
from .latent_arithmetic import class_pair_walks, class_transition
from .manifold import density_coverage, precision_recall
from .memorization import memorization
from .smoothness import latent_path_smoothness

__all__ = [
    "c2st_accuracy",
    "class_coverage",
    "class_pair_walks",
    "class_transition",
    "density_coverage",
    "frechet_distance",
    "frechet_distance_from_moments",
    "frechet_distance_infinity",
    "inception_score",
    "kernel_distance",
    "latent_path_smoothness",
    "memorization",
    "mode_coverage",
    "precision_recall",
]

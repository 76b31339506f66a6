"""Metrics for generative models: pure functions of numpy arrays (no Keras model needed)."""

from evaluation.c2st import c2st_accuracy
from evaluation.coverage import class_coverage, mode_coverage
from evaluation.fid import (
    frechet_distance,
    frechet_distance_from_moments,
    frechet_distance_infinity,
    kernel_distance,
)
from evaluation.inception_score import inception_score
from evaluation.manifold import density_coverage, precision_recall
from evaluation.memorization import memorization
from evaluation.smoothness import latent_path_smoothness

__all__ = [
    "c2st_accuracy",
    "class_coverage",
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

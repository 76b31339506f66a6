"""The classifiers the suite trains itself: the shared recipe and the classification accuracy
score."""

import numpy as np

from genbench.benchmark.data import get_dataset
from genbench.benchmark.domain_classifier import (
    cas_classifiers,
    classification_accuracy_score,
    domain_extractor,
)


def test_cas_of_real_images_matches_real_training_and_of_wrong_labels_is_chance(data_dir):
    mnist = get_dataset("mnist")
    x, y = mnist.load("train", data_dir)
    rng = np.random.default_rng(1)
    chosen = rng.permutation(len(x))[:500]
    # Samples that are real images with their true labels: as good as the real-data reference.
    trained = cas_classifiers(x[chosen], y[chosen], mnist, data_dir, seed=0)
    cas, real_accuracy, n_test = classification_accuracy_score(trained, mnist, data_dir)
    assert n_test == 10000
    assert real_accuracy > 0.85 and abs(cas - real_accuracy) < 0.05
    # Labels that say nothing about the images (a generator ignoring its class input): chance
    # level.
    trained = cas_classifiers(x[chosen], rng.permutation(y[chosen]), mnist, data_dir, seed=0)
    cas, _, _ = classification_accuracy_score(trained, mnist, data_dir)
    assert cas < 0.25


def test_truncated_cached_classifier_is_trained_again(tmp_path, data_dir):
    first = domain_extractor("usps", data_dir, tmp_path, 20)
    weights = tmp_path / "classifiers" / "usps-smallcnn-steps20-seed0.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    lines = []
    rebuilt = domain_extractor("usps", data_dir, tmp_path, 20, log=lines.append)
    assert len(lines) == 1 and lines[0].startswith(f"{weights} in the cache is unreadable (OSError")
    assert rebuilt.name == first.name and weights.stat().st_size > 1000
    again = domain_extractor("usps", data_dir, tmp_path, 20, log=lines.append)  # from the cache
    assert again.weights_hash == rebuilt.weights_hash and len(lines) == 1

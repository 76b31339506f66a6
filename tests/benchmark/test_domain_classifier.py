"""The classifiers the suite trains itself: the shared recipe and the classification accuracy
score."""

import json

import keras
import numpy as np
import pytest

from genbench.benchmark import domain_classifier
from genbench.benchmark.data import get_dataset
from genbench.benchmark.domain_classifier import (
    COLOUR_CNN,
    SMALL_CNN,
    cas_classifiers,
    classification_accuracy_score,
    domain_extractor,
    recipe_of,
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
    assert lines[0].startswith(f"{weights} in the cache is unreadable (OSError")
    # then what it does about it, and when it is done
    assert lines[1].startswith("domain classifier of usps: training smallcnn, 20 steps, once")
    assert lines[2].startswith("usps_classifier: step 20/20 loss=")  # one a checkpoint
    assert lines[3].startswith("domain classifier of usps: trained in") and len(lines) == 4
    assert rebuilt.name == first.name and weights.stat().st_size > 1000
    again = domain_extractor("usps", data_dir, tmp_path, 20, log=lines.append)  # from the cache
    assert again.weights_hash == rebuilt.weights_hash and len(lines) == 4


def test_cifar_gets_the_colour_recipe_and_mnist_keeps_the_small_cnn(tmp_path, data_dir):
    """CIFAR-10's classifier is the deeper colour CNN trained with augmentation and a decaying
    rate, cached and named as such; the digit sets keep the small CNN."""
    assert recipe_of("mnist") is SMALL_CNN and recipe_of("usps") is SMALL_CNN
    assert recipe_of("cifar10-jpeg") is COLOUR_CNN and recipe_of("cifar10") is COLOUR_CNN
    assert COLOUR_CNN.augment and COLOUR_CNN.cosine_decay
    extractor = domain_extractor("cifar10-jpeg", data_dir, tmp_path, 3)
    assert extractor.name == "cifar10-jpeg_colourcnn-holdout5000_3"
    stem = tmp_path / "classifiers" / "cifar10-jpeg-colourcnn-holdout5000-steps3-seed0"
    assert stem.with_suffix(".weights.h5").exists()
    assert extractor.classifier.name == "cifar10-jpeg_classifier"
    assert 0 <= extractor.test_accuracy <= 1
    record = json.loads(stem.with_suffix(".json").read_text())
    assert 0 <= record["validation_accuracy"] <= 1 and record["steps"] == 3
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D)
               for layer in extractor.classifier.layers)


def test_the_colour_recipe_holds_out_a_class_balanced_validation_split(data_dir):
    """CIFAR-10's classifier trains on 45,000 images; the other 5,000, 500 a class, are kept to
    choose its budget by. The digit sets' classifiers train on their whole train split."""
    cifar = get_dataset("cifar10-jpeg")
    (x_train, y_train), (x_val, y_val) = domain_classifier.held_out(cifar, data_dir)
    assert len(x_train) == len(y_train) == 45000 and len(x_val) == len(y_val) == 5000
    assert np.array_equal(np.bincount(y_val), np.full(10, 500))
    train_images = {image.tobytes() for image in x_train}
    assert not any(image.tobytes() in train_images for image in x_val)
    (x_usps, _), (x_none, _) = domain_classifier.held_out(get_dataset("usps"), data_dir)
    assert len(x_usps) == len(get_dataset("usps").load("train", data_dir)[0]) and not len(x_none)


class _Killed(Exception):
    pass


def test_a_killed_classifier_training_resumes_to_the_weights_of_an_unbroken_one(tmp_path, data_dir,
                                                                               monkeypatch):
    """Trained in a work folder, the classifier checkpoints; killed after its first checkpoint
    and run again, it ends with the weights of a training never interrupted (which are those of
    the plain, folder-less training too). It logs a line a checkpoint."""
    x, y = get_dataset("usps").load("train", data_dir)
    x, y = x[:512], y[:512]
    monkeypatch.setattr(domain_classifier, "CHECKPOINT_EVERY", 10)
    args = (x, y, (16, 16, 1), 10, 20, 0, "usps_classifier")

    def train(**kwargs):
        return domain_classifier.train_domain_classifier(*args, recipe=COLOUR_CNN, **kwargs)

    lines = []
    unbroken = train(workdir=tmp_path / "unbroken", log=lines.append).get_weights()
    assert [line.split(" loss=")[0] for line in lines] == ["usps_classifier: step 10/20",
                                                          "usps_classifier: step 20/20"]
    resumable = domain_classifier.fit_resumable

    def killed_after_first_checkpoint(*fit_args, **fit_kwargs):
        def report(step, total, logs):
            raise _Killed
        return resumable(*fit_args, **{**fit_kwargs, "report": report})

    monkeypatch.setattr(domain_classifier, "fit_resumable", killed_after_first_checkpoint)
    with pytest.raises(_Killed):
        train(workdir=tmp_path / "killed")
    assert json.loads(np.load(tmp_path / "killed" / "checkpoint.npz")["state"].item())["step"] == 10
    monkeypatch.setattr(domain_classifier, "fit_resumable", resumable)
    resumed = train(workdir=tmp_path / "killed").get_weights()
    for a, b in zip(unbroken, resumed, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    plain = train().get_weights()
    for a, b in zip(unbroken, plain, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

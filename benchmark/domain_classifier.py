"""Per-dataset domain classifiers for the ``c*`` metrics: trained once, cached, accuracy recorded.

The classifier is seeded independently of the runs (seed 0), so every run on a
dataset is scored by the same network; its weights hash goes into every score.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import keras

from ..evaluation.extractors import ClassifierExtractor
from ..models.classifiers import build_colour_cnn, build_small_cnn
from .cache import cached
from .config import DOMAIN_CLASSIFIER
from .data import get_dataset, make_pipeline
from .data.splits import labelled_split, validation_split
from .tasks.common import accuracy, compile_classifier, train_classifier
from .training import fit_resumable

# Steps between two checkpoints of a domain classifier's training (when they divide its steps).
CHECKPOINT_EVERY = 500


@dataclass(frozen=True)
class ClassifierRecipe:
    """A domain classifier's network and how it trains (Adam by ``DOMAIN_CLASSIFIER``)."""

    name: str                  # in the cache file and the extractor's name
    network: Callable          # (image_shape, num_classes, name=) -> logits model with "features"
    augment: bool = False      # random flips and crops (make_pipeline): natural images only
    cosine_decay: bool = False  # the learning rate decays to 0 over the steps (else constant)
    validation: int = 0        # train images held out (class-balanced, data seed 0) to choose by

    @property
    def tag(self):
        """The recipe in cache file names."""
        return self.name + (f"-holdout{self.validation}" if self.validation else "")


SMALL_CNN = ClassifierRecipe("smallcnn", build_small_cnn)
# CIFAR-10 needs depth, augmentation and a decaying rate for its 85%+, and a validation split to
# choose its steps by (docs/budgets.md).
COLOUR_CNN = ClassifierRecipe("colourcnn", build_colour_cnn, augment=True, cosine_decay=True,
                              validation=5000)
RECIPES = {"cifar10": COLOUR_CNN, "cifar10-jpeg": COLOUR_CNN}  # every other dataset: SMALL_CNN


def recipe_of(dataset_name):
    """The ClassifierRecipe of a dataset's domain classifier."""
    return RECIPES.get(dataset_name, SMALL_CNN)


def train_domain_classifier(x_train, y_train, image_shape, num_classes, steps, seed, name,
                            recipe=SMALL_CNN, workdir=None, log=print):
    """``recipe``'s network trained on uint8 images by the domain classifiers' recipe
    (``DOMAIN_CLASSIFIER``, ``steps`` steps), images brought to ``image_shape``. With a
    ``workdir`` it trains there by ``fit_resumable``, so that a killed training (CIFAR-10's takes
    half an hour or more) resumes from its last checkpoint, and logs a line a checkpoint."""
    training = replace(DOMAIN_CLASSIFIER, steps=steps,
                       batch_size=min(DOMAIN_CLASSIFIER.batch_size, len(x_train)),
                       checkpoint_every=CHECKPOINT_EVERY if steps % CHECKPOINT_EVERY == 0
                       else steps)
    keras.utils.set_random_seed(seed)
    model = recipe.network(image_shape, num_classes, name=name)
    rate = (keras.optimizers.schedules.CosineDecay(training.classifier_lr, steps)
            if recipe.cosine_decay else None)

    def batches(skip):
        return make_pipeline(x_train, y_train, batch_size=training.batch_size, seed=seed,
                             size=image_shape[:2], channels=image_shape[2],
                             augment=recipe.augment).skip(skip)

    def report(step, total, logs):  # a line a checkpoint: CIFAR-10's training is long
        log(f"{name}: step {step}/{total} "
            + " ".join(f"{key}={value:.3f}" for key, value in logs.items()))

    if workdir is None:
        train_classifier(model, batches(0), training, learning_rate=rate)
    else:
        compile_classifier(model, training, learning_rate=rate)
        fit_resumable(model, [model.optimizer], batches, training, workdir, report=report,
                      log=log)
    return model


def _cache_entry(dataset_name, cache_dir, steps, size, channels):
    """(dataset, image shape, format tag, weights path, meta path) of a domain classifier."""
    dataset = get_dataset(dataset_name)
    height, width, native_channels = dataset.image_shape
    image_shape = (size or height, size or width, channels or native_channels)
    tag = "" if image_shape == tuple(dataset.image_shape) else "-{}x{}x{}".format(*image_shape)
    stem = (Path(cache_dir) / "classifiers"
            / f"{dataset_name}{tag}-{recipe_of(dataset_name).tag}-steps{steps}-seed0")
    return dataset, image_shape, tag, stem.with_suffix(".weights.h5"), stem.with_suffix(".json")


def held_out(dataset, data_dir):
    """(train, validation): the (images, labels) of the train split that the dataset's domain
    classifier trains on and those its recipe holds out to be chosen by (none for most)."""
    x, y = dataset.load("train", data_dir)
    size = recipe_of(dataset.name).validation
    if not size:
        return (x, y), (x[:0], y[:0])
    validation, kept = validation_split(y, size, data_seed=0)
    return (x[kept], y[kept]), (x[validation], y[validation])


def domain_classifier(dataset_name, data_dir, cache_dir, steps, size=None, channels=None,
                      log=print):
    """The cached classifier of a labelled dataset (``domain_extractor``'s network), trained on
    its train split (less its recipe's validation images) on first use; the test split is not
    read, so a task can train every network it needs before it reads any test image."""
    dataset, image_shape, _, weights, meta = _cache_entry(dataset_name, cache_dir, steps, size,
                                                          channels)

    chosen = recipe_of(dataset_name)

    def load():
        model = chosen.network(image_shape, dataset.num_classes, name=f"{dataset.name}_classifier")
        model.load_weights(weights)
        return model

    def build():
        meta.unlink(missing_ok=True)  # the test accuracy of the network it replaces
        (x_train, y_train), _ = held_out(dataset, data_dir)
        log(f"domain classifier of {dataset_name}: training {chosen.tag}, {steps} steps, once "
            f"(cached as {weights.name})")
        started = time.perf_counter()
        workdir = weights.with_name(f"{weights.name}.training")
        model = train_domain_classifier(x_train, y_train, image_shape, dataset.num_classes, steps,
                                        seed=0, name=f"{dataset.name}_classifier", recipe=chosen,
                                        workdir=workdir, log=log)
        model.save_weights(weights)
        shutil.rmtree(workdir, ignore_errors=True)
        log(f"domain classifier of {dataset_name}: trained in "
            f"{time.perf_counter() - started:.0f} s")
        return model

    return cached([weights], load, build, log)


def domain_extractor(dataset_name, data_dir, cache_dir, steps, size=None, channels=None, log=print):
    """The cached classifier extractor for a labelled dataset, training it on first use (and again,
    with one line to ``log``, if its cached files are unreadable), and its test accuracy.

    ``size`` (pixels, square) and ``channels`` (1 or 3) train and test it on the
    dataset brought to another format by ``make_pipeline`` (e.g. USPS at 28 px to
    score MNIST -> USPS translations); by default, the dataset's native format.
    """
    dataset, image_shape, tag, _, meta = _cache_entry(dataset_name, cache_dir, steps, size,
                                                      channels)
    model = domain_classifier(dataset_name, data_dir, cache_dir, steps, size, channels, log)

    def score():
        record = {"steps": steps, "test_accuracy": accuracy(model, *dataset.load("test", data_dir),
                                                           image_shape)}
        _, validation = held_out(dataset, data_dir)
        if len(validation[0]):
            record["validation_accuracy"] = accuracy(model, *validation, image_shape)
        meta.write_text(json.dumps(record))
        return record["test_accuracy"]

    test_accuracy = cached([meta], lambda: json.loads(meta.read_text())["test_accuracy"], score,
                           log)
    extractor = ClassifierExtractor(
        f"{dataset_name}{tag.replace('-', '_')}_{recipe_of(dataset_name).tag}_{steps}", model,
        test_accuracy)
    if tag:  # not its native format
        extractor.resize = ("{}x{}x{} input; trained and tested on {} resized from {}x{}x{} "
                            "(bilinear, antialiased; grey<->RGB by repeat/luminance), uint8 scaled "
                            "to [-1, 1]"
                            ).format(*image_shape, dataset_name, *dataset.image_shape)
    return extractor


CAS_EPOCHS = 20


def cas_classifiers(images, labels, dataset, data_dir, seed):
    """The two networks of the classification accuracy score (Ravuri & Vinyals 2019): the small
    CNN trained for ``CAS_EPOCHS`` epochs on the uint8 class-conditional samples ``images`` with
    the labels they were generated for and, for scale, by the same recipe on as many real
    training images (a class-balanced subset drawn with ``seed``). Reads no test image, so a
    task trains them before it reads any; ``classification_accuracy_score`` tests them."""
    x_train, y_train = dataset.load("train", data_dir)
    steps = -(-CAS_EPOCHS * len(images) // DOMAIN_CLASSIFIER.batch_size)
    shape = tuple(dataset.image_shape)
    chosen = recipe_of(dataset.name)
    on_samples = train_domain_classifier(images, labels, shape, dataset.num_classes, steps, seed,
                                         name="cas_classifier", recipe=chosen)
    real = labelled_split(y_train, len(images), data_seed=seed)[0]
    on_real = train_domain_classifier(x_train[real], y_train[real], shape, dataset.num_classes,
                                      steps, seed, name="cas_real_classifier", recipe=chosen)
    return on_samples, on_real


def classification_accuracy_score(classifiers, dataset, data_dir):
    """(cas, real_accuracy, n_test): the accuracies of ``cas_classifiers``' two networks on the
    dataset's real test split."""
    on_samples, on_real = classifiers
    x_test, y_test = dataset.load("test", data_dir)
    shape = tuple(dataset.image_shape)
    return (accuracy(on_samples, x_test, y_test, shape), accuracy(on_real, x_test, y_test, shape),
            len(x_test))

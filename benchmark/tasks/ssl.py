"""Semi-supervised classification: SSGAN (Salimans et al. 2016) against classic baselines.

``config.setting`` is "labels=N": a class-balanced validation split of N training images is held
out first (``benchmark.data.splits.validation_split``: no larger than the labelled set, as Oliver
et al. 2018 recommend), then a class-balanced subset of N of the other training images keeps its
labels (``labelled_split``), both drawn with the run seed, so every method sees the same labelled
images for a seed. All training images but the validation split serve as unlabelled data (as in
Salimans et al.). Scores on the official test split, read once training has ended: ``accuracy``
and ``error_pct``; ``val_accuracy`` on the validation split (what a selection may use), plus
``train_seconds``.

Models (``config.model``) and their sections (``METHODS``; benchmark/tasks/configs.py):

- ``ssgan`` / ``ssgan_explicit``: the model section is ``models.SSGAN``'s constructor arguments
  (the explicit variant has ``fake_class="explicit"``); ``train`` (``AdversarialTraining``) sets
  steps, batch size, ``discriminator_lr``, ``generator_lr`` and beta_1.
- every other model but ``gmm``: ``classifier`` (arguments of ``build_ssgan_discriminator``: the
  SSGAN discriminator is the shared classifier network), trained ``train.steps`` steps per fit
  with Adam at ``train.classifier_lr``; plus ``rounds``, ``fraction`` and ``pseudo_batch_share``
  (self-training, co-training), ``alpha``, ``ramp_start``, ``ramp_end`` (pseudo-labelling).
- ``gmm`` takes ``components``, ``iterations`` and ``regularization`` (see
  ``benchmark.ssl_baselines``); it fits by EM in NumPy, outside ``--strategy``.
"""

from __future__ import annotations

import functools
import re
import time
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from ...evaluation.images import from_uint8
from ...models import SSGAN
from .. import ssl_baselines as baselines
from ..config import ConfigError, TrainConfig
from ..data import get_dataset, make_pipeline
from ..data.splits import labelled_split, validation_split
from ..training import Validation, fit_resumable
from .base import TaskResult
from .common import adversarial_optimizers, check_sections
from .configs import (
    BaselineParams,
    GmmParams,
    PseudoLabelParams,
    PseudoLabelRounds,
    SslAdversarialTraining,
    SslClassifierTraining,
)

CLASSIFIER_METHODS = {
    "supervised": lambda x, y, lab, k, p, fit, seed: baselines.supervised(
        x[lab], y[lab], k, p.classifier, fit, seed),
    "self_training": baselines.self_training,
    "pseudo_label": baselines.pseudo_labelling,
    "cotraining_shared": lambda *args: baselines.co_training(*args, variant="shared"),
    "cotraining_teach": lambda *args: baselines.co_training(*args, variant="teach"),
    "gmm": lambda x, y, lab, k, p, fit, seed: baselines.GaussianMixtureClassifier(
        k, p.components, p.iterations, p.regularization).fit(x, y, lab),
}
# model -> its train and model sections (dict: the SSGAN's constructor arguments)
METHODS = {"ssgan": (SslAdversarialTraining, dict),
           "ssgan_explicit": (SslAdversarialTraining, dict),
           "supervised": (SslClassifierTraining, BaselineParams),
           "self_training": (SslClassifierTraining, PseudoLabelRounds),
           "pseudo_label": (SslClassifierTraining, PseudoLabelParams),
           "cotraining_shared": (SslClassifierTraining, PseudoLabelRounds),
           "cotraining_teach": (SslClassifierTraining, PseudoLabelRounds),
           "gmm": (TrainConfig, GmmParams)}
SSGAN_MODELS = {"ssgan": "implicit", "ssgan_explicit": "explicit"}


def num_labels(setting):
    match = re.fullmatch(r"labels=(\d+)", setting)
    if not match:
        raise ConfigError("the ssl task needs setting 'labels=N' (e.g. labels=100), "
                          f"got {setting!r}")
    return int(match.group(1))


def run(config, seed, ctx):
    check_sections(config, METHODS)
    dataset = get_dataset(config.dataset)
    if not hasattr(dataset, "image_shape") or dataset.num_classes < 2:
        raise ConfigError("the ssl task needs a labelled image dataset; "
                          f"{config.dataset!r} is not one")
    count = num_labels(config.setting)
    images, labels = dataset.load("train", ctx.data_dir)
    try:  # the validation split first, as large as the labelled set, and out of every pool
        validation, rest = validation_split(labels, count, data_seed=seed)
        labelled, _ = labelled_split(labels[rest], count, data_seed=seed)
    except ValueError as exc:
        raise ConfigError(f"{config.dataset} {config.setting}: {exc}") from None
    x_val, y_val = images[validation], labels[validation]
    log_probabilities, trained = _train(config, seed, ctx, images[rest], labels[rest], labelled,
                                        dataset.num_classes, (x_val, y_val))
    # Training has ended: the validation split, then the test split, read once.
    val_accuracy = _accuracy(log_probabilities, x_val, y_val)
    x_test, y_test = dataset.load("test", ctx.data_dir)
    test_accuracy = _accuracy(log_probabilities, x_test, y_test)
    validation_name = (f"{config.dataset} train, {count} labelled (class-balanced, data seed "
                       f"{seed}), apart from the labelled and unlabelled training images")
    provenance = {"split": f"{config.dataset} test ({len(y_test)} images)",
                  "labelled": f"{len(labelled)} class-balanced train images, data seed {seed}",
                  "validation": validation_name}
    result = TaskResult()
    result.add("accuracy", test_accuracy, setting=config.setting, **provenance)
    result.add("error_pct", 100 * (1 - test_accuracy), "%", setting=config.setting, **provenance)
    result.add("val_accuracy", val_accuracy, setting=config.setting, split=validation_name)
    result.add("train_seconds", trained.seconds, "s", setting=config.setting)
    if trained.steps:
        result.add("train_steps", sum(trained.steps.values()), "steps", setting=config.setting,
                   **_stopping_rule(config.train), fits=trained.steps, best_steps=trained.best)
    return result


def _stopping_rule(train):
    return {"selection": f"validation accuracy every {train.checkpoint_every} steps; the best "
                         "model is kept" + (f", a fit stops {train.patience} steps after it"
                                            if train.patience else ""),
            "cap": f"{train.steps} steps a fit, batch {train.batch_size}"}


class ClassifierFits:
    """Trains a baseline's networks one ``fit`` at a time, each by the same rule: Adam at
    ``train.classifier_lr``, ``fit_resumable`` in ``<workdir>/<name>`` (so a killed run resumes),
    and validation early stopping (``train.patience``) on the validation split (seen through the
    network's half ``view`` for co-training). ``steps`` and ``best`` map each fit's name to the
    steps it trained and the step of the model it kept."""

    def __init__(self, train, ctx, validation):
        self.train, self.ctx, self.validation = train, ctx, validation
        self.batch_size = train.batch_size
        self.steps, self.best = {}, {}

    def __call__(self, model, batches, name, loss=None, classifier=None, view=None):
        """Trains ``model`` on the infinite ``batches``; ``classifier`` (default: ``model``) is
        the network measured on validation."""
        classifier = classifier or model
        model.compile(keras.optimizers.Adam(self.train.classifier_lr, beta_1=self.train.beta_1),
                      loss)
        model.optimizer.build(model.trainable_variables)
        images, labels = self.validation
        images = images if view is None else baselines.half_view(images, view)
        measure = functools.partial(_accuracy,
                                    functools.partial(baselines.log_probabilities, classifier),
                                    images, labels)
        state = fit_resumable(model, [model.optimizer], batches.skip, self.train,
                              self.ctx.workdir / name, self.ctx.report, self.ctx.log,
                              Validation(measure, self.train.patience))
        self.steps[name] = state["step"]
        self.best[name] = state["validation"]["best_step"]


class Trained(NamedTuple):
    """What ``_train`` returns besides the classifier: seconds, and per fit the steps trained and
    the step of the model kept ({} for gmm)."""
    seconds: float
    steps: dict
    best: dict


def _train(config, seed, ctx, images, labels, labelled, num_classes, validation):
    """Trains the run's method on the training images (``labelled``: the indices that keep their
    labels), selecting on ``validation`` (images, labels). Returns (log_probabilities(uint8
    images) of the trained classifier, Trained)."""
    if config.model in SSGAN_MODELS:
        model, state = _train_ssgan(config, seed, ctx, images, labels, labelled, num_classes,
                                    validation)
        return (functools.partial(_ssgan_log_probabilities, model),
                Trained(state["train_seconds"], {"ssgan": state["step"]},
                        {"ssgan": state["validation"]["best_step"]}))
    started = time.perf_counter()
    method = CLASSIFIER_METHODS[config.model]
    fits = ClassifierFits(config.train, ctx, validation)
    with ctx.model_scope():  # the classifiers are built, compiled and trained inside
        classifier = method(images, labels, labelled, num_classes, config.model_params, fits,
                            seed)
    return (functools.partial(_log_probabilities, classifier),
            Trained(time.perf_counter() - started, fits.steps, fits.best))


def _accuracy(log_probabilities, images, labels):
    return float(np.mean(np.argmax(log_probabilities(images), axis=1) == labels))


def _log_probabilities(classifier, images):
    if isinstance(classifier, keras.Model):
        return baselines.log_probabilities(classifier, images)
    return classifier.log_probabilities(images)


def build_ssgan(config, images, num_classes, seed):
    """The compiled SSGAN of an ssl run config, its weight-normalised layers initialised on a
    batch of the uint8 training ``images`` (Salimans et al. 2016)."""
    model = SSGAN(data_shape=images.shape[1:], num_classes=num_classes,
                  fake_class=SSGAN_MODELS[config.model], seed=seed, **config.model_params)
    model.initialize_from(from_uint8(baselines.init_batch(images, seed)))
    d_optimizer, g_optimizer = adversarial_optimizers(config.train)
    model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    return model


def _train_ssgan(config, seed, ctx, images, labels, labelled, num_classes, validation):
    train = config.train
    with ctx.model_scope():
        model = build_ssgan(config, images, num_classes, seed)

    def make_dataset(skip):
        labelled_data = baselines.labelled_batches(images[labelled], labels[labelled],
                                                   train.batch_size, seed)
        unlabelled = make_pipeline(images, batch_size=train.batch_size, seed=seed + 1)
        return tf.data.Dataset.zip((labelled_data, unlabelled)).skip(skip)

    measure = functools.partial(_accuracy, functools.partial(_ssgan_log_probabilities, model),
                                *validation)
    state = fit_resumable(model, model.optimizers, make_dataset, train, ctx.workdir, ctx.report,
                          ctx.log, Validation(measure, train.patience))
    return model, state


def _ssgan_log_probabilities(model, images):
    logits = model.classify(from_uint8(images))
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)

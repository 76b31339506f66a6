"""Semi-supervised classification: SSGAN (Salimans et al. 2016) against classic baselines.

``config.setting`` is "labels=N": a class-balanced subset of N training images keeps its labels,
drawn with the run seed (``benchmark.data.splits.labelled_split``), so every method sees the same
labelled images for a seed. All training images serve as unlabelled data (as in Salimans et al.).
Scores on the official test split: ``accuracy`` and ``error_pct``, plus ``train_seconds``.

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

import re
import time

import keras
import numpy as np
import tensorflow as tf

from ...evaluation.images import from_uint8
from ...models import SSGAN
from .. import ssl_baselines as baselines
from ..config import AdversarialTraining, ClassifierTraining, ConfigError, TrainConfig
from ..data import get_dataset, make_pipeline
from ..data.splits import labelled_split
from ..training import fit_resumable
from .base import TaskResult
from .common import adversarial_optimizers, check_sections
from .configs import (
    BaselineParams,
    GmmParams,
    PseudoLabelParams,
    PseudoLabelRounds,
)

CLASSIFIER_METHODS = {
    "supervised": lambda x, y, lab, k, p, train, seed: baselines.supervised(
        x[lab], y[lab], k, p.classifier, train, seed),
    "self_training": baselines.self_training,
    "pseudo_label": baselines.pseudo_labelling,
    "cotraining_shared": lambda *args: baselines.co_training(*args, variant="shared"),
    "cotraining_teach": lambda *args: baselines.co_training(*args, variant="teach"),
    "gmm": lambda x, y, lab, k, p, train, seed: baselines.GaussianMixtureClassifier(
        k, p.components, p.iterations, p.regularization).fit(x, y, lab),
}
# model -> its train and model sections (dict: the SSGAN's constructor arguments)
METHODS = {"ssgan": (AdversarialTraining, dict), "ssgan_explicit": (AdversarialTraining, dict),
           "supervised": (ClassifierTraining, BaselineParams),
           "self_training": (ClassifierTraining, PseudoLabelRounds),
           "pseudo_label": (ClassifierTraining, PseudoLabelParams),
           "cotraining_shared": (ClassifierTraining, PseudoLabelRounds),
           "cotraining_teach": (ClassifierTraining, PseudoLabelRounds),
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
    images, labels = dataset.load("train", ctx.data_dir)
    try:
        labelled, _ = labelled_split(labels, num_labels(config.setting), data_seed=seed)
    except ValueError as exc:
        raise ConfigError(f"{config.dataset} {config.setting}: {exc}") from None
    num_classes = dataset.num_classes

    started = time.perf_counter()
    if config.model in SSGAN_MODELS:
        model, train_seconds = _train_ssgan(config, seed, ctx, images, labels, labelled,
                                            num_classes)
        log_probs = _ssgan_log_probabilities(model, dataset, ctx)
    else:
        method = CLASSIFIER_METHODS[config.model]
        with ctx.model_scope():  # the classifiers are built, compiled and trained inside
            classifier = method(images, labels, labelled, num_classes, config.model_params,
                                config.train, seed)
        train_seconds = time.perf_counter() - started
        log_probs = _log_probabilities(classifier, dataset.load("test", ctx.data_dir)[0])
    test_labels = dataset.load("test", ctx.data_dir)[1]
    accuracy = float(np.mean(np.argmax(log_probs, axis=1) == test_labels))
    provenance = {"split": f"{config.dataset} test ({len(test_labels)} images)",
                  "labelled": f"{len(labelled)} class-balanced train images, data seed {seed}"}
    result = TaskResult()
    result.add("accuracy", accuracy, setting=config.setting, **provenance)
    result.add("error_pct", 100 * (1 - accuracy), "%", setting=config.setting, **provenance)
    result.add("train_seconds", train_seconds, "s", setting=config.setting)
    return result


def _log_probabilities(classifier, images):
    if isinstance(classifier, keras.Model):
        return baselines.log_probabilities(classifier, images)
    return classifier.log_probabilities(images)


def _train_ssgan(config, seed, ctx, images, labels, labelled, num_classes):
    train = config.train
    with ctx.model_scope():
        model = SSGAN(data_shape=images.shape[1:], num_classes=num_classes,
                      fake_class=SSGAN_MODELS[config.model], seed=seed, **config.model_params)
        model.initialize_from(from_uint8(baselines.init_batch(images, seed)))
        d_optimizer, g_optimizer = adversarial_optimizers(train)
        model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)

    def make_dataset(skip):
        labelled_data = baselines.labelled_batches(images[labelled], labels[labelled],
                                                   train.batch_size, seed)
        unlabelled = make_pipeline(images, batch_size=train.batch_size, seed=seed + 1)
        return tf.data.Dataset.zip((labelled_data, unlabelled)).skip(skip)

    state = fit_resumable(model, model.optimizers, make_dataset, train,
                          ctx.workdir, ctx.report, ctx.log)
    return model, state["train_seconds"]


def _ssgan_log_probabilities(model, dataset, ctx):
    logits = model.classify(from_uint8(dataset.load("test", ctx.data_dir)[0]))
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)

"""Semi-supervised classification: SSGAN (Salimans et al. 2016) against classic baselines.

``config.setting`` is "labels=N": a class-balanced subset of N training images keeps its labels,
drawn with the run seed (``benchmark.data.splits.labelled_split``), so every method sees the same
labelled images for a seed. All training images serve as unlabelled data (as in Salimans et al.).
Scores on the official test split: ``accuracy`` and ``error_pct``, plus ``train_seconds``.

Models (``config.model``) and their ``model_params``:

- ``ssgan`` / ``ssgan_explicit``: ``models.SSGAN`` constructor arguments (the explicit variant has
  ``fake_class="explicit"``); ``train`` sets steps, batch size, the two Adam learning rates and beta_1.
- every other model: ``classifier`` (arguments of ``build_ssgan_discriminator``: the SSGAN
  discriminator is the shared classifier network), trained ``train.steps`` steps per fit with Adam
  at ``train.d_learning_rate``; plus ``rounds``, ``fraction`` and ``pseudo_batch_share``
  (self-training, co-training),
  ``alpha``, ``ramp_start``, ``ramp_end`` (pseudo-labelling); ``gmm`` takes ``components``,
  ``iterations`` and ``regularization`` instead (see ``benchmark.ssl_baselines``).
"""

from __future__ import annotations

import re
import time

import keras
import numpy as np
import tensorflow as tf

from ...models import SSGAN
from .. import ssl_baselines as baselines
from ..config import ConfigError
from ..data import get_dataset, make_pipeline
from ..data.splits import labelled_split
from ..training import fit_resumable
from .base import TaskResult

CLASSIFIER_METHODS = {
    "supervised": lambda x, y, lab, k, p, train, seed: baselines.train_classifier(
        x[lab], y[lab], k, p["classifier"], train, seed),
    "self_training": baselines.self_training,
    "pseudo_label": baselines.pseudo_labelling,
    "cotraining_shared": lambda *args: baselines.co_training(*args, variant="shared"),
    "cotraining_teach": lambda *args: baselines.co_training(*args, variant="teach"),
    "gmm": lambda x, y, lab, k, p, train, seed: baselines.GaussianMixtureClassifier(k, **p).fit(x, y, lab),
}
SSGAN_MODELS = {"ssgan": "implicit", "ssgan_explicit": "explicit"}
MODELS = [*SSGAN_MODELS, *CLASSIFIER_METHODS]


def num_labels(setting):
    match = re.fullmatch(r"labels=(\d+)", setting)
    if not match:
        raise ConfigError(f"the ssl task needs setting 'labels=N' (e.g. labels=100), got {setting!r}")
    return int(match.group(1))


def run(config, seed, ctx):
    if config.model not in MODELS:
        raise ConfigError(f"the ssl task has models {', '.join(MODELS)}; got {config.model!r}")
    dataset = get_dataset(config.dataset)
    if not hasattr(dataset, "image_shape") or dataset.num_classes < 2:
        raise ConfigError(f"the ssl task needs a labelled image dataset; {config.dataset!r} is not one")
    images, labels = dataset.load("train", ctx.data_dir)
    try:
        labelled, _ = labelled_split(labels, num_labels(config.setting), data_seed=seed)
    except ValueError as exc:
        raise ConfigError(f"{config.dataset} {config.setting}: {exc}") from None
    num_classes = dataset.num_classes

    started = time.perf_counter()
    if config.model in SSGAN_MODELS:
        model, train_seconds = _train_ssgan(config, seed, ctx, images, labels, labelled, num_classes)
        log_probs = _ssgan_log_probabilities(model, dataset, ctx)
    else:
        method = CLASSIFIER_METHODS[config.model]
        with ctx.model_scope():  # the classifiers are built, compiled and trained inside
            classifier = method(images, labels, labelled, num_classes, config.model_params, config.train,
                                seed)
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
    params = {k: v for k, v in config.model_params.items() if k != "fake_class"}
    with ctx.model_scope():
        model = SSGAN(data_shape=images.shape[1:], num_classes=num_classes,
                      fake_class=SSGAN_MODELS[config.model], seed=seed, **params)
        model.initialize_from(baselines.to_float(baselines.init_batch(images, seed)))
        model.compile(d_optimizer=keras.optimizers.Adam(train.d_learning_rate, beta_1=train.beta_1),
                      g_optimizer=keras.optimizers.Adam(train.g_learning_rate, beta_1=train.beta_1))

    def make_dataset(skip):
        labelled_data = baselines.labelled_batches(images[labelled], labels[labelled], train.batch_size, seed)
        unlabelled = make_pipeline(images, batch_size=train.batch_size, seed=seed + 1)
        return tf.data.Dataset.zip((labelled_data, unlabelled)).skip(skip)

    state = fit_resumable(model, [model.d_optimizer, model.g_optimizer], make_dataset, train, ctx.workdir,
                          ctx.report, ctx.log)
    return model, state["train_seconds"]


def _ssgan_log_probabilities(model, dataset, ctx):
    logits = model.classify(baselines.to_float(dataset.load("test", ctx.data_dir)[0]))
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)

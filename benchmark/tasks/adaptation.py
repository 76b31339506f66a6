"""Unsupervised domain adaptation: same classes, shifted domain, target labels used only to score.

The dataset is a pair "source:target" (e.g. mnist:usps). Both domains are
brought to one format (``translation.common_format``: the larger size, RGB if
either is RGB). Every method uses the same small CNN (``build_small_cnn``):

- ``source_only``: the CNN trained on the labelled source train split.
- ``dann``: DANN (Ganin et al. 2016) on source train (labelled) + target train
  (unlabelled), optionally starting from the source CNN.
- ``adda``: ADDA (Tzeng et al. 2017): the source CNN, frozen, and a copy of its
  encoder adapted adversarially on the unlabelled target train split.
- ``pixel_cyclegan``: pixel-level adaptation (as in Hoffman et al. 2018's CyCADA
  pixel stage): the suite's CycleGAN (``model_params["cyclegan"]``, trained for
  ``train.steps``) translates ``model_params["translated_images"]`` labelled source
  train images to the target style, and a fresh CNN trains on them with the
  source labels (the source CNN's budget). It does not use the source CNN.
- ``pixel_dann``: pixel then feature adaptation (CyCADA's two stages, Hoffman et al.
  2018, without its semantic-consistency loss): ``pixel_cyclegan``'s classifier is
  then adapted by DANN (``model_params["dann"]``: its "train" config and DANN
  parameters) from the translated source images to the target.

The source CNN is trained once per (pair format, budget, seed) and cached under
``<cache>/pretrained`` so the methods share it; ``train_seconds`` of a method
counts its own training plus the source CNN's (as stored when it was trained).
Scores: ``accuracy`` and ``error_pct`` on the whole target test split.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from ...evaluation.plots import to_uint8
from ...models import ADDA, DANN, AnnealedLearningRate, CycleGAN, adapt_batch_norm, build_small_cnn
from ..cache import cached
from ..config import ConfigError, TrainConfig
from ..data import make_pipeline
from ..training import fit_resumable
from .base import TaskResult
from .translation import (
    _save_history,
    build_translator,
    common_format,
    domains,
    to_format,
    unpaired_batches,
)

PIXEL_LEVEL = ("pixel_cyclegan", "pixel_dann")
METHODS = ("source_only", "dann", "adda", *PIXEL_LEVEL)
EVAL_BATCH = 500
ADABN_IMAGES = 10000  # target train images AdaBN averages over (all of MNIST-M would take ~0.7 GB)


def run(config, seed, ctx):
    if config.model not in METHODS:
        raise ConfigError(f"adaptation method {config.model!r} unknown; known: {', '.join(METHODS)}")
    source, target = domains(config.dataset)
    size, channels = common_format(source, target)
    image_shape = (size, size, channels)
    params = dict(config.model_params)
    source_params = params.pop("source")
    target_batch_norm = params.pop("target_batch_norm", False)
    x_source, y_source = source.load("train", ctx.data_dir)
    x_target, _ = target.load("train", ctx.data_dir)
    if config.model in PIXEL_LEVEL:
        return _pixel_level(config, seed, ctx, x_source, y_source, x_target, target, image_shape, params,
                            source_params)

    classifier, source_meta = source_classifier(source.name, x_source, y_source,
                                                source.load("test", ctx.data_dir), source.num_classes,
                                                image_shape, source_params, seed, ctx)
    result = TaskResult()
    seconds = source_meta["train_seconds"]
    if config.model != "source_only":
        classifier, align_seconds = _align_features(config.model, config.train, params, target_batch_norm, classifier,
                                                    (x_source, y_source), x_target, image_shape, seed, ctx, result,
                                                    f"{config.model} on {config.dataset} ({config.profile}, seed {seed})")
        seconds += align_seconds

    x_test, y_test = target.load("test", ctx.data_dir)
    target_accuracy = accuracy(classifier, x_test, y_test, image_shape)
    provenance = {"split": f"{target.name} test (all {len(x_test)})", "network": "build_small_cnn",
                  "format": "{}x{}x{}".format(*image_shape), "source_steps": source_params["steps"],
                  "source_test_accuracy": round(source_meta["source_test_accuracy"], 4)}
    result.add("accuracy", target_accuracy, setting=config.setting, **provenance)
    result.add("error_pct", 100 * (1 - target_accuracy), "%", setting=config.setting, **provenance)
    result.add("train_seconds", seconds, "s", setting=config.setting,
               note="method training plus the (cached) source CNN's training")
    return result


def _align_features(method, train, params, target_batch_norm, classifier, labelled_source, x_target, image_shape,
                    seed, ctx, result, title, stage=""):
    """DANN or ADDA from ``classifier`` (the source CNN) on uint8 (x, y) ``labelled_source`` and
    unlabelled uint8 ``x_target``. A later ``stage`` of a run (e.g. "dann" after a CycleGAN) keeps
    its checkpoint in that subfolder and names its curves after it. Returns (adapted classifier, seconds)."""
    (x_source, y_source), (size, channels) = labelled_source, (image_shape[0], image_shape[2])
    keras.utils.set_random_seed(seed)  # the method's own initialisation does not depend on the cache
    with ctx.model_scope():
        model = _build(method, train, image_shape, classifier.output.shape[-1], params, classifier)

    make_dataset = unpaired_batches(x_source, x_target, train.batch_size, seed, size, channels, y_a=y_source)
    optimizers = [model.optimizer] if method == "dann" else [model.d_optimizer, model.e_optimizer]
    workdir = ctx.workdir / stage if stage else ctx.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    state = fit_resumable(model, optimizers, make_dataset, train, workdir, ctx.report, ctx.log)
    _save_history(state, title, ctx, result, prefix=f"{stage}_" if stage else "")
    adapted = model.target_classifier if method == "adda" else model.classifier
    if target_batch_norm:
        subset = np.random.default_rng(seed).permutation(len(x_target))[:ADABN_IMAGES]
        adapt_batch_norm(adapted, to_format(x_target[subset], size, channels), EVAL_BATCH)
    return adapted, state["train_seconds"]


def _build(method, train, image_shape, num_classes, params, classifier):
    if method == "dann":
        init_from_source = params.pop("init_from_source", False)
        rate = train.g_learning_rate
        if params.pop("anneal_learning_rate", False):
            rate = AnnealedLearningRate(rate, train.steps)
        model = DANN(image_shape=image_shape, num_classes=num_classes, schedule_steps=train.steps, **params)
        if init_from_source:
            model.classifier.set_weights(classifier.get_weights())
        model.compile(optimizer=keras.optimizers.Adam(rate, beta_1=train.beta_1))
        return model
    model = ADDA(image_shape=image_shape, num_classes=num_classes, **params)
    model.init_from_source(classifier)
    model.compile(d_optimizer=keras.optimizers.Adam(train.d_learning_rate, beta_1=train.beta_1),
                  e_optimizer=keras.optimizers.Adam(train.g_learning_rate, beta_1=train.beta_1))
    return model


def source_classifier(name, x, y, test, num_classes, image_shape, params, seed, ctx):
    """The small CNN trained on labelled source images ``x, y`` (uint8) at ``image_shape``, cached.

    ``name`` identifies the source data in the cache (with the format, budget and
    seed); ``test`` = (uint8 images, labels) it is scored on once; ``params``:
    steps, batch_size, learning_rate (Adam). Returns (model, meta) with
    meta = {"train_seconds", "source_test_accuracy"}.
    """
    folder = Path(ctx.cache_dir) / "pretrained"
    stem = "{}-{}x{}x{}-smallcnn-steps{}-batch{}-lr{}-seed{}".format(
        name, *image_shape, params["steps"], params["batch_size"], params["learning_rate"], seed)
    # Suffixes appended, not Path.with_suffix: the learning rate's "." would cut the name short.
    weights, meta_path = folder / f"{stem}.weights.h5", folder / f"{stem}.json"

    def load():
        model = build_small_cnn(image_shape, num_classes, name="source_classifier")
        model.load_weights(weights)
        ctx.log(f"source CNN {stem} loaded from the cache")
        return model, json.loads(meta_path.read_text())

    def build():
        model, seconds = train_classifier(x, y, num_classes, image_shape, params, seed)
        meta = {"train_seconds": seconds, "source_test_accuracy": accuracy(model, *test, image_shape)}
        model.save_weights(weights)
        meta_path.write_text(json.dumps(meta))
        return model, meta

    return cached([weights, meta_path], load, build, ctx.log)


def train_classifier(x, y, num_classes, image_shape, params, seed, name="source_classifier"):
    """A fresh small CNN trained on uint8 ``x``, labels ``y`` (params: steps, batch_size, learning_rate).

    Returns (model, training seconds)."""
    model = build_small_cnn(image_shape, num_classes, name=name)
    keras.utils.set_random_seed(seed)  # after building: the cached source CNNs were trained this way
    model.compile(keras.optimizers.Adam(params["learning_rate"]),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    started = time.perf_counter()
    model.fit(make_pipeline(x, y, batch_size=params["batch_size"], seed=seed, size=image_shape[0],
                            channels=image_shape[2]),
              steps_per_epoch=params["steps"], epochs=1, verbose=0, shuffle=False)
    return model, time.perf_counter() - started


def _pixel_level(config, seed, ctx, x_source, y_source, x_target, target, image_shape, params, source_params):
    size, channels = image_shape[0], image_shape[2]
    train = config.train
    keras.utils.set_random_seed(seed)
    with ctx.model_scope():
        cyclegan = build_translator(CycleGAN, image_shape, params["cyclegan"], train)
    state = fit_resumable(cyclegan, [cyclegan.g_optimizer, cyclegan.d_optimizer],
                          unpaired_batches(x_source, x_target, train.batch_size, seed, size, channels), train,
                          ctx.workdir, ctx.report, ctx.log)
    result = TaskResult()
    title = f"{config.model} on {config.dataset} ({config.profile}, seed {seed})"
    _save_history(state, title, ctx, result)
    started = time.perf_counter()
    chosen = np.random.default_rng(seed).permutation(len(x_source))[:params["translated_images"]]
    # The classifier's pipeline reads uint8 images.
    translated = to_uint8(cyclegan.translate(to_format(x_source[chosen], size, channels), "a2b", EVAL_BATCH))
    translate_seconds = time.perf_counter() - started
    classifier, classifier_seconds = train_classifier(translated, y_source[chosen], target.num_classes,
                                                      image_shape, source_params, seed, name="pixel_classifier")
    seconds = state["train_seconds"] + translate_seconds + classifier_seconds
    provenance = {"cyclegan_steps": train.steps, "translated_images": len(chosen),
                  "classifier_steps": source_params["steps"]}
    if config.model == "pixel_dann":  # then align features: DANN from the classifier, translated source -> target
        dann = dict(params["dann"])
        dann_train, target_batch_norm = TrainConfig(**dann.pop("train")), dann.pop("target_batch_norm", False)
        classifier, dann_seconds = _align_features("dann", dann_train, dann, target_batch_norm, classifier,
                                                   (translated, y_source[chosen]), x_target, image_shape, seed,
                                                   ctx, result, title, stage="dann")
        seconds += dann_seconds
        provenance["dann_steps"] = dann_train.steps
    x_test, y_test = target.load("test", ctx.data_dir)
    target_accuracy = accuracy(classifier, x_test, y_test, image_shape)
    provenance = {"split": f"{target.name} test (all {len(x_test)})", "network": "build_small_cnn",
                  "format": "{}x{}x{}".format(*image_shape), **provenance}
    result.add("accuracy", target_accuracy, setting=config.setting, **provenance)
    result.add("error_pct", 100 * (1 - target_accuracy), "%", setting=config.setting, **provenance)
    result.add("train_seconds", seconds, "s", setting=config.setting,
               note="CycleGAN training, translating the source images, the classifier"
                    + (", DANN" if config.model == "pixel_dann" else ""))
    return result


def accuracy(classifier, images, labels, image_shape):
    """Accuracy of ``classifier`` on uint8 ``images`` brought to ``image_shape``."""
    x = to_format(images, image_shape[0], image_shape[2])
    logits = classifier.predict(x, batch_size=EVAL_BATCH, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))

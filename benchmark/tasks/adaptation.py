"""Unsupervised domain adaptation: same classes, shifted domain, target labels used only to score.

The dataset is a pair "source:target" (e.g. mnist:usps). Both domains are
brought to one format (``translation.common_format``: the larger size, RGB if
either is RGB). Every method uses the same small CNN (``build_small_cnn``):

- ``source_only``: the CNN trained on the labelled source train split (less its validation split).
- ``dann``: DANN (Ganin et al. 2016) on source train (labelled) + target train
  (unlabelled), optionally starting from the source CNN.
- ``adda``: ADDA (Tzeng et al. 2017): the source CNN, frozen, and a copy of its
  encoder adapted adversarially on the unlabelled target train split.
- ``pixel_cyclegan``: pixel-level adaptation (as in Hoffman et al. 2018's CyCADA
  pixel stage): the suite's CycleGAN (``model.cyclegan``, trained by ``train``)
  translates ``model.translated_images`` labelled source train images to the target
  style, and a fresh CNN trains on them with the source labels (the source CNN's
  budget). It does not use the source CNN.
- ``pixel_dann``: pixel then feature adaptation (CyCADA's two stages, Hoffman et al.
  2018, without its semantic-consistency loss): ``pixel_cyclegan``'s classifier is
  then adapted by DANN (``model.dann``: its ``train`` section and DANN settings)
  from the translated source images to the target.

Each method's sections are in benchmark/tasks/configs.py (``METHODS`` below).

The source CNN is trained once per (pair format, budget, seed) and cached under
``<cache>/pretrained`` so the methods share it; ``train_seconds`` of a method
counts its own training plus the source CNN's (as stored when it was trained).
No target label is read before scoring: a class-balanced validation split of the source train
split (``common.carve_validation``, drawn with the run seed) is held out of every training. A
selection may use ``source_val_accuracy`` (the final classifier on it) and
``reverse_val_accuracy``: reverse validation (Zhong et al. 2010; Ganin et al. 2016 choose DANN's
hyper-parameters by it), simplified: the final classifier labels ``REVERSE_IMAGES`` target train
images, a fresh small CNN trains on those labels alone by the source CNN's budget, and is
scored on the source validation split (Ganin et al. train that reverse classifier by DANN too).
Scores: ``accuracy`` and ``error_pct`` on the whole target test split, read once training has
ended.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from ...evaluation.images import to_uint8
from ...models import ADDA, DANN, AnnealedLearningRate, CycleGAN, adapt_batch_norm
from ..config import AdversarialTraining, ClassifierTraining, TrainConfig
from ..training import fit_resumable
from .common import (
    EVAL_BATCH,
    RunContext,
    accuracy,
    carve_validation,
    check_sections,
    construct,
    save_history,
    source_classifier,
    to_format,
    train_small_cnn,
)
from .configs import (
    AdaptationParams,
    AddaParams,
    AddaTraining,
    DannParams,
    PixelDannParams,
    PixelParams,
)
from .translation import build_translator, common_format, domains, unpaired_batches

# method -> its train and model sections
METHODS = {"source_only": (TrainConfig, AdaptationParams),
           "dann": (ClassifierTraining, DannParams),
           "adda": (AddaTraining, AddaParams),
           "pixel_cyclegan": (AdversarialTraining, PixelParams),
           "pixel_dann": (AdversarialTraining, PixelDannParams)}
PIXEL_LEVEL = ("pixel_cyclegan", "pixel_dann")
ADABN_IMAGES = 10000  # target train images AdaBN averages over (all of MNIST-M would take ~0.7 GB)
REVERSE_IMAGES = 10000  # target train images the reverse classifier learns from


def run(config, seed, ctx):
    check_sections(config, METHODS)
    source, target = domains(config.dataset)
    size, channels = common_format(source, target)
    image_shape = (size, size, channels)
    run_ctx = RunContext(config, seed, ctx)
    # No target labels: the source validation split, held out of every training, is the one
    # a selection may use (Ganin et al. 2016's source validation).
    labelled_source, source_validation, validation_name = carve_validation(
        source.name, *source.load("train", ctx.data_dir), source.num_classes, seed)
    x_target, _ = target.load("train", ctx.data_dir)
    if config.model in PIXEL_LEVEL:
        classifier, seconds, provenance = _pixel_level(run_ctx, labelled_source, x_target, target,
                                                       image_shape)
        note = ("CycleGAN training, translating the source images, the classifier"
                + (", DANN" if config.model == "pixel_dann" else ""))
    else:
        classifier, seconds, provenance = _feature_level(run_ctx, source, labelled_source,
                                                         source_validation, x_target, image_shape)
        note = "method training plus the (cached) source CNN's training"
    reverse_accuracy = _reverse_validation(run_ctx, classifier, x_target, source_validation,
                                           image_shape, source.num_classes)
    # Training has ended: the source validation split, then the target test split, read once.
    val_accuracy = accuracy(classifier, *source_validation, image_shape)
    x_test, y_test = target.load("test", ctx.data_dir)
    target_accuracy = accuracy(classifier, x_test, y_test, image_shape)
    provenance = {"split": f"{target.name} test (all {len(x_test)})", "network": "build_small_cnn",
                  "format": "{}x{}x{}".format(*image_shape), "validation": validation_name,
                  **provenance}
    result = run_ctx.result
    result.add("accuracy", target_accuracy, setting=config.setting, **provenance)
    result.add("error_pct", 100 * (1 - target_accuracy), "%", setting=config.setting, **provenance)
    result.add("source_val_accuracy", val_accuracy, setting=config.setting, split=validation_name,
               network="build_small_cnn")
    result.add("reverse_val_accuracy", reverse_accuracy, setting=config.setting,
               split=validation_name, network="build_small_cnn",
               reverse_training=f"{min(REVERSE_IMAGES, len(x_target))} {target.name} train images "
                                "labelled by the final classifier, the source CNN's budget")
    result.add("train_seconds", seconds, "s", setting=config.setting, note=note)
    return result


def _reverse_validation(run_ctx, classifier, x_target, source_validation, image_shape,
                        num_classes):
    """Accuracy on the source validation split of a small CNN trained only on target train
    images labelled by ``classifier`` (no target label is read)."""
    seed = run_ctx.seed
    chosen = np.random.default_rng(seed).permutation(len(x_target))[:REVERSE_IMAGES]
    x = x_target[chosen]
    pseudo_labels = np.argmax(classifier.predict(to_format(x, image_shape[0], image_shape[2]),
                                                 batch_size=EVAL_BATCH, verbose=0), axis=1)
    with run_ctx.ctx.model_scope():
        reverse, _ = train_small_cnn(x, pseudo_labels, image_shape, num_classes,
                                     run_ctx.config.model_params.source, seed,
                                     name="reverse_classifier")
    return accuracy(reverse, *source_validation, image_shape)


def _feature_level(run_ctx, source, labelled_source, source_validation, x_target, image_shape):
    """source_only, dann, adda: the source CNN, then (but for source_only) feature alignment.
    Returns (classifier, training seconds, provenance)."""
    config = run_ctx.config
    classifier, source_meta = source_classifier(run_ctx, source.name, labelled_source,
                                                source_validation, image_shape, source.num_classes)
    seconds = source_meta["train_seconds"]
    if config.model != "source_only":
        classifier, align_seconds = _align_features(run_ctx, config.model, config.train,
                                                    config.model_params, classifier,
                                                    labelled_source, x_target)
        seconds += align_seconds
    provenance = {"source_steps": config.model_params.source.steps,
                  "source_cnn_val_accuracy": round(source_meta["source_val_accuracy"], 4)}
    return classifier, seconds, provenance


def _align_features(run_ctx, method, train, settings, classifier, labelled_source, x_target,
                    stage=""):
    """DANN or ADDA (``train`` and ``settings`` its sections) from ``classifier`` on uint8
    (x, y) ``labelled_source`` and unlabelled uint8 ``x_target``. A later ``stage`` of a run
    (e.g. "dann" after a CycleGAN) keeps its checkpoint in that subfolder and names its curves
    after it. Returns (adapted classifier, seconds)."""
    ctx, seed = run_ctx.ctx, run_ctx.seed
    (x_source, y_source), image_shape = labelled_source, classifier.input_shape[1:]
    size, channels = image_shape[0], image_shape[2]
    keras.utils.set_random_seed(seed)  # its own initialisation does not depend on the cache
    with ctx.model_scope():
        model = build_aligner(method, train, settings, classifier)

    make_dataset = unpaired_batches(x_source, x_target, train.batch_size, seed, size, channels,
                                    y_a=y_source)
    workdir = ctx.workdir / stage if stage else ctx.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    state = fit_resumable(model, model.optimizers, make_dataset, train, workdir, ctx.report,
                          ctx.log)
    save_history(run_ctx, state, prefix=f"{stage}_" if stage else "")
    adapted = model.target_classifier if method == "adda" else model.classifier
    if settings.target_batch_norm:
        subset = np.random.default_rng(seed).permutation(len(x_target))[:ADABN_IMAGES]
        adapt_batch_norm(adapted, to_format(x_target[subset], size, channels), EVAL_BATCH)
    return adapted, state["train_seconds"]


def build_aligner(method, train, settings, classifier):
    """The compiled DANN or ADDA of ``classifier``'s format and classes."""
    shape = {"image_shape": tuple(classifier.input_shape[1:]),
             "num_classes": classifier.output.shape[-1]}
    if method == "dann":
        rate = train.classifier_lr
        if settings.anneal_lr:
            rate = AnnealedLearningRate(rate, train.steps)
        model = construct(DANN, "network", settings.network, schedule_steps=train.steps, **shape)
        if settings.init_from_source:
            model.classifier.set_weights(classifier.get_weights())
        model.compile(optimizer=keras.optimizers.Adam(rate, beta_1=train.beta_1))
        return model
    model = construct(ADDA, "network", settings.network, **shape)
    model.init_from_source(classifier)
    model.compile(d_optimizer=keras.optimizers.Adam(train.discriminator_lr, beta_1=train.beta_1),
                  e_optimizer=keras.optimizers.Adam(train.encoder_lr, beta_1=train.beta_1))
    return model


def _pixel_level(run_ctx, labelled_source, x_target, target, image_shape):
    """pixel_cyclegan, pixel_dann: the CycleGAN, the classifier on translated source images, and
    for pixel_dann DANN from it. Returns (classifier, training seconds, provenance)."""
    config, ctx, seed = run_ctx.config, run_ctx.ctx, run_ctx.seed
    params, train = config.model_params, config.train
    size, channels = image_shape[0], image_shape[2]
    x_source, y_source = labelled_source
    keras.utils.set_random_seed(seed)
    with ctx.model_scope():
        cyclegan = build_translator(CycleGAN, image_shape, params.cyclegan, train, key="cyclegan")
    state = fit_resumable(cyclegan, cyclegan.optimizers,
                          unpaired_batches(x_source, x_target, train.batch_size, seed, size,
                                           channels), train, ctx.workdir, ctx.report, ctx.log)
    save_history(run_ctx, state)
    started = time.perf_counter()
    chosen = np.random.default_rng(seed).permutation(len(x_source))[:params.translated_images]
    # The classifier's pipeline reads uint8 images.
    translated = to_uint8(cyclegan.translate(to_format(x_source[chosen], size, channels), "a2b",
                                             EVAL_BATCH))
    translate_seconds = time.perf_counter() - started
    with ctx.model_scope():
        classifier, classifier_seconds = train_small_cnn(
            translated, y_source[chosen], image_shape, target.num_classes, params.source, seed,
            name="pixel_classifier")
    seconds = state["train_seconds"] + translate_seconds + classifier_seconds
    provenance = {"cyclegan_steps": train.steps, "translated_images": len(chosen),
                  "classifier_steps": params.source.steps}
    if config.model == "pixel_dann":  # then align features, translated source -> target
        classifier, dann_seconds = _align_features(run_ctx, "dann", params.dann.train,
                                                   params.dann, classifier,
                                                   (translated, y_source[chosen]), x_target,
                                                   stage="dann")
        seconds += dann_seconds
        provenance["dann_steps"] = params.dann.train.steps
    return classifier, seconds, provenance

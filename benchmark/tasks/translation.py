"""Unpaired image-to-image translation: train CycleGAN or DiscoGAN on two domains, score both
directions.

The dataset is a pair "source:target" (domain A = source, B = target), or
"unpaired:PATH", a folder in the CycleGAN layout (trainA/ trainB/ testA/ testB/,
e.g. horse2zebra), whose unlabelled domains get only the cycle error and grids. Both
domains are brought to one format (the larger size; RGB if either is RGB) and
trained from their train splits through two independently shuffled pipelines,
so no image of A is ever paired with one of B. Each direction (a2b, b2a) is
scored on the first ``eval.num_samples`` test images of its source domain:

- ``label_preservation``: a classifier trained on the target domain, at the
  common format, labels the translations; accuracy against the source labels
  (the CyCADA protocol, Hoffman et al. 2018).
- ``cfid``: Fréchet distance between that classifier's features of the
  translations and of the real target test images; ``cfid_inf`` the same extrapolated to
  infinitely many translations (FID∞, ``evaluation.fid``).
- ``cycle_error``: mean |F(G(x)) - x| on the [-1, 1] scale.

A labelled domain's train split gives up a class-balanced validation split first
(``common.carve_validation``: 100 images a class, the run's seed), never trained on; the recipe is
chosen on ``val_label_preservation``, label preservation of those images' translations (source
labels against the target classifier). The test splits are read once every network, the target
classifiers included, has trained, and the validation scores are in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ... import evaluation
from ...evaluation.images import to_uint8
from ...evaluation.plots import save_mosaic
from ...models import CycleGAN, DiscoGAN
from ..config import ConfigError
from ..data import get_dataset, make_pipeline
from ..domain_classifier import domain_classifier, domain_extractor
from ..training import fit_resumable
from .common import EVAL_BATCH, RunContext, carve_validation, construct, save_history, to_format

MODELS = {"cyclegan": CycleGAN, "discogan": DiscoGAN}
OPPOSITE = {"a2b": "b2a", "b2a": "a2b"}


def domains(pair):
    """The (source, target) datasets of "source:target"; both must be labelled image sets."""
    source, sep, target = pair.partition(":")
    if not sep or not source or not target:
        raise ConfigError("translation needs a dataset pair 'source:target' (e.g. mnist:usps), "
                          f"got {pair!r}")
    found = get_dataset(source), get_dataset(target)
    for dataset in found:
        if not hasattr(dataset, "image_shape") or dataset.num_classes < 2:
            raise ConfigError("translation scores label preservation, so both domains must be "
                              f"labelled image datasets; {dataset.name!r} is not "
                              "(use e.g. mnist:usps)")
    return found


def translation_domains(dataset):
    """(A, B) of the translation task: ``domains(pair)``, or the two domains of "unpaired:PATH"."""
    if dataset.startswith("unpaired:"):
        folders = get_dataset(dataset)
        return folders.domain("A"), folders.domain("B")
    return domains(dataset)


def common_format(source, target):
    """(size, channels) both domains train at: the larger side, and RGB if either domain is RGB."""
    for dataset in (source, target):
        if dataset.image_shape[0] != dataset.image_shape[1]:
            raise ConfigError(f"translation needs square images; {dataset.name} is "
                              f"{dataset.image_shape[0]}x{dataset.image_shape[1]}")
    return (max(source.image_shape[0], target.image_shape[0]),
            max(source.image_shape[2], target.image_shape[2]))


def _format_note(dataset, size, channels):
    height, _, native_channels = dataset.image_shape
    steps = ([f"{height}->{size} px bilinear (antialiased)"] if height != size else []) + (
        [f"{native_channels}->{channels} channels"] if native_channels != channels else [])
    return f"{dataset.name} {', '.join(steps) or 'native'}"


def build_translator(model_class, image_shape, params, train, key=""):
    """A compiled CycleGAN or DiscoGAN (``params``: its constructor arguments, the model section's
    ``key``) with its papers' optimizers at ``train``'s rates."""
    model = construct(model_class, key, params, image_shape=image_shape)
    model.compile(
        g_optimizer=model_class.make_optimizer(train.generator_lr, train.beta_1, train.steps),
        d_optimizer=model_class.make_optimizer(train.discriminator_lr, train.beta_1, train.steps))
    return model


def unpaired_batches(x_a, x_b, batch_size, seed, size, channels, y_a=None):
    """``make_dataset(skip)`` for ``fit_resumable``: independent shuffles (distinct seeds) of the
    two uint8 domains at the common format, so no image of A is ever paired with one of B. With
    labels ``y_a`` (domain adaptation's labelled source) A's batches are ``(x, y)``; B's labels
    are never read."""
    def make_dataset(skip):
        domain_a = make_pipeline(x_a, y_a, batch_size=batch_size, seed=2 * seed, size=size,
                                 channels=channels)
        domain_b = make_pipeline(x_b, batch_size=batch_size, seed=2 * seed + 1, size=size,
                                 channels=channels)
        return tf.data.Dataset.zip((domain_a, domain_b)).skip(skip)
    return make_dataset


@dataclass(frozen=True)
class Direction:
    """One way of translating: ``name`` (a2b or b2a), its source and target domains, and the
    common format both are brought to."""
    name: str
    source: object
    target: object
    size: int
    channels: int

    @property
    def formats(self):
        return "; ".join(_format_note(domain, self.size, self.channels)
                         for domain in (self.source, self.target))


def _train_and_validation(domain, seed, ctx):
    """A domain's train images less its validation split, and that split ((uint8 images, labels),
    name), or None for an unlabelled domain, which keeps every train image."""
    images, labels = domain.load("train", ctx.data_dir)
    if not domain.num_classes:
        return images, None
    (rest, _), validation, name = carve_validation(domain.name, images, labels, domain.num_classes,
                                                   seed)
    return rest, (validation, name)


def run(config, seed, ctx):
    source, target = translation_domains(config.dataset)
    size, channels = common_format(source, target)
    x_a, validation_a = _train_and_validation(source, seed, ctx)
    x_b, validation_b = _train_and_validation(target, seed, ctx)
    with ctx.model_scope():
        model = build_translator(MODELS[config.model], (size, size, channels), config.model_params,
                                 config.train)
    batch = config.train.batch_size
    state = fit_resumable(model, model.optimizers,
                          unpaired_batches(x_a, x_b, batch, seed, size, channels), config.train,
                          ctx.workdir, ctx.report, ctx.log)
    run_ctx = RunContext(config, seed, ctx)
    result = run_ctx.result
    result.add("train_seconds", state["train_seconds"], "s")
    result.add("train_img_per_s", config.train.steps * 2 * batch / state["train_seconds"], "img/s",
               note="real images (a batch from each domain per step) consumed per second of "
                    "training, checkpoints included")

    directions = [Direction("a2b", source, target, size, channels),
                  Direction("b2a", target, source, size, channels)]
    validations = (validation_a, validation_b) if validation_a and validation_b else None
    if validations:  # trained before any test image is read
        for domain in (source, target):
            domain_classifier(domain.name, ctx.data_dir, ctx.cache_dir,
                              config.eval.classifier_steps, size=size, channels=channels,
                              log=ctx.log)
        for direction, validation in zip(directions, validations, strict=True):
            _validation_score(run_ctx, model, direction, validation)
    timings = [_translate_and_score(run_ctx, model, direction, validations)
               for direction in directions]
    count, seconds = (sum(column) for column in zip(*timings, strict=True))
    result.add("sample_img_per_s", count / seconds, "img/s", batch_size=EVAL_BATCH,
               note="test images translated per second, both directions")

    save_history(run_ctx, state)
    for name in ("generator_ab", "generator_ba"):
        getattr(model, name).save(run_ctx.artifact(name, f"{name}.keras"))
    return result


def _target_extractor(run_ctx, direction):
    return domain_extractor(direction.target.name, run_ctx.ctx.data_dir, run_ctx.ctx.cache_dir,
                            run_ctx.config.eval.classifier_steps, size=direction.size,
                            channels=direction.channels, log=run_ctx.ctx.log)


def _validation_score(run_ctx, model, direction, validation):
    """``val_label_preservation``: the direction's source validation images translated, labelled
    by the target classifier, against their own labels (what a recipe is chosen on)."""
    (images, labels), name = validation
    x = to_format(images, direction.size, direction.channels)
    translated = model.translate(x, direction.name, batch_size=EVAL_BATCH)
    _, probabilities = _target_extractor(run_ctx, direction).features_and_probabilities(
        to_uint8(translated))
    preserved = np.mean(np.argmax(probabilities, axis=1) == labels)
    run_ctx.result.add("val_label_preservation", preserved, setting=direction.name,
                       n_translated=len(labels), split=name, formats=direction.formats)


def _translate_and_score(run_ctx, model, direction, validations):
    """Translate the source test images one way and back, score them, save the grid;
    ``validations``: both domains' validation splits (None: unlabelled domains have none).

    Returns (images translated, seconds the forward translation took).
    """
    ctx, config = run_ctx.ctx, run_ctx.config
    x_test, y_test = direction.source.load("test", ctx.data_dir)
    x = to_format(x_test[:config.eval.num_samples], direction.size, direction.channels)
    labels = y_test[:len(x)]
    model.translate(x[:EVAL_BATCH + 1], direction.name)  # trace full and ragged batches first
    started = time.perf_counter()
    translated = model.translate(x, direction.name, batch_size=EVAL_BATCH)
    seconds = time.perf_counter() - started
    reconstructed = model.translate(translated, OPPOSITE[direction.name], batch_size=EVAL_BATCH)
    split = f"{direction.source.name} test (first {len(x)})"
    validation = ("; ".join(name for _, name in validations) if validations
                  else "none: unlabelled domains")
    run_ctx.result.add("cycle_error", np.mean(np.abs(reconstructed - x)), setting=direction.name,
                       n_images=len(x), split=split, scale="[-1, 1]", formats=direction.formats,
                       validation=validation)
    _save_grid(run_ctx, direction.name, labels, (x, translated, reconstructed))
    if direction.source.num_classes and direction.target.num_classes:
        _score_with_target_classifier(run_ctx, direction, translated, labels, split, validation)
    else:
        ctx.log(f"{direction.name}: label_preservation and cfid skipped: they need labelled "
                "domains")
    return len(x), seconds


def _score_with_target_classifier(run_ctx, direction, translated, labels, split, validation):
    """label_preservation and cfid of one direction on the target domain's classifier."""
    ctx, config, tgt = run_ctx.ctx, run_ctx.config, direction.target
    extractor = _target_extractor(run_ctx, direction)
    target_test, _ = tgt.load("test", ctx.data_dir)
    real = to_uint8(to_format(target_test[:config.eval.num_real], direction.size,
                              direction.channels))
    fake_f, fake_p = extractor.features_and_probabilities(to_uint8(translated))
    real_f = extractor.features(real)
    classifier = {"extractor": extractor.name, "weights_sha256": extractor.weights_hash[:16],
                  "extractor_test_accuracy": round(extractor.test_accuracy, 4),
                  "resize": extractor.resize, "formats": direction.formats}
    run_ctx.result.add("label_preservation", np.mean(np.argmax(fake_p, axis=1) == labels),
                       setting=direction.name, n_translated=len(labels), split=split,
                       labels=f"{direction.source.name} test labels", validation=validation,
                       **classifier)
    for name, value in (("cfid", evaluation.frechet_distance(real_f, fake_f)),
                        ("cfid_inf", evaluation.frechet_distance_infinity(real_f, fake_f))):
        run_ctx.result.add(name, value, setting=direction.name, n_real=len(real),
                           n_fake=len(labels), real_split="test", validation=validation,
                           **classifier)


def _save_grid(run_ctx, direction, labels, rows):
    """Rows: input, translated, reconstructed; one column per class (its first test image), or
    the first 10 images of an unlabelled domain."""
    columns = ([int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)]
               if labels.min() >= 0 else range(len(labels)))[:10]
    mosaic = np.concatenate([to_uint8(images[columns]) for images in rows])
    save_mosaic(mosaic, run_ctx.artifact(f"grid_{direction}", f"grid_{direction}.png"),
                columns=len(columns))

"""Unpaired image-to-image translation: train CycleGAN or DiscoGAN on two domains, score both directions.

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
"""

from __future__ import annotations

import json
import time

import numpy as np
import tensorflow as tf

import evaluation
from benchmark.config import ConfigError
from benchmark.data import get_dataset, make_pipeline
from benchmark.domain_classifier import domain_extractor
from benchmark.tasks.base import TaskResult
from benchmark.training import fit_resumable
from evaluation.images import to_uint8
from evaluation.plots import save_curves, save_mosaic
from models import CycleGAN, DiscoGAN

MODELS = {"cyclegan": CycleGAN, "discogan": DiscoGAN}
OPPOSITE = {"a2b": "b2a", "b2a": "a2b"}
EVAL_BATCH = 500


def domains(pair):
    """The (source, target) datasets of "source:target"; both must be labelled image sets."""
    source, sep, target = pair.partition(":")
    if not sep or not source or not target:
        raise ConfigError(f"translation needs a dataset pair 'source:target' (e.g. mnist:usps), got {pair!r}")
    found = get_dataset(source), get_dataset(target)
    for dataset in found:
        if not hasattr(dataset, "image_shape") or dataset.num_classes < 2:
            raise ConfigError(f"translation scores label preservation, so both domains must be labelled "
                              f"image datasets; {dataset.name!r} is not (use e.g. mnist:usps)")
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


def to_format(images, size, channels):
    """uint8 images -> float32 in [-1, 1] at the common format, through the training pipeline's resizer."""
    batches = make_pipeline(images, batch_size=EVAL_BATCH, seed=0, shuffle=False, repeat=False,
                            drop_remainder=False, size=size, channels=channels)
    return np.concatenate(list(batches.as_numpy_iterator()))


def _format_note(dataset, size, channels):
    height, _, native_channels = dataset.image_shape
    steps = ([f"{height}->{size} px bilinear (antialiased)"] if height != size else []) + (
        [f"{native_channels}->{channels} channels"] if native_channels != channels else [])
    return f"{dataset.name} {', '.join(steps) or 'native'}"


def build_translator(model_class, image_shape, params, train):
    """A compiled CycleGAN or DiscoGAN (``params``: its constructor arguments) with its papers' optimizers."""
    model = model_class(image_shape=image_shape, **params)
    model.compile(g_optimizer=model_class.make_optimizer(train.g_learning_rate, train.beta_1, train.steps),
                  d_optimizer=model_class.make_optimizer(train.d_learning_rate, train.beta_1, train.steps))
    return model


def unpaired_batches(x_a, x_b, batch_size, seed, size, channels, y_a=None):
    """``make_dataset(skip)`` for ``fit_resumable``: independent shuffles (distinct seeds) of the two
    uint8 domains at the common format, so no image of A is ever paired with one of B. With labels
    ``y_a`` (domain adaptation's labelled source) A's batches are ``(x, y)``; B's labels are never read."""
    def make_dataset(skip):
        domain_a = make_pipeline(x_a, y_a, batch_size=batch_size, seed=2 * seed, size=size, channels=channels)
        domain_b = make_pipeline(x_b, batch_size=batch_size, seed=2 * seed + 1, size=size, channels=channels)
        return tf.data.Dataset.zip((domain_a, domain_b)).skip(skip)
    return make_dataset


def run(config, seed, ctx):
    source, target = translation_domains(config.dataset)
    size, channels = common_format(source, target)
    x_a, _ = source.load("train", ctx.data_dir)
    x_b, _ = target.load("train", ctx.data_dir)
    with ctx.model_scope():
        model = build_translator(MODELS[config.model], (size, size, channels), config.model_params, config.train)
    batch = config.train.batch_size
    state = fit_resumable(model, model.optimizers,
                          unpaired_batches(x_a, x_b, batch, seed, size, channels), config.train, ctx.workdir,
                          ctx.report, ctx.log)
    result = TaskResult()
    result.add("train_seconds", state["train_seconds"], "s")
    result.add("train_img_per_s", config.train.steps * 2 * batch / state["train_seconds"], "img/s",
               note="real images (a batch from each domain per step) consumed per second of training, "
                    "checkpoints included")

    timings = [_translate_and_score(model, direction, src, tgt, size, channels, config, ctx, result)
               for direction, (src, tgt) in {"a2b": (source, target), "b2a": (target, source)}.items()]
    count, seconds = (sum(column) for column in zip(*timings, strict=True))
    result.add("sample_img_per_s", count / seconds, "img/s", batch_size=EVAL_BATCH,
               note="test images translated per second, both directions")

    _save_history(state, f"{config.model} on {config.dataset} ({config.profile}, seed {seed})", ctx, result)
    for name in ("generator_ab", "generator_ba"):
        path = ctx.workdir / f"{name}.keras"
        getattr(model, name).save(path)
        result.artifacts[name] = str(path)
    return result


def _translate_and_score(model, direction, src, tgt, size, channels, config, ctx, result):
    """Translate the source test images one way and back, score them, save the grid.

    Returns (images translated, seconds the forward translation took).
    """
    x_test, y_test = src.load("test", ctx.data_dir)
    x = to_format(x_test[:config.eval.num_samples], size, channels)
    labels = y_test[:len(x)]
    model.translate(x[:EVAL_BATCH + 1], direction)  # trace full and ragged batches before timing
    started = time.perf_counter()
    translated = model.translate(x, direction, batch_size=EVAL_BATCH)
    seconds = time.perf_counter() - started
    reconstructed = model.translate(translated, OPPOSITE[direction], batch_size=EVAL_BATCH)
    formats = f"{_format_note(src, size, channels)}; {_format_note(tgt, size, channels)}"
    split = f"{src.name} test (first {len(x)})"
    result.add("cycle_error", np.mean(np.abs(reconstructed - x)), setting=direction, n_images=len(x),
               split=split, scale="[-1, 1]", formats=formats)
    _save_grid(direction, x, labels, translated, reconstructed, ctx, result)
    if src.num_classes and tgt.num_classes:
        _score_with_target_classifier(direction, translated, labels, src, tgt, size, channels, config, ctx,
                                      result, split, formats)
    else:
        ctx.log(f"{direction}: label_preservation and cfid skipped: they need labelled domains")
    return len(x), seconds


def _score_with_target_classifier(direction, translated, labels, src, tgt, size, channels, config, ctx, result,
                                  split, formats):
    """label_preservation and cfid of one direction on the target domain's classifier."""
    extractor = domain_extractor(tgt.name, ctx.data_dir, ctx.cache_dir, config.eval.classifier_steps,
                                 size=size, channels=channels, log=ctx.log)
    target_test, _ = tgt.load("test", ctx.data_dir)
    real = to_uint8(to_format(target_test[:config.eval.num_real], size, channels))
    fake_f, fake_p = extractor.features_and_probabilities(to_uint8(translated))
    real_f = extractor.features(real)
    classifier = {"extractor": extractor.name, "weights_sha256": extractor.weights_hash[:16],
                  "extractor_test_accuracy": round(extractor.test_accuracy, 4), "resize": extractor.resize,
                  "formats": formats}
    result.add("label_preservation", np.mean(np.argmax(fake_p, axis=1) == labels), setting=direction,
               n_translated=len(labels), split=split, labels=f"{src.name} test labels", **classifier)
    for name, value in (("cfid", evaluation.frechet_distance(real_f, fake_f)),
                        ("cfid_inf", evaluation.frechet_distance_infinity(real_f, fake_f))):
        result.add(name, value, setting=direction, n_real=len(real), n_fake=len(labels),
                   real_split="test", **classifier)


def _save_grid(direction, x, labels, translated, reconstructed, ctx, result):
    """Rows: input, translated, reconstructed; one column per class (its first test image), or the
    first 10 images of an unlabelled domain."""
    columns = ([int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)] if labels.min() >= 0
               else range(len(labels)))[:10]
    rows = [to_uint8(images[columns]) for images in (x, translated, reconstructed)]
    path = ctx.workdir / f"grid_{direction}.png"
    save_mosaic(np.concatenate(rows), path, columns=len(columns))
    result.artifacts[f"grid_{direction}"] = str(path)


def _save_history(state, title, ctx, result, prefix=""):
    """The loss history and its plot as artifacts ``<prefix>history`` and ``<prefix>curves``."""
    history = {"steps": state["steps"], **state["history"]}
    (ctx.workdir / f"{prefix}history.json").write_text(json.dumps(history))
    result.artifacts[f"{prefix}history"] = str(ctx.workdir / f"{prefix}history.json")
    curves = {name: (state["steps"], values) for name, values in state["history"].items()}
    save_curves(curves, ctx.workdir / f"{prefix}curves.png", f"training losses, {title}")
    result.artifacts[f"{prefix}curves"] = str(ctx.workdir / f"{prefix}curves.png")

"""Scoring uint8 image samples against real images: the one scoring path of the generation task
and of ``python -m benchmark score`` (``benchmark/samples.py``).

The reference is a registered dataset's split (domain-classifier metrics when the dataset is
labelled, memorization when it has train and test splits, reference features cached per
extractor, dataset, split and count) or any array of images (FID/KID and the k-NN metrics on the
FID Inception network only, nothing cached). The suite's reference is the train split, as for
published FIDs: its images in one fixed order (``REFERENCE_SEED``), so that the first N of them
are the same random subset of N in every run. Every score records its network, sample counts,
real subset and resizing.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from .. import evaluation
from ..evaluation import fid
from ..evaluation.extractors import ExtractorUnavailable
from ..evaluation.imagenet_inception import load_imagenet_inception
from .cache import cached_array, cached_array_in_parts
from .data import get_dataset
from .domain_classifier import domain_extractor
from .errors import BenchmarkError

# The strictest need of a metric: the Inception Scores' 10 splits (the k-NN metrics need > k=5).
MIN_SAMPLES = 10
SPLITS = ("train", "val", "validation", "test")
# The order of a train split's images as a reference: its first N are the subset of N scored.
REFERENCE_SEED = 0
# Reference images per cached part of the FID Inception features (~10-30 min of work here).
REFERENCE_PART = 5000
# Seconds between two progress lines of a slow feature extraction (the FID Inception network).
PROGRESS_EVERY = 30.0


@dataclass(frozen=True)
class Reference:
    """Real images to score against."""

    name: str            # "mnist:train", or where the images came from
    split: str           # the dataset's split, or "given" for images that are no registered split
    images: np.ndarray   # uint8 (N, H, W, C)
    dataset: Any = None  # the registered dataset (classifier, test split, cache), or None
    order_seed: int | None = None  # images shuffled with this seed; None: in their stored order

    def subset(self, count):
        """The first ``count`` images and how the provenance names them."""
        images = self.images[:count]
        which = (f"{len(images)}, seed {self.order_seed}" if self.order_seed is not None
                 else f"first {len(images)}")
        return images, f"{self.split} ({which})"


def dataset_reference(text, data_dir, download=False):
    """The Reference that "DATASET[:SPLIT]" names (split "train" by default, in the fixed order
    drawn with ``REFERENCE_SEED``; other splits in their stored order)."""
    name, sep, split = text.rpartition(":")
    if not (sep and split in SPLITS):
        name, split = text, "train"
    dataset = get_dataset(name)
    if not hasattr(dataset, "image_shape"):
        raise BenchmarkError(f"{name} is not an image dataset; score images against one of the "
                             "image datasets of `python -m genbench list`")
    images, _ = dataset.load(split, data_dir, download=download)
    if split != "train":
        return Reference(f"{dataset.name}:{split}", split, images, dataset)
    order = np.random.default_rng(REFERENCE_SEED).permutation(len(images))
    return Reference(f"{dataset.name}:{split}", split, images[order], dataset, REFERENCE_SEED)


def check_sample_counts(fake, real):
    for what, images in (("samples", fake), ("reference images", real)):
        if len(images) < MIN_SAMPLES:
            raise BenchmarkError(f"{len(images)} {what} are too few: the metrics need at least "
                                 f"{MIN_SAMPLES} (the Inception Score's 10 splits; more than k=5 "
                                 "for density/coverage)")


def score_images(fake, reference, seed, eval_config, ctx, result):
    """Score uint8 samples against ``reference`` into ``result``: on the domain classifier when the
    reference is a labelled dataset (cfid, cfid_inf, ckid, cis, class coverage, the k-NN metrics,
    c2st, memorization) and, if ``eval_config.inception_samples``, fid, fid_inf and kid on the FID
    Inception network (with the k-NN metrics and c2st there when there is no classifier) and IS on
    Keras' ImageNet InceptionV3, each when its weights are on this machine. The Fréchet and kernel
    distances use ``eval_config.num_real`` real images; the k-NN metrics and c2st as many real
    images as samples. Returns the domain extractor, or None.
    """
    if fake.shape[1:] != reference.images.shape[1:]:
        raise BenchmarkError("samples are {}x{}x{} (height x width x channels), "
                             "the reference {} is {}x{}x{}".format(*fake.shape[1:], reference.name,
                                               *reference.images.shape[1:]))
    real, _ = reference.subset(eval_config.num_real)
    check_sample_counts(fake, real)
    dataset = reference.dataset
    extractor = None
    if dataset is not None and dataset.num_classes:
        extractor = domain_extractor(dataset.name, ctx.data_dir, ctx.cache_dir,
                                     eval_config.classifier_steps, log=ctx.log)
        with _stage(ctx, f"domain-classifier metrics, {len(fake)} samples vs {len(real)} real"):
            _score_on_classifier(fake, real, reference, extractor, seed, ctx, result)
    if eval_config.inception_samples:
        samples = fake[:eval_config.inception_samples]
        with _stage(ctx, f"FID Inception metrics, {len(samples)} samples vs {len(real)} real"):
            _score_inception(samples, real, reference, seed, ctx, result, knn=extractor is None)
            _score_inception_score(samples, ctx, result)
    return extractor


@contextmanager
def _stage(ctx, what):
    """One line when a scoring stage starts and one with its time when it ends."""
    started = time.perf_counter()
    ctx.log(f"scoring: {what}")
    yield
    ctx.log(f"scoring: {what}: done in {time.perf_counter() - started:.0f} s")


def _progress(ctx, what):
    """A ``progress(done, total)`` callback logging ``what``'s progress every PROGRESS_EVERY s.
    ``done`` falling back starts a new pass (the next part of ``cached_array_in_parts``), whose
    rate is timed from its first call."""
    started = last_log = time.perf_counter()
    first_done = last_done = 0

    def progress(done, total):
        nonlocal started, last_log, first_done, last_done
        now = time.perf_counter()
        if done < last_done:
            started, first_done = now, done
        last_done = done
        if now - last_log >= PROGRESS_EVERY and first_done < done < total:
            last_log = now
            rate = (done - first_done) / (now - started)
            ctx.log(f"scoring: {what} {done}/{total} images, {rate:.1f} img/s, "
                    f"{(total - done) / rate:.0f} s to go")

    return progress


def _reference_features(extractor, images, reference, split, ctx, features=None, in_parts=False):
    """``extractor``'s features of real ``images`` (computed by ``features``, default
    ``extractor.features``), cached (``evaluation.fid.reference_features``) when they are a
    registered dataset's, ``in_parts`` of ``REFERENCE_PART`` images for a slow network; ``split``
    names them in the cache."""
    if reference.dataset is None:
        return (features or extractor.features)(images)
    if in_parts:  # a slow network: cached a part at a time, so that a killed run resumes
        def cache(path, _):
            return cached_array_in_parts(path, features or extractor.features, images,
                                         REFERENCE_PART, ctx.log)
    else:
        cache = partial(cached_array, log=ctx.log)
    return fid.reference_features(extractor, images, ctx.cache_dir, reference.dataset.name, split,
                                  cache, features)


def _cache_split(reference):
    """The reference's name in the feature cache (a reordered split gets a name of its own)."""
    if reference.order_seed is None:
        return reference.split
    return f"{reference.split}-subset{reference.order_seed}"


def _held_out_features(extractor, count, reference, ctx):
    """Features of ``count`` test images, memorization's control (images the model never saw),
    read only here, at final scoring; None unless the reference is the train split of a dataset
    with a test split."""
    dataset = reference.dataset
    if reference.split != "train" or "test" not in dataset.splits:
        return None
    x_test, _ = dataset.load("test", ctx.data_dir)
    return _reference_features(extractor, x_test[:count], reference, "test", ctx)


def _provenance(extractor, n_fake, reference, n_real):
    validation = ("none carved: against train images, these scores are what a choice may use"
                  if reference.split == "train" else
                  f"none: scored against {reference.split} images, not for choosing")
    return {"extractor": extractor.name, "weights_sha256": extractor.weights_hash[:16],
            "n_real": n_real, "n_fake": n_fake, "real_split": reference.subset(n_real)[1],
            "resize": extractor.resize, "validation": validation}


def _score_neighbours(real_f, fake_f, reference, seed, provenance, result):
    """The k-NN metrics and c2st on one extractor, at equal real and generated counts (coverage
    and precision/recall depend on the ratio): the first min(N_real, N_fake) of each."""
    count = min(len(real_f), len(fake_f))
    real_f, fake_f = real_f[:count], fake_f[:count]
    provenance = {**provenance, "n_real": count, "n_fake": count,
                  "real_split": reference.subset(count)[1]}
    precision, recall = evaluation.precision_recall(real_f, fake_f, k=3)
    density, cover = evaluation.density_coverage(real_f, fake_f, k=5)
    result.add("precision", precision, k=3, **provenance)
    result.add("recall", recall, k=3, **provenance)
    result.add("density", density, k=5, **provenance)
    result.add("coverage", cover, k=5, **provenance)
    result.add("c2st_acc", evaluation.c2st_accuracy(real_f, fake_f, seed=seed), **provenance)


def _score_on_classifier(fake, real, reference, extractor, seed, ctx, result):
    real_f = _reference_features(extractor, real, reference, _cache_split(reference), ctx)
    fake_f, fake_p = extractor.features_and_probabilities(fake)
    provenance = {**_provenance(extractor, len(fake), reference, len(real)),
                  "extractor_test_accuracy": round(extractor.test_accuracy, 4)}
    for name, value in fid.scores(real_f, fake_f, seed).items():
        result.add(f"c{name}", value, **provenance)
    result.add("cis", evaluation.inception_score(fake_p)[0], **provenance)
    coverage = evaluation.class_coverage(fake_p, reference.dataset.num_classes)
    result.add("classes_covered", coverage["classes_covered"], "classes", **provenance)
    result.add("class_kl", coverage["class_kl"], "nats", **provenance)
    _score_neighbours(real_f, fake_f, reference, seed, provenance, result)
    held_out_f = _held_out_features(extractor, len(real), reference, ctx)
    if held_out_f is not None:
        result.add("memorization", evaluation.memorization(fake_f, real_f, held_out_f),
                   **provenance, held_out_split=f"test (first {len(held_out_f)}), read at final "
                                                "scoring")


def _score_inception(fake, real, reference, seed, ctx, result, knn):
    """FID, FID∞ and KID on the FID Inception network (and, if ``knn``, the k-NN metrics and
    c2st)."""
    try:
        inception = fid.load_fid_inception(str(ctx.cache_dir))
    except ExtractorUnavailable as exc:
        ctx.log(f"fid/fid_inf/kid skipped: {exc}")
        return
    real_f = _reference_features(inception, real, reference, _cache_split(reference), ctx, partial(
        inception.features, progress=_progress(ctx, f"FID Inception features of {reference.name}")),
        in_parts=True)
    fake_f = inception.features(fake, progress=_progress(ctx, "FID Inception features of samples"))
    provenance = _provenance(inception, len(fake), reference, len(real))
    for name, value in fid.scores(real_f, fake_f, seed).items():
        result.add(name, value, **provenance)
    if knn:
        _score_neighbours(real_f, fake_f, reference, seed, provenance, result)


def _score_inception_score(fake, ctx, result):
    """The Inception Score on Keras' ImageNet InceptionV3, when its weights are on this machine."""
    try:
        imagenet = load_imagenet_inception()
    except ExtractorUnavailable as exc:
        ctx.log(f"is skipped: {exc}")
        return
    result.add("is", evaluation.inception_score(imagenet.probabilities(fake))[0],
               extractor=imagenet.name, weights_sha256=imagenet.weights_hash[:16], n_fake=len(fake),
               resize=imagenet.resize)

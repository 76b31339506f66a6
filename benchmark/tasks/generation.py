"""Unconditional generation: train a GAN on a dataset, then score its samples.

The GAN is a built-in one (``MODELS``) or a user's model that follows the protocol in
``benchmark/external.py`` (``--model module.path:ClassName``).

2-D mixtures are scored by mode coverage; image sets by the domain classifier's
features (cfid, ckid, cis, precision/recall, density/coverage, c2st, memorization,
class coverage) and, when its weights are installed, the FID Inception network, all against a
fixed subset of the train split (``benchmark/scoring.py``).
"""

from __future__ import annotations

import time

import numpy as np

from ... import evaluation
from ...evaluation.images import to_uint8
from ...evaluation.plots import save_mosaic, save_scatter
from ...models import DCGAN, GAN
from ..config import ConfigError
from ..data import get_dataset, make_pipeline
from ..external import load_model_class
from ..scoring import dataset_reference, score_images
from ..suites import REAL_DATA
from ..training import fit_resumable
from .base import TaskResult
from .common import (
    RunContext,
    adversarial_optimizers,
    construct,
    record_class_walks,
    save_history,
)

MODELS = {"gan": GAN, "dcgan": DCGAN}

GRID_SIZE = 64
WALK_ROWS, WALK_STEPS = 8, 10
# Latent arithmetic: latent points drawn and classified, latents averaged per class end.
ARITHMETIC_POOL, ARITHMETIC_EXEMPLARS = 2000, 3


def build_model(config, data_shape, seed):
    """The compiled model and its [discriminator, generator] optimizers (for the checkpoint)."""
    model_class = MODELS.get(config.model) or load_model_class(config.model, MODELS)
    model = construct(model_class, "", config.model_params, data_shape=data_shape, seed=seed)
    d_optimizer, g_optimizer = adversarial_optimizers(config.train)
    model.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
    # A model may wrap them (loss scaling under float16): checkpoint what it trains with.
    return model, [getattr(model, "d_optimizer", d_optimizer),
                   getattr(model, "g_optimizer", g_optimizer)]


def latent_walk(model, seed):
    """Images along straight lines between pairs of latent points: (rows, steps, *image shape)."""
    rng = np.random.default_rng(seed)
    ends = rng.standard_normal((2, WALK_ROWS, 1, model.latent_dim)).astype(np.float32)
    t = np.linspace(0.0, 1.0, WALK_STEPS, dtype=np.float32)[None, :, None]
    z = ((1 - t) * ends[0] + t * ends[1]).reshape(-1, model.latent_dim)
    images = model.generator.predict(z, batch_size=500, verbose=0)
    return images.reshape(WALK_ROWS, WALK_STEPS, *images.shape[1:])


def run(config, seed, ctx):
    if config.model == REAL_DATA:
        return _score_real_data(config, seed, ctx)
    dataset = get_dataset(config.dataset)
    x_train, _ = dataset.load("train", ctx.data_dir)
    with ctx.model_scope():
        model, optimizers = build_model(config, x_train.shape[1:], seed)
    batch = config.train.batch_size * getattr(model, "d_steps", 1)

    def make_dataset(skip):
        return make_pipeline(x_train, batch_size=batch, seed=seed).skip(skip)

    state = fit_resumable(model, optimizers, make_dataset, config.train, ctx.workdir, ctx.report,
                          ctx.log)
    result = TaskResult()
    result.add("train_seconds", state["train_seconds"], "s")
    result.add("train_img_per_s", config.train.steps * batch / state["train_seconds"], "img/s",
               note="real images consumed per second of training, checkpoints included")

    model.generate(min(100, config.eval.num_samples), seed=seed + 1)  # trace before timing
    started = time.perf_counter()
    samples = model.generate(config.eval.num_samples, seed=seed + 1)
    result.add("sample_img_per_s", len(samples) / (time.perf_counter() - started), "img/s",
               batch_size=500)
    points = hasattr(dataset, "centers")
    _check_samples(samples, config, x_train.shape[1:], points)

    # Both optional for a user's model.
    latent = hasattr(model, "generator") and hasattr(model, "latent_dim")
    if not latent:
        ctx.log(f"latent walk, path_smoothness and generator.keras skipped: {config.model} lacks "
                "`generator` or `latent_dim`")
    walk = to_uint8(latent_walk(model, seed)) if latent and not points else None
    _save_run_figures(RunContext(config, seed, ctx, result), samples, walk, state, dataset)
    if points:
        _score_points(samples, dataset, result, config)
    else:
        extractor = score_images(to_uint8(samples), dataset_reference(config.dataset, ctx.data_dir),
                                 seed, config.eval, ctx, result)
        if walk is not None:
            _score_latent_walk(walk, extractor, result)
        if latent and extractor is not None:
            _score_class_walks(model, extractor, dataset.num_classes,
                               RunContext(config, seed, ctx, result))
    if latent:
        model.generator.save(ctx.workdir / "generator.keras")
        result.artifacts["generator"] = str(ctx.workdir / "generator.keras")
    return result


def _score_real_data(config, seed, ctx):
    """The real-data floor: ``eval.num_samples`` real images (drawn with the seed) scored as a
    model's samples, against the same reference and with the same counts. They are training
    images outside the reference's ``eval.num_real``, so they score as a generator of new images
    from the data distribution would (memorization about its 5% quantile); where the reference
    takes the whole train split (CIFAR-10's 50,000), they are test images, read at this final
    scoring like every test image."""
    reference = dataset_reference(config.dataset, ctx.data_dir)
    unused, source = reference.images[config.eval.num_real:], "train images outside the reference"
    if len(unused) < config.eval.num_samples and "test" in reference.dataset.splits:
        unused, _ = reference.dataset.load("test", ctx.data_dir)
        source = "test images (the reference takes the whole train split)"
    if len(unused) < config.eval.num_samples:
        raise ConfigError(f"{config.dataset} has {len(unused)} training images beyond the "
                          f"reference's {config.eval.num_real}; eval.num_samples asks for "
                          f"{config.eval.num_samples}")
    chosen = np.random.default_rng(seed).choice(len(unused), config.eval.num_samples,
                                                replace=False)
    result = TaskResult()
    score_images(unused[chosen], reference, seed, config.eval, ctx, result)
    for metric in result.metrics:
        metric["provenance"]["floor_images"] = source
    return result


def _check_samples(samples, config, data_shape, points):
    """A user's ``generate`` that breaks the protocol fails the run with this reason, not a later
    shape error or silently wrong scores."""
    shape = (config.eval.num_samples, *data_shape)
    if np.shape(samples) != shape:
        raise ValueError(f"{config.model}.generate returned shape {np.shape(samples)}, "
                         f"expected {shape}")
    if not points and np.abs(samples).max() > 1:
        raise ValueError(f"{config.model}.generate returned images outside [-1, 1] "
                         f"({np.min(samples):.3g} to {np.max(samples):.3g})")


def _save_run_figures(run_ctx, samples, walk, state, dataset):
    samples_png = run_ctx.artifact("samples", "samples.png")
    if hasattr(dataset, "centers"):
        save_scatter(samples, dataset.centers, samples_png, run_ctx.title)
    else:
        save_mosaic(to_uint8(samples[:GRID_SIZE]), samples_png, columns=8)
    if walk is not None:
        save_mosaic(walk.reshape(-1, *walk.shape[2:]),
                    run_ctx.artifact("latent_walk", "latent_walk.png"), columns=WALK_STEPS)
    save_history(run_ctx, state)


def _score_points(samples, dataset, result, config):
    scores = evaluation.mode_coverage(samples, dataset.centers, dataset.std)
    provenance = {"n_fake": len(samples), "modes": len(dataset.centers), "std": dataset.std,
                  "rule": "high quality = within 3 std of the nearest mode; covered = at least "
                          "20 hq samples per 2500"}
    result.add("modes_covered", scores["modes_covered"], "modes", **provenance)
    result.add("hq_share", scores["hq_share"], "", **provenance)
    result.add("mode_kl", scores["mode_kl"], "nats", **provenance)


def _score_class_walks(model, extractor, num_classes, run_ctx):
    """Latent arithmetic (the DCGAN paper's class-mean walks): ``class_transition`` over one walk
    per ordered pair of classes, and the walks from each class to the next as a figure."""
    rng = np.random.default_rng(run_ctx.seed + 2)
    z = rng.standard_normal((ARITHMETIC_POOL, model.latent_dim)).astype(np.float32)
    classes = extractor.classes(to_uint8(model.generator.predict(z, batch_size=500, verbose=0)))
    walks, pairs = evaluation.class_pair_walks(z, classes, num_classes, ARITHMETIC_EXEMPLARS,
                                               WALK_STEPS, seed=run_ctx.seed)
    if not len(pairs):
        run_ctx.ctx.log(f"class_transition skipped: fewer than two classes have "
                        f"{ARITHMETIC_EXEMPLARS} of {ARITHMETIC_POOL} samples")
        return
    images = to_uint8(model.generator.predict(walks.reshape(-1, model.latent_dim),
                                              batch_size=500, verbose=0))
    record_class_walks(run_ctx, images.reshape(len(pairs), WALK_STEPS, *images.shape[1:]), pairs,
                       extractor, num_classes, walk="straight line between class means of "
                       f"{ARITHMETIC_EXEMPLARS} latents each, {ARITHMETIC_POOL} latents "
                       "classified")


def _score_latent_walk(walk, extractor, result):
    features = extractor.features(walk.reshape(-1, *walk.shape[2:]))
    walk_f = features.reshape(WALK_ROWS, WALK_STEPS, -1)
    result.add("path_smoothness", evaluation.latent_path_smoothness(walk_f),
               extractor=extractor.name, weights_sha256=extractor.weights_hash[:16],
               resize=extractor.resize, paths=WALK_ROWS, steps_per_path=WALK_STEPS)

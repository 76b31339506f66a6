"""Diffusion generation: latent diffusion (``ldm``, the Stable Diffusion recipe) and pixel-space
DDPM (``ddpm``), trained on an image dataset and scored exactly like the GANs.

``ldm`` trains in two resumable stages: a VAE (``<workdir>/vae``), then a DDPM on the latents
of the training images, scaled to unit variance (``<workdir>/unet``). ``ddpm`` trains the same
DDPM class on pixels (``<workdir>/unet``). Samples come from DDIM with eta = 0; the noise
predictor samples with its exponential moving average of weights (as DDPM and LDM do).

The ``train`` section (``DdpmTraining``, ``LdmTraining`` in benchmark/tasks/configs.py) has the
noise predictor's steps, batch size, checkpoint interval and ``noise_predictor_lr``, and for ldm
the VAE's ``vae_steps``, ``vae_batch_size`` and ``vae_lr``; the model section (``DdpmParams``,
``LdmParams``): ``diffusion`` (DDPM constructor arguments: U-Net widths, schedule, ...),
``ema_momentum`` (0 = no weight averaging), ``sampling_steps`` (DDIM steps), and for ldm ``vae``
(VAE constructor arguments) and ``latent_images`` (how many training images, a seeded random
subset, are encoded for stage 2).

With ``diffusion.num_classes`` (the dataset's class count) the noise predictor is
class-conditional, trained with label dropout for classifier-free guidance, and needs
``guidance`` (the CFG scale; 1 = purely conditional). Its samples are drawn class-balanced
(sample i has label i mod K), scored like the unconditional ones, and additionally by the
classification accuracy score ``cas``: a classifier trained on those labelled samples, tested
on the real test split, beside ``cas_real``, the same classifier trained on as many real images.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from ...evaluation.images import from_uint8, to_uint8
from ...evaluation.plots import save_mosaic
from ...models import DDPM, VAE, LatentDiffusion
from ...models.diffusion import latent_scale_factor
from ..config import DOMAIN_CLASSIFIER, ConfigError, TrainConfig
from ..data import get_dataset, make_pipeline
from ..domain_classifier import CAS_EPOCHS, cas_classifiers, classification_accuracy_score
from ..scoring import dataset_reference, score_images
from ..training import fit_resumable
from .common import (
    RunContext,
    check_sections,
    construct,
    record_class_walks,
    save_history,
)
from .configs import DdpmParams, DdpmTraining, LdmParams, LdmTraining

SECTIONS = {"ldm": (LdmTraining, LdmParams), "ddpm": (DdpmTraining, DdpmParams)}
GRID_SIZE = 64
STRIP_ROWS, STRIP_FRAMES = 8, 11
WALK_STEPS = 10  # samples along each label walk
RECONSTRUCTION_COLUMNS = 8
SAMPLE_BATCH = 500


def _latent_pipeline(latents, labels, batch_size, seed):
    """Shuffled, repeated batches of float latents, or (latents, labels) when ``labels`` is not
    None (make_pipeline's order rules, without scaling)."""
    import tensorflow as tf

    data = tf.constant(latents)
    targets = None if labels is None else tf.constant(np.asarray(labels, np.int64))
    order = tf.data.Dataset.range(len(latents)).shuffle(len(latents), seed=seed,
                                                         reshuffle_each_iteration=True)
    batches = order.batch(batch_size, drop_remainder=True).repeat()
    if targets is None:
        return batches.map(lambda indices: tf.gather(data, indices)).prefetch(2)
    return batches.map(lambda indices: (tf.gather(data, indices),
                                        tf.gather(targets, indices))).prefetch(2)


def build_vae(data_shape, config, seed):
    """The compiled VAE (the LDM's stage 1) of an ldm run config, for ``data_shape``."""
    vae = construct(VAE, "vae", config.model_params.vae, data_shape=data_shape, seed=seed)
    vae.compile(keras.optimizers.Adam(config.train.vae_lr))
    return vae


def build_ddpm(data_shape, config, seed):
    """The compiled (pixel or latent) DDPM of a diffusion run config, for ``data_shape``."""
    params = config.model_params
    ddpm = construct(DDPM, "diffusion", params.diffusion, data_shape=data_shape, seed=seed)
    try:
        ddpm.sampling_timesteps(params.sampling_steps)
    except ValueError as exc:
        raise ConfigError(f"model.sampling_steps: {exc}") from None
    ema = params.ema_momentum
    ddpm.compile(keras.optimizers.Adam(config.train.noise_predictor_lr, use_ema=ema > 0,
                                       ema_momentum=ema or 0.99))
    return ddpm


def _train_noise_predictor(ddpm, make_dataset, config, ctx):
    state = fit_resumable(ddpm, ddpm.optimizers, make_dataset, config.train, ctx.workdir / "unet",
                          ctx.report, ctx.log)
    # Sample with the averaged weights. fit already swapped them in, but not when a run resumes
    # after its last checkpoint; swapping again is harmless (the average is copied over).
    ddpm.optimizer.finalize_variable_values(ddpm.unet.trainable_variables)
    return state


def _train_ldm(x_train, y_train, config, seed, ctx):
    """Stage 1 (VAE), encoding, stage 2 (latent DDPM); returns the model and per-stage records."""
    train = config.train
    with ctx.model_scope():
        vae = build_vae(x_train.shape[1:], config, seed)
        ddpm = build_ddpm(vae.latent_shape, config, seed)  # checks its settings before stage 1
    vae_train = TrainConfig(steps=train.vae_steps, batch_size=train.vae_batch_size,
                            checkpoint_every=min(train.checkpoint_every, train.vae_steps))
    vae_state = fit_resumable(vae, vae.optimizers, lambda skip: make_pipeline(
        x_train, batch_size=vae_train.batch_size, seed=seed).skip(skip), vae_train,
        ctx.workdir / "vae", ctx.report, ctx.log)

    started = time.perf_counter()
    chosen = np.random.default_rng(seed).permutation(len(x_train))
    subset = np.sort(chosen[:config.model_params.latent_images])
    latents = vae.encode(from_uint8(x_train[subset]))
    scale = latent_scale_factor(latents)
    encode_seconds = time.perf_counter() - started

    labels = None if y_train is None else y_train[subset]
    state = _train_noise_predictor(ddpm, lambda skip: _latent_pipeline(
        latents * scale, labels, train.batch_size, seed).skip(skip), config, ctx)
    stage1 = {"vae": vae_state, "encode_seconds": encode_seconds, "latent_images": len(latents),
              "latent_scale": scale}
    return LatentDiffusion(vae, ddpm, scale), state, stage1


def _train(config, seed, ctx, x_train, train_labels):
    """The trained model, its noise predictor's training state and the ldm's stage-1 records."""
    if config.model == "ldm":
        return _train_ldm(x_train, train_labels, config, seed, ctx)
    with ctx.model_scope():
        ddpm = build_ddpm(x_train.shape[1:], config, seed)
    state = _train_noise_predictor(ddpm, lambda skip: make_pipeline(
        x_train, train_labels, batch_size=config.train.batch_size, seed=seed).skip(skip),
        config, ctx)
    return ddpm, state, None


def run(config, seed, ctx):
    check_sections(config, SECTIONS)
    params = config.model_params
    dataset = get_dataset(config.dataset)
    if hasattr(dataset, "centers"):
        raise ConfigError(f"the diffusion task needs an image dataset; {config.dataset} is a "
                          "2-D mixture")
    x_train, y_train = dataset.load("train", ctx.data_dir)
    num_classes = params.diffusion.get("num_classes")
    if num_classes and num_classes != dataset.num_classes:
        raise ConfigError(f"model.diffusion.num_classes must be {config.dataset}'s class count "
                          f"({dataset.num_classes}), got {num_classes!r}")
    model, state, stage1 = _train(config, seed, ctx, x_train, y_train if num_classes else None)
    ddpm = model.diffusion if stage1 else model

    run_ctx = RunContext(config, seed, ctx)
    result = run_ctx.result
    _add_training_costs(result, config, state, stage1, ddpm)
    steps, n = params.sampling_steps, config.eval.num_samples
    guide = ({"labels": np.arange(n) % num_classes, "guidance": params.guidance}
             if num_classes else {})
    model.generate(min(SAMPLE_BATCH, n), seed=seed + 1, steps=1,  # trace before timing
                   **{k: v[:SAMPLE_BATCH] if k == "labels" else v for k, v in guide.items()})
    started = time.perf_counter()
    samples = model.generate(n, seed=seed + 1, steps=steps, batch_size=SAMPLE_BATCH, **guide)
    elapsed = time.perf_counter() - started
    sampling = {"sampler": "DDIM, eta=0", "batch_size": SAMPLE_BATCH, "n_fake": n}
    if num_classes:
        sampling.update(conditioning=f"class-balanced labels (i mod {num_classes}), "
                                     f"classifier-free guidance {params.guidance}")
    result.add("sampling_steps", steps, "steps", **sampling)
    result.add("sample_img_per_s", n / elapsed, "img/s", sampling_steps=steps, **sampling)
    result.add("sample_ms_per_img", 1000 * elapsed / n, "ms", sampling_steps=steps, **sampling)

    # Every network trains (the CAS pair here, the domain classifier in score_images) before
    # the first test image is read.
    cas = _train_cas(run_ctx, to_uint8(samples), guide["labels"], dataset) if num_classes else None
    extractor = score_images(to_uint8(samples), dataset_reference(config.dataset, ctx.data_dir),
                             seed, config.eval, ctx, result)
    if num_classes:
        _score_cas(run_ctx, cas, dataset, sampling)
        _score_label_walks(run_ctx, model, ddpm.data_shape, extractor, num_classes)
    _save_figures(run_ctx, model, samples, state, stage1, dataset, guide)
    model.save(run_ctx.artifact("model", f"{config.model}.keras"))
    return result


def _score_label_walks(run_ctx, model, noise_shape, extractor, num_classes):
    """Latent arithmetic across labels: for each ordered pair of classes (A, B), one x_T and the
    guidance direction moved from A's to B's in ``WALK_STEPS`` steps (class weights (1 - s, s),
    composable guidance), scored by ``class_transition`` like the GANs' class-mean walks."""
    params = run_ctx.config.model_params
    pairs = np.array([(a, b) for a in range(num_classes) for b in range(num_classes) if a != b])
    share = np.linspace(0.0, 1.0, WALK_STEPS, dtype=np.float32)
    noise = np.random.default_rng(run_ctx.seed + 2).standard_normal((len(pairs), *noise_shape),
                                                                    dtype=np.float32)
    weights = np.zeros((len(pairs), WALK_STEPS, num_classes), np.float32)
    rows, steps = np.arange(len(pairs))[:, None], np.arange(WALK_STEPS)
    weights[rows, steps, pairs[:, :1]], weights[rows, steps, pairs[:, 1:]] = 1 - share, share
    # all walks in one batched call
    images = model.generate(len(pairs) * WALK_STEPS, steps=params.sampling_steps,
                            labels=weights.reshape(-1, num_classes), guidance=params.guidance,
                            noise=np.repeat(noise, WALK_STEPS, axis=0))
    walks = images.reshape(len(pairs), WALK_STEPS, *images.shape[1:])
    record_class_walks(run_ctx, to_uint8(walks), pairs, extractor, num_classes,
                       walk=f"one x_T per pair, guidance {params.guidance} moved from class A's "
                            "direction to B's (weights 1 - s, s)")


def _add_training_costs(result, config, state, stage1, ddpm):
    train = config.train
    unet = {"noise_predictor_parameters": ddpm.unet.count_params(), "batch_size": train.batch_size}
    total, images = state["train_seconds"], train.steps * train.batch_size
    stages = {"noise_predictor_seconds": round(state["train_seconds"], 2)}
    if stage1:
        vae_seconds = stage1["vae"]["train_seconds"]
        total += vae_seconds + stage1["encode_seconds"]
        images += train.vae_steps * train.vae_batch_size
        stages.update(vae_seconds=round(vae_seconds, 2),
                      encode_seconds=round(stage1["encode_seconds"], 2),
                      latent_images=stage1["latent_images"],
                      latent_scale=round(stage1["latent_scale"], 4))
        result.add("vae_train_seconds", vae_seconds, "s", vae_steps=train.vae_steps,
                   batch_size=train.vae_batch_size)
    result.add("train_seconds", total, "s", **stages)
    result.add("train_img_per_s", images / total, "img/s",
               note="training images consumed (all stages) per second of training, "
                    "checkpoints included")
    result.add("train_step_ms", 1000 * state["train_seconds"] / train.steps, "ms",
               note="one noise-predictor step, checkpoints included", **unet)


def _train_cas(run_ctx, images, labels, dataset):
    """``cas_classifiers`` on the samples, as many of them as keeps the real draw balanced."""
    balanced = len(images) - len(images) % dataset.num_classes
    return cas_classifiers(images[:balanced], labels[:balanced], dataset, run_ctx.ctx.data_dir,
                           run_ctx.seed), balanced


def _score_cas(run_ctx, cas, dataset, sampling):
    classifiers, n_train = cas
    score, real_accuracy, n_test = classification_accuracy_score(classifiers, dataset,
                                                                 run_ctx.ctx.data_dir)
    recipe = {"classifier": "small CNN (models.classifiers.build_small_cnn), Adam "
                            f"{DOMAIN_CLASSIFIER.classifier_lr:g}, batch "
                            f"{DOMAIN_CLASSIFIER.batch_size}",
              "epochs": CAS_EPOCHS, "n_train": n_train, "n_test": n_test, "real_split": "test"}
    run_ctx.result.add("cas", score, **recipe,
                       train_data=f"{n_train} generated samples ({sampling['conditioning']})")
    run_ctx.result.add("cas_real", real_accuracy, **recipe,
                       train_data=f"{n_train} real training images (class-balanced, drawn with "
                                  "the run seed)")


def _save_figures(run_ctx, model, samples, state, stage1, dataset, guide):
    steps, seed = run_ctx.config.model_params.sampling_steps, run_ctx.seed
    save_mosaic(to_uint8(samples[:GRID_SIZE]), run_ctx.artifact("samples", "samples.png"),
                columns=8)
    strip_guide = {k: v[:STRIP_ROWS] if k == "labels" else v for k, v in guide.items()}
    strip = to_uint8(model.denoising_trajectory(STRIP_ROWS, seed=seed + 1, steps=steps,
                                                frames=min(STRIP_FRAMES, steps + 1),
                                                **strip_guide))
    save_mosaic(strip.reshape(-1, *strip.shape[2:]),
                run_ctx.artifact("denoising", "denoising.png"), columns=strip.shape[1])
    save_history(run_ctx, state, label="noise predictor loss")
    if stage1:
        save_history(run_ctx, stage1["vae"], prefix="vae_", label="VAE losses per image")
        _save_reconstructions(run_ctx, model.vae, dataset)


def _save_reconstructions(run_ctx, vae, dataset):
    """Rows alternate: real test images, then their reconstructions."""
    x_test, _ = dataset.load("test", run_ctx.ctx.data_dir)
    real = x_test[:2 * RECONSTRUCTION_COLUMNS]
    decoded = to_uint8(vae.decode(vae.encode(from_uint8(real))))
    pairs = np.stack([real.reshape(2, RECONSTRUCTION_COLUMNS, *real.shape[1:]),
                      decoded.reshape(2, RECONSTRUCTION_COLUMNS, *real.shape[1:])], axis=1)
    save_mosaic(pairs.reshape(-1, *real.shape[1:]),
                run_ctx.artifact("reconstructions", "reconstructions.png"),
                columns=RECONSTRUCTION_COLUMNS)

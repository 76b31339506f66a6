"""Diffusion generation: latent diffusion (``ldm``, the Stable Diffusion recipe) and pixel-space
DDPM (``ddpm``), trained on an image dataset and scored exactly like the GANs.

``ldm`` trains in two resumable stages: a VAE (``<workdir>/vae``), then a DDPM on the latents
of the training images, scaled to unit variance (``<workdir>/unet``). ``ddpm`` trains the same
DDPM class on pixels (``<workdir>/unet``). Samples come from DDIM with eta = 0; the noise
predictor samples with its exponential moving average of weights (as DDPM and LDM do).

The budget's ``train`` section (steps, batch size, checkpoint interval) drives the noise
predictor; everything else is in ``model_params``:

- ``diffusion``: DDPM constructor arguments (U-Net widths, schedule, ...);
  ``learning_rate`` and ``ema_momentum`` (Adam, weight averaging; 0 = none) of the noise
  predictor; ``sampling_steps`` (DDIM steps);
- ldm only: ``vae`` (VAE constructor arguments), ``vae_steps``, ``vae_batch_size``,
  ``vae_learning_rate``; ``latent_images``: how many training images (a seeded random subset,
  all if larger) are encoded for stage 2.

With ``diffusion.num_classes`` (the dataset's class count) the noise predictor is
class-conditional, trained with label dropout for classifier-free guidance, and needs
``guidance`` (the CFG scale; 1 = purely conditional). Its samples are drawn class-balanced
(sample i has label i mod K), scored like the unconditional ones, and additionally by the
classification accuracy score ``cas``: a classifier trained on those labelled samples, tested
on the real test split, beside ``cas_real``, the same classifier trained on as many real images.

Learning rates live here rather than in ``train`` because the latter's are the two GAN players'.
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import time

import keras
import numpy as np

from benchmark.config import ConfigError
from benchmark.data import get_dataset, make_pipeline
from benchmark.domain_classifier import CAS_EPOCHS, classification_accuracy_score
from benchmark.scoring import dataset_reference, score_images
from benchmark.tasks.base import TaskResult
from benchmark.training import fit_resumable
from evaluation.images import from_uint8, to_uint8
from evaluation.plots import save_curves, save_mosaic
from models import DDPM, VAE, LatentDiffusion
from models.diffusion import latent_scale_factor

NOISE_PREDICTOR_PARAMS = {"diffusion", "learning_rate", "ema_momentum", "sampling_steps"}
PARAMS = {"ldm": NOISE_PREDICTOR_PARAMS | {"vae", "vae_steps", "vae_batch_size", "vae_learning_rate",
                                           "latent_images"},
          "ddpm": NOISE_PREDICTOR_PARAMS}
WHOLE_NUMBERS = ("vae_steps", "vae_batch_size", "latent_images", "sampling_steps")
LEARNING_RATES = ("learning_rate", "vae_learning_rate")
GRID_SIZE = 64
STRIP_ROWS, STRIP_FRAMES = 8, 11
RECONSTRUCTION_COLUMNS = 8
SAMPLE_BATCH = 500


def _check_params(config):
    if config.model not in PARAMS:
        raise ConfigError(f"the diffusion task has models {', '.join(PARAMS)}; got {config.model!r}")
    params = config.model_params
    conditional = isinstance(params.get("diffusion"), dict) and params["diffusion"].get("num_classes")
    expected = PARAMS[config.model] | ({"guidance"} if conditional else set())
    if set(params) != expected:
        raise ConfigError(f"{config.model} model settings must be exactly {sorted(expected)}; "
                          f"unknown: {sorted(set(params) - expected)}, missing: {sorted(expected - set(params))}")
    for name in expected & {*WHOLE_NUMBERS, *LEARNING_RATES}:
        whole, value = name in WHOLE_NUMBERS, params[name]
        if isinstance(value, bool) or not isinstance(value, int if whole else numbers.Real) or value <= 0:
            raise ConfigError(f"model.{name} must be a positive {'whole ' if whole else ''}number, got {value!r}")
    ema = params["ema_momentum"]
    if isinstance(ema, bool) or not isinstance(ema, numbers.Real) or not 0 <= ema < 1:
        raise ConfigError(f"model.ema_momentum must be in [0, 1) (0: no weight averaging), got {ema!r}")
    if not isinstance(params["diffusion"], dict) or not isinstance(params.get("vae", {}), dict):
        raise ConfigError("model.diffusion and model.vae are objects of constructor arguments, "
                          'e.g. --set \'model.diffusion={"channels": [32, 64]}\'')
    guidance = params.get("guidance", 1.0)
    if isinstance(guidance, bool) or not isinstance(guidance, numbers.Real) or guidance < 0:
        raise ConfigError(f"model.guidance (classifier-free guidance scale) must be >= 0, got {guidance!r}")
    if config.model == "ldm" and params["vae_steps"] % min(config.train.checkpoint_every, params["vae_steps"]):
        raise ConfigError(f"model.vae_steps ({params['vae_steps']}) must be a multiple of "
                          f"train.checkpoint_every ({config.train.checkpoint_every})")
    return params


def _construct(cls, key, settings, **fixed):
    """A model from its budget settings; a bad setting is a ConfigError naming it."""
    try:
        return cls(**fixed, **settings)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model.{key} {json.dumps(settings)}: {exc}") from None


def _latent_pipeline(latents, labels, batch_size, seed):
    """Shuffled, repeated batches of float latents, or (latents, labels) when ``labels`` is not
    None (make_pipeline's order rules, without scaling)."""
    import tensorflow as tf

    data = tf.constant(latents)
    targets = None if labels is None else tf.constant(np.asarray(labels, np.int64))
    order = tf.data.Dataset.range(len(latents)).shuffle(len(latents), seed=seed, reshuffle_each_iteration=True)
    batches = order.batch(batch_size, drop_remainder=True).repeat()
    if targets is None:
        return batches.map(lambda indices: tf.gather(data, indices)).prefetch(2)
    return batches.map(lambda indices: (tf.gather(data, indices), tf.gather(targets, indices))).prefetch(2)


def _build_ddpm(data_shape, params, seed):
    ddpm = _construct(DDPM, "diffusion", params["diffusion"], data_shape=data_shape, seed=seed)
    try:
        ddpm.sampling_timesteps(params["sampling_steps"])
    except ValueError as exc:
        raise ConfigError(f"model.sampling_steps: {exc}") from None
    ema = params["ema_momentum"]
    ddpm.compile(keras.optimizers.Adam(params["learning_rate"], use_ema=ema > 0, ema_momentum=ema or 0.99))
    return ddpm


def _train_noise_predictor(ddpm, make_dataset, config, ctx):
    state = fit_resumable(ddpm, ddpm.optimizers, make_dataset, config.train, ctx.workdir / "unet",
                          ctx.report, ctx.log)
    # Sample with the averaged weights. fit already swapped them in, but not when a run resumes
    # after its last checkpoint; swapping again is harmless (the average is copied over).
    ddpm.optimizer.finalize_variable_values(ddpm.unet.trainable_variables)
    return state


def _train_ldm(x_train, y_train, config, params, seed, ctx):
    """Stage 1 (VAE), encoding, stage 2 (latent DDPM); returns the model and per-stage records."""
    with ctx.model_scope():
        vae = _construct(VAE, "vae", params["vae"], data_shape=x_train.shape[1:], seed=seed)
        vae.compile(keras.optimizers.Adam(params["vae_learning_rate"]))
        ddpm = _build_ddpm(vae.latent_shape, params, seed)  # checks its settings before stage 1 trains
    vae_train = dataclasses.replace(config.train, steps=params["vae_steps"], batch_size=params["vae_batch_size"],
                                    checkpoint_every=min(config.train.checkpoint_every, params["vae_steps"]))
    vae_state = fit_resumable(vae, vae.optimizers, lambda skip: make_pipeline(
        x_train, batch_size=vae_train.batch_size, seed=seed).skip(skip), vae_train,
        ctx.workdir / "vae", ctx.report, ctx.log)

    started = time.perf_counter()
    subset = np.sort(np.random.default_rng(seed).permutation(len(x_train))[:params["latent_images"]])
    latents = vae.encode(from_uint8(x_train[subset]))
    scale = latent_scale_factor(latents)
    encode_seconds = time.perf_counter() - started

    labels = None if y_train is None else y_train[subset]
    state = _train_noise_predictor(ddpm, lambda skip: _latent_pipeline(
        latents * scale, labels, config.train.batch_size, seed).skip(skip), config, ctx)
    stage1 = {"vae": vae_state, "encode_seconds": encode_seconds, "latent_images": len(latents),
              "latent_scale": scale}
    return LatentDiffusion(vae, ddpm, scale), state, stage1


def run(config, seed, ctx):
    params = _check_params(config)
    dataset = get_dataset(config.dataset)
    if hasattr(dataset, "centers"):
        raise ConfigError(f"the diffusion task needs an image dataset; {config.dataset} is a 2-D mixture")
    x_train, y_train = dataset.load("train", ctx.data_dir)
    num_classes = params["diffusion"].get("num_classes")
    if num_classes and num_classes != dataset.num_classes:
        raise ConfigError(f"model.diffusion.num_classes must be {config.dataset}'s class count "
                          f"({dataset.num_classes}), got {num_classes!r}")
    train_labels = y_train if num_classes else None
    if config.model == "ldm":
        model, state, stage1 = _train_ldm(x_train, train_labels, config, params, seed, ctx)
        ddpm = model.diffusion
    else:
        with ctx.model_scope():
            ddpm = model = _build_ddpm(x_train.shape[1:], params, seed)
        state = _train_noise_predictor(ddpm, lambda skip: make_pipeline(
            x_train, train_labels, batch_size=config.train.batch_size, seed=seed).skip(skip), config, ctx)
        stage1 = None

    result = TaskResult()
    _add_training_costs(result, config, params, state, stage1, ddpm)
    steps = params["sampling_steps"]
    n = config.eval.num_samples
    guide = {"labels": np.arange(n) % num_classes, "guidance": params["guidance"]} if num_classes else {}
    model.generate(min(SAMPLE_BATCH, n), seed=seed + 1, steps=1,  # trace before timing
                   **{k: v[:SAMPLE_BATCH] if k == "labels" else v for k, v in guide.items()})
    started = time.perf_counter()
    samples = model.generate(n, seed=seed + 1, steps=steps, batch_size=SAMPLE_BATCH, **guide)
    elapsed = time.perf_counter() - started
    sampling = {"sampler": "DDIM, eta=0", "batch_size": SAMPLE_BATCH, "n_fake": n}
    if num_classes:
        sampling.update(conditioning=f"class-balanced labels (i mod {num_classes}), classifier-free "
                                     f"guidance {params['guidance']}")
    result.add("sampling_steps", steps, "steps", **sampling)
    result.add("sample_img_per_s", n / elapsed, "img/s", sampling_steps=steps, **sampling)
    result.add("sample_ms_per_img", 1000 * elapsed / n, "ms", sampling_steps=steps, **sampling)

    _save_figures(config, model, samples, steps, state, stage1, seed, ctx, result, dataset, guide)
    score_images(to_uint8(samples), dataset_reference(config.dataset, ctx.data_dir), seed, config.eval,
                 ctx, result)
    if num_classes:
        _score_cas(to_uint8(samples), guide["labels"], dataset, seed, ctx, result, sampling)
    model.save(ctx.workdir / f"{config.model}.keras")
    result.artifacts["model"] = str(ctx.workdir / f"{config.model}.keras")
    return result


def _add_training_costs(result, config, params, state, stage1, ddpm):
    batch, steps = config.train.batch_size, config.train.steps
    unet = {"noise_predictor_parameters": ddpm.unet.count_params(), "batch_size": batch}
    total, images = state["train_seconds"], steps * batch
    stages = {"noise_predictor_seconds": round(state["train_seconds"], 2)}
    if stage1:
        vae_seconds = stage1["vae"]["train_seconds"]
        total += vae_seconds + stage1["encode_seconds"]
        images += params["vae_steps"] * params["vae_batch_size"]
        stages.update(vae_seconds=round(vae_seconds, 2), encode_seconds=round(stage1["encode_seconds"], 2),
                      latent_images=stage1["latent_images"], latent_scale=round(stage1["latent_scale"], 4))
        result.add("vae_train_seconds", vae_seconds, "s", vae_steps=params["vae_steps"],
                   batch_size=params["vae_batch_size"])
    result.add("train_seconds", total, "s", **stages)
    result.add("train_img_per_s", images / total, "img/s",
               note="training images consumed (all stages) per second of training, checkpoints included")
    result.add("train_step_ms", 1000 * state["train_seconds"] / steps, "ms",
               note="one noise-predictor step, checkpoints included", **unet)


def _score_cas(images, labels, dataset, seed, ctx, result, sampling):
    balanced = len(images) - len(images) % dataset.num_classes  # the real reference draws balanced
    cas, real_accuracy, n_train, n_test = classification_accuracy_score(
        images[:balanced], labels[:balanced], dataset, ctx.data_dir, seed)
    recipe = {"classifier": "small CNN (models.classifiers.build_small_cnn), Adam 1e-3, batch 128",
              "epochs": CAS_EPOCHS, "n_train": n_train, "n_test": n_test, "real_split": "test"}
    result.add("cas", cas, **recipe, train_data=f"{n_train} generated samples ({sampling['conditioning']})")
    result.add("cas_real", real_accuracy, **recipe,
               train_data=f"{n_train} real training images (class-balanced, drawn with the run seed)")


def _save_figures(config, model, samples, steps, state, stage1, seed, ctx, result, dataset, guide):
    title = f"{config.model} on {config.dataset} ({config.profile}, seed {seed})"
    history = {"noise_predictor": {"steps": state["steps"], **state["history"]}}
    figures = {"samples": ctx.workdir / "samples.png", "denoising": ctx.workdir / "denoising.png",
               "curves": ctx.workdir / "curves.png"}
    save_mosaic(to_uint8(samples[:GRID_SIZE]), figures["samples"], columns=8)
    strip_guide = {k: v[:STRIP_ROWS] if k == "labels" else v for k, v in guide.items()}
    strip = to_uint8(model.denoising_trajectory(STRIP_ROWS, seed=seed + 1, steps=steps,
                                                frames=min(STRIP_FRAMES, steps + 1), **strip_guide))
    save_mosaic(strip.reshape(-1, *strip.shape[2:]), figures["denoising"], columns=strip.shape[1])
    save_curves({name: (state["steps"], values) for name, values in state["history"].items()},
                figures["curves"], f"noise predictor loss, {title}")
    if stage1:
        vae_state = stage1["vae"]
        history["vae"] = {"steps": vae_state["steps"], **vae_state["history"]}
        figures["vae_curves"] = ctx.workdir / "vae_curves.png"
        save_curves({name: (vae_state["steps"], values) for name, values in vae_state["history"].items()},
                    figures["vae_curves"], f"VAE losses per image, {title}")
        figures["reconstructions"] = ctx.workdir / "reconstructions.png"
        x_test, _ = dataset.load("test", ctx.data_dir)
        real = x_test[:2 * RECONSTRUCTION_COLUMNS]
        decoded = to_uint8(model.vae.decode(model.vae.encode(from_uint8(real))))
        # Rows alternate: real images, then their reconstructions.
        pairs = np.stack([real.reshape(2, RECONSTRUCTION_COLUMNS, *real.shape[1:]),
                          decoded.reshape(2, RECONSTRUCTION_COLUMNS, *real.shape[1:])], axis=1)
        save_mosaic(pairs.reshape(-1, *real.shape[1:]), figures["reconstructions"],
                    columns=RECONSTRUCTION_COLUMNS)
    (ctx.workdir / "history.json").write_text(json.dumps(history))
    result.artifacts["history"] = str(ctx.workdir / "history.json")
    result.artifacts.update({kind: str(path) for kind, path in figures.items()})

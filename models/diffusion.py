"""Latent diffusion (Rombach et al. 2022, the Stable Diffusion recipe) and pixel-space DDPM.

Stage 1, ``VAE``: a KL-regularised autoencoder maps images to a small latent
grid (4x down-sampling, 4 channels: 28x28 -> 7x7x4), trained on reconstruction
plus ``kl_weight`` times the KL to N(0, I). Stage 2, ``DDPM``: a U-Net learns
to predict the noise added to data by the forward process (Ho et al. 2020),
on any input shape: trained on latents it is the second stage of latent
diffusion, trained on images it is the pixel-space DDPM. Sampling is DDIM
(Song et al. 2021) with eta = 0 (deterministic given the starting noise) and
any number of steps, with classifier-free guidance (Ho & Salimans 2022) for
class-conditional models. ``LatentDiffusion`` joins a trained VAE and a DDPM
trained on its latents multiplied by ``latent_scale`` (1/std of the latents,
so the diffusion sees unit-variance data as in Stable Diffusion).

One component per module, as keras-cv's Stable Diffusion: ``models.vae`` (stage 1),
``models.noise_scheduler`` (the noise schedules, the forward process and the DDIM step), this
module (the denoiser ``DDPM`` and ``LatentDiffusion``) and ``models.unet`` (the U-Net).

Training a latent diffusion model::

    vae = VAE(data_shape=(28, 28, 1)); vae.compile(keras.optimizers.Adam(1e-3))
    vae.fit(images, ...)
    latents = vae.encode(train_images)
    scale = latent_scale_factor(latents)
    ddpm = DDPM(data_shape=vae.latent_shape); ddpm.compile(keras.optimizers.Adam(2e-4))
    ddpm.fit(tf.data.Dataset.from_tensor_slices(latents * scale).batch(64), ...)
    images = LatentDiffusion(vae, ddpm, scale).generate(16, steps=50)
"""

import keras
import numpy as np
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import ops

from .base import for_policy, replica_draw, tracker_logs, training_loss
from .noise_scheduler import add_noise, beta_schedule, ddim_step, ddim_timesteps
from .unet import build_unet


def latent_scale_factor(latents):
    """1 / std of the latents: the factor that gives the diffusion unit-variance data."""
    return 1.0 / float(np.std(latents))


@keras.saving.register_keras_serializable(package="models")
class DDPM(keras.Model):
    """Denoising diffusion on data of any shape: the U-Net predicts the noise, loss = MSE.

    Training (Ho et al. 2020, Algorithm 1): t ~ U{0..T-1}, eps ~ N(0, I),
    x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, loss |eps - eps_theta(x_t, t)|^2.
    ``fit`` takes batches ``x`` or ``(x, labels)``; an unconditional model
    (``num_classes=None``) ignores labels, a conditional one replaces each label
    by the null class with probability ``cond_drop_prob`` so it also learns the
    unconditional prediction that guidance needs. ``clip_denoised`` clips the
    predicted x_0 to [-1, 1] while sampling (for images; not for latents). DDPM and
    LDM sample with a moving average of the weights: compile with
    ``keras.optimizers.Adam(..., use_ema=True, ema_momentum=...)``, and ``fit`` swaps it in
    when it ends.
    """

    def __init__(self, data_shape=(28, 28, 1), channels=(32, 64), blocks_per_level=1,
                 attention=True, embedding_dim=128, dropout=0.0, num_classes=None,
                 cond_drop_prob=0.1, schedule="linear", timesteps=1000, beta_start=1e-4,
                 beta_end=0.02, clip_denoised=False, seed=0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= cond_drop_prob < 1.0:
            raise ValueError(f"cond_drop_prob must be in [0, 1), got {cond_drop_prob}")
        if timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {timesteps}")
        if len(data_shape) != 3:
            raise ValueError("the U-Net needs (height, width, channels) data, "
                             f"got shape {data_shape}")
        self.data_shape = tuple(data_shape)
        self.channels = tuple(channels)
        self.blocks_per_level = blocks_per_level
        self.attention = attention
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.num_classes = num_classes
        self.cond_drop_prob = cond_drop_prob
        self.schedule = schedule
        self.timesteps = timesteps
        self.beta_start = beta_start
        self.beta_end = beta_end
        self.clip_denoised = clip_denoised
        self.seed = seed
        self.alpha_bar = np.cumprod(1.0 - beta_schedule(schedule, timesteps, beta_start, beta_end))
        self.unet = build_unet(self.data_shape, self.channels, blocks_per_level, attention,
                               embedding_dim, num_classes, dropout)
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="noise_loss")
        self.built = True

    def compile(self, optimizer, **kwargs):
        super().compile(optimizer=for_policy(optimizer, self), **kwargs)
        # outside any traced step (tf.distribute)
        self.optimizer.build(self.unet.trainable_variables)

    @property
    def optimizers(self):
        """The optimizers a checkpoint saves: the one that steps every network."""
        return [self.optimizer]

    @property
    def metrics(self):
        return [self.loss_tracker]

    def diffuse(self, x0, t, noise):
        """A sample of q(x_t | x_0) at timesteps ``t`` (``noise_scheduler.add_noise``)."""
        return add_noise(x0, ops.take(ops.convert_to_tensor(self.alpha_bar, "float32"), t), noise)

    def train_step(self, data):
        x0, labels = data if isinstance(data, tuple) else (data, None)
        batch = ops.shape(x0)[0]
        t = replica_draw(lambda shape: keras.random.randint(shape, 0, self.timesteps,
                                                            seed=self.noise_seed), batch)
        noise = replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise_seed), batch,
                             self.data_shape)
        inputs = [self.diffuse(x0, t, noise), ops.cast(t, "float32")]
        if self.num_classes:
            if labels is None:
                raise ValueError("a class-conditional DDPM trains on (x, labels) batches")
            dropped = replica_draw(lambda shape: keras.random.uniform(shape, seed=self.noise_seed),
                                   batch) < self.cond_drop_prob
            inputs.append(ops.where(dropped, self.num_classes, ops.cast(labels, "int32")))
        with tf.GradientTape() as tape:
            loss = ops.mean(ops.square(noise - self.unet(inputs, training=True)))
            scaled_loss = training_loss(loss, self.optimizer)
        grads = tape.gradient(scaled_loss, self.unet.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.unet.trainable_variables, strict=True))
        self.loss_tracker.update_state(loss)
        return tracker_logs(self.metrics)

    def _check_labels(self, labels, n):
        """Integer labels (n,), or class weights (n, num_classes): rows of non-negative weights
        summing to 1."""
        if not self.num_classes:
            raise ValueError("labels given to an unconditional DDPM (built with num_classes=None)")
        labels = np.asarray(labels)
        if labels.ndim == 2:
            if labels.shape != (n, self.num_classes) or (labels < 0).any() \
                    or not np.allclose(labels.sum(axis=1), 1.0, atol=1e-5):
                raise ValueError(f"class weights must be ({n}, {self.num_classes}) non-negative "
                                 f"rows summing to 1, got shape {labels.shape}")
            return labels.astype(np.float32)
        labels = np.broadcast_to(labels.astype(np.int32), (n,))
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must be in [0, {self.num_classes}), "
                             f"got {labels.min()}..{labels.max()}")
        return labels

    def predict_noise(self, x_t, t, labels=None, guidance=1.0):
        """eps_theta(x_t, t) (numpy). With labels, classifier-free guidance mixes the conditional
        and unconditional predictions: uncond + guidance * (cond - uncond); guidance 1 is purely
        conditional, 0 purely unconditional. A conditional model without labels is
        unconditional. Class weights w (n, num_classes) compose the guidance directions of
        several classes (Liu et al. 2022): uncond + guidance * sum_k w_k (cond_k - uncond)."""
        x_t = np.asarray(x_t, np.float32)
        n = len(x_t)
        t = np.broadcast_to(np.asarray(t, np.float32), (n,))
        if labels is not None:
            labels = self._check_labels(labels, n)
        if not self.num_classes:
            return self.unet.predict_on_batch([x_t, t])
        null = np.full(n, self.num_classes, np.int32)
        if labels is None:
            return self.unet.predict_on_batch([x_t, t, null])
        if labels.ndim == 2:
            return self._composed_noise(x_t, t, labels, guidance)
        if guidance == 1.0:
            return self.unet.predict_on_batch([x_t, t, labels])
        both = self.unet.predict_on_batch([np.concatenate([x_t, x_t]), np.concatenate([t, t]),
                                           np.concatenate([labels, null])])
        conditional, unconditional = both[:n], both[n:]
        return unconditional + guidance * (conditional - unconditional)

    def _composed_noise(self, x_t, t, weights, guidance):
        """predict_noise for class weights: the U-Net once unconditionally and once per class
        that any row weighs."""
        n = len(x_t)
        used = np.flatnonzero(weights.any(axis=0))
        labels = np.concatenate([np.full(n, self.num_classes, np.int32)]
                                + [np.full(n, k, np.int32) for k in used])
        copies = len(used) + 1
        outputs = self.unet.predict_on_batch([np.concatenate([x_t] * copies),
                                              np.concatenate([t] * copies), labels])
        unconditional, *conditional = np.split(outputs, copies)
        shape = (n,) + (1,) * (x_t.ndim - 1)
        direction = sum(weights[:, k].reshape(shape) * (cond - unconditional)
                        for k, cond in zip(used, conditional, strict=True))
        return unconditional + guidance * direction

    def sampling_timesteps(self, steps):
        """The ``steps`` timesteps DDIM visits, from T-1 down to 0."""
        return ddim_timesteps(self.timesteps, steps)

    def _ddim(self, x, labels, steps, guidance, record=()):
        """DDIM (eta = 0) from x = x_T; returns x_0 and the states after the step counts in
        ``record``."""
        timesteps = self.sampling_timesteps(steps)
        states = [x] if 0 in record else []
        for i, t in enumerate(timesteps):
            alpha_bar = self.alpha_bar[t]
            alpha_bar_next = self.alpha_bar[timesteps[i + 1]] if i + 1 < steps else 1.0
            eps = self.predict_noise(x, t, labels, guidance)
            x = ddim_step(x, eps, alpha_bar, alpha_bar_next, self.clip_denoised)
            if i + 1 in record:
                states.append(x)
        return x, states

    def _start(self, n, seed, labels, noise=None):
        if noise is None:
            noise = np.random.default_rng(seed).standard_normal((n, *self.data_shape),
                                                                dtype=np.float32)
        elif np.shape(noise) != (n, *self.data_shape):
            raise ValueError(f"noise must have shape {(n, *self.data_shape)}, "
                             f"got {np.shape(noise)}")
        return (np.asarray(noise, np.float32),
                None if labels is None else self._check_labels(labels, n))

    def generate(self, n, seed=0, steps=50, labels=None, guidance=1.0, batch_size=500,
                 noise=None):
        """n samples (numpy, data space), reproducible by seed, by ``steps`` DDIM steps; from
        ``noise`` (x_T, (n, *data_shape)) instead of a draw with the seed if given."""
        noise, labels = self._start(n, seed, labels, noise)
        return np.concatenate([
            self._ddim(noise[i:i + batch_size],
                       None if labels is None else labels[i:i + batch_size], steps, guidance)[0]
            for i in range(0, n, batch_size)])

    def denoising_trajectory(self, n, seed=0, steps=50, frames=8, labels=None, guidance=1.0):
        """(n, frames, *data_shape): x_T (pure noise), states evenly spaced along the reverse
        process, and the final sample (the same as ``generate`` gives for this seed)."""
        if not 2 <= frames <= steps + 1:
            raise ValueError(f"frames must be in [2, steps + 1 = {steps + 1}], got {frames}")
        noise, labels = self._start(n, seed, labels)
        record = set(np.linspace(0, steps, frames).round().astype(int).tolist())
        _, states = self._ddim(noise, labels, steps, guidance, record)
        return np.stack(states, axis=1)

    def get_config(self):
        return {**super().get_config(), "data_shape": self.data_shape, "channels": self.channels,
                "blocks_per_level": self.blocks_per_level, "attention": self.attention,
                "embedding_dim": self.embedding_dim, "dropout": self.dropout,
                "num_classes": self.num_classes, "cond_drop_prob": self.cond_drop_prob,
                "schedule": self.schedule, "timesteps": self.timesteps,
                "beta_start": self.beta_start, "beta_end": self.beta_end,
                "clip_denoised": self.clip_denoised, "seed": self.seed}


@keras.saving.register_keras_serializable(package="models")
class LatentDiffusion(keras.Model):
    """A trained VAE and a DDPM trained on its latents times ``latent_scale``; samples images.

    The two stages train separately (see the module docstring): this model only
    samples. It saves and loads as one ``.keras`` file holding both parts.
    """

    def __init__(self, vae, diffusion, latent_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        if tuple(diffusion.data_shape) != tuple(vae.latent_shape):
            raise ValueError(f"the DDPM's data shape {diffusion.data_shape} must be the VAE's "
                             f"latent shape {vae.latent_shape}")
        self.vae = vae
        self.diffusion = diffusion
        self.latent_scale = float(latent_scale)
        self.built = True

    def _decode(self, scaled_latents, batch_size=500):
        return self.vae.decode(scaled_latents / self.latent_scale, batch_size)

    def generate(self, n, seed=0, steps=50, labels=None, guidance=1.0, batch_size=500,
                 noise=None):
        """n images in [-1, 1] (numpy), reproducible by seed (or from the latent ``noise``)."""
        latents = self.diffusion.generate(n, seed, steps, labels, guidance, batch_size, noise)
        return self._decode(latents, batch_size)

    def denoising_trajectory(self, n, seed=0, steps=50, frames=8, labels=None, guidance=1.0):
        """(n, frames, *image_shape): the reverse process in latent space, each state decoded."""
        states = self.diffusion.denoising_trajectory(n, seed, steps, frames, labels, guidance)
        images = self._decode(states.reshape(-1, *self.vae.latent_shape))
        return images.reshape(n, states.shape[1], *self.vae.data_shape)

    def get_config(self):
        return {**super().get_config(), "vae": keras.saving.serialize_keras_object(self.vae),
                "diffusion": keras.saving.serialize_keras_object(self.diffusion),
                "latent_scale": self.latent_scale}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vae = keras.saving.deserialize_keras_object(config.pop("vae"))
        diffusion = keras.saving.deserialize_keras_object(config.pop("diffusion"))
        return cls(vae, diffusion, **config)

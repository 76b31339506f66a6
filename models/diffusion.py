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

Training a latent diffusion model::

    vae = VAE(data_shape=(28, 28, 1)); vae.compile(keras.optimizers.Adam(1e-3)); vae.fit(images, ...)
    latents = vae.encode(train_images)
    scale = latent_scale_factor(latents)
    ddpm = DDPM(data_shape=vae.latent_shape); ddpm.compile(keras.optimizers.Adam(2e-4))
    ddpm.fit(tf.data.Dataset.from_tensor_slices(latents * scale).batch(64), ...)
    images = LatentDiffusion(vae, ddpm, scale).generate(16, steps=50)
"""

import keras
import numpy as np
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import for_policy, replica_position, tracker_logs, training_loss
from .unet import NORM_GROUPS, build_unet, residual_block

SCHEDULES = ("linear", "scaled_linear", "cosine")
COSINE_OFFSET = 0.008   # s in Nichol & Dhariwal 2021, eq. 17: keeps beta_1 from being tiny
MAX_BETA = 0.999        # their clip, which avoids a singularity at t = T
LOG_VAR_RANGE = (-30.0, 20.0)  # Stable Diffusion's clamp of the posterior log-variance
VAE_DOWNSAMPLING = 4


def beta_schedule(name, timesteps=1000, beta_start=1e-4, beta_end=0.02):
    """Noise variances beta_1..beta_T (float64).

    "linear": evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al. 2020: 1e-4, 0.02, T=1000).
    "scaled_linear": sqrt(beta) evenly spaced instead (latent diffusion / Stable Diffusion, which
    use 0.00085 to 0.012: less of the schedule is spent near pure noise).
    "cosine": alpha_bar(t) = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2) (Nichol & Dhariwal 2021);
    beta_start and beta_end do not apply. Its alpha_bar_{T-1} is ~2e-6, so deterministic DDIM's
    first step multiplies noise-prediction errors by ~1/sqrt(alpha_bar): use it with
    ``clip_denoised`` (images), not on latents.
    """
    if name == "linear":
        return np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
    if name == "scaled_linear":
        return np.linspace(beta_start ** 0.5, beta_end ** 0.5, timesteps, dtype=np.float64) ** 2
    if name == "cosine":
        f = np.cos((np.arange(timesteps + 1) / timesteps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * np.pi / 2) ** 2
        alpha_bar = f / f[0]
        return np.clip(1.0 - alpha_bar[1:] / alpha_bar[:-1], 0.0, MAX_BETA)
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per sample, summed over all but the batch axis."""
    kl = 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)
    return ops.sum(ops.reshape(kl, (ops.shape(kl)[0], -1)), axis=1)


def replica_draw(sample, batch_size, shape=()):
    """This replica's slice of ``sample((global batch, *shape))``: under ``tf.distribute`` every
    replica gets different noise and R replicas do the math of one device (as ``GAN.sample_noise``)."""
    replicas, index = replica_position()
    values = sample((batch_size * replicas, *shape))
    return values[index * batch_size:(index + 1) * batch_size]


def latent_scale_factor(latents):
    """1 / std of the latents: the factor that gives the diffusion unit-variance data."""
    return 1.0 / float(np.std(latents))


def build_vae_encoder(data_shape, latent_channels=4, base_filters=32):
    """image -> (H/4, W/4, 2 * latent_channels): posterior means, then log-variances."""
    x = keras.Input(data_shape, name="image")
    h = layers.Conv2D(base_filters, 3, strides=2, padding="same", activation="swish")(x)
    h = residual_block(h, base_filters)
    h = layers.Conv2D(2 * base_filters, 3, strides=2, padding="same")(h)
    h = residual_block(h, 2 * base_filters)
    h = layers.Activation("swish")(layers.GroupNormalization(NORM_GROUPS)(h))
    moments = layers.Conv2D(2 * latent_channels, 3, padding="same", dtype="float32")(h)
    return keras.Model(x, moments, name="encoder")


def build_vae_decoder(latent_shape, image_channels=1, base_filters=32):
    """latent (H/4, W/4, c) -> image (unbounded; ``VAE.decode`` clips to [-1, 1])."""
    z = keras.Input(latent_shape, name="latent")
    h = layers.Conv2D(2 * base_filters, 3, padding="same")(z)
    h = residual_block(h, 2 * base_filters)
    h = layers.UpSampling2D(2, interpolation="nearest")(h)
    h = layers.Conv2D(base_filters, 3, padding="same")(h)
    h = residual_block(h, base_filters)
    # No residual block at full resolution (the encoder has none either): it would double the cost.
    h = layers.UpSampling2D(2, interpolation="nearest")(h)
    h = layers.Conv2D(base_filters, 3, padding="same")(h)
    h = layers.Activation("swish")(layers.GroupNormalization(NORM_GROUPS)(h))
    image = layers.Conv2D(image_channels, 3, padding="same", dtype="float32")(h)
    return keras.Model(z, image, name="decoder")


@keras.saving.register_keras_serializable(package="models")
class VAE(keras.Model):
    """KL-regularised autoencoder: loss = sum |x - x_hat| per image + kl_weight * KL per image.

    Both terms are summed over an image (pixels, latent units) and averaged over
    the batch, as in Stable Diffusion's first stage (there kl_weight = 1e-6, with
    perceptual and adversarial terms this benchmark leaves out). The decoder sees
    a posterior sample during training; ``encode`` returns the posterior mean.
    """

    def __init__(self, data_shape=(28, 28, 1), latent_channels=4, base_filters=32, kl_weight=1e-6,
                 seed=0, **kwargs):
        super().__init__(**kwargs)
        height, width, channels = data_shape
        if height % VAE_DOWNSAMPLING or width % VAE_DOWNSAMPLING:
            raise ValueError(f"VAE needs image sides divisible by {VAE_DOWNSAMPLING}, got {height}x{width}")
        if kl_weight < 0:
            raise ValueError(f"kl_weight must be >= 0, got {kl_weight}")
        self.data_shape = tuple(data_shape)
        self.latent_channels = latent_channels
        self.base_filters = base_filters
        self.kl_weight = kl_weight
        self.seed = seed
        self.latent_shape = (height // VAE_DOWNSAMPLING, width // VAE_DOWNSAMPLING, latent_channels)
        self.encoder = build_vae_encoder(self.data_shape, latent_channels, base_filters)
        self.decoder = build_vae_decoder(self.latent_shape, channels, base_filters)
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True  # sub-networks are built; fit/save need no call()

    def compile(self, optimizer, **kwargs):
        super().compile(optimizer=for_policy(optimizer, self), **kwargs)
        # Build optimizer slots now, outside any traced step (required under tf.distribute).
        self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def posterior(self, images, training=False):
        """Mean and log-variance of q(z | x)."""
        mean, log_var = ops.split(self.encoder(images, training=training), 2, axis=-1)
        return mean, ops.clip(log_var, *LOG_VAR_RANGE)

    def train_step(self, data):
        images = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            mean, log_var = self.posterior(images, training=True)
            eps = replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise_seed),
                               ops.shape(mean)[0], self.latent_shape)
            z = mean + ops.exp(0.5 * log_var) * eps
            error = ops.abs(images - self.decoder(z, training=True))
            reconstruction = ops.mean(ops.sum(ops.reshape(error, (ops.shape(error)[0], -1)), axis=1))
            kl = ops.mean(gaussian_kl(mean, log_var))
            loss = reconstruction + self.kl_weight * kl
            scaled_loss = training_loss(loss, self.optimizer)
        grads = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables, strict=True))
        for tracker, value in zip(self.metrics, (loss, reconstruction, kl), strict=True):
            tracker.update_state(value)
        return tracker_logs(self.metrics)

    def encode(self, images, batch_size=500):
        """Images in [-1, 1] -> posterior means (numpy)."""
        moments = self.encoder.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
        return moments[..., :self.latent_channels]

    def decode(self, latents, batch_size=500):
        """Latents -> images clipped to [-1, 1] (numpy)."""
        images = self.decoder.predict(np.asarray(latents, np.float32), batch_size=batch_size, verbose=0)
        return np.clip(images, -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "data_shape": self.data_shape,
                "latent_channels": self.latent_channels, "base_filters": self.base_filters,
                "kl_weight": self.kl_weight, "seed": self.seed}


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

    def __init__(self, data_shape=(28, 28, 1), channels=(32, 64), blocks_per_level=1, attention=True,
                 embedding_dim=128, dropout=0.0, num_classes=None, cond_drop_prob=0.1, schedule="linear",
                 timesteps=1000, beta_start=1e-4, beta_end=0.02, clip_denoised=False, seed=0, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= cond_drop_prob < 1.0:
            raise ValueError(f"cond_drop_prob must be in [0, 1), got {cond_drop_prob}")
        if timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {timesteps}")
        if len(data_shape) != 3:
            raise ValueError(f"the U-Net needs (height, width, channels) data, got shape {data_shape}")
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
        self.unet = build_unet(self.data_shape, self.channels, blocks_per_level, attention, embedding_dim,
                               num_classes, dropout)
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.loss_tracker = keras.metrics.Mean(name="noise_loss")
        self.built = True

    def compile(self, optimizer, **kwargs):
        super().compile(optimizer=for_policy(optimizer, self), **kwargs)
        self.optimizer.build(self.unet.trainable_variables)  # outside any traced step (tf.distribute)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def diffuse(self, x0, t, noise):
        """A sample of q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I), given the noise."""
        alpha_bar = ops.take(ops.convert_to_tensor(self.alpha_bar, "float32"), t)
        alpha_bar = ops.reshape(alpha_bar, (-1,) + (1,) * len(self.data_shape))
        return ops.sqrt(alpha_bar) * x0 + ops.sqrt(1.0 - alpha_bar) * noise

    def train_step(self, data):
        x0, labels = data if isinstance(data, tuple) else (data, None)
        batch = ops.shape(x0)[0]
        t = replica_draw(lambda shape: keras.random.randint(shape, 0, self.timesteps, seed=self.noise_seed),
                         batch)
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
        if not self.num_classes:
            raise ValueError("labels given to an unconditional DDPM (built with num_classes=None)")
        labels = np.broadcast_to(np.asarray(labels, np.int32), (n,))
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must be in [0, {self.num_classes}), got {labels.min()}..{labels.max()}")
        return labels

    def predict_noise(self, x_t, t, labels=None, guidance=1.0):
        """eps_theta(x_t, t) (numpy). With labels, classifier-free guidance mixes the conditional
        and unconditional predictions: uncond + guidance * (cond - uncond); guidance 1 is purely
        conditional, 0 purely unconditional. A conditional model without labels is unconditional."""
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
        if guidance == 1.0:
            return self.unet.predict_on_batch([x_t, t, labels])
        both = self.unet.predict_on_batch([np.concatenate([x_t, x_t]), np.concatenate([t, t]),
                                           np.concatenate([labels, null])])
        conditional, unconditional = both[:n], both[n:]
        return unconditional + guidance * (conditional - unconditional)

    def sampling_timesteps(self, steps):
        """The ``steps`` timesteps DDIM visits, from T-1 down to 0, evenly spaced."""
        if not 1 <= steps <= self.timesteps:
            raise ValueError(f"sampling steps must be in [1, {self.timesteps}], got {steps}")
        return np.linspace(self.timesteps - 1, 0, steps).round().astype(int)

    def _ddim(self, x, labels, steps, guidance, record=()):
        """DDIM (eta = 0) from x = x_T; returns x_0 and the states after the step counts in ``record``."""
        timesteps = self.sampling_timesteps(steps)
        states = [x] if 0 in record else []
        for i, t in enumerate(timesteps):
            alpha_bar = self.alpha_bar[t]
            alpha_bar_next = self.alpha_bar[timesteps[i + 1]] if i + 1 < steps else 1.0
            eps = self.predict_noise(x, t, labels, guidance)
            x0 = (x - np.sqrt(1.0 - alpha_bar) * eps) / np.sqrt(alpha_bar)
            if self.clip_denoised:
                x0 = np.clip(x0, -1.0, 1.0)
                eps = (x - np.sqrt(alpha_bar) * x0) / np.sqrt(1.0 - alpha_bar)
            x = (np.sqrt(alpha_bar_next) * x0 + np.sqrt(1.0 - alpha_bar_next) * eps).astype(np.float32)
            if i + 1 in record:
                states.append(x)
        return x, states

    def _start(self, n, seed, labels):
        noise = np.random.default_rng(seed).standard_normal((n, *self.data_shape), dtype=np.float32)
        return noise, None if labels is None else self._check_labels(labels, n)

    def generate(self, n, seed=0, steps=50, labels=None, guidance=1.0, batch_size=500):
        """n samples (numpy, data space), reproducible by seed, by ``steps`` DDIM steps."""
        noise, labels = self._start(n, seed, labels)
        return np.concatenate([
            self._ddim(noise[i:i + batch_size], None if labels is None else labels[i:i + batch_size],
                       steps, guidance)[0]
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
                "schedule": self.schedule, "timesteps": self.timesteps, "beta_start": self.beta_start,
                "beta_end": self.beta_end, "clip_denoised": self.clip_denoised, "seed": self.seed}


@keras.saving.register_keras_serializable(package="models")
class LatentDiffusion(keras.Model):
    """A trained VAE and a DDPM trained on its latents times ``latent_scale``; samples images.

    The two stages train separately (see the module docstring): this model only
    samples. It saves and loads as one ``.keras`` file holding both parts.
    """

    def __init__(self, vae, diffusion, latent_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        if tuple(diffusion.data_shape) != tuple(vae.latent_shape):
            raise ValueError(f"the DDPM's data shape {diffusion.data_shape} must be the VAE's latent "
                             f"shape {vae.latent_shape}")
        self.vae = vae
        self.diffusion = diffusion
        self.latent_scale = float(latent_scale)
        self.built = True

    def _decode(self, scaled_latents, batch_size=500):
        return self.vae.decode(scaled_latents / self.latent_scale, batch_size)

    def generate(self, n, seed=0, steps=50, labels=None, guidance=1.0, batch_size=500):
        """n images in [-1, 1] (numpy), reproducible by seed."""
        return self._decode(self.diffusion.generate(n, seed, steps, labels, guidance, batch_size), batch_size)

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

"""The first stage of latent diffusion (Rombach et al. 2022): a KL-regularised autoencoder
from images to a small latent grid (4x down-sampling, 4 channels: 28x28 -> 7x7x4)."""

import keras
import numpy as np
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import for_policy, replica_draw, tracker_logs, training_loss
from .unet import NORM_GROUPS, residual_block

LOG_VAR_RANGE = (-30.0, 20.0)  # Stable Diffusion's clamp of the posterior log-variance
VAE_DOWNSAMPLING = 4


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per sample, summed over all but the batch axis:
    0.5 * sum(mean² + exp(log_var) - 1 - log_var) (Kingma & Welling 2014, appendix B)."""
    kl = 0.5 * (ops.square(mean) + ops.exp(log_var) - 1.0 - log_var)
    return ops.sum(ops.reshape(kl, (ops.shape(kl)[0], -1)), axis=1)


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
            raise ValueError(f"VAE needs image sides divisible by {VAE_DOWNSAMPLING}, "
                             f"got {height}x{width}")
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
    def optimizers(self):
        """The optimizers a checkpoint saves: the one that steps every network."""
        return [self.optimizer]

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
            per_image = ops.sum(ops.reshape(error, (ops.shape(error)[0], -1)), axis=1)
            reconstruction = ops.mean(per_image)
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
        moments = self.encoder.predict(np.asarray(images, np.float32), batch_size=batch_size,
                                       verbose=0)
        return moments[..., :self.latent_channels]

    def decode(self, latents, batch_size=500):
        """Latents -> images clipped to [-1, 1] (numpy)."""
        images = self.decoder.predict(np.asarray(latents, np.float32), batch_size=batch_size,
                                      verbose=0)
        return np.clip(images, -1.0, 1.0)

    def get_config(self):
        return {**super().get_config(), "data_shape": self.data_shape,
                "latent_channels": self.latent_channels, "base_filters": self.base_filters,
                "kl_weight": self.kl_weight, "seed": self.seed}

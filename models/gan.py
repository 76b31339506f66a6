"""Vanilla GAN (Goodfellow et al. 2014): MLP generator and discriminator.

``GAN`` is also the training logic every unconditional GAN here shares: DCGAN
subclasses it and only swaps the networks.
"""

import keras
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import TwoPlayerModel, tracker_logs, training_loss
from .losses import GENERATOR_LOSSES, minimax_discriminator_loss


def build_mlp_generator(latent_dim, data_shape, hidden_units=(256, 256)):
    """z -> ReLU MLP -> data. Images (3-D ``data_shape``) end in tanh ([-1, 1]), points are
    linear."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    size = 1
    for d in data_shape:
        size *= d
    is_image = len(data_shape) == 3
    x = layers.Dense(size, activation="tanh" if is_image else None, dtype="float32")(h)
    x = layers.Reshape(data_shape, dtype="float32")(x)
    return keras.Model(z, x, name="generator")


def build_mlp_discriminator(data_shape, hidden_units=(256, 256), negative_slope=0.2):
    """data -> LeakyReLU MLP -> one logit (no sigmoid: the losses take logits)."""
    x = keras.Input(data_shape, name="x")
    h = layers.Flatten()(x)
    for units in hidden_units:
        h = layers.Dense(units)(h)
        h = layers.LeakyReLU(negative_slope)(h)
    logit = layers.Dense(1, dtype="float32")(h)
    return keras.Model(x, logit, name="discriminator")


class GAN(TwoPlayerModel):
    """Unconditional GAN trained by Algorithm 1 of Goodfellow et al. 2014.

    Each batch fed to ``fit`` holds ``d_steps`` real minibatches: the
    discriminator takes one step on each, then the generator takes one step
    on a fresh noise minibatch of the same size.

    Under ``tf.distribute`` (build and compile the model inside ``strategy.scope()``)
    losses are scaled to the global batch and the loss trackers are reduced across
    replicas. Batch norm (DCGAN) normalises with each replica's own batch statistics.
    """

    def __init__(self, latent_dim=64, data_shape=(28, 28, 1), hidden_units=(256, 256),
                 d_steps=1, generator_loss="non_saturating", seed=0, **kwargs):
        super().__init__(**kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, "
                             f"got {generator_loss!r}")
        if d_steps < 1:
            raise ValueError(f"d_steps must be >= 1, got {d_steps}")
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        self.hidden_units = tuple(hidden_units)
        self.d_steps = d_steps
        self.generator_loss = generator_loss
        self.seed = seed
        self.generator, self.discriminator = self.build_networks()
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True  # sub-networks are built; fit/save need no call()

    def build_networks(self):
        return (build_mlp_generator(self.latent_dim, self.data_shape, self.hidden_units),
                build_mlp_discriminator(self.data_shape, self.hidden_units))

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        batch_size = ops.shape(real)[0] // self.d_steps
        for k in range(self.d_steps):
            real_k = real[k * batch_size:(k + 1) * batch_size]
            fake = self.generator(self.sample_noise(batch_size), training=True)
            with tf.GradientTape() as tape:
                d_loss = minimax_discriminator_loss(self.discriminator(real_k, training=True),
                                                    self.discriminator(fake, training=True))
                scaled_loss = training_loss(d_loss, self.d_optimizer)
            grads = tape.gradient(scaled_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables,
                                                 strict=True))

        with tf.GradientTape() as tape:
            fake = self.generator(self.sample_noise(batch_size), training=True)
            fake_logits = self.discriminator(fake, training=True)
            g_loss = GENERATOR_LOSSES[self.generator_loss](fake_logits)
            scaled_loss = training_loss(g_loss, self.g_optimizer)
        grads = tape.gradient(scaled_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables,
                                             strict=True))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return tracker_logs(self.metrics)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "data_shape": self.data_shape, "hidden_units": self.hidden_units,
                "d_steps": self.d_steps,
                "generator_loss": self.generator_loss, "seed": self.seed}

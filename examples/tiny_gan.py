"""A user's own GAN, benchmarked without editing genbench (protocol: benchmark/external.py):

    python -m benchmark run --suite gan --model examples.tiny_gan:TinyGAN --profile smoke
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops


class TinyGAN(keras.Model):
    """One-hidden-layer MLP generator and discriminator, both updated on every batch."""

    def __init__(self, data_shape, seed=0, latent_dim=32, units=128, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.noise = latent_dim, keras.random.SeedGenerator(seed)
        images = len(data_shape) == 3  # images are in [-1, 1]; 2-D points are not bounded
        self.generator = keras.Sequential([
            keras.Input((latent_dim,)), layers.Dense(units, activation="relu"),
            layers.Dense(math.prod(data_shape), activation="tanh" if images else None),
            layers.Reshape(data_shape)])
        self.discriminator = keras.Sequential([
            keras.Input(data_shape), layers.Flatten(), layers.Dense(units),
            layers.LeakyReLU(0.2), layers.Dense(1)])

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        d_optimizer.build(self.discriminator.trainable_variables)  # checkpoints hold the slots
        g_optimizer.build(self.generator.trainable_variables)

    def train_step(self, real):
        z = keras.random.normal((ops.shape(real)[0], self.latent_dim), seed=self.noise)
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            real_logits = self.discriminator(real, training=True)
            d_loss = (loss(ops.ones_like(real_logits), real_logits)
                      + loss(ops.zeros_like(fake_logits), fake_logits))
            g_loss = loss(ops.ones_like(fake_logits), fake_logits)  # non-saturating
        for tape, cost, net, optimizer in ((d_tape, d_loss, self.discriminator, self.d_optimizer),
                                           (g_tape, g_loss, self.generator, self.g_optimizer)):
            grads = tape.gradient(cost, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return {"d_loss": d_loss, "g_loss": g_loss}

    def generate(self, n, seed=0):
        z = keras.random.normal((n, self.latent_dim), seed=seed)
        return self.generator.predict(z, batch_size=500, verbose=0)

"""CycleGAN (Zhu et al. 2017): unpaired image-to-image translation with cycle consistency.

Two ResNet generators, G: A -> B (``generator_ab``) and F: B -> A
(``generator_ba``), and two PatchGAN discriminators (``discriminator_a``,
``discriminator_b``) with instance norm and reflection padding. The generators
minimise the least-squares adversarial loss plus ``lambda_cycle`` times the
cycle loss |F(G(a)) - a| + |G(F(b)) - b| plus ``lambda_cycle * lambda_identity``
times the identity loss |G(b) - b| + |F(a) - a|. Each discriminator is shown
generated images through a history pool of the last ``pool_size`` (50) images.
The paper trains with Adam (2e-4, beta1 0.5), batch 1, the rate constant for
the first half of training and then decaying linearly to 0: see
``CycleGAN.make_optimizer`` and ``LinearDecay``.

What the constructor makes configurable so that 28-32 px images train on a CPU:
``base_filters`` (paper 64), ``res_blocks`` (paper 6 at 128 px, 9 at 256 px),
``downsamplings`` (paper 2) and ``discriminator_downsamplings`` (paper 3, the
70x70 PatchGAN at 256 px).

Its base, shared with DiscoGAN, is ``models.translator.UnpairedTranslator``.
"""

import keras
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import training_loss
from .layers import ImageHistoryPool, InstanceNormalization, ReflectionPadding2D
from .losses import (
    cycle_consistency_loss,
    identity_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
)
from .translator import UnpairedTranslator, check_divisible


def _paper_init():
    """N(0, 0.02) weights, as in the paper (a fresh initializer per layer: Keras reuses a seeded
    one)."""
    return keras.initializers.RandomNormal(stddev=0.02)


@keras.saving.register_keras_serializable(package="models")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """CycleGAN's schedule: ``initial_learning_rate`` for ``constant_steps``, then linearly to 0
    at ``total_steps``.

    The paper keeps the rate for 100 epochs and decays it over the next 100, so
    ``constant_steps`` defaults to half of ``total_steps``.
    """

    def __init__(self, initial_learning_rate, total_steps, constant_steps=None):
        if constant_steps is None:
            constant_steps = total_steps // 2
        if not 0 <= constant_steps < total_steps:
            raise ValueError("need 0 <= constant_steps < total_steps, "
                             f"got {constant_steps} and {total_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.total_steps = total_steps
        self.constant_steps = constant_steps

    def __call__(self, step):
        decayed = ((ops.cast(step, "float32") - self.constant_steps)
                   / (self.total_steps - self.constant_steps))
        return self.initial_learning_rate * (1.0 - ops.clip(decayed, 0.0, 1.0))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps, "constant_steps": self.constant_steps}


def _conv_norm_relu(h, filters, kernel_size, strides=1, padding="same", transpose=False):
    conv = layers.Conv2DTranspose if transpose else layers.Conv2D
    h = conv(filters, kernel_size, strides=strides, padding=padding, use_bias=False,
             kernel_initializer=_paper_init())(h)
    return layers.ReLU()(InstanceNormalization()(h))


def _residual_block(h, filters):
    """Two reflection-padded 3x3 convolutions with instance norm, added to the input."""
    r = _conv_norm_relu(ReflectionPadding2D(1)(h), filters, 3, padding="valid")
    r = layers.Conv2D(filters, 3, use_bias=False,
                      kernel_initializer=_paper_init())(ReflectionPadding2D(1)(r))
    return layers.Add()([h, InstanceNormalization()(r)])


def build_resnet_generator(image_shape, base_filters=64, res_blocks=9, downsamplings=2,
                           name="generator"):
    """c7s1-k, ``downsamplings`` stride-2 convs (x2 filters each), residual blocks, as many
    stride-2 transposed convs, c7s1-channels with tanh (the paper's ResNet generator)."""
    check_divisible(image_shape, downsamplings)
    x = keras.Input(image_shape, name="image")
    h = _conv_norm_relu(ReflectionPadding2D(3)(x), base_filters, 7, padding="valid")
    filters = base_filters
    for _ in range(downsamplings):
        filters *= 2
        h = _conv_norm_relu(h, filters, 3, strides=2)
    for _ in range(res_blocks):
        h = _residual_block(h, filters)
    for _ in range(downsamplings):
        filters //= 2
        h = _conv_norm_relu(h, filters, 3, strides=2, transpose=True)
    y = layers.Conv2D(image_shape[-1], 7, activation="tanh", kernel_initializer=_paper_init(),
                      dtype="float32")(
        ReflectionPadding2D(3)(h))
    return keras.Model(x, y, name=name)


def build_patchgan_discriminator(image_shape, base_filters=64, downsamplings=3, negative_slope=0.2,
                                 name="discriminator"):
    """PatchGAN: 4x4 stride-2 convs (no norm on the first), one stride-1 conv, then a 1-channel
    map of least-squares scores, one per overlapping patch (no sigmoid)."""
    check_divisible(image_shape, downsamplings)
    x = keras.Input(image_shape, name="image")
    h = layers.Conv2D(base_filters, 4, strides=2, padding="same",
                      kernel_initializer=_paper_init())(x)
    h = layers.LeakyReLU(negative_slope)(h)
    filters = base_filters
    for strides in [2] * (downsamplings - 1) + [1]:
        filters = min(filters * 2, 8 * base_filters)
        h = layers.Conv2D(filters, 4, strides=strides, padding="same", use_bias=False,
                          kernel_initializer=_paper_init())(h)
        h = layers.LeakyReLU(negative_slope)(InstanceNormalization()(h))
    scores = layers.Conv2D(1, 4, padding="same", kernel_initializer=_paper_init(),
                           dtype="float32")(h)
    return keras.Model(x, scores, name=name)


@keras.saving.register_keras_serializable(package="models")
class CycleGAN(UnpairedTranslator):
    loss_names = ("d_a_loss", "d_b_loss", "adversarial_loss", "cycle_loss", "identity_loss",
                  "g_loss")

    def __init__(self, image_shape=(28, 28, 1), base_filters=64, res_blocks=6, downsamplings=2,
                 discriminator_downsamplings=3, lambda_cycle=10.0, lambda_identity=0.5,
                 pool_size=50, **kwargs):
        self.base_filters = base_filters
        self.res_blocks = res_blocks
        self.downsamplings = downsamplings
        self.discriminator_downsamplings = discriminator_downsamplings
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity
        self.pool_size = pool_size
        super().__init__(image_shape=image_shape, **kwargs)
        self.pool_a = ImageHistoryPool(pool_size, name="pool_a")
        self.pool_b = ImageHistoryPool(pool_size, name="pool_b")
        for pool in (self.pool_a, self.pool_b):
            pool.build((None, *self.image_shape))
        self.built = True  # sub-networks are built; fit/save need no call()

    def build_networks(self):
        def generator(name):
            return build_resnet_generator(self.image_shape, self.base_filters, self.res_blocks,
                                          self.downsamplings, name=name)

        def discriminator(name):
            return build_patchgan_discriminator(self.image_shape, self.base_filters,
                                                self.discriminator_downsamplings, name=name)

        return (generator("generator_ab"), generator("generator_ba"),
                discriminator("discriminator_a"), discriminator("discriminator_b"))

    @staticmethod
    def make_optimizer(learning_rate, beta_1, total_steps):
        """The paper's Adam with the rate held for the first half of training, then decayed to
        0."""
        return keras.optimizers.Adam(LinearDecay(learning_rate, total_steps), beta_1=beta_1)

    def train_step(self, data):
        real_a, real_b = data
        with tf.GradientTape() as tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            cycle = (cycle_consistency_loss(real_a, self.generator_ba(fake_b, training=True))
                     + cycle_consistency_loss(real_b, self.generator_ab(fake_a, training=True)))
            # The paper's generator term is E[(D(G(x)) - 1)^2], twice the LSGAN loss (which has
            # 1/2).
            adversarial = 2.0 * (
                least_squares_generator_loss(self.discriminator_b(fake_b, training=True))
                + least_squares_generator_loss(self.discriminator_a(fake_a, training=True)))
            g_loss = adversarial + self.lambda_cycle * cycle
            if self.lambda_identity:
                identity = self.identity_term(real_a, real_b)
                g_loss += self.lambda_cycle * self.lambda_identity * identity
            scaled_loss = training_loss(g_loss, self.g_optimizer)
        self.apply_step(tape, scaled_loss, self.g_optimizer, self.generator_variables)
        # still tracked, outside the tape: no backward pass for a zero weight
        if not self.lambda_identity:
            identity = self.identity_term(real_a, real_b)

        # The discriminators see the fakes made before this generator update, through the pools.
        pooled_a, pooled_b = self.pool_a(fake_a), self.pool_b(fake_b)
        with tf.GradientTape() as tape:
            d_a = least_squares_discriminator_loss(self.discriminator_a(real_a, training=True),
                                                   self.discriminator_a(pooled_a, training=True))
            d_b = least_squares_discriminator_loss(self.discriminator_b(real_b, training=True),
                                                   self.discriminator_b(pooled_b, training=True))
            scaled_loss = training_loss(d_a + d_b, self.d_optimizer)
        self.apply_step(tape, scaled_loss, self.d_optimizer, self.discriminator_variables)
        return self.track(d_a_loss=d_a, d_b_loss=d_b, adversarial_loss=adversarial,
                          cycle_loss=cycle, identity_loss=identity, g_loss=g_loss)

    def identity_term(self, real_a, real_b):
        """How much each generator changes images already in its output domain (L1)."""
        return (identity_loss(real_b, self.generator_ab(real_b, training=True))
                + identity_loss(real_a, self.generator_ba(real_a, training=True)))

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "res_blocks": self.res_blocks, "downsamplings": self.downsamplings,
                "discriminator_downsamplings": self.discriminator_downsamplings,
                "lambda_cycle": self.lambda_cycle, "lambda_identity": self.lambda_identity,
                "pool_size": self.pool_size}

"""DiscoGAN (Kim et al. 2017): two coupled GANs that learn cross-domain relations without pairs.

Two encoder-decoder generators, G_AB and G_BA (4x4 stride-2 convs with
LeakyReLU down, as many transposed convs with ReLU up, batch norm between,
tanh out), and two convolutional discriminators. The generators minimise, in
both directions, the standard GAN loss plus ``lambda_reconstruction`` times the
reconstruction distance d(G_BA(G_AB(a)), a) (paper: L_G = L_GAN_B + L_CONST_A +
L_GAN_A + L_CONST_B, so lambda 1 and d = MSE). These are the only terms: the
authors' code also mixes in a feature-matching loss and re-weights the terms
during training, which the paper does not describe and this model leaves out.
The authors train with Adam (2e-4, beta1 0.5) at a constant rate, see
``DiscoGAN.make_optimizer``; the paper's networks have 4 down-samplings at 64 px,
``downsamplings`` sets fewer for 28-32 px images.
"""

import keras
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers

from .base import training_loss
from .losses import GENERATOR_LOSSES, RECONSTRUCTION_LOSSES, minimax_discriminator_loss
from .translator import UnpairedTranslator, check_divisible


def _conv_bn(h, filters, transpose=False):
    conv = layers.Conv2DTranspose if transpose else layers.Conv2D
    h = conv(filters, 4, strides=2, padding="same", use_bias=False)(h)
    return layers.BatchNormalization()(h)


def _downsampling_stack(image_shape, base_filters, downsamplings, negative_slope):
    """Input, then conv (no norm) and conv-BN-LeakyReLU stride-2 stages: (input, output,
    filters)."""
    check_divisible(image_shape, downsamplings)
    x = keras.Input(image_shape, name="image")
    h = layers.Conv2D(base_filters, 4, strides=2, padding="same")(x)
    h = layers.LeakyReLU(negative_slope)(h)
    filters = base_filters
    for _ in range(downsamplings - 1):
        filters *= 2
        h = layers.LeakyReLU(negative_slope)(_conv_bn(h, filters))
    return x, h, filters


def build_encoder_decoder_generator(image_shape, base_filters=64, downsamplings=4,
                                    negative_slope=0.2, name="generator"):
    """Conv (no norm) then conv-BN-LeakyReLU down to 1/2**downsamplings, deconv-BN-ReLU back up,
    tanh."""
    x, h, filters = _downsampling_stack(image_shape, base_filters, downsamplings, negative_slope)
    for _ in range(downsamplings - 1):
        filters //= 2
        h = layers.ReLU()(_conv_bn(h, filters, transpose=True))
    y = layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same", activation="tanh",
                               dtype="float32")(h)
    return keras.Model(x, y, name=name)


def build_discogan_discriminator(image_shape, base_filters=64, downsamplings=4, negative_slope=0.2,
                                 name="discriminator"):
    """Conv (no norm) then conv-BN-LeakyReLU stride-2 stages, then one logit (no sigmoid)."""
    x, h, _ = _downsampling_stack(image_shape, base_filters, downsamplings, negative_slope)
    logit = layers.Dense(1, dtype="float32")(layers.Flatten()(h))
    return keras.Model(x, logit, name=name)


@keras.saving.register_keras_serializable(package="models")
class DiscoGAN(UnpairedTranslator):
    loss_names = ("d_a_loss", "d_b_loss", "adversarial_loss", "reconstruction_loss", "g_loss")

    def __init__(self, image_shape=(28, 28, 1), base_filters=64, downsamplings=4,
                 lambda_reconstruction=1.0, reconstruction_loss="mse",
                 generator_loss="non_saturating", **kwargs):
        if reconstruction_loss not in RECONSTRUCTION_LOSSES:
            raise ValueError(f"reconstruction_loss must be one of {sorted(RECONSTRUCTION_LOSSES)}, "
                             f"got {reconstruction_loss!r}")
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"generator_loss must be one of {sorted(GENERATOR_LOSSES)}, "
                             f"got {generator_loss!r}")
        self.base_filters = base_filters
        self.downsamplings = downsamplings
        self.lambda_reconstruction = lambda_reconstruction
        self.reconstruction_loss = reconstruction_loss
        self.generator_loss = generator_loss
        super().__init__(image_shape=image_shape, **kwargs)
        self.built = True  # sub-networks are built; fit/save need no call()

    def build_networks(self):
        def generator(name):
            return build_encoder_decoder_generator(self.image_shape, self.base_filters,
                                                   self.downsamplings, name=name)

        def discriminator(name):
            return build_discogan_discriminator(self.image_shape, self.base_filters,
                                                self.downsamplings, name=name)

        return (generator("generator_ab"), generator("generator_ba"),
                discriminator("discriminator_a"), discriminator("discriminator_b"))

    @staticmethod
    def make_optimizer(learning_rate, beta_1, total_steps):
        """Adam at a constant rate, as the authors train; ``total_steps`` is unused (no decay)."""
        return keras.optimizers.Adam(learning_rate, beta_1=beta_1)

    def train_step(self, data):
        real_a, real_b = data
        distance = RECONSTRUCTION_LOSSES[self.reconstruction_loss]
        adversarial_loss = GENERATOR_LOSSES[self.generator_loss]
        with tf.GradientTape() as tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            reconstruction = (distance(real_a, self.generator_ba(fake_b, training=True))
                              + distance(real_b, self.generator_ab(fake_a, training=True)))
            adversarial = (adversarial_loss(self.discriminator_b(fake_b, training=True))
                           + adversarial_loss(self.discriminator_a(fake_a, training=True)))
            g_loss = adversarial + self.lambda_reconstruction * reconstruction
            scaled_loss = training_loss(g_loss, self.g_optimizer)
        self.apply_step(tape, scaled_loss, self.g_optimizer, self.generator_variables)

        with tf.GradientTape() as tape:
            d_a = minimax_discriminator_loss(self.discriminator_a(real_a, training=True),
                                             self.discriminator_a(fake_a, training=True))
            d_b = minimax_discriminator_loss(self.discriminator_b(real_b, training=True),
                                             self.discriminator_b(fake_b, training=True))
            scaled_loss = training_loss(d_a + d_b, self.d_optimizer)
        self.apply_step(tape, scaled_loss, self.d_optimizer, self.discriminator_variables)
        return self.track(d_a_loss=d_a, d_b_loss=d_b, adversarial_loss=adversarial,
                          reconstruction_loss=reconstruction, g_loss=g_loss)

    def get_config(self):
        return {**super().get_config(), "base_filters": self.base_filters,
                "downsamplings": self.downsamplings,
                "lambda_reconstruction": self.lambda_reconstruction,
                "reconstruction_loss": self.reconstruction_loss,
                "generator_loss": self.generator_loss}

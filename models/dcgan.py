"""DCGAN (Radford et al. 2015) following the paper's architecture guidelines.

Strided convolutions in D and transposed convolutions in G (no pooling), no
fully connected hidden layers (only the projection of z and the final logit),
batch norm everywhere except the generator output and discriminator input,
ReLU and tanh in G, LeakyReLU (0.2) in D. The paper's optimiser is Adam with
learning rate 2e-4 and beta1 0.5; see ``DCGAN.default_optimizer``.
"""

import keras
from keras import layers

from .gan import GAN


def upsampling_stages(height, width):
    """How many stride-2 stages lead from the projected map to the image: down to the paper's 4 x 4
    bottom where the sides allow it (3 stages for 32 px, 4 for 64 px), else 2 (28 px: 7 x 7)."""
    if height % 4 or width % 4:
        raise ValueError(f"DCGAN needs image sides divisible by 4, got {height}x{width}")
    stages = 0
    while (height >> stages) % 2 == 0 and (width >> stages) % 2 == 0 \
            and min(height, width) >> stages > 4:
        stages += 1
    return stages if min(height, width) >> stages == 4 else 2


def build_dcgan_generator(latent_dim, image_shape, base_filters=64):
    """z -> projection to a bottom map of ``base_filters * 2**(stages - 1)`` channels -> stride-2
    4x4 transposed convs halving the channels -> tanh image.

    The bottom map is 4 x 4 where the image sides allow it (32 px: 4 -> 8 -> 16 -> 32, the layout
    of the paper's LSUN generator one stage shorter), else a quarter of the sides (28 px: 7 x 7).
    """
    height, width, channels = image_shape
    stages = upsampling_stages(height, width)
    factor = 2 ** stages
    filters = base_filters * 2 ** (stages - 1)
    z = keras.Input((latent_dim,), name="z")
    h = layers.Dense((height // factor) * (width // factor) * filters, use_bias=False)(z)
    h = layers.Reshape((height // factor, width // factor, filters))(h)
    h = layers.ReLU()(layers.BatchNormalization()(h))
    for _ in range(stages - 1):
        filters //= 2
        h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.ReLU()(layers.BatchNormalization()(h))
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh",
                               dtype="float32")(h)
    return keras.Model(z, x, name="generator")


def build_dcgan_discriminator(image_shape, base_filters=64, negative_slope=0.2):
    """image -> stride-2 4x4 convs doubling the channels from ``base_filters`` (no BN on the
    first), as many as the generator's stages -> one logit."""
    stages = upsampling_stages(*image_shape[:2])
    x = keras.Input(image_shape, name="x")
    h = layers.Conv2D(base_filters, 4, strides=2, padding="same")(x)
    h = layers.LeakyReLU(negative_slope)(h)
    filters = base_filters
    for _ in range(stages - 1):
        filters *= 2
        h = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.LeakyReLU(negative_slope)(layers.BatchNormalization()(h))
    logit = layers.Dense(1, dtype="float32")(layers.Flatten()(h))
    return keras.Model(x, logit, name="discriminator")


@keras.saving.register_keras_serializable(package="models")
class DCGAN(GAN):
    """GAN training (non-saturating loss by default) on DCGAN networks."""

    def __init__(self, latent_dim=100, data_shape=(28, 28, 1), base_filters=64, **kwargs):
        self.base_filters = base_filters
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, **kwargs)

    def build_networks(self):
        return (build_dcgan_generator(self.latent_dim, self.data_shape, self.base_filters),
                build_dcgan_discriminator(self.data_shape, self.base_filters))

    @staticmethod
    def default_optimizer():
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_config(self):
        config = super().get_config()
        config.pop("hidden_units")
        return {**config, "base_filters": self.base_filters}

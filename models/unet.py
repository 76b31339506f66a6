"""The U-Net noise predictor of DDPM / Stable Diffusion, at the size a CPU benchmark affords.

Residual blocks with group norm and swish take a timestep embedding (sinusoidal
features of t through a two-layer MLP) and, for class-conditional models, a
learned class embedding added to it. The class table has one extra row, the
"null" class, which stands for "no label": training drops labels to it so one
network learns both the conditional and the unconditional noise prediction
that classifier-free guidance mixes. Self-attention runs at the lowest
resolution only, where it is cheap. Inputs of any height and width are padded
to a multiple of the down-sampling factor and the output is cropped back.
"""

import math

import keras
from keras import layers, ops

NORM_GROUPS = 8


@keras.saving.register_keras_serializable(package="models")
class SinusoidalEmbedding(layers.Layer):
    """Timesteps (batch,) -> sin/cos features (batch, dim) at geometric frequencies (Vaswani et
    al.)."""

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        if dim % 2:
            raise ValueError(f"the timestep embedding dimension must be even, got {dim}")
        self.dim = dim
        self.max_period = max_period

    def call(self, t):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(self.max_period) * ops.arange(half, dtype="float32") / half)
        angles = ops.cast(ops.reshape(t, (-1, 1)), "float32") * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


def residual_block(h, channels, embedding=None, dropout=0.0):
    """GroupNorm-swish-conv twice, the embedding added in between (as a per-channel shift)."""
    skip = h if h.shape[-1] == channels else layers.Conv2D(channels, 1)(h)
    h = layers.Activation("swish")(layers.GroupNormalization(NORM_GROUPS)(h))
    h = layers.Conv2D(channels, 3, padding="same")(h)
    if embedding is not None:
        shift = layers.Dense(channels)(layers.Activation("swish")(embedding))
        h = layers.Add()([h, layers.Reshape((1, 1, channels))(shift)])
    h = layers.Activation("swish")(layers.GroupNormalization(NORM_GROUPS)(h))
    if dropout:
        h = layers.Dropout(dropout)(h)
    h = layers.Conv2D(channels, 3, padding="same")(h)
    return layers.Add()([skip, h])


def attention_block(h, heads=4):
    """Multi-head self-attention over all positions of a feature map, residual."""
    height, width, channels = h.shape[1:]
    tokens = layers.Reshape((height * width, channels))(layers.GroupNormalization(NORM_GROUPS)(h))
    attended = layers.MultiHeadAttention(heads, channels // heads)(tokens, tokens)
    return layers.Add()([h, layers.Reshape((height, width, channels))(attended)])


def build_unet(data_shape, channels=(32, 64), blocks_per_level=1, attention=True, embedding_dim=128,
               num_classes=None, dropout=0.0, name="unet"):
    """A functional U-Net ``[x_t, t] -> noise`` (``[x_t, t, label] -> noise`` if ``num_classes``).

    ``channels`` lists the width at each resolution (one entry per level, halving
    the resolution between levels); ``blocks_per_level`` residual blocks per level
    on the way down (one more on the way up, as in DDPM). Labels are ints in
    [0, num_classes]; ``num_classes`` itself is the null class.
    """
    if any(c % NORM_GROUPS for c in channels):
        raise ValueError(f"U-Net channels must be multiples of {NORM_GROUPS} (group norm), "
                         f"got {channels}")
    height, width, depth = data_shape
    factor = 2 ** (len(channels) - 1)
    pad_h, pad_w = -height % factor, -width % factor

    x = keras.Input(data_shape, name="x_t")
    t = keras.Input((), name="timestep")
    inputs = [x, t]
    # float32 whatever the precision policy: bfloat16 cannot tell timestep 999 from 1000.
    embedding = SinusoidalEmbedding(channels[0], dtype="float32")(t)
    embedding = layers.Dense(embedding_dim, activation="swish")(embedding)
    embedding = layers.Dense(embedding_dim)(embedding)
    if num_classes:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        label_embedding = layers.Embedding(num_classes + 1, embedding_dim)(label)
        embedding = layers.Add()([embedding, label_embedding])

    h = layers.ZeroPadding2D(((0, pad_h), (0, pad_w)))(x) if pad_h or pad_w else x
    h = layers.Conv2D(channels[0], 3, padding="same")(h)
    skips = [h]
    for level, width_at_level in enumerate(channels):
        for _ in range(blocks_per_level):
            h = residual_block(h, width_at_level, embedding, dropout)
            skips.append(h)
        if level < len(channels) - 1:
            h = layers.Conv2D(width_at_level, 3, strides=2, padding="same")(h)
            skips.append(h)

    h = residual_block(h, channels[-1], embedding, dropout)
    if attention:
        h = attention_block(h)
    h = residual_block(h, channels[-1], embedding, dropout)

    for level in reversed(range(len(channels))):
        for _ in range(blocks_per_level + 1):
            h = layers.Concatenate()([h, skips.pop()])
            h = residual_block(h, channels[level], embedding, dropout)
        if level > 0:
            h = layers.UpSampling2D(2, interpolation="nearest")(h)
            h = layers.Conv2D(channels[level], 3, padding="same")(h)

    h = layers.Activation("swish")(layers.GroupNormalization(NORM_GROUPS)(h))
    # Zero-initialised output (as in DDPM): training starts from "predict no noise", loss ~1.
    noise = layers.Conv2D(depth, 3, padding="same", kernel_initializer="zeros", dtype="float32")(h)
    if pad_h or pad_w:
        noise = layers.Cropping2D(((0, pad_h), (0, pad_w)), dtype="float32")(noise)
    return keras.Model(inputs, noise, name=name)

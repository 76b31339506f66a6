"""Layers shared by the models: instance norm, reflection padding, the generated-image history
pool."""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="models")
class InstanceNormalization(layers.Layer):
    """Instance norm (Ulyanov et al. 2016): each image's channels normalised over their H x W
    positions.

    ``(x - mean) / sqrt(var + epsilon)`` with biased per-image, per-channel statistics (the same
    in training and inference: no moving averages), then a learnt per-channel ``scale`` and
    ``center``.
    """

    def __init__(self, epsilon=1e-5, center=True, scale=True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError("InstanceNormalization takes NHWC feature maps, "
                             f"got shape {input_shape}")
        channels = input_shape[-1]
        self.gamma = (self.add_weight(shape=(channels,), initializer="ones", name="gamma")
                      if self.scale else None)
        self.beta = (self.add_weight(shape=(channels,), initializer="zeros", name="beta")
                     if self.center else None)

    def call(self, x):
        mean, variance = ops.moments(x, axes=(1, 2), keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            x = x * self.gamma
        if self.beta is not None:
            x = x + self.beta
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}


@keras.saving.register_keras_serializable(package="models")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (edge pixel not repeated).

    CycleGAN pads this way so that convolutions near the border see image-like
    values; zero padding makes border artefacts in generated images.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, x):
        p = self.padding
        return ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape):
        grow = 2 * self.padding
        n, h, w, c = input_shape
        return n, None if h is None else h + grow, None if w is None else w + grow, c

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="models")
class ImageHistoryPool(layers.Layer):
    """A buffer of past generated images for the discriminator (Shrivastava et al. 2017; CycleGAN).

    Images go through one at a time, as in the CycleGAN code: while fewer than
    ``size`` are stored, an image is stored and returned; after that, with
    probability 0.5 it is swapped with a uniformly chosen stored image (the old
    one is returned, the new one takes its place), otherwise returned as is.
    The buffer and its fill count are non-trainable variables, so the pool works
    inside a traced train step and is saved with the model's checkpoints. Under
    ``tf.distribute`` every replica draws from the one buffer and the first
    replica's update is kept.
    """

    def __init__(self, size=50, seed=None, **kwargs):
        super().__init__(**kwargs)
        if size < 1:
            raise ValueError(f"pool size must be >= 1, got {size}")
        self.size = size
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.images = self.add_weight(shape=(self.size, *input_shape[1:]), initializer="zeros",
                                      trainable=False, aggregation="only_first_replica",
                                      name="images")
        self.stored = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                      aggregation="only_first_replica", name="stored")

    def call(self, images):
        n = ops.shape(images)[0]
        coins = keras.random.uniform((n,), seed=self.seed_generator)
        random_slots = keras.random.randint((n,), 0, self.size, seed=self.seed_generator)
        slot_ids, batch_ids = ops.arange(self.size), ops.arange(n)

        def step(i, state):
            pool, stored, out = state
            image = images[i]
            filling = stored < self.size
            slot = ops.where(filling, stored, random_slots[i])
            swap = ops.logical_and(ops.logical_not(filling), coins[i] < 0.5)
            previous = ops.take(pool, slot, axis=0)
            at_slot = ops.reshape(slot_ids == slot, (self.size, 1, 1, 1))
            pool = ops.where(ops.logical_and(at_slot, ops.logical_or(filling, swap)), image, pool)
            at_i = ops.reshape(batch_ids == i, (-1, 1, 1, 1))
            out = ops.where(at_i, ops.where(swap, previous, image), out)
            return pool, ops.minimum(stored + 1, self.size), out

        pool, stored, out = ops.fori_loop(0, n, step, (ops.convert_to_tensor(self.images),
                                                       ops.convert_to_tensor(self.stored), images))
        self.images.assign(pool)
        self.stored.assign(stored)
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "size": self.size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="models")
class MinibatchDiscrimination(layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, sec. 3.2): lets a discriminator see how
    similar an example is to the rest of its minibatch, so a collapsed generator is easy to spot.

    Features f (N x A) times a learnt tensor T (A x B x C) give M (N x B x C); for each of the B
    kernels, o(x_i)_b = mean_{j != i} exp(-||M_i,b - M_j,b||_1). The output is [f, o] (A + B
    features). Differs from the paper's sum over j: the mean does not grow with the batch, so a
    discriminator used as a classifier scores test batches of any size as it saw training batches.
    """

    def __init__(self, num_kernels=100, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError("MinibatchDiscrimination takes flat features (N, A), "
                             f"got shape {input_shape}")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
                                      initializer=keras.initializers.RandomNormal(stddev=0.05),
                                      name="kernel")

    def call(self, features):
        m = ops.reshape(ops.matmul(features, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        l1 = ops.sum(ops.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)  # (N, N, B)
        others = ops.cast(ops.shape(features)[0] - 1, features.dtype)
        # j = i gives exp(0)
        closeness = (ops.sum(ops.exp(-l1), axis=1) - 1.0) / ops.maximum(others, 1.0)
        return ops.concatenate([features, closeness], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[0], input_shape[1] + self.num_kernels

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels,
                "kernel_dim": self.kernel_dim}


@keras.saving.register_keras_serializable(package="models")
class WeightNormDense(layers.Layer):
    """Dense layer with weight normalisation (Salimans & Kingma 2016):
    y = act(g * (x . v / ||v||) + b).

    Each unit's weight vector has unit norm times the scale g. With ``train_scale=False`` g stays
    fixed (the improved-GAN MNIST discriminator's hidden layers): the network cannot grow its
    activations to drown the Gaussian noise added between layers, so that noise keeps
    regularising.
    ``initialize_from(x)`` is the paper's data-dependent initialisation: g and b such that the
    pre-activations on ``x`` have zero mean and standard deviation ``scale``.
    """

    def __init__(self, units, activation=None, train_scale=True, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.train_scale = train_scale
        self.scale = scale

    def build(self, input_shape):
        self.direction = self.add_weight(shape=(input_shape[-1], self.units),
                                         initializer=keras.initializers.RandomNormal(stddev=0.05),
                                         name="direction")
        self.gain = self.add_weight(shape=(self.units,),
                                    initializer=keras.initializers.Constant(self.scale),
                                    trainable=self.train_scale, name="gain")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def initialize_from(self, x):
        projected = ops.matmul(x, self.unit_kernel())
        mean, variance = ops.moments(projected, axes=0)
        gain = self.scale * ops.rsqrt(variance + 1e-8)
        self.gain.assign(gain)
        self.bias.assign(-mean * gain)

    def unit_kernel(self):
        squared_norm = ops.sum(ops.square(self.direction), axis=0, keepdims=True)
        return self.direction * ops.rsqrt(squared_norm + 1e-12)

    def call(self, x):
        return self.activation(ops.matmul(x, self.unit_kernel()) * self.gain + self.bias)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "train_scale": self.train_scale, "scale": self.scale}


@keras.saving.register_keras_serializable(package="models")
class WeightNormConv2D(layers.Layer):
    """2-D convolution with weight normalisation (Salimans & Kingma 2016), the convolutional
    counterpart of ``WeightNormDense``: each output channel's kernel has unit norm times a
    trained scale g. ``initialize_from(x)`` gives the pre-activations on ``x`` zero mean and
    standard deviation ``scale`` per channel, over the batch and every position."""

    def __init__(self, filters, kernel_size, strides=1, padding="same", activation=None,
                 scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.padding = padding
        self.activation = keras.activations.get(activation)
        self.scale = scale

    def build(self, input_shape):
        shape = (self.kernel_size, self.kernel_size, input_shape[-1], self.filters)
        self.direction = self.add_weight(shape=shape,
                                         initializer=keras.initializers.RandomNormal(stddev=0.05),
                                         name="direction")
        self.gain = self.add_weight(shape=(self.filters,),
                                    initializer=keras.initializers.Constant(self.scale),
                                    name="gain")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def unit_kernel(self):
        squared_norm = ops.sum(ops.square(self.direction), axis=(0, 1, 2), keepdims=True)
        return self.direction * ops.rsqrt(squared_norm + 1e-12)

    def _convolve(self, x):
        return ops.conv(x, self.unit_kernel(), strides=self.strides, padding=self.padding)

    def initialize_from(self, x):
        mean, variance = ops.moments(self._convolve(x), axes=(0, 1, 2))
        gain = self.scale * ops.rsqrt(variance + 1e-8)
        self.gain.assign(gain)
        self.bias.assign(-mean * gain)

    def call(self, x):
        return self.activation(self._convolve(x) * self.gain + self.bias)

    def compute_output_shape(self, input_shape):
        def side(size):
            if size is None:
                return None
            if self.padding == "same":
                return -(-size // self.strides)
            return (size - self.kernel_size) // self.strides + 1
        return (input_shape[0], side(input_shape[1]), side(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "activation": keras.activations.serialize(self.activation),
                "scale": self.scale}

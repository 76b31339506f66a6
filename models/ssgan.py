"""Semi-supervised GAN (Salimans et al. 2016, "Improved Techniques for Training GANs", sec. 5).

The discriminator is a K-class classifier whose real/fake decision comes from its class logits:
D(x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp(l_k(x)). It learns from labelled data
(cross-entropy), unlabelled data (real) and generated data (fake); the generator is trained by
feature matching. ``fake_class="explicit"`` gives the discriminator a (K+1)-th output for the
fake class instead (the c+1 classifier), to compare the two formulations.
"""

import keras
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import TwoPlayerModel, tracker_logs, training_loss
from .layers import MinibatchDiscrimination, WeightNormConv2D, WeightNormDense
from .losses import feature_matching_loss, ssgan_supervised_loss, ssgan_unsupervised_loss

FAKE_CLASSES = ("implicit", "explicit")
ARCHITECTURES = ("mlp", "cnn")  # Salimans et al.'s MNIST and CIFAR-10 networks


def build_ssgan_discriminator(data_shape, num_outputs, hidden_units=(1000, 500, 250, 250, 250),
                              input_noise=0.6, hidden_noise=0.5, minibatch_kernels=0,
                              minibatch_kernel_dim=5, architecture="mlp", cnn_width=1.0,
                              name="discriminator"):
    """Salimans et al.'s discriminator, ``num_outputs`` linear logits (no softmax: the losses take
    logits), its last hidden layer named "features" (feature matching compares its batch means).

    ``architecture="mlp"``, their MNIST network: an MLP with Gaussian noise on its input and after
    every hidden layer (standard deviations on the [-1, 1] image scale: input 0.6 = the paper's
    0.3 on [0, 1]); every dense layer weight-normalised, the hidden ones keeping their
    data-initialised scale. ``"cnn"``, their CIFAR-10 network (``_cnn_features``), whose widths
    ``cnn_width`` scales; ``hidden_units`` and the noise settings are the MLP's only.
    ``minibatch_kernels > 0`` inserts minibatch discrimination between the features and the
    logits.
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    x = keras.Input(data_shape, name="x")
    if architecture == "cnn":
        h = _cnn_features(x, cnn_width)
    else:
        h = layers.GaussianNoise(input_noise)(layers.Flatten()(x))
        for i, units in enumerate(hidden_units):
            h = WeightNormDense(units, activation="relu", train_scale=False,
                                name="features" if i == len(hidden_units) - 1 else None)(h)
            if i < len(hidden_units) - 1:
                h = layers.GaussianNoise(hidden_noise)(h)
    if minibatch_kernels:
        h = MinibatchDiscrimination(minibatch_kernels, minibatch_kernel_dim)(h)
    if architecture == "mlp":
        h = layers.GaussianNoise(hidden_noise)(h)
    logits = WeightNormDense(num_outputs, name="logits", dtype="float32")(h)
    return keras.Model(x, logits, name=name)


def _cnn_features(x, width):
    """Salimans et al.'s CIFAR-10 discriminator body (their released
    train_cifar_feature_matching.py): dropout 0.2 on the input; two blocks of three
    weight-normalised 3x3 convolutions (96 then 192 channels times ``width``, the third of each
    with stride 2) with leaky ReLU (0.2), each followed by dropout 0.5; a 3x3 valid convolution,
    two 1x1 ("network in network") layers and global average pooling, the "features"."""
    narrow, wide = max(1, round(96 * width)), max(1, round(192 * width))
    h = layers.Dropout(0.2)(x)
    for filters in (narrow, wide):
        for strides in (1, 1, 2):
            h = WeightNormConv2D(filters, 3, strides=strides, activation="leaky_relu")(h)
        h = layers.Dropout(0.5)(h)
    h = WeightNormConv2D(wide, 3, padding="valid", activation="leaky_relu")(h)
    for _ in range(2):
        h = WeightNormConv2D(wide, 1, activation="leaky_relu")(h)
    return layers.GlobalAveragePooling2D(name="features")(h)


def build_ssgan_generator(latent_dim, data_shape, hidden_units=(500, 500), architecture="mlp",
                          cnn_width=1.0):
    """Salimans et al.'s generator, tanh output in [-1, 1]. ``"mlp"`` (MNIST): softplus layers
    of ``hidden_units`` with batch norm. ``"cnn"`` (CIFAR-10): z projected to 4x4x512, then 5x5
    stride-2 transposed convolutions to 256 and 128 channels (times ``cnn_width``; batch norm,
    ReLU) and to the image (theirs weight-normalised)."""
    z = keras.Input((latent_dim,), name="z")
    if architecture == "cnn":
        height, width, channels = data_shape
        if height % 8 or width % 8:
            raise ValueError(f"the CNN generator needs sides divisible by 8, got {height}x{width}")
        filters = [max(1, round(f * cnn_width)) for f in (512, 256, 128)]
        h = layers.Dense(height // 8 * (width // 8) * filters[0], use_bias=False)(z)
        h = layers.Reshape((height // 8, width // 8, filters[0]))(h)
        h = layers.ReLU()(layers.BatchNormalization()(h))
        for count in filters[1:]:
            h = layers.Conv2DTranspose(count, 5, strides=2, padding="same", use_bias=False)(h)
            h = layers.ReLU()(layers.BatchNormalization()(h))
        x = layers.Conv2DTranspose(channels, 5, strides=2, padding="same", activation="tanh",
                                   dtype="float32")(h)
        return keras.Model(z, x, name="generator")
    h = z
    for units in hidden_units:
        h = layers.Dense(units, use_bias=False)(h)
        h = layers.Activation("softplus")(layers.BatchNormalization()(h))
    size = 1
    for d in data_shape:
        size *= d
    x = layers.Dense(size, activation="tanh", dtype="float32")(h)
    x = layers.Reshape(data_shape, dtype="float32")(x)
    return keras.Model(z, x, name="generator")


def initialize_weight_norm(network, x):
    """Salimans et al.'s data-dependent initialisation (they use 500 training images): each
    weight-normalised layer of a functional ``network``, first to last, gets the scale and bias
    that give its pre-activations zero mean and unit variance on ``x``, with the Gaussian noise
    layers on (training mode) as in their code, so that the noise keeps its weight relative to
    the signal that the training-mode network sees."""
    for layer in network.layers:
        if isinstance(layer, (WeightNormDense, WeightNormConv2D)):
            layer.initialize_from(keras.Model(network.input, layer.input)(x, training=True))


@keras.saving.register_keras_serializable(package="models")
class SSGAN(TwoPlayerModel):
    """Semi-supervised GAN: a classifier-discriminator and a feature-matching generator.

    ``fit`` takes batches ``((labelled_x, labels), unlabelled_x)``. Each step the discriminator
    minimises ``supervised + unsupervised_weight * unsupervised`` on the labelled batch, the
    unlabelled batch and as many generated images (``models.losses.ssgan_*``); then the generator
    minimises the feature-matching distance between a fresh generated batch and the unlabelled
    batch on the discriminator's "features" layer. ``classify`` returns the K class logits of
    ``averaged_discriminator``, an exponential moving average (``average_decay``) of the
    discriminator's weights, as Salimans et al. test.
    """

    def __init__(self, data_shape=(28, 28, 1), num_classes=10, latent_dim=100,
                 fake_class="implicit", discriminator_units=(1000, 500, 250, 250, 250),
                 generator_units=(500, 500), input_noise=0.6, hidden_noise=0.5,
                 minibatch_kernels=0, minibatch_kernel_dim=5, unsupervised_weight=0.5,
                 average_decay=0.999, generator_steps=1, architecture="mlp", cnn_width=1.0,
                 seed=0, **kwargs):
        super().__init__(**kwargs)
        if fake_class not in FAKE_CLASSES:
            raise ValueError(f"fake_class must be one of {FAKE_CLASSES}, got {fake_class!r}")
        self.data_shape = tuple(data_shape)
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.fake_class = fake_class
        self.discriminator_units = tuple(discriminator_units)
        self.generator_units = tuple(generator_units)
        self.input_noise = input_noise
        self.hidden_noise = hidden_noise
        self.minibatch_kernels = minibatch_kernels
        self.minibatch_kernel_dim = minibatch_kernel_dim
        self.unsupervised_weight = unsupervised_weight
        if not 0 <= average_decay < 1:
            raise ValueError(f"average_decay must be in [0, 1), got {average_decay}")
        self.average_decay = average_decay
        self.generator_steps = generator_steps
        self.architecture = architecture
        self.cnn_width = cnn_width
        self.seed = seed
        num_outputs = num_classes + (fake_class == "explicit")
        network = {"hidden_units": self.discriminator_units, "input_noise": input_noise,
                   "hidden_noise": hidden_noise, "minibatch_kernels": minibatch_kernels,
                   "minibatch_kernel_dim": minibatch_kernel_dim, "architecture": architecture,
                   "cnn_width": cnn_width}
        self.discriminator = build_ssgan_discriminator(self.data_shape, num_outputs, **network)
        self.generator = build_ssgan_generator(latent_dim, self.data_shape, self.generator_units,
                                               architecture, cnn_width)
        # Salimans et al. test an exponential moving average of the discriminator's weights: the
        # adversarial game keeps the current weights moving, their average classifies better.
        self.averaged_discriminator = build_ssgan_discriminator(
            self.data_shape, num_outputs, **network, name="averaged_discriminator")
        self.averaged_discriminator.set_weights(self.discriminator.get_weights())
        # The same layers with the features exposed too: one forward pass gives both.
        self.critic = keras.Model(self.discriminator.input,
                                  [self.discriminator.output,
                                   self.discriminator.get_layer("features").output])
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name=name) for name in
                         ("supervised_loss", "unsupervised_loss", "g_loss", "train_accuracy")]
        self.built = True

    @property
    def metrics(self):
        return self.trackers

    def train_step(self, data):
        (labelled_x, labels), unlabelled_x = data
        batch_size = ops.shape(unlabelled_x)[0]
        fake = self.generator(self.sample_noise(batch_size), training=True)
        with tf.GradientTape() as tape:
            labelled_logits, unlabelled_logits, fake_logits = self._discriminate(
                self.discriminator, labelled_x, unlabelled_x, fake)
            supervised = ssgan_supervised_loss(labels, labelled_logits)
            unsupervised = ssgan_unsupervised_loss(unlabelled_logits, fake_logits, self.fake_class)
            d_loss = training_loss(supervised + self.unsupervised_weight * unsupervised,
                                   self.d_optimizer)
        grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables,
                                             strict=True))
        self.update_average()

        # The generator trails a fast-moving discriminator: several steps help it keep up.
        for _ in range(self.generator_steps):
            with tf.GradientTape() as tape:
                fake = self.generator(self.sample_noise(batch_size), training=True)
                (_, real_features), (_, fake_features) = self._discriminate(self.critic,
                                                                            unlabelled_x, fake)
                g_loss = feature_matching_loss(ops.stop_gradient(real_features), fake_features)
                scaled = training_loss(g_loss, self.g_optimizer)
            grads = tape.gradient(scaled, self.generator.trainable_variables)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables,
                                                 strict=True))

        predicted = ops.argmax(labelled_logits[:, :self.num_classes], axis=-1)
        accuracy = ops.mean(ops.cast(predicted == ops.cast(labels, predicted.dtype), "float32"))
        values = (supervised, unsupervised, g_loss, accuracy)
        for tracker, value in zip(self.trackers, values, strict=True):
            tracker.update_state(value)
        return tracker_logs(self.trackers)

    def _discriminate(self, network, *batches):
        """``network`` (the discriminator or the critic) on each batch, in training mode. One
        forward pass on their concatenation (37 instead of 33 steps/s on 2 CPU cores) unless
        minibatch discrimination makes each sample's output depend on its batch: Salimans et al.
        score each batch alone."""
        if self.minibatch_kernels:
            return [network(x, training=True) for x in batches]
        bounds = [0]
        for x in batches:
            bounds.append(bounds[-1] + ops.shape(x)[0])

        def parts(joint):
            return [joint[start:end] for start, end in zip(bounds[:-1], bounds[1:], strict=True)]

        outputs = network(ops.concatenate(batches), training=True)
        if isinstance(outputs, (list, tuple)):
            return list(zip(*(parts(o) for o in outputs), strict=True))
        return parts(outputs)

    def update_average(self):
        """Moves the averaged discriminator towards the current one. The decay ramps up as
        (1 + t) / (10 + t) (as tf.train.ExponentialMovingAverage with num_updates), so that the
        first steps do not leave the average stuck near the initial weights."""
        step = ops.cast(self.d_optimizer.iterations, "float32")
        decay = ops.minimum(self.average_decay, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self.averaged_discriminator.weights, self.discriminator.weights,
                                   strict=True):
            average.assign(average + (1.0 - decay) * (ops.cast(weight, average.dtype) - average))

    def initialize_from(self, x):
        """Data-dependent initialisation of the discriminator on a batch of real images."""
        initialize_weight_norm(self.discriminator, x)
        self.averaged_discriminator.set_weights(self.discriminator.get_weights())

    def classify(self, x, batch_size=1000):
        """The K class logits of ``x`` from the averaged discriminator, as numpy (the fake output
        of the explicit variant dropped: it does not change which real class is most likely)."""
        logits = self.averaged_discriminator.predict(x, batch_size=batch_size, verbose=0)
        return logits[:, :self.num_classes]

    def get_config(self):
        return {**super().get_config(), "data_shape": self.data_shape,
                "num_classes": self.num_classes, "latent_dim": self.latent_dim,
                "fake_class": self.fake_class, "discriminator_units": self.discriminator_units,
                "generator_units": self.generator_units, "input_noise": self.input_noise,
                "hidden_noise": self.hidden_noise, "minibatch_kernels": self.minibatch_kernels,
                "minibatch_kernel_dim": self.minibatch_kernel_dim,
                "unsupervised_weight": self.unsupervised_weight,
                "average_decay": self.average_decay, "generator_steps": self.generator_steps,
                "architecture": self.architecture, "cnn_width": self.cnn_width, "seed": self.seed}

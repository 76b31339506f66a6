"""Unsupervised domain adaptation: DANN (Ganin et al. 2016) and ADDA (Tzeng et al. 2017).

Both adapt a small CNN (``build_small_cnn``: encoder up to the "features" layer,
then a linear label head) from a labelled source domain to an unlabelled target
domain; target labels are never seen in training.

- ``DANN`` trains encoder, label head and a domain discriminator together; the
  discriminator reads the features through a ``GradientReversal`` layer, so the
  encoder learns features the discriminator cannot tell apart.
- ``ADDA`` starts from a classifier trained on the source (``init_from_source``),
  freezes it, and trains a copy of its encoder on the target against a domain
  discriminator (the GAN loss with inverted labels); the target network reuses
  the source label head.
"""

import keras
import tensorflow as tf  # train_step uses GradientTape; forward code stays keras.ops
from keras import layers, ops

from .base import for_policy, tracker_logs, training_loss
from .classifiers import build_small_cnn, feature_model
from .losses import minimax_discriminator_loss, non_saturating_generator_loss

LAMBDA_SCHEDULES = ("ganin", "constant")


@keras.saving.register_keras_serializable(package="models")
class GradientReversal(layers.Layer):
    """Identity in the forward pass; multiplies the gradient by ``-lambda`` in the backward
    pass.

    ``lambda`` is a non-trainable variable (``self.grl_lambda``) so a schedule can
    change it during training without retracing. Written with ``stop_gradient``
    only: (1 + l) * sg(x) - l * x equals x, and its gradient is -l.
    """

    def __init__(self, initial_lambda=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_lambda = initial_lambda
        self.grl_lambda = self.add_weight(shape=(),
                                          initializer=keras.initializers.Constant(initial_lambda),
                                          trainable=False, name="lambda")

    def call(self, x):
        return (1.0 + self.grl_lambda) * ops.stop_gradient(x) - self.grl_lambda * x

    def get_config(self):
        return {**super().get_config(), "initial_lambda": self.initial_lambda}


def build_domain_discriminator(feature_dim, hidden_units=(500, 500), name="domain_discriminator"):
    """features -> ReLU MLP -> one logit (source = 1, target = 0). ADDA's is 500-500 (Tzeng et
    al. 2017)."""
    f = keras.Input((feature_dim,), name="features")
    h = f
    for units in hidden_units:
        h = layers.Dense(units, activation="relu")(h)
    return keras.Model(f, layers.Dense(1, dtype="float32")(h), name=name)


def _with_features(classifier):
    """classifier input -> (logits, features), sharing the classifier's layers."""
    return keras.Model(classifier.input,
                       [classifier.output, classifier.get_layer("features").output],
                       name=f"{classifier.name}_with_features")


def balanced_domain_accuracy(source_logits, target_logits):
    """Mean of the domain discriminator's accuracy on each domain (source = logit > 0)."""
    return 0.5 * (ops.mean(ops.cast(source_logits > 0, "float32"))
                  + ops.mean(ops.cast(target_logits <= 0, "float32")))


@keras.saving.register_keras_serializable(package="models")
class AnnealedLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """DANN's rate annealing (Ganin et al. 2016, sec. 5.2.2): lr0 / (1 + alpha p)^beta,
    p = step / total_steps.

    With the paper's alpha 10 and beta 0.75 the rate ends at lr0 / 6.05.
    """

    def __init__(self, initial_learning_rate, total_steps, alpha=10.0, beta=0.75):
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.total_steps = total_steps
        self.alpha = alpha
        self.beta = beta

    def __call__(self, step):
        progress = ops.minimum(ops.cast(step, "float32") / self.total_steps, 1.0)
        return self.initial_learning_rate / (1.0 + self.alpha * progress) ** self.beta

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps, "alpha": self.alpha, "beta": self.beta}


def adapt_batch_norm(model, images, batch_size=500):
    """AdaBN (Li et al. 2016): set every batch-norm layer's moving statistics to those of
    ``images``.

    Layers are visited in order, each reading its input through the already
    adapted layers before it (inference mode), so the statistics are exact
    means and variances over ``images`` rather than running averages.
    """
    for layer in model.layers:
        if not isinstance(layer, layers.BatchNormalization):
            continue
        inputs = keras.Model(model.input, layer.input).predict(images, batch_size=batch_size,
                                                               verbose=0)
        axes = tuple(range(inputs.ndim - 1))
        layer.moving_mean.assign(inputs.mean(axis=axes))
        layer.moving_variance.assign(inputs.var(axis=axes))


@keras.saving.register_keras_serializable(package="models")
class DANN(keras.Model):
    """Domain-adversarial training of neural networks (Ganin et al. 2016).

    Each batch is ``((x_source, y_source), x_target)``. With ``domain_batch_norm``
    False, source and target go through the network as one batch (batch norm
    normalises both domains with mixed statistics, as the test network's moving
    statistics then do); True passes each domain alone, so batch norm
    normalises each with its own statistics (Li et al. 2016's AdaBN; pair it
    with ``adapt_batch_norm`` on target images before testing). Loss:
    cross-entropy on the source labels + ``domain_weight`` x the domain
    discriminator's cross-entropy on
    the reversed features (mean over both domains). ``lambda_schedule``:
    "ganin" raises the reversal weight from 0 to ``grl_lambda`` over
    ``schedule_steps`` steps (the paper's 2/(1+exp(-10p))-1); "constant" holds it.
    """

    def __init__(self, image_shape=(28, 28, 1), num_classes=10, feature_dim=128, dropout=0.3,
                 domain_units=(500, 500), grl_lambda=1.0, lambda_schedule="ganin",
                 schedule_gamma=10.0, schedule_steps=1000, domain_weight=1.0,
                 domain_batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        if lambda_schedule not in LAMBDA_SCHEDULES:
            raise ValueError(f"lambda_schedule must be one of {LAMBDA_SCHEDULES}, "
                             f"got {lambda_schedule!r}")
        if schedule_steps < 1:
            raise ValueError(f"schedule_steps must be >= 1, got {schedule_steps}")
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.domain_units = tuple(domain_units)
        self.grl_lambda = grl_lambda
        self.lambda_schedule = lambda_schedule
        self.schedule_gamma = schedule_gamma
        self.schedule_steps = schedule_steps
        self.domain_weight = domain_weight
        self.domain_batch_norm = domain_batch_norm
        self.classifier = build_small_cnn(self.image_shape, num_classes, feature_dim, dropout,
                                          name="classifier")
        self.domain_discriminator = build_domain_discriminator(feature_dim, self.domain_units)
        self.gradient_reversal = GradientReversal(float(self.current_lambda(0)))
        self._classifier_with_features = _with_features(self.classifier)
        self.step_counter = self.add_weight(shape=(), dtype="int64", initializer="zeros",
                                            trainable=False, name="step")
        self.label_loss_tracker = keras.metrics.Mean(name="label_loss")
        self.domain_loss_tracker = keras.metrics.Mean(name="domain_loss")
        self.domain_accuracy_tracker = keras.metrics.Mean(name="domain_accuracy")
        self.built = True

    def current_lambda(self, step):
        """The reversal weight at a step: Ganin et al. 2016 (sec. 5.2.2),
        2 / (1 + exp(-gamma p)) - 1."""
        if self.lambda_schedule == "constant":
            return self.grl_lambda
        progress = ops.minimum(ops.cast(step, "float32") / self.schedule_steps, 1.0)
        return self.grl_lambda * (2.0 / (1.0 + ops.exp(-self.schedule_gamma * progress)) - 1.0)

    def compile(self, optimizer, **kwargs):
        super().compile(**kwargs)
        self.optimizer = for_policy(optimizer, self)
        self.optimizer.build(self._trained_variables())

    @property
    def optimizers(self):
        """The optimizers a checkpoint saves: the one that steps every network."""
        return [self.optimizer]

    def _trained_variables(self):
        return self.classifier.trainable_variables + self.domain_discriminator.trainable_variables

    @property
    def metrics(self):
        return [self.label_loss_tracker, self.domain_loss_tracker, self.domain_accuracy_tracker]

    def train_step(self, data):
        (x_source, y_source), x_target = data
        n_source = ops.shape(x_source)[0]
        grl_lambda = ops.cast(self.current_lambda(self.step_counter), "float32")
        self.gradient_reversal.grl_lambda.assign(grl_lambda)
        variables = self._trained_variables()
        with tf.GradientTape() as tape:
            if self.domain_batch_norm:
                outputs = [self._classifier_with_features(x, training=True)
                           for x in (x_source, x_target)]
                logits, features = (ops.concatenate(pair) for pair in zip(*outputs, strict=True))
            else:
                logits, features = self._classifier_with_features(
                    ops.concatenate([x_source, x_target]), training=True)
            label_loss = ops.mean(keras.losses.sparse_categorical_crossentropy(
                y_source, logits[:n_source], from_logits=True))
            domain_logits = self.domain_discriminator(self.gradient_reversal(features),
                                                      training=True)
            source_logits, target_logits = domain_logits[:n_source], domain_logits[n_source:]
            domain_loss = 0.5 * minimax_discriminator_loss(source_logits, target_logits)
            loss = training_loss(label_loss + self.domain_weight * domain_loss, self.optimizer)
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        self.step_counter.assign_add(1)
        domain_accuracy = balanced_domain_accuracy(source_logits, target_logits)
        self.label_loss_tracker.update_state(label_loss)
        self.domain_loss_tracker.update_state(domain_loss)
        self.domain_accuracy_tracker.update_state(domain_accuracy)
        return tracker_logs(self.metrics)

    def call(self, x, training=False):
        return self.classifier(x, training=training)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "num_classes": self.num_classes, "feature_dim": self.feature_dim,
                "dropout": self.dropout, "domain_units": self.domain_units,
                "grl_lambda": self.grl_lambda, "lambda_schedule": self.lambda_schedule,
                "schedule_gamma": self.schedule_gamma, "schedule_steps": self.schedule_steps,
                "domain_weight": self.domain_weight, "domain_batch_norm": self.domain_batch_norm}


@keras.saving.register_keras_serializable(package="models")
class ADDA(keras.Model):
    """Adversarial discriminative domain adaptation (Tzeng et al. 2017), adversarial stage.

    ``source_classifier`` (frozen) and ``target_classifier`` are ``build_small_cnn``
    networks; ``init_from_source`` copies a trained source classifier into both.
    Each batch is ``(x_source, x_target)`` (a ``(x, y)`` source pair is accepted;
    labels are not used). Per step the discriminator takes one step on source
    features (label 1) vs target features (label 0), then the target encoder
    one step on the inverted label. Only the target encoder trains: the label
    head stays the source's. The target encoder's batch norm updates its moving
    statistics on target batches.
    """

    def __init__(self, image_shape=(28, 28, 1), num_classes=10, feature_dim=128, dropout=0.3,
                 discriminator_units=(500, 500), **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.num_classes = num_classes
        self.feature_dim = feature_dim
        self.dropout = dropout
        self.discriminator_units = tuple(discriminator_units)
        self.source_classifier = build_small_cnn(self.image_shape, num_classes, feature_dim,
                                                 dropout, name="source_classifier")
        self.target_classifier = build_small_cnn(self.image_shape, num_classes, feature_dim,
                                                 dropout, name="target_classifier")
        self.source_classifier.trainable = False
        self.source_encoder = feature_model(self.source_classifier)
        self.target_encoder = feature_model(self.target_classifier)
        self.domain_discriminator = build_domain_discriminator(feature_dim,
                                                               self.discriminator_units)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.e_loss_tracker = keras.metrics.Mean(name="encoder_loss")
        self.domain_accuracy_tracker = keras.metrics.Mean(name="domain_accuracy")
        self.built = True

    def init_from_source(self, classifier):
        """Copy a trained ``build_small_cnn`` source classifier into the source and target
        networks."""
        weights = classifier.get_weights()
        self.source_classifier.set_weights(weights)
        self.target_classifier.set_weights(weights)

    def compile(self, d_optimizer, e_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = for_policy(d_optimizer, self)
        self.e_optimizer = for_policy(e_optimizer, self)
        self.d_optimizer.build(self.domain_discriminator.trainable_variables)
        self.e_optimizer.build(self.target_encoder.trainable_variables)

    @property
    def optimizers(self):
        """The optimizers a checkpoint saves: [domain discriminator's, target encoder's]."""
        return [self.d_optimizer, self.e_optimizer]

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.e_loss_tracker, self.domain_accuracy_tracker]

    def train_step(self, data):
        x_source, x_target = data
        if isinstance(x_source, tuple):
            x_source = x_source[0]
        source_features = self.source_encoder(x_source, training=False)
        target_features = self.target_encoder(x_target, training=True)
        discriminator_vars = self.domain_discriminator.trainable_variables
        with tf.GradientTape() as tape:
            source_logits = self.domain_discriminator(source_features, training=True)
            target_logits = self.domain_discriminator(target_features, training=True)
            d_loss = minimax_discriminator_loss(source_logits, target_logits)
            scaled = training_loss(d_loss, self.d_optimizer)
        grads = tape.gradient(scaled, discriminator_vars)
        self.d_optimizer.apply_gradients(zip(grads, discriminator_vars, strict=True))

        encoder_vars = self.target_encoder.trainable_variables
        with tf.GradientTape() as tape:
            fooled = self.domain_discriminator(self.target_encoder(x_target, training=True),
                                               training=True)
            e_loss = non_saturating_generator_loss(fooled)
            scaled = training_loss(e_loss, self.e_optimizer)
        grads = tape.gradient(scaled, encoder_vars)
        self.e_optimizer.apply_gradients(zip(grads, encoder_vars, strict=True))

        domain_accuracy = balanced_domain_accuracy(source_logits, target_logits)
        self.d_loss_tracker.update_state(d_loss)
        self.e_loss_tracker.update_state(e_loss)
        self.domain_accuracy_tracker.update_state(domain_accuracy)
        return tracker_logs(self.metrics)

    def call(self, x, training=False):
        """Target-domain logits: the adapted encoder with the source label head."""
        return self.target_classifier(x, training=training)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "num_classes": self.num_classes, "feature_dim": self.feature_dim,
                "dropout": self.dropout, "discriminator_units": self.discriminator_units}

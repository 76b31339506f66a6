"""Semi-supervised baselines, compared with SSGAN on the same labelled splits.

Every neural baseline uses one classifier network: the SSGAN discriminator body
(``models.ssgan.build_ssgan_discriminator`` with K outputs, Gaussian noise and weight-normalised
layers), trained on cross-entropy from logits. Each training of a network is one call of
``fit`` (``benchmark.tasks.ssl.ClassifierFits``: the optimiser, the step budget, resuming, and the
validation early stopping), so every method is trained by the same rule. The Gaussian-mixture
classifier is the classic generative approach and has no network. ``params`` are the method's
model section (benchmark/tasks/configs.py).

Images are uint8 NHWC arrays throughout (scaled to [-1, 1] by ``make_pipeline``); labels int64.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..evaluation.images import from_uint8
from ..models.ssgan import build_ssgan_discriminator, initialize_weight_norm
from .data import make_pipeline
from .tasks.common import construct

PREDICT_BATCH = 1000


def init_batch(images, seed, size=500):
    """The images that initialise a weight-normalised network (Salimans et al. use 500)."""
    chosen = np.random.default_rng(seed).choice(len(images), min(size, len(images)), replace=False)
    return images[chosen]


def build_classifier(data_shape, num_classes, network):
    """The shared classifier: the SSGAN discriminator with K logits (no fake output)."""
    return construct(build_ssgan_discriminator, "classifier", network,
                     data_shape=tuple(data_shape), num_outputs=num_classes, name="classifier")


def labelled_batches(images, labels, batch_size, seed):
    """Infinite shuffled (x, y) batches; a set smaller than a batch is repeated to fill one."""
    repeat = -(-batch_size // len(images))
    return make_pipeline(np.tile(images, (repeat, 1, 1, 1)), np.tile(labels, repeat),
                         batch_size=batch_size, seed=seed)


def training_batches(images, labels, batch_size, seed, pseudo=None):
    """Infinite (x, y) batches of the real labels. ``pseudo``: optional (images, predicted labels,
    share) added by self- or co-training; that share of every batch then comes from the
    pseudo-labelled set and the rest from the real labels, so the real labels keep their weight
    however large that set grows (three rounds of 10% of MNIST: 17700 pseudo-labels, 20-1000
    real)."""
    if pseudo is None or len(pseudo[0]) == 0:
        return labelled_batches(images, labels, batch_size, seed)
    pseudo_images, pseudo_labels, share = pseudo
    guessed = round(share * batch_size)
    real_batches = labelled_batches(images, labels, batch_size - guessed, seed)
    pseudo_batches = labelled_batches(pseudo_images, pseudo_labels, guessed, seed + 1)
    return tf.data.Dataset.zip((real_batches, pseudo_batches)).map(
        lambda real, pseudo: (tf.concat([real[0], pseudo[0]], 0),
                              tf.concat([real[1], pseudo[1]], 0)))


def supervised(images, labels, num_classes, network, fit, seed, pseudo=None, name="supervised",
               view=None):
    """A fresh shared classifier trained by ``fit`` (as ``name``; ``view``: the half of the
    images it sees, see ``half_view``) on ``training_batches``."""
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(images.shape[1:], num_classes, network)
    initialize_weight_norm(classifier, from_uint8(init_batch(images, seed)))
    fit(classifier, training_batches(images, labels, fit.batch_size, seed, pseudo), name,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), view=view)
    return classifier


def log_probabilities(classifier, images):
    logits = classifier.predict(from_uint8(images), batch_size=PREDICT_BATCH, verbose=0)
    return logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)


def most_confident(log_probs, count):
    """Indices (into ``log_probs``) of the ``count`` most confident rows, an equal share of them per
    predicted class (fewer where a class has fewer rows), and their predicted labels. Balanced as
    Blum & Mitchell pick a fixed number per class each round: by confidence alone the easiest
    classes fill the pseudo-labelled set and the classifier drifts towards them."""
    predicted, confidence = log_probs.argmax(axis=1), log_probs.max(axis=1)
    share = count // log_probs.shape[1]
    chosen = np.concatenate([rows[np.argsort(-confidence[rows], kind="stable")[:share]]
                             for rows in (np.flatnonzero(predicted == c)
                                          for c in range(log_probs.shape[1]))])
    return chosen, predicted[chosen]


def self_training(images, labels, labelled, num_classes, params, fit, seed):
    """Self-training: ``rounds`` times train on the labelled set, label the unlabelled pool, and
    move the most confident ``fraction`` of the initial pool (with predicted labels) into the
    pseudo-labelled set; then train the final classifier. Returns it."""
    pool = np.setdiff1d(np.arange(len(images)), labelled)
    x, y = images[labelled], labels[labelled]
    pseudo_x, pseudo_y = images[:0], labels[:0]
    per_round = int(params.fraction * len(pool))
    for round_index in range(params.rounds):
        classifier = supervised(x, y, num_classes, params.classifier, fit, seed + round_index,
                                (pseudo_x, pseudo_y, params.pseudo_batch_share),
                                name=f"round{round_index}")
        chosen, predicted = most_confident(log_probabilities(classifier, images[pool]), per_round)
        pseudo_x = np.concatenate([pseudo_x, images[pool[chosen]]])
        pseudo_y = np.concatenate([pseudo_y, predicted])
        pool = np.delete(pool, chosen)
    return supervised(x, y, num_classes, params.classifier, fit, seed + params.rounds,
                      (pseudo_x, pseudo_y, params.pseudo_batch_share),
                      name=f"round{params.rounds}")


def half_view(images, view):
    """Co-training's two views of an image: its top (view 0) or bottom (view 1) half, the other half
    set to the background value (0), so both learners keep the shared network's input shape."""
    masked = images.copy()
    middle = images.shape[1] // 2
    if view == 0:
        masked[:, middle:] = 0
    else:
        masked[:, :middle] = 0
    return masked


class CoTrainingEnsemble:
    """Two single-view classifiers; predicts with the sum of their log-probabilities (the product
    of their class probabilities, as Blum & Mitchell combine the two views)."""

    def __init__(self, classifiers):
        self.classifiers = classifiers

    def log_probabilities(self, images):
        return sum(log_probabilities(c, half_view(images, view))
                   for view, c in enumerate(self.classifiers))


def co_training(images, labels, labelled, num_classes, params, fit, seed, variant):
    """Co-training (Blum & Mitchell 1998) with the top and bottom halves of the images as views.

    Each round both learners train on the real labels and their pseudo-labelled sets
    (``training_batches``) and each labels the remaining pool; each picks its ``fraction / 2``
    most confident of the initial pool. ``variant="shared"``: both picks join both learners'
    pseudo-labelled sets. ``variant="teach"``: each learner's picks join the other learner's set
    only. Returns the final ``CoTrainingEnsemble``.
    """
    if variant not in ("shared", "teach"):
        raise ValueError(f"co-training variant must be 'shared' or 'teach', got {variant!r}")
    pool = np.setdiff1d(np.arange(len(images)), labelled)
    pseudo_sets = [(labelled[:0], labels[:0]) for _ in range(2)]
    per_learner = int(params.fraction * len(pool) / 2)

    def train_views(round_index):
        return [supervised(half_view(images[labelled], view), labels[labelled], num_classes,
                           params.classifier, fit, seed + 2 * round_index + view,
                           (half_view(images[idx], view), y, params.pseudo_batch_share),
                           name=f"round{round_index}-view{view}", view=view)
                for view, (idx, y) in enumerate(pseudo_sets)]

    for round_index in range(params.rounds):
        learners = train_views(round_index)
        picks = [most_confident(log_probabilities(c, half_view(images[pool], view)), per_learner)
                 for view, c in enumerate(learners)]
        for teacher, (chosen, predicted) in enumerate(picks):
            students = (0, 1) if variant == "shared" else (1 - teacher,)
            for student in students:
                idx, y = pseudo_sets[student]
                pseudo_sets[student] = (np.concatenate([idx, pool[chosen]]),
                                        np.concatenate([y, predicted]))
        pool = np.delete(pool, np.union1d(picks[0][0], picks[1][0]))
    return CoTrainingEnsemble(train_views(params.rounds))


@keras.saving.register_keras_serializable(package="benchmark")
class PseudoLabelTrainer(keras.Model):
    """Pseudo-labelling (Lee 2013): cross-entropy on the labelled batch plus alpha(t) times the
    cross-entropy of the unlabelled batch against the classifier's own current arg-max labels,
    alpha rising linearly from 0 at step ``ramp_start`` to ``alpha`` at ``ramp_end``.
    ``fit`` takes ``((labelled_x, labels), unlabelled_x)``."""

    def __init__(self, classifier, alpha=3.0, ramp_start=100, ramp_end=600, **kwargs):
        super().__init__(**kwargs)
        self.classifier = classifier
        self.alpha, self.ramp_start, self.ramp_end = alpha, ramp_start, ramp_end
        self.cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.trackers = [keras.metrics.Mean(name="supervised_loss"),
                         keras.metrics.Mean(name="pseudo_loss")]

    @property
    def metrics(self):
        return self.trackers

    def train_step(self, data):
        (labelled_x, labels), unlabelled_x = data
        step = tf.cast(self.optimizer.iterations, "float32")
        ramp = tf.clip_by_value((step - self.ramp_start) / max(self.ramp_end - self.ramp_start, 1),
                                0.0, 1.0)
        pseudo_labels = tf.argmax(self.classifier(unlabelled_x, training=False), axis=-1)
        with tf.GradientTape() as tape:
            supervised = self.cross_entropy(labels, self.classifier(labelled_x, training=True))
            pseudo = self.cross_entropy(pseudo_labels, self.classifier(unlabelled_x, training=True))
            loss = supervised + self.alpha * ramp * pseudo
            scaled_loss = self.optimizer.scale_loss(loss)  # float16's loss scale; 1 otherwise
        variables = self.classifier.trainable_variables
        grads = tape.gradient(scaled_loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        for tracker, value in zip(self.trackers, (supervised, pseudo), strict=True):
            tracker.update_state(value)
        return {t.name: t.result() for t in self.trackers}


def pseudo_labelling(images, labels, labelled, num_classes, params, fit, seed):
    """Trains the shared classifier by pseudo-labelling on every training image; returns it."""
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(images.shape[1:], num_classes, params.classifier)
    initialize_weight_norm(classifier, from_uint8(init_batch(images, seed)))
    trainer = PseudoLabelTrainer(classifier, params.alpha, params.ramp_start, params.ramp_end)
    batches = tf.data.Dataset.zip((labelled_batches(images[labelled], labels[labelled],
                                                    fit.batch_size, seed),
                                   make_pipeline(images, batch_size=fit.batch_size,
                                                 seed=seed + 1)))
    fit(trainer, batches, "pseudo_label", classifier=classifier)
    return classifier


class GaussianMixtureClassifier:
    """The classic generative semi-supervised classifier (Nigam et al. 2000, with Gaussians): one
    full-covariance Gaussian per class in a PCA space, fitted by EM on labelled and unlabelled
    data together. Labelled points keep their class (responsibility fixed at 1); unlabelled points
    get posterior responsibilities. ``regularization`` is added to every covariance's diagonal.
    """

    def __init__(self, num_classes, components=50, iterations=30, regularization=1e-2):
        self.num_classes, self.components = num_classes, components
        self.iterations, self.regularization = iterations, regularization

    def fit(self, images, labels, labelled):
        x = images.reshape(len(images), -1).astype("float64") / 255.0
        self.mean = x.mean(axis=0)
        # PCA on all training images (no labels needed), via the SVD of a centred sample.
        rows = np.random.default_rng(0).choice(len(x), min(len(x), 10000), replace=False)
        sample = x[rows] - self.mean
        self.basis = np.linalg.svd(sample, full_matrices=False)[2][:self.components].T
        z = (x - self.mean) @ self.basis
        responsibilities = np.zeros((len(z), self.num_classes))
        responsibilities[labelled, labels[labelled]] = 1.0
        unlabelled = np.setdiff1d(np.arange(len(z)), labelled)
        self._m_step(z[labelled], responsibilities[labelled])  # start from the labelled data alone
        for _ in range(self.iterations):
            responsibilities[unlabelled] = np.exp(self._log_posterior(z[unlabelled]))
            self._m_step(z, responsibilities)
        return self

    def _m_step(self, z, responsibilities):
        counts = responsibilities.sum(axis=0) + 1e-9
        self.log_priors = np.log(counts / counts.sum())
        self.means = (responsibilities.T @ z) / counts[:, None]
        self.covariances = np.stack([
            ((responsibilities[:, k, None] * (z - self.means[k])).T @ (z - self.means[k]))
            / counts[k] + self.regularization * np.eye(z.shape[1])
            for k in range(self.num_classes)])

    def _log_joint(self, z):
        columns = []
        for k in range(self.num_classes):
            cholesky = np.linalg.cholesky(self.covariances[k])
            solved = np.linalg.solve(cholesky, (z - self.means[k]).T)
            log_det = 2 * np.log(np.diag(cholesky)).sum()
            columns.append(self.log_priors[k] - 0.5 * (np.square(solved).sum(axis=0) + log_det
                                                       + z.shape[1] * np.log(2 * np.pi)))
        return np.stack(columns, axis=1)

    def _log_posterior(self, z):
        joint = self._log_joint(z)
        return joint - np.logaddexp.reduce(joint, axis=1, keepdims=True)

    def log_probabilities(self, images):
        x = images.reshape(len(images), -1).astype("float64") / 255.0
        return self._log_posterior((x - self.mean) @ self.basis)

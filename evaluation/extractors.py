"""Feature extractors: networks that map images to feature vectors for the metrics.

Every extractor has a ``name``, a ``weights_hash`` (sha256 of its weights, so a
score says exactly which network produced it) and a ``resize`` description (how
images are brought to the network's input). Metrics never see the network: they
take the arrays that ``features`` / ``probabilities`` return.
"""

from __future__ import annotations

import hashlib
from typing import Protocol, runtime_checkable

import numpy as np

from .images import from_uint8


class ExtractorUnavailable(RuntimeError):
    """The extractor's weights are not on this machine; the message says how to get them."""


@runtime_checkable
class FeatureExtractor(Protocol):
    name: str
    weights_hash: str
    resize: str

    def features(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W, C) -> float64 features (N, D)."""
        ...


def _weights_sha256(model):
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


class ClassifierExtractor:
    """A trained classifier (logits output, a layer named ``features``) used as a metric network.

    ``features`` are the activations of the ``features`` layer; ``probabilities`` the
    softmax of the logits. Images are scaled from uint8 to [-1, 1] at their native size.
    """

    resize = "none (native resolution), uint8 scaled to [-1, 1]"

    def __init__(self, name, classifier, test_accuracy, batch_size=1000):
        import keras

        self.name = name
        self.classifier = classifier
        self.test_accuracy = test_accuracy
        self.batch_size = batch_size
        self.weights_hash = _weights_sha256(classifier)
        self.feature_model = keras.Model(classifier.input,
                                         [classifier.get_layer("features").output,
                                          classifier.output])

    def _run(self, images):
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError("expected uint8 images (N, H, W, C), "
                             f"got {images.dtype} {images.shape}")
        x = from_uint8(images)
        features, logits = self.feature_model.predict(x, batch_size=self.batch_size, verbose=0)
        return features.astype(np.float64), logits.astype(np.float64)

    def features(self, images):
        return self._run(images)[0]

    def classes(self, images):
        """The class each image is assigned (the argmax of the logits)."""
        return self._run(images)[1].argmax(axis=1)

    def features_and_probabilities(self, images):
        features, logits = self._run(images)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        return features, probabilities / probabilities.sum(axis=1, keepdims=True)

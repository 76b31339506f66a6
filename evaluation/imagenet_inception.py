"""Keras' ImageNet InceptionV3 as the classifier of the Inception Score (``is``).

The weights come from Keras' own cache (``~/.keras/models``, where
``keras.applications.InceptionV3()`` downloads them). Nothing is downloaded
here: without the file the extractor is unavailable and ``is`` is skipped with
that message, never faked. Note that published Inception Scores use the 2015
TF graph's 1008-way logits, which the FID weights file does not carry; scores
on this 2016 Keras network are comparable within this suite only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .extractors import ExtractorUnavailable
from .images import from_uint8

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def keras_weights_path():
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return home / "models" / WEIGHTS_FILE


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ImageNetInception:
    """Class probabilities (N, 1000) of Keras' InceptionV3 for uint8 images of any size."""

    name = "keras_inception_v3_imagenet"
    resize = ("grey repeated to 3 channels; bilinear resize to 299x299 (tf.image.resize, "
              "half-pixel centres, no antialias) on [0, 255]; scaled to [-1, 1] "
              "(keras inception_v3.preprocess_input)")

    def __init__(self, model, weights_hash):
        self.model = model
        self.weights_hash = weights_hash

    def probabilities(self, images, batch_size=50):
        import tensorflow as tf

        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError("expected uint8 images (N, H, W, 1 or 3), "
                             f"got {images.dtype} {images.shape}")
        out = []
        for start in range(0, len(images), batch_size):
            x = tf.cast(images[start:start + batch_size], tf.float32)
            if x.shape[-1] == 1:
                x = tf.repeat(x, 3, axis=-1)
            x = from_uint8(tf.image.resize(x, (299, 299), method="bilinear", antialias=False))
            out.append(self.model(x, training=False).numpy())
        return np.concatenate(out).astype(np.float64)


def load_imagenet_inception(weights_path=None):
    """The network with Keras' cached ImageNet weights; ExtractorUnavailable when they are
    absent."""
    path = Path(weights_path) if weights_path else keras_weights_path()
    if not path.exists():
        raise ExtractorUnavailable(
            f"ImageNet InceptionV3 weights not found at {path}; with a network, "
            "get them by running python -c \"import keras; keras.applications.InceptionV3()\"")
    import keras

    model = keras.applications.InceptionV3(weights=str(path), classifier_activation="softmax")
    return ImageNetInception(model, _sha256(path))

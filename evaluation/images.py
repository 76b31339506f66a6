"""Pixels to the models' range and back: the one place that knows models work on [-1, 1]
(their generators end in tanh) and images are stored as uint8 on [0, 255]."""

import numpy as np

_HALF_RANGE = np.float32(127.5)  # float32 scalars keep uint8 / float32 arrays float32


def from_uint8(images):
    """Pixels on [0, 255] -> float32 on [-1, 1]. Takes uint8 arrays, and float32 tensors (the
    input pipeline's, cast inside a ``tf.data`` map)."""
    return images / _HALF_RANGE - np.float32(1.0)


def to_uint8(images):
    """Model outputs on [-1, 1] -> uint8 on [0, 255], rounded and clipped."""
    return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * _HALF_RANGE), 0, 255).astype(
        np.uint8)

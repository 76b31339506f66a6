"""tf.data input pipelines over loaded arrays."""

from __future__ import annotations

import numpy as np

from ...evaluation.images import from_uint8

PREFETCH = 2
# Random crops for ``augment``: pixels of reflection padding per side (the CIFAR-10 convention).
CROP_PADDING = 4


def make_pipeline(images: np.ndarray, labels: np.ndarray | None = None, *, batch_size: int,
                  seed: int, shuffle: bool = True, repeat: bool = True, drop_remainder: bool = True,
                  size: int | tuple[int, int] | None = None, channels: int | None = None,
                  augment: bool = False):
    """A tf.data.Dataset of batches ``x`` or ``(x, y)``.

    Images (uint8 NHWC) become float32 in [-1, 1], optionally resized
    (bilinear, antialiased) to ``size`` and converted to ``channels`` (1 -> 3
    repeats the grey channel, 3 -> 1 takes the luminance). 2-D points
    (float32 (N, 2)) pass through unscaled. Labels come out as int64.
    ``augment`` flips each image left-right with probability 1/2 and crops it at a random offset
    from the image padded by ``CROP_PADDING`` reflected pixels per side (natural images only:
    a flipped digit is another symbol); the draws are a function of ``seed`` and the batch's
    position in the stream, so a resumed run (``.skip``) sees the batches it would have seen.

    Shuffling permutes indices with ``seed`` and reshuffles every epoch (and
    every new iteration); the order is fixed by ``seed`` and TF's global seed.
    Batches are gathered from the arrays in one op each. tf.data's autotuner
    is off with a fixed prefetch: with TF 2.21 it left both cores idle for
    seconds whenever a new epoch iterator started.
    """
    import tensorflow as tf

    images = np.asarray(images)
    points = _check(images, labels, batch_size, drop_remainder, size, channels, augment)
    height, width = (size, size) if isinstance(size, int) else (size or (None, None))

    data = tf.constant(images)
    targets = None if labels is None else tf.constant(np.asarray(labels, np.int64))

    def gather(indices):
        x = tf.gather(data, indices)
        if not points:
            x = from_uint8(tf.cast(x, tf.float32))
            if size is not None and (height, width) != images.shape[1:3]:
                x = tf.image.resize(x, (height, width), "bilinear", antialias=True)
                x = tf.clip_by_value(x, -1.0, 1.0)
            if channels == 3 and images.shape[-1] == 1:
                x = tf.repeat(x, 3, axis=-1)
            elif channels == 1 and images.shape[-1] == 3:
                x = tf.image.rgb_to_grayscale(x)
        return x if targets is None else (x, tf.gather(targets, indices))

    order = tf.data.Dataset.range(len(images))
    if shuffle:
        order = order.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    batches = order.batch(batch_size, drop_remainder=drop_remainder)
    if repeat:
        batches = batches.repeat()
    if augment:
        batches = batches.enumerate().map(
            lambda position, indices: _augmented(gather(indices), seed, position))
    else:
        batches = batches.map(gather)
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(PREFETCH).with_options(options)


def _check(images, labels, batch_size, drop_remainder, size, channels, augment):
    """make_pipeline's arguments, refused with the reason; whether ``images`` are 2-D points."""
    points = images.ndim == 2 and images.shape[1] == 2 and images.dtype == np.float32
    if not points and (images.ndim != 4 or images.dtype != np.uint8):
        raise ValueError(f"make_pipeline takes uint8 images (N, H, W, C) or float32 points (N, 2), "
                         f"got {images.dtype} {images.shape}")
    if points and (size is not None or channels is not None or augment):
        raise ValueError("size, channels and augment apply to images, not to 2-D points")
    if channels not in (None, 1, 3) or (channels is not None and images.shape[-1] not in (1, 3)):
        raise ValueError(f"channels converts between 1 and 3 channels; "
                         f"asked {channels} from {images.shape[-1]}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} samples")
    if len(images) == 0 or (drop_remainder and len(images) < batch_size):
        raise ValueError(f"{len(images)} samples do not fill one batch of {batch_size}")
    return points


def _augmented(batch, seed, position):
    """``batch`` (x or (x, y)) with its images flipped and cropped, draws seeded by
    (``seed``, ``position``)."""
    import tensorflow as tf

    x, *y = batch if isinstance(batch, tuple) else (batch,)
    count, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    flip_seed, crop_seed = tf.unstack(tf.random.experimental.stateless_split(
        tf.stack([tf.cast(seed, tf.int64), position]), 2))
    flip = tf.random.stateless_uniform([count, 1, 1, 1], flip_seed) < 0.5
    x = tf.where(flip, tf.reverse(x, axis=[2]), x)
    pad = CROP_PADDING
    padded = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    offsets = tf.random.stateless_uniform([count, 2], crop_seed, 0, 2 * pad + 1, dtype=tf.int32)
    rows = offsets[:, :1] + tf.range(height)[None, :]
    columns = offsets[:, 1:] + tf.range(width)[None, :]
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    x = tf.gather(x, columns, axis=2, batch_dims=1)
    return (x, *y) if y else x

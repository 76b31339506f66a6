"""Shared layers against numpy references; the history pool's rules; CycleGAN's learning-rate
schedule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import LinearDecay
from genbench.models.layers import ImageHistoryPool, InstanceNormalization, ReflectionPadding2D


def test_instance_norm_matches_numpy_reference():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(2, 5, 6, 3)).astype("float32")
    layer = InstanceNormalization(epsilon=1e-3)
    layer.build(x.shape)
    gamma, beta = rng.normal(size=3).astype("float32"), rng.normal(size=3).astype("float32")
    layer.set_weights([gamma, beta])

    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)  # biased, per image and channel
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-4, atol=1e-4)


def test_instance_norm_is_per_image_and_ignores_the_batch():
    x = np.random.default_rng(1).normal(size=(4, 8, 8, 2)).astype("float32")
    layer = InstanceNormalization(center=False, scale=False)
    whole = np.asarray(layer(x))
    np.testing.assert_allclose(whole[1:2], np.asarray(layer(x[1:2])), atol=1e-6)
    np.testing.assert_allclose(whole.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(whole.std(axis=(1, 2)), 1, atol=1e-3)
    assert layer.weights == []
    config = InstanceNormalization(epsilon=1e-3, center=False).get_config()
    clone = InstanceNormalization.from_config(config)
    assert (clone.epsilon, clone.center, clone.scale) == (1e-3, False, True)


def test_reflection_padding_matches_numpy():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    padded = np.asarray(ReflectionPadding2D(2)(x))
    np.testing.assert_array_equal(padded,
                                  np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect"))
    assert ReflectionPadding2D(2).compute_output_shape((None, 4, 5, 3)) == (None, 8, 9, 3)


def _ids(images):
    """Each test image is constant: its value is its id."""
    return [int(round(v)) for v in np.asarray(images)[:, 0, 0, 0]]


def _images(ids):
    return np.ones((len(ids), 2, 2, 1), "float32") * np.asarray(ids, "float32")[:, None, None, None]


def test_history_pool_fills_then_swaps_half_the_time():
    pool = ImageHistoryPool(size=4, seed=0)
    pool.build((None, 2, 2, 1))
    query = tf.function(pool.__call__)  # works traced, as inside a train step
    # Filling: the first 4 images are stored and returned unchanged, across batch boundaries.
    assert _ids(query(_images([1, 2, 3]))) == [1, 2, 3]
    out = _ids(query(_images([4, 5, 6])))
    assert out[0] == 4 and int(pool.stored.numpy()) == 4
    assert _ids(pool.images.numpy())[:3] == [1, 2, 3]

    swapped, total = 0, 0
    next_id = 7
    for _ in range(100):
        before = _ids(pool.images.numpy())
        batch = list(range(next_id, next_id + 4))
        next_id += 4
        out = _ids(query(_images(batch)))
        after = _ids(pool.images.numpy())
        # Nothing is lost or duplicated: what was in the pool plus what came in is what is
        # in the pool plus what went out.
        assert sorted(before + batch) == sorted(after + out)
        for position, image_id in enumerate(out):
            assert image_id == batch[position] or image_id in before + batch[:position]
        swapped += sum(i not in batch for i in out)
        total += len(out)
    # Each image is swapped with probability 0.5 (binomial, 400 draws: 5 sigma ~ 0.125).
    assert 0.375 < swapped / total < 0.625


def test_history_pool_passes_images_through_one_at_a_time():
    """With one slot every swap hits it: an image swapped in can be swapped out by a later one of
    the same batch, and no stored image is returned twice."""
    pool = ImageHistoryPool(size=1, seed=3)
    pool.build((None, 2, 2, 1))
    pool(_images([0]))
    within_batch = 0
    for call in range(1, 6):
        batch = [100 * call + j for j in range(8)]
        out = _ids(pool(_images(batch)))
        assert len(set(out)) == len(out)
        within_batch += sum(i in batch and i != batch[position] for position, i in enumerate(out))
    assert within_batch > 0


def test_linear_decay_is_constant_for_half_then_linear_to_zero():
    schedule = LinearDecay(2e-4, total_steps=100)
    values = [float(schedule(step)) for step in (0, 25, 50, 75, 90, 100, 150)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 0.4e-4, 0.0, 0.0],
                               rtol=1e-6, atol=1e-12)
    custom = LinearDecay(1.0, total_steps=10, constant_steps=0)
    assert float(custom(5)) == pytest.approx(0.5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(clone, LinearDecay) and clone.get_config() == schedule.get_config()
    with pytest.raises(ValueError, match="constant_steps"):
        LinearDecay(1.0, total_steps=10, constant_steps=10)


def test_linear_decay_drives_the_optimizer():
    optimizer = keras.optimizers.Adam(LinearDecay(1e-3, total_steps=10))
    variable = keras.Variable(1.0)
    optimizer.build([variable])
    optimizer.iterations.assign(8)
    assert float(optimizer.learning_rate) == pytest.approx(1e-3 * (1 - 3 / 5))

"""SSGAN: its losses against closed forms, its layers against numpy, and training on a toy
problem."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import SSGAN
from genbench.models.layers import MinibatchDiscrimination, WeightNormConv2D, WeightNormDense
from genbench.models.losses import (
    feature_matching_loss,
    log_real_odds,
    ssgan_supervised_loss,
    ssgan_unsupervised_loss,
)
from genbench.models.ssgan import (
    build_ssgan_discriminator,
    build_ssgan_generator,
    initialize_weight_norm,
)

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(6, 4)).astype("float32") * 3
OTHER = RNG.normal(size=(6, 4)).astype("float32") * 3


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_implicit_unsupervised_loss_is_the_gan_loss_with_d_equal_z_over_z_plus_one():
    z_real, z_fake = np.exp(LOGITS.astype("float64")).sum(1), np.exp(OTHER.astype("float64")).sum(1)
    expected = -np.mean(np.log(z_real / (z_real + 1))) - np.mean(np.log(1 / (z_fake + 1)))
    assert float(ssgan_unsupervised_loss(LOGITS, OTHER)) == pytest.approx(expected, rel=1e-5)


def test_explicit_fake_class_is_the_softmax_probability_of_the_last_output():
    p_real, p_fake = softmax(LOGITS.astype("float64")), softmax(OTHER.astype("float64"))
    expected = -np.mean(np.log(1 - p_real[:, -1])) - np.mean(np.log(p_fake[:, -1]))
    assert float(ssgan_unsupervised_loss(LOGITS, OTHER, "explicit")) == pytest.approx(expected,
                                                                                      rel=1e-5)
    # A zero fake logit turns the explicit form into the implicit one over the other K logits.
    with_zero = np.concatenate([LOGITS[:, :3], np.zeros((6, 1), "float32")], axis=1)
    np.testing.assert_allclose(log_real_odds(with_zero, "explicit"), log_real_odds(LOGITS[:, :3]),
                               rtol=1e-6)


def test_supervised_loss_is_cross_entropy_and_losses_survive_extreme_logits():
    labels = np.array([0, 1, 2, 3, 0, 1])
    expected = -np.mean(np.log(softmax(LOGITS.astype("float64"))[np.arange(6), labels]))
    assert float(ssgan_supervised_loss(labels, LOGITS)) == pytest.approx(expected, rel=1e-5)
    extreme = np.array([[200.0, -200.0, 0.0, 5.0]], "float32")
    for value in (ssgan_supervised_loss(np.array([1]), extreme),
                  ssgan_unsupervised_loss(extreme, extreme),
                  ssgan_unsupervised_loss(-extreme, -extreme, "explicit")):
        assert np.isfinite(float(value))
    with pytest.raises(ValueError, match="fake_class"):
        log_real_odds(LOGITS, "both")


def test_feature_matching_compares_batch_means_only():
    real = RNG.normal(size=(8, 5)).astype("float32")
    shuffled_and_spread = real[::-1] + np.array([[1.0], [-1.0]] * 4, "float32")  # same mean
    assert float(feature_matching_loss(real, shuffled_and_spread)) == pytest.approx(0.0, abs=1e-6)
    assert float(feature_matching_loss(real, real + 2.0)) == pytest.approx(4.0, rel=1e-5)


def test_minibatch_discrimination_matches_numpy():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    features = RNG.normal(size=(4, 5)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(features))
    m = (features @ keras.ops.convert_to_numpy(layer.kernel)).reshape(4, 3, 2)
    closeness = (np.exp(-np.abs(m[:, None] - m[None]).sum(-1)).sum(1) - 1) / 3
    np.testing.assert_allclose(out, np.concatenate([features, closeness], 1), rtol=1e-5, atol=1e-6)
    # A batch of identical examples, of any size: every other example is at distance 0.
    for size in (2, 7):
        same = keras.ops.convert_to_numpy(layer(np.repeat(features[:1], size, axis=0)))
        np.testing.assert_allclose(same[:, 5:], 1.0, rtol=1e-6)


def test_weight_norm_dense_has_unit_norm_weights_and_data_dependent_init():
    layer = WeightNormDense(7, train_scale=False, scale=2.0)
    x = RNG.normal(size=(500, 4)).astype("float32") * 5 + 3
    layer.build(x.shape)
    norms = np.linalg.norm(keras.ops.convert_to_numpy(layer.unit_kernel()), axis=0)
    np.testing.assert_allclose(norms, 1, rtol=1e-5)
    layer.initialize_from(x)
    out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(0), 2.0, rtol=1e-3)
    assert [w.name for w in layer.trainable_weights] == ["direction", "bias"]


def _blobs(n, seed):
    """Two classes of 4x4 images: bright top half or bright bottom half, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 4, 4, 1)).astype("float32") - 0.5
    x[labels == 0, :2] += 1.0
    x[labels == 1, 2:] += 1.0
    return np.clip(x, -1, 1), labels


@pytest.mark.parametrize("fake_class", ["implicit", "explicit"])
def test_ssgan_learns_a_toy_problem_from_four_labels_and_saves(tmp_path, fake_class):
    keras.utils.set_random_seed(0)
    x, y = _blobs(512, 0)
    labelled = np.array([np.flatnonzero(y == c)[i] for c in (0, 1) for i in (0, 1)])
    model = SSGAN(data_shape=(4, 4, 1), num_classes=2, latent_dim=8, fake_class=fake_class,
                  discriminator_units=(32, 16), generator_units=(32,), minibatch_kernels=4, seed=0)
    model.initialize_from(x[:200])
    model.compile(d_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(3e-3, beta_1=0.5))
    labelled_data = tf.data.Dataset.from_tensor_slices((np.tile(x[labelled], (8, 1, 1, 1)),
                                                        np.tile(y[labelled], 8))).repeat().batch(32)
    unlabelled = tf.data.Dataset.from_tensor_slices(x).repeat().shuffle(512, seed=0).batch(32)
    history = model.fit(tf.data.Dataset.zip((labelled_data, unlabelled)), steps_per_epoch=150,
                        epochs=1, verbose=0).history
    assert set(history) == {"supervised_loss", "unsupervised_loss", "g_loss", "train_accuracy"}
    x_test, y_test = _blobs(400, 1)
    logits = model.classify(x_test)
    assert logits.shape == (400, 2)
    assert np.mean(logits.argmax(1) == y_test) > 0.95
    assert model.discriminator.output.shape[-1] == 2 + (fake_class == "explicit")
    assert model.generate(5).shape == (5, 4, 4, 1)

    model.discriminator.save(tmp_path / "d.keras")
    restored = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_allclose(restored.predict(x_test, verbose=0),
                               model.discriminator.predict(x_test, verbose=0),
                               rtol=1e-5, atol=1e-5)
    clone = SSGAN.from_config(model.get_config())
    assert clone.fake_class == fake_class and clone.minibatch_kernels == 4


def test_weight_norm_init_normalises_what_the_noisy_training_network_sees():
    # As in Salimans et al.'s code: the noise is on during the init, so a unit of the first layer
    # has unit variance on noisy inputs and much less on clean ones when the noise dominates.
    x = RNG.normal(size=(2000, 4, 4, 1)).astype("float32") * 0.1
    network = build_ssgan_discriminator((4, 4, 1), 3, hidden_units=(8,), input_noise=1.0)
    initialize_weight_norm(network, x)
    hidden = network.layers[3]
    assert isinstance(hidden, WeightNormDense)
    noisy = keras.Model(network.input, hidden.input)(x, training=True)
    pre_activations = keras.ops.convert_to_numpy(
        keras.ops.matmul(noisy, hidden.unit_kernel()) * hidden.gain + hidden.bias)
    np.testing.assert_allclose(pre_activations.std(0), 1.0, rtol=0.1)
    flat = keras.ops.reshape(x, (2000, 16))
    clean = keras.ops.convert_to_numpy(keras.ops.matmul(flat, hidden.unit_kernel()) * hidden.gain)
    assert np.all(clean.std(0) < 0.2)


def test_classifier_is_the_moving_average_of_the_discriminator():
    keras.utils.set_random_seed(0)
    x, y = _blobs(64, 0)
    model = SSGAN(data_shape=(4, 4, 1), num_classes=2, latent_dim=4, discriminator_units=(8,),
                  generator_units=(8,), average_decay=0.9, seed=0)
    model.initialize_from(x)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    before = model.discriminator.get_weights()
    data = tf.data.Dataset.from_tensors(((x[:16], y[:16]), x[16:32])).repeat()
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)
    decay = min(0.9, 2 / 11)  # after the first update: (1 + t) / (10 + t) with t = 1
    for average, old, new in zip(model.averaged_discriminator.get_weights(), before,
                                 model.discriminator.get_weights(), strict=True):
        np.testing.assert_allclose(average, old + (1 - decay) * (new - old), rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.classify(x), model.discriminator.predict(x, verbose=0))
    np.testing.assert_allclose(model.classify(x),
                               model.averaged_discriminator.predict(x, verbose=0), rtol=1e-6)


def test_ssgan_rejects_an_unknown_fake_class():
    with pytest.raises(ValueError, match="fake_class"):
        SSGAN(fake_class="both")


@pytest.mark.parametrize("minibatch_kernels", [0, 3])
def test_discriminating_batches_together_equals_one_pass_per_batch(minibatch_kernels):
    keras.utils.set_random_seed(0)
    model = SSGAN(data_shape=(4, 4, 1), num_classes=2, latent_dim=4, discriminator_units=(8, 6),
                  generator_units=(8,), input_noise=0.0, hidden_noise=0.0,
                  minibatch_kernels=minibatch_kernels)
    batches = [RNG.normal(size=(n, 4, 4, 1)).astype("float32") for n in (3, 5, 4)]
    for got, x in zip(model._discriminate(model.discriminator, *batches), batches, strict=True):
        np.testing.assert_allclose(got, model.discriminator(x), rtol=1e-5, atol=1e-6)
    for (logits, features), x in zip(model._discriminate(model.critic, *batches), batches,
                                     strict=True):
        expected_logits, expected_features = model.critic(x)
        np.testing.assert_allclose(logits, expected_logits, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(features, expected_features, rtol=1e-5, atol=1e-6)


def test_weight_norm_conv_has_unit_norm_kernels_data_dependent_init_and_conv_shapes():
    x = RNG.normal(size=(64, 8, 8, 3)).astype("float32") * 3 + 1
    layer = WeightNormConv2D(5, 3, scale=0.5)
    layer.build(x.shape)
    kernel = keras.ops.convert_to_numpy(layer.unit_kernel())
    np.testing.assert_allclose(np.sqrt((kernel ** 2).sum(axis=(0, 1, 2))), 1, rtol=1e-5)
    layer.initialize_from(x)
    out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 0.5, rtol=1e-3)
    # The same output as a plain convolution with the normalised kernel, scale and bias.
    plain = keras.ops.conv(x, kernel, padding="same") * layer.gain + layer.bias
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(plain), rtol=1e-4, atol=1e-4)
    odd = RNG.normal(size=(2, 9, 9, 3)).astype("float32")
    for strides, padding in ((1, "same"), (2, "same"), (1, "valid"), (2, "valid")):
        wn = WeightNormConv2D(4, 3, strides=strides, padding=padding)
        expected = keras.layers.Conv2D(4, 3, strides=strides, padding=padding)(odd).shape
        assert wn(odd).shape == expected
        assert wn.compute_output_shape((None, 9, 9, 3)) == (None, *expected[1:])


def test_cnn_networks_are_salimans_et_al_cifar10_layouts():
    d = build_ssgan_discriminator((32, 32, 3), 10, architecture="cnn")
    convs = [layer for layer in d.layers if isinstance(layer, WeightNormConv2D)]
    assert [c.filters for c in convs] == [96, 96, 96, 192, 192, 192, 192, 192, 192]
    assert [c.strides for c in convs] == [1, 1, 2, 1, 1, 2, 1, 1, 1]
    assert [c.kernel_size for c in convs] == [3] * 7 + [1, 1]
    assert d.get_layer("features").output.shape[-1] == 192 and d.output.shape[-1] == 10
    g = build_ssgan_generator(100, (32, 32, 3), architecture="cnn", cnn_width=0.25)
    assert g.output.shape[1:] == (32, 32, 3)
    assert [layer.filters for layer in g.layers
            if isinstance(layer, keras.layers.Conv2DTranspose)] == [64, 32, 3]
    half = build_ssgan_discriminator((32, 32, 3), 10, architecture="cnn", cnn_width=0.5)
    assert half.get_layer("features").output.shape[-1] == 96
    with pytest.raises(ValueError, match="architecture"):
        build_ssgan_discriminator((32, 32, 3), 10, architecture="resnet")


def test_cnn_ssgan_trains_on_colour_images_initialises_and_round_trips():
    keras.utils.set_random_seed(0)
    x = RNG.uniform(-1, 1, (40, 16, 16, 3)).astype("float32")
    y = RNG.integers(0, 3, 40)
    model = SSGAN(data_shape=(16, 16, 3), num_classes=3, latent_dim=8, architecture="cnn",
                  cnn_width=0.1, seed=0)
    model.initialize_from(x)
    first = next(layer for layer in model.discriminator.layers
                 if isinstance(layer, WeightNormConv2D))
    assert not np.allclose(keras.ops.convert_to_numpy(first.gain), 1.0)  # data-initialised
    model.compile(d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5))
    data = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices((x[:8], y[:8])).repeat()
                                .batch(8), tf.data.Dataset.from_tensor_slices(x).repeat()
                                .batch(8)))
    history = model.fit(data, steps_per_epoch=3, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert model.classify(x).shape == (40, 3) and model.generate(2).shape == (2, 16, 16, 3)
    clone = SSGAN.from_config(model.get_config())
    assert (clone.architecture, clone.cnn_width) == ("cnn", 0.1)

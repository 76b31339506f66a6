"""DANN, ADDA and the gradient-reversal layer: closed forms and what each training step may
change."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import (
    ADDA,
    DANN,
    AnnealedLearningRate,
    GradientReversal,
    adapt_batch_norm,
    build_small_cnn,
)

SHAPE = (8, 8, 1)


def _domains(n=32, seed=0):
    """Source: class = bright left or right half; target: the same, darker and on a grey
    background."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = np.full((n, *SHAPE), -1.0, np.float32)
    for i, label in enumerate(labels):
        x[i, :, label * 4:(label + 1) * 4] = 1.0
    x += rng.normal(0, 0.1, x.shape).astype(np.float32)
    return x, labels, 0.5 * x + 0.3


def test_gradient_reversal_is_identity_forward_and_scales_the_gradient_by_minus_lambda():
    layer = GradientReversal(initial_lambda=0.7)
    x = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [[-0.7, -1.4, -2.1]], rtol=1e-6)
    assert GradientReversal.from_config(layer.get_config()).initial_lambda == 0.7


def test_dann_lambda_follows_ganin_schedule_and_the_layer_tracks_it():
    model = DANN(image_shape=SHAPE, num_classes=2, feature_dim=8, domain_units=(8,), grl_lambda=0.5,
                 schedule_steps=4)
    assert float(model.current_lambda(0)) == pytest.approx(0.0)
    assert float(model.current_lambda(4)) == pytest.approx(0.5 * (2 / (1 + math.exp(-10)) - 1),
                                                           rel=1e-5)
    # held after the schedule
    assert float(model.current_lambda(40)) == float(model.current_lambda(4))
    constant = DANN(image_shape=SHAPE, num_classes=2, feature_dim=8, domain_units=(8,),
                    grl_lambda=0.5, lambda_schedule="constant")
    assert float(constant.gradient_reversal.grl_lambda) == 0.5
    with pytest.raises(ValueError, match="lambda_schedule"):
        DANN(image_shape=SHAPE, lambda_schedule="linear")

    x_source, y_source, x_target = _domains()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    data = tf.data.Dataset.from_tensors(((x_source, y_source), x_target)).repeat()
    history = model.fit(data, steps_per_epoch=3, epochs=1, verbose=0).history
    assert int(model.step_counter) == 3
    # The step sets lambda from the step count before it trains: the third step used step 2's value.
    assert float(model.gradient_reversal.grl_lambda) == pytest.approx(
        float(model.current_lambda(2)), rel=1e-5)
    assert set(history) == {"label_loss", "domain_loss", "domain_accuracy"}
    assert DANN.from_config(model.get_config()).schedule_steps == 4


def test_dann_learns_the_source_labels_and_its_classifier_saves_alone(tmp_path):
    x_source, y_source, x_target = _domains()
    model = DANN(image_shape=SHAPE, num_classes=2, feature_dim=16, domain_units=(16,),
                 schedule_steps=60)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    data = tf.data.Dataset.from_tensors(((x_source, y_source), x_target)).repeat()
    history = model.fit(data, steps_per_epoch=60, epochs=1, verbose=0).history
    assert history["label_loss"][0] < math.log(2)
    assert np.mean(np.argmax(model.predict(x_source, verbose=0), 1) == y_source) == 1.0
    path = tmp_path / "classifier.keras"
    model.classifier.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x_target, verbose=0),
                               model.classifier.predict(x_target, verbose=0), atol=1e-5)


def test_adda_trains_only_the_target_encoder_and_keeps_the_source_head():
    x_source, y_source, x_target = _domains()
    source = build_small_cnn(SHAPE, 2, feature_dim=16)
    source.compile(keras.optimizers.Adam(1e-2),
                   keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    source.fit(x_source, y_source, epochs=5, verbose=0)
    model = ADDA(image_shape=SHAPE, num_classes=2, feature_dim=16, discriminator_units=(16,))
    model.init_from_source(source)
    features_before = model.target_classifier.get_layer("features").get_weights()[0].copy()
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), e_optimizer=keras.optimizers.Adam(1e-3))
    data = tf.data.Dataset.from_tensors(((x_source, y_source), x_target)).repeat()
    history = model.fit(data, steps_per_epoch=5, epochs=1, verbose=0).history

    for frozen, original in zip(model.source_classifier.get_weights(), source.get_weights(),
                                strict=True):
        np.testing.assert_array_equal(frozen, original)
    head = model.target_classifier.get_layer("logits").get_weights()
    for new, old in zip(head, source.get_layer("logits").get_weights(), strict=True):
        np.testing.assert_array_equal(new, old)
    features_after = model.target_classifier.get_layer("features").get_weights()[0]
    assert not np.array_equal(features_after, features_before)
    assert set(history) == {"d_loss", "encoder_loss", "domain_accuracy"}
    assert ADDA.from_config(model.get_config()).discriminator_units == (16,)


def test_annealed_rate_follows_ganins_formula_and_holds_after_the_schedule():
    schedule = AnnealedLearningRate(1e-2, total_steps=100)
    assert float(schedule(0)) == pytest.approx(1e-2)
    assert float(schedule(50)) == pytest.approx(1e-2 / 6**0.75, rel=1e-5)
    assert float(schedule(100)) == float(schedule(500)) == pytest.approx(1e-2 / 11**0.75, rel=1e-5)
    assert AnnealedLearningRate.from_config(schedule.get_config()).beta == 0.75


def test_adapt_batch_norm_sets_exact_statistics_layer_by_layer():
    model = build_small_cnn(SHAPE, 2, feature_dim=8)
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, *SHAPE)).astype(np.float32)
    adapt_batch_norm(model, x, batch_size=16)
    first, second = (layer for layer in model.layers
                     if isinstance(layer, keras.layers.BatchNormalization))
    conv = keras.Model(model.input, first.input).predict(x, verbose=0)
    np.testing.assert_allclose(first.moving_mean.numpy(), conv.mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(first.moving_variance.numpy(), conv.var(axis=(0, 1, 2)), rtol=1e-3)
    # The second layer's input is read through the adapted first one: normalised there, as at
    # test time.
    second_input = keras.Model(model.input, second.input).predict(x, verbose=0)
    np.testing.assert_allclose(second.moving_mean.numpy(), second_input.mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)


def test_dann_with_domain_batch_norm_normalises_each_domain_with_its_own_statistics():
    x_source, y_source, x_target = _domains()
    model = DANN(image_shape=SHAPE, num_classes=2, feature_dim=8, domain_units=(8,),
                 domain_batch_norm=True)
    model.compile(optimizer=keras.optimizers.Adam(0.0))  # rate 0: only batch norm's statistics move
    first = next(layer for layer in model.classifier.layers
                 if isinstance(layer, keras.layers.BatchNormalization))
    # the moving statistics become the last batch's: the target's, passed second
    first.momentum = 0.0
    data = tf.data.Dataset.from_tensors(((x_source, y_source), x_target)).repeat()
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)
    conv = keras.Model(model.classifier.input, first.input).predict(x_target, verbose=0)
    np.testing.assert_allclose(first.moving_mean.numpy(), conv.mean(axis=(0, 1, 2)),
                               rtol=1e-4, atol=1e-5)
    assert DANN.from_config(model.get_config()).domain_batch_norm is True

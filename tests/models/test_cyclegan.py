"""CycleGAN as a user would use it: build, fit on unpaired (x_a, x_b) batches, translate, save,
reload."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import CycleGAN
from genbench.models.cyclegan import build_patchgan_discriminator, build_resnet_generator
from genbench.models.layers import InstanceNormalization, ReflectionPadding2D
from genbench.models.losses import cycle_consistency_loss, identity_loss

SHAPE = (28, 28, 1)


def _unpaired(n=32, shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, (n, *shape)).astype("float32"),
            rng.uniform(-1, 1, (n, *shape)).astype("float32") * 0.5)


def _fit(model, steps=2, batch=4, total_steps=10):
    model.compile(g_optimizer=CycleGAN.make_optimizer(2e-4, 0.5, total_steps),
                  d_optimizer=CycleGAN.make_optimizer(2e-4, 0.5, total_steps))
    x_a, x_b = _unpaired()
    ds_a = tf.data.Dataset.from_tensor_slices(x_a).batch(batch).repeat()
    ds_b = tf.data.Dataset.from_tensor_slices(x_b).shuffle(32, seed=1).batch(batch).repeat()
    ds = tf.data.Dataset.zip((ds_a, ds_b))
    return model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history


def _tiny(**kwargs):
    keras.utils.set_random_seed(0)
    return CycleGAN(image_shape=SHAPE, base_filters=4, res_blocks=1, discriminator_downsamplings=2,
                    **kwargs)


def test_cycle_and_identity_losses():
    real = np.array([[0.0, 1.0], [-1.0, 0.5]], np.float32)
    other = np.array([[0.5, 1.0], [-1.0, -0.5]], np.float32)
    assert float(cycle_consistency_loss(real, other)) == pytest.approx((0.5 + 0 + 0 + 1.0) / 4)
    assert float(identity_loss(real, other)) == pytest.approx(0.375)
    assert float(cycle_consistency_loss(real, real)) == 0.0


def test_train_step_runs_with_finite_losses_weighted_as_in_the_paper():
    model = _tiny()
    history = _fit(model, steps=1)
    assert set(history) == {"d_a_loss", "d_b_loss", "adversarial_loss", "cycle_loss",
                            "identity_loss", "g_loss"}
    logs = {name: values[-1] for name, values in history.items()}
    assert all(np.isfinite(v) for v in logs.values())
    # One step: the logged values are that step's, so the total is exactly the weighted sum.
    expected = logs["adversarial_loss"] + 10.0 * (logs["cycle_loss"] + 0.5 * logs["identity_loss"])
    assert logs["g_loss"] == pytest.approx(expected, rel=1e-5)
    assert int(model.g_optimizer.iterations) == int(model.d_optimizer.iterations) == 1
    # The pools took the first batch's fakes.
    assert int(model.pool_a.stored.numpy()) == int(model.pool_b.stored.numpy()) == 4


def test_a_zero_identity_weight_leaves_the_identity_term_tracked_but_out_of_the_loss():
    model = _tiny(lambda_cycle=5.0, lambda_identity=0.0)
    logs = {name: values[-1] for name, values in _fit(model, steps=1).items()}
    assert logs["identity_loss"] > 0
    assert logs["g_loss"] == pytest.approx(logs["adversarial_loss"] + 5.0 * logs["cycle_loss"],
                                           rel=1e-5)


def test_training_updates_every_network_and_the_pools_are_checkpointed():
    model = _tiny(pool_size=6)
    nets = (model.generator_ab, model.generator_ba, model.discriminator_a, model.discriminator_b)
    before = {net.name: [w.numpy().copy() for w in net.trainable_weights] for net in nets}
    _fit(model, steps=2)
    for net in nets:
        assert any(not np.allclose(a, b.numpy())
                   for a, b in zip(before[net.name], net.trainable_weights, strict=True)), net.name
    names = [v.path for v in model.variables]
    assert any("pool_a" in n for n in names) and any("pool_b" in n for n in names)
    assert int(model.pool_a.stored.numpy()) == 6


def test_networks_follow_the_paper():
    g = build_resnet_generator(SHAPE, base_filters=8, res_blocks=3, downsamplings=2)
    assert g.output_shape == (None, *SHAPE)
    kinds = [type(layer).__name__ for layer in g.layers]
    assert kinds.count("Add") == 3
    assert "BatchNormalization" not in kinds
    assert any(isinstance(la, InstanceNormalization) for la in g.layers)
    assert any(isinstance(la, ReflectionPadding2D) for la in g.layers)
    assert g.layers[-1].activation.__name__ == "tanh"
    d = build_patchgan_discriminator((32, 32, 3), base_filters=8, downsamplings=3)
    assert d.output_shape == (None, 4, 4, 1)  # one score per patch
    assert not isinstance(d.layers[2], InstanceNormalization)  # no norm on the first layer
    with pytest.raises(ValueError, match="divisible by 8"):
        build_patchgan_discriminator(SHAPE, downsamplings=3)


def test_translate_both_directions_and_subnetworks_save_and_load_alone(tmp_path):
    model = _tiny()
    _fit(model, steps=1)
    x_a, x_b = _unpaired(6)
    for direction, x in (("a2b", x_a), ("b2a", x_b)):
        y = model.translate(x, direction)
        assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    for name in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"):
        net = getattr(model, name)
        net.save(tmp_path / f"{name}.keras")
        reloaded = keras.models.load_model(tmp_path / f"{name}.keras")
        np.testing.assert_allclose(reloaded.predict(x_a, verbose=0), net.predict(x_a, verbose=0),
                                   atol=1e-5)
    with pytest.raises(ValueError, match="direction"):
        model.translate(x_a, "a2a")


def test_paper_optimizer_decays_linearly_in_the_second_half():
    optimizer = CycleGAN.make_optimizer(2e-4, 0.5, total_steps=100)
    optimizer.build([keras.Variable(1.0)])
    assert optimizer.beta_1 == 0.5
    for step, rate in ((0, 2e-4), (50, 2e-4), (75, 1e-4), (100, 0.0)):
        optimizer.iterations.assign(step)
        assert float(optimizer.learning_rate) == pytest.approx(rate, rel=1e-6, abs=1e-12)
    # the schedule deserializes
    restored = keras.optimizers.Adam.from_config(optimizer.get_config())
    restored.build([keras.Variable(1.0)])
    restored.iterations.assign(75)
    assert float(restored.learning_rate) == pytest.approx(1e-4)


def test_config_round_trip():
    model = CycleGAN(image_shape=(32, 32, 3), base_filters=4, res_blocks=2, downsamplings=1,
                     discriminator_downsamplings=2, lambda_cycle=5.0, lambda_identity=0.0,
                     pool_size=10)
    clone = CycleGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.generator_ab.count_params() == model.generator_ab.count_params()

"""DiscoGAN: the paper's loss and nothing else, same interface as CycleGAN, sub-networks save
alone."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import DiscoGAN
from genbench.models.discogan import build_discogan_discriminator, build_encoder_decoder_generator
from genbench.models.losses import squared_reconstruction_loss


def _data(n=32, shape=(32, 32, 3)):
    rng = np.random.default_rng(0)
    return (rng.uniform(-1, 1, (n, *shape)).astype("float32"),
            rng.uniform(-1, 1, (n, *shape)).astype("float32"))


def _fit(model, steps=1, batch=4):
    model.compile(g_optimizer=DiscoGAN.make_optimizer(2e-4, 0.5, steps),
                  d_optimizer=DiscoGAN.make_optimizer(2e-4, 0.5, steps))
    x_a, x_b = _data(shape=model.image_shape)
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(x_a).batch(batch).repeat(),
                              tf.data.Dataset.from_tensor_slices(x_b).batch(batch).repeat()))
    return model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history


def _tiny(**kwargs):
    keras.utils.set_random_seed(0)
    return DiscoGAN(image_shape=(32, 32, 3), base_filters=4, downsamplings=2, **kwargs)


def test_squared_reconstruction_loss():
    real = np.array([[0.0, 1.0], [-1.0, 0.5]], np.float32)
    other = np.array([[0.5, 1.0], [-1.0, -0.5]], np.float32)
    assert float(squared_reconstruction_loss(real, other)) == pytest.approx((0.25 + 1.0) / 4)


@pytest.mark.parametrize("weight", [1.0, 3.0])
def test_generator_loss_is_gan_plus_weighted_reconstruction_only(weight):
    model = _tiny(lambda_reconstruction=weight)
    history = _fit(model)
    logs = {name: values[-1] for name, values in history.items()}
    assert set(logs) == {"d_a_loss", "d_b_loss", "adversarial_loss", "reconstruction_loss",
                         "g_loss"}
    assert all(np.isfinite(v) for v in logs.values())
    expected = logs["adversarial_loss"] + weight * logs["reconstruction_loss"]
    assert logs["g_loss"] == pytest.approx(expected, rel=1e-5)


def test_networks_are_encoder_decoders_with_batch_norm():
    g = build_encoder_decoder_generator((28, 28, 1), base_filters=8, downsamplings=2)
    assert g.output_shape == (None, 28, 28, 1)
    assert min(layer.output.shape[1] for layer in g.layers[1:]) == 7  # bottleneck at 1/4
    assert g.layers[-1].activation.__name__ == "tanh"
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in g.layers)
    d = build_discogan_discriminator((28, 28, 1), base_filters=8, downsamplings=2)
    assert d.output_shape == (None, 1)
    with pytest.raises(ValueError, match="divisible"):
        build_encoder_decoder_generator((28, 28, 1), downsamplings=3)


def test_translate_and_subnetworks_save_and_load_alone(tmp_path):
    model = _tiny(reconstruction_loss="l1", generator_loss="minimax")
    _fit(model)
    x_a, _ = _data(5)
    assert model.translate(x_a, "b2a").shape == x_a.shape
    for name in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"):
        net = getattr(model, name)
        net.save(tmp_path / f"{name}.keras")
        reloaded = keras.models.load_model(tmp_path / f"{name}.keras")
        np.testing.assert_allclose(reloaded.predict(x_a, verbose=0), net.predict(x_a, verbose=0),
                                   atol=1e-5)


def test_config_round_trip_and_bad_arguments():
    model = DiscoGAN(image_shape=(28, 28, 1), base_filters=4, downsamplings=1,
                     lambda_reconstruction=2.0, reconstruction_loss="l1", generator_loss="minimax")
    clone = DiscoGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    with pytest.raises(ValueError, match="reconstruction_loss"):
        DiscoGAN(reconstruction_loss="cosine")
    with pytest.raises(ValueError, match="generator_loss"):
        DiscoGAN(generator_loss="wasserstein")

"""GAN and DCGAN as a user would use them: build, fit on a tf.data set, generate, save, reload."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.models import DCGAN, GAN
from genbench.models.dcgan import build_dcgan_discriminator, build_dcgan_generator


def _fit(model, data, batch, steps):
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    ds = tf.data.Dataset.from_tensor_slices(data).batch(batch, drop_remainder=True).repeat()
    return model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history


def test_gan_trains_on_points_and_generates_reproducibly():
    keras.utils.set_random_seed(0)
    points = np.random.default_rng(0).normal(size=(512, 2)).astype("float32")
    model = GAN(latent_dim=4, data_shape=(2,), hidden_units=(16,), d_steps=2)
    history = _fit(model, points, batch=64, steps=5)
    assert set(history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[-1]) for v in history.values())
    a, b = model.generate(10, seed=3), model.generate(10, seed=3)
    assert a.shape == (10, 2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, model.generate(10, seed=4))


def test_k_discriminator_steps_per_generator_step():
    """Algorithm 1: with d_steps=3 the discriminator optimizer steps 3x as often as the
    generator's."""
    model = GAN(latent_dim=4, data_shape=(2,), hidden_units=(8,), d_steps=3)
    _fit(model, np.zeros((96, 2), "float32"), batch=3 * 8, steps=4)
    assert int(model.d_optimizer.iterations) == 12
    assert int(model.g_optimizer.iterations) == 4


def test_image_gan_outputs_in_tanh_range():
    model = GAN(latent_dim=8, data_shape=(28, 28, 1), hidden_units=(32,))
    images = model.generate(4)
    assert images.shape == (4, 28, 28, 1)
    assert images.min() >= -1 and images.max() <= 1


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_dcgan_follows_the_paper_guidelines(shape):
    g = build_dcgan_generator(16, shape, base_filters=8)
    d = build_dcgan_discriminator(shape, base_filters=8)
    assert g.output_shape == (None, *shape)
    assert d.output_shape == (None, 1)
    kinds = [type(layer).__name__ for layer in g.layers + d.layers]
    assert not any("Pool" in k for k in kinds)
    # Only the projection of z and the final logit are dense.
    assert kinds.count("Dense") == 2
    # No batch norm right after the generator's output or on the discriminator's input layer.
    assert g.layers[-1].activation.__name__ == "tanh"
    first_d_ops = [type(layer).__name__ for layer in d.layers[1:3]]
    assert "BatchNormalization" not in first_d_ops
    assert any(isinstance(layer, keras.layers.LeakyReLU) for layer in d.layers)


def test_dcgan_generator_saves_and_loads_alone(tmp_path):
    keras.utils.set_random_seed(1)
    model = DCGAN(latent_dim=8, data_shape=(28, 28, 1), base_filters=4)
    images = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    _fit(model, images, batch=16, steps=2)
    path = tmp_path / "generator.keras"
    model.generator.save(path)
    model.discriminator.save(tmp_path / "discriminator.keras")
    reloaded = keras.models.load_model(path)
    z = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(reloaded.predict(z, verbose=0),
                               model.generator.predict(z, verbose=0), atol=1e-6)
    keras.models.load_model(tmp_path / "discriminator.keras")


@pytest.mark.parametrize("shape, bottom, channels", [((28, 28, 1), 7, [16, 8]),
                                                    ((32, 32, 3), 4, [32, 16, 8]),
                                                    ((64, 64, 3), 4, [64, 32, 16, 8])])
def test_dcgan_upsamples_from_the_papers_4x4_bottom_where_the_sides_allow(shape, bottom, channels):
    """The paper's layout: a 4x4 bottom doubling channels per stage down (28 px: 7x7); the
    discriminator mirrors the generator's channels."""
    g = build_dcgan_generator(16, shape, base_filters=8)
    d = build_dcgan_discriminator(shape, base_filters=8)
    assert g.get_layer(index=2).output.shape[1:3] == (bottom, bottom)
    g_channels = [layer.output.shape[-1] for layer in g.layers
                  if isinstance(layer, keras.layers.BatchNormalization)]
    assert g_channels == channels
    d_convs = [layer.filters for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert d_convs == channels[::-1]
    assert all(layer.kernel_size == (4, 4) for layer in g.layers + d.layers
               if isinstance(layer, keras.layers.Conv2D))


def test_gan_config_round_trip():
    model = DCGAN(latent_dim=8, data_shape=(32, 32, 3), base_filters=4, generator_loss="minimax")
    clone = DCGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="generator_loss"):
        GAN(generator_loss="wasserstein")
    with pytest.raises(ValueError, match="d_steps"):
        GAN(d_steps=0)
    with pytest.raises(ValueError, match="divisible"):
        build_dcgan_generator(8, (30, 30, 1))

"""Mixed precision in the models: 16-bit hidden layers, float32 outputs and losses, loss scaling
for float16."""

import keras
import numpy as np
import pytest

from genbench.models import (
    DCGAN,
    adaptation,
    classifiers,
    cyclegan,
    dcgan,
    diffusion,
    discogan,
    gan,
    ssgan,
    unet,
    vae,
)


@pytest.fixture
def mixed(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("mixed", ["mixed_bfloat16", "mixed_float16"], indirect=True)
def test_dcgan_trains_in_16_bits_with_float32_outputs(mixed):
    gan = DCGAN(latent_dim=8, data_shape=(28, 28, 1), base_filters=8, seed=0)
    gan.compile(d_optimizer=DCGAN.default_optimizer(), g_optimizer=DCGAN.default_optimizer())
    # layers keep the policy they were built with
    keras.mixed_precision.set_global_policy("float32")
    hidden = gan.discriminator.layers[1]
    assert hidden.compute_dtype == mixed.removeprefix("mixed_")
    assert hidden.variable_dtype == "float32"
    assert gan.discriminator.output.dtype == gan.generator.output.dtype == "float32"
    wrapped = isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert wrapped == (mixed == "mixed_float16")  # loss scaling only where float16 needs it
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    history = gan.fit(images, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert gan.generate(4).dtype == np.float32


BUILDERS = {
    "mlp generator": lambda: gan.build_mlp_generator(8, (28, 28, 1), (16,)),
    "mlp discriminator": lambda: gan.build_mlp_discriminator((28, 28, 1), (16,)),
    "dcgan generator": lambda: dcgan.build_dcgan_generator(8, (28, 28, 1), 8),
    "dcgan discriminator": lambda: dcgan.build_dcgan_discriminator((28, 28, 1), 8),
    "resnet generator": lambda: cyclegan.build_resnet_generator((28, 28, 1), 8, 1),
    "patchgan": lambda: cyclegan.build_patchgan_discriminator((28, 28, 1), 8, 2),
    "discogan generator": lambda: discogan.build_encoder_decoder_generator((28, 28, 1), 8, 2),
    "discogan discriminator": lambda: discogan.build_discogan_discriminator((28, 28, 1), 8, 2),
    "ssgan generator": lambda: ssgan.build_ssgan_generator(8, (28, 28, 1), (16,)),
    "ssgan discriminator": lambda: ssgan.build_ssgan_discriminator((28, 28, 1), 10, (16, 16)),
    "small cnn": lambda: classifiers.build_small_cnn((28, 28, 1), 10),
    "domain discriminator": lambda: adaptation.build_domain_discriminator(16, (8,)),
    "vae encoder": lambda: vae.build_vae_encoder((28, 28, 1), 2, 8),
    "vae decoder": lambda: vae.build_vae_decoder((7, 7, 2), 1, 8),
    "unet (cropped back)": lambda: unet.build_unet((7, 7, 2), (8, 16), attention=True),
}


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("mixed", ["mixed_bfloat16"], indirect=True)
def test_every_network_outputs_float32_under_mixed_precision(mixed, name):
    network = BUILDERS[name]()
    outputs = network.outputs
    assert all(output.dtype == "float32" for output in outputs), name
    assert any(layer.compute_dtype == "bfloat16" for layer in network.layers), name


def test_serialization_names_stay_those_of_saved_files():
    """``.keras`` files name their classes "models>Class": moving a class between modules of
    ``models`` must not change that."""
    from genbench.models import base

    for cls in (base.TwoPlayerModel, DCGAN, ssgan.SSGAN, cyclegan.CycleGAN, discogan.DiscoGAN,
                vae.VAE, diffusion.DDPM, diffusion.LatentDiffusion):
        assert keras.saving.get_registered_name(cls) == f"models>{cls.__name__}"


def test_optimizers_are_listed_in_checkpoint_order():
    """The order in which tasks checkpointed optimizers before the property existed."""
    adam = keras.optimizers.Adam
    model = gan.GAN(latent_dim=4, data_shape=(2,), hidden_units=(8,))
    model.compile(d_optimizer=adam(), g_optimizer=adam())
    assert model.optimizers == [model.d_optimizer, model.g_optimizer]
    translator = cyclegan.CycleGAN(image_shape=(8, 8, 1), base_filters=4, res_blocks=1,
                                   downsamplings=1, discriminator_downsamplings=1)
    translator.compile(g_optimizer=adam(), d_optimizer=adam())
    assert translator.optimizers == [translator.g_optimizer, translator.d_optimizer]


def test_generate_is_reproducible_by_seed_and_sample_noise_has_the_latent_size():
    model = gan.GAN(latent_dim=3, data_shape=(2,), hidden_units=(8,))
    np.testing.assert_array_equal(model.generate(5, seed=1), model.generate(5, seed=1))
    assert model.generate(5, seed=1).shape == (5, 2)
    assert tuple(model.sample_noise(4).shape) == (4, 3)

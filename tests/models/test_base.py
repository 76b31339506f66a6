"""Mixed precision in the models: 16-bit hidden layers, float32 outputs and losses, loss scaling
for float16."""

import keras
import numpy as np
import pytest

from models import DCGAN


@pytest.fixture
def mixed(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("mixed", ["mixed_bfloat16", "mixed_float16"], indirect=True)
def test_dcgan_trains_in_16_bits_with_float32_outputs(mixed):
    gan = DCGAN(latent_dim=8, data_shape=(28, 28, 1), base_filters=8, seed=0)
    gan.compile(d_optimizer=DCGAN.default_optimizer(), g_optimizer=DCGAN.default_optimizer())
    keras.mixed_precision.set_global_policy("float32")  # layers keep the policy they were built with
    hidden = gan.discriminator.layers[1]
    assert hidden.compute_dtype == mixed.removeprefix("mixed_") and hidden.variable_dtype == "float32"
    assert gan.discriminator.output.dtype == gan.generator.output.dtype == "float32"
    wrapped = isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert wrapped == (mixed == "mixed_float16")  # loss scaling only where float16 needs it
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    history = gan.fit(images, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert gan.generate(4).dtype == np.float32

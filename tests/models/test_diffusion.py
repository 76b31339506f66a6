"""Latent diffusion parts: schedules and the forward process against closed forms, the DDIM
sampler against an exact noise oracle, guidance, the VAE's KL, training steps, save/load."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from genbench.models import DDPM, VAE, LatentDiffusion
from genbench.models.diffusion import latent_scale_factor
from genbench.models.noise_scheduler import beta_schedule
from genbench.models.unet import build_unet
from genbench.models.vae import gaussian_kl

TINY_UNET = {"channels": (8, 16), "embedding_dim": 16, "attention": True}


def _ddpm(shape=(4, 4, 2), **kwargs):
    return DDPM(data_shape=shape, **{**TINY_UNET, **kwargs})


def _randomise(model, seed=0):
    """Random weights everywhere (the zero-initialised output layer would hide every input)."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.2, weight.shape).astype(weight.dtype))


def test_linear_schedule_matches_ho_et_al():
    betas = beta_schedule("linear", 1000)
    assert len(betas) == 1000
    assert betas[0] == pytest.approx(1e-4) and betas[-1] == pytest.approx(0.02)
    np.testing.assert_allclose(np.diff(betas), (0.02 - 1e-4) / 999)
    alpha_bar = np.cumprod(1 - betas)
    assert np.all(np.diff(alpha_bar) < 0) and 0 < alpha_bar[-1] < 1e-4 < alpha_bar[0] < 1


def test_scaled_linear_schedule_spaces_the_square_roots_evenly():
    betas = beta_schedule("scaled_linear", 1000, 0.00085, 0.012)
    assert betas[0] == pytest.approx(0.00085) and betas[-1] == pytest.approx(0.012)
    np.testing.assert_allclose(np.diff(np.sqrt(betas)), (0.012 ** 0.5 - 0.00085 ** 0.5) / 999)


def test_cosine_schedule_matches_its_closed_form():
    steps, s = 1000, 0.008
    alpha_bar = np.cumprod(1 - beta_schedule("cosine", steps))
    t = np.arange(1, steps + 1)
    closed = (np.cos((t / steps + s) / (1 + s) * np.pi / 2) ** 2
              / np.cos(s / (1 + s) * np.pi / 2) ** 2)
    assert np.all(np.diff(alpha_bar) < 0)
    # Equal wherever beta was not clipped at 0.999 (only the very last steps are).
    np.testing.assert_allclose(alpha_bar[:990], closed[:990], rtol=1e-9)
    with pytest.raises(ValueError, match="schedule"):
        beta_schedule("quadratic")


def test_forward_process_has_the_closed_form_mean_and_variance():
    model = _ddpm(shape=(8, 8, 1))
    x0 = np.full((2000, 8, 8, 1), 0.7, np.float32)
    rng = np.random.default_rng(0)
    for t in (0, 250, 999):
        noise = rng.standard_normal(x0.shape).astype(np.float32)
        x_t = keras.ops.convert_to_numpy(model.diffuse(x0, np.full(len(x0), t), noise))
        alpha_bar = np.prod(1 - beta_schedule("linear", 1000)[:t + 1])
        assert x_t.mean() == pytest.approx(np.sqrt(alpha_bar) * 0.7, abs=0.01)
        assert x_t.var() == pytest.approx(1 - alpha_bar, rel=0.02, abs=1e-5)


def _oracle_unet(model, target):
    """The exact noise predictor for data that is always ``target``:
    eps = (x_t - sqrt(ab) x*) / sqrt(1-ab)."""
    alpha_bar = keras.ops.convert_to_tensor(model.alpha_bar, "float32")

    def predict(inputs):
        x_t, t = inputs
        ab = keras.ops.reshape(keras.ops.take(alpha_bar, keras.ops.cast(t, "int32")), (-1, 1, 1, 1))
        return (x_t - keras.ops.sqrt(ab) * target) / keras.ops.sqrt(1 - ab)

    x_t, t = keras.Input(model.data_shape), keras.Input(())
    return keras.Model([x_t, t], keras.layers.Lambda(predict)([x_t, t]))


@pytest.mark.parametrize("steps", [100, 7, 1])
def test_ddim_recovers_the_data_with_an_exact_noise_predictor(steps):
    model = _ddpm(timesteps=100)
    target = np.random.default_rng(1).uniform(-1, 1, model.data_shape).astype(np.float32)
    model.unet = _oracle_unet(model, target)
    samples = model.generate(5, seed=3, steps=steps)
    np.testing.assert_allclose(samples, np.broadcast_to(target, samples.shape), atol=1e-4)


def test_ddim_with_all_steps_is_deterministic_and_the_trajectory_ends_at_the_sample():
    model = _ddpm(timesteps=50)
    _randomise(model.unet)
    a, b = model.generate(3, seed=5, steps=50), model.generate(3, seed=5, steps=50)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, model.generate(3, seed=6, steps=50))
    strip = model.denoising_trajectory(3, seed=5, steps=50, frames=6)
    assert strip.shape == (3, 6, 4, 4, 2)
    np.testing.assert_array_equal(strip[:, 0], np.random.default_rng(5).standard_normal(
        (3, 4, 4, 2), dtype=np.float32))
    np.testing.assert_allclose(strip[:, -1], a, atol=1e-5)


def test_classifier_free_guidance_mixes_conditional_and_unconditional_predictions():
    model = _ddpm(num_classes=3)
    _randomise(model.unet)
    rng = np.random.default_rng(0)
    x_t = rng.standard_normal((4, *model.data_shape)).astype(np.float32)
    labels = np.array([0, 1, 2, 1])
    unconditional = model.predict_noise(x_t, 500)
    conditional = model.predict_noise(x_t, 500, labels)
    assert not np.allclose(conditional, unconditional, atol=1e-3)
    np.testing.assert_allclose(model.predict_noise(x_t, 500, labels, guidance=0.0), unconditional,
                               atol=1e-5)
    np.testing.assert_allclose(model.predict_noise(x_t, 500, labels, guidance=3.0),
                               unconditional + 3.0 * (conditional - unconditional), atol=1e-4)
    with pytest.raises(ValueError, match="labels must be in"):
        model.predict_noise(x_t, 500, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="unconditional"):
        _ddpm().generate(2, labels=[0, 1], steps=2)


def test_class_weights_compose_the_guidance_directions_of_their_classes():
    """One-hot weights are the integer labels; a mixture weighs each class's guidance direction
    (cond_k - uncond) by its weight; a given x_T replaces the seeded draw."""
    model = _ddpm(num_classes=3)
    _randomise(model.unet)
    x_t = np.random.default_rng(0).standard_normal((4, *model.data_shape)).astype(np.float32)
    labels = np.array([0, 1, 2, 1])
    for guidance in (1.0, 2.5):
        np.testing.assert_allclose(model.predict_noise(x_t, 500, np.eye(3)[labels], guidance),
                                   model.predict_noise(x_t, 500, labels, guidance), atol=1e-5)
    unconditional = model.predict_noise(x_t, 500)
    a, b = (model.predict_noise(x_t, 500, np.full(4, k)) for k in (0, 2))
    weights = np.array([[0.7, 0.0, 0.3]] * 4)
    np.testing.assert_allclose(model.predict_noise(x_t, 500, weights, 2.0),
                               unconditional + 2.0 * (0.7 * (a - unconditional)
                                                      + 0.3 * (b - unconditional)), atol=1e-4)
    with pytest.raises(ValueError, match="summing to 1"):
        model.predict_noise(x_t, 500, np.full((4, 3), 0.5))
    noise = np.random.default_rng(9).standard_normal((2, *model.data_shape), dtype=np.float32)
    np.testing.assert_allclose(model.generate(2, seed=1, steps=3, labels=[0, 1], noise=noise),
                               model.generate(2, seed=2, steps=3, labels=[0, 1], noise=noise))
    np.testing.assert_allclose(model.generate(2, seed=9, steps=3, labels=[0, 1]),
                               model.generate(2, steps=3, labels=[0, 1], noise=noise), atol=1e-6)


@pytest.mark.parametrize(("mean", "sigma"), [(0.0, 1.0), (1.5, 0.3), (-0.7, 2.5)])
def test_gaussian_kl_matches_numerical_integration(mean, sigma):
    q, p = stats.norm(mean, sigma), stats.norm(0, 1)
    expected, _ = integrate.quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)),
                                 mean - 12 * sigma, mean + 12 * sigma)
    kl = gaussian_kl(np.full((1, 3), mean, np.float32),
                     np.full((1, 3), 2 * np.log(sigma), np.float32))
    assert float(kl[0]) == pytest.approx(3 * expected, rel=1e-5, abs=1e-6)  # summed over 3 units


def _fit(model, data, steps=3, batch=4):
    ds = tf.data.Dataset.from_tensor_slices(data).batch(batch, drop_remainder=True).repeat()
    return model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history


def test_training_steps_give_finite_losses():
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (16, 8, 8, 1)).astype(np.float32)
    labels = rng.integers(0, 3, 16)

    vae = VAE(data_shape=(8, 8, 1), latent_channels=2, base_filters=8, kl_weight=1e-3)
    vae.compile(keras.optimizers.Adam(1e-3))
    history = _fit(vae, (images, labels))
    assert set(history) == {"loss", "reconstruction_loss", "kl"}
    assert all(np.isfinite(v[-1]) for v in history.values())
    expected = history["reconstruction_loss"][-1] + 1e-3 * history["kl"][-1]
    assert history["loss"][-1] == pytest.approx(expected, rel=1e-4)

    for model, data in ((_ddpm(shape=(8, 8, 1)), images), (_ddpm(shape=(8, 8, 1), num_classes=3),
                                                          (images, labels))):
        model.compile(keras.optimizers.Adam(1e-3))
        history = _fit(model, data)
        assert set(history) == {"noise_loss"} and np.isfinite(history["noise_loss"][-1])
        assert int(model.optimizer.iterations) == 3


def test_each_part_saves_and_loads_alone(tmp_path):
    keras.utils.set_random_seed(0)
    vae = VAE(data_shape=(8, 8, 1), latent_channels=2, base_filters=8)
    vae.compile(keras.optimizers.Adam(1e-3))
    images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype(np.float32)
    _fit(vae, images, steps=1)
    ddpm = _ddpm(shape=vae.latent_shape, schedule="cosine", timesteps=20)
    _randomise(ddpm.unet)
    latents = vae.encode(images)
    ldm = LatentDiffusion(vae, ddpm, latent_scale_factor(latents))
    assert latents.shape == (8, 2, 2, 2)

    for name, model in {"vae": vae, "ddpm": ddpm, "unet": ddpm.unet, "ldm": ldm}.items():
        model.save(tmp_path / f"{name}.keras")
    vae2 = keras.models.load_model(tmp_path / "vae.keras")
    np.testing.assert_allclose(vae2.decode(vae2.encode(images)), vae.decode(latents), atol=1e-5)
    ddpm2 = keras.models.load_model(tmp_path / "ddpm.keras")
    assert ddpm2.get_config() == ddpm.get_config()
    np.testing.assert_allclose(ddpm2.generate(2, seed=1, steps=4),
                               ddpm.generate(2, seed=1, steps=4), atol=1e-5)
    unet = keras.models.load_model(tmp_path / "unet.keras")
    x_t, t = np.ones((2, 2, 2, 2), np.float32), np.array([3.0, 17.0], np.float32)
    np.testing.assert_allclose(unet.predict_on_batch([x_t, t]),
                               ddpm.unet.predict_on_batch([x_t, t]), atol=1e-5)
    ldm2 = keras.models.load_model(tmp_path / "ldm.keras")
    assert ldm2.latent_scale == ldm.latent_scale
    generated = ldm2.generate(3, seed=2, steps=3)
    assert generated.shape == (3, 8, 8, 1) and generated.min() >= -1 and generated.max() <= 1
    np.testing.assert_allclose(generated, ldm.generate(3, seed=2, steps=3), atol=1e-5)
    assert ldm.denoising_trajectory(2, seed=2, steps=3, frames=4).shape == (2, 4, 8, 8, 1)


def test_unet_pads_odd_sizes_and_rejects_bad_settings():
    assert build_unet((7, 7, 4), channels=(8, 16, 16)).output_shape == (None, 7, 7, 4)
    with pytest.raises(ValueError, match="multiples of 8"):
        build_unet((8, 8, 1), channels=(12, 24))
    with pytest.raises(ValueError, match="cond_drop_prob"):
        _ddpm(cond_drop_prob=1.0)
    with pytest.raises(ValueError, match="divisible by 4"):
        VAE(data_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="sampling steps"):
        _ddpm(timesteps=10).generate(1, steps=11)
    with pytest.raises(ValueError, match="latent shape"):
        LatentDiffusion(VAE(data_shape=(8, 8, 1), base_filters=8), _ddpm(shape=(4, 4, 1)))


MIRRORED_WORKER = textwrap.dedent("""
    import sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from genbench.models import DDPM, VAE

    data = np.random.default_rng(0).uniform(-1, 1, (256, 8, 8, 1)).astype("float32")
    results = {}
    for name, strategy in (("single", tf.distribute.get_strategy()),
                           ("mirrored", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))):
        with strategy.scope():
            models = [DDPM(data_shape=(8, 8, 1), channels=(8, 16), embedding_dim=16, num_classes=3),
                      VAE(data_shape=(8, 8, 1), latent_channels=2, base_filters=8)]
            # SGD, not Adam: biases in front of a normalisation have a true gradient of zero,
            # and Adam scales the ~1e-9 rounding noise there (summed in another order per
            # replica) to full-size steps, which would compare rounding, not the distributed
            # math. The VAE's summed loss (~40) makes SGD at 0.01 and 0.003 amplify a 3e-6
            # perturbation of the weights ~200- and ~500-fold in 8 steps (at 0.001: none), so it
            # steps at 0.001, where its weights still move by ~0.05.
            for model, rate in zip(models, (0.01, 0.001)):
                model.compile(keras.optimizers.SGD(rate))
        for index, model in enumerate(models):
            if name == "single":
                results[f"init{index}"] = [v.numpy() for v in model.trainable_variables]
            for variable, value in zip(model.trainable_variables, results[f"init{index}"]):
                variable.assign(value)
            labels = np.arange(256) % 3
            ds = (tf.data.Dataset.from_tensor_slices((data, labels))
                  .batch(32, drop_remainder=True).repeat())
            history = model.fit(ds, steps_per_epoch=4, epochs=2, verbose=0, shuffle=False).history
            results[f"{name}{index}"] = [np.asarray(history[model.metrics[0].name])] + [
                v.numpy() for v in model.trainable_variables]
    np.savez(sys.argv[1], **{f"{k}_{i}": a for k, arrays in results.items()
                             for i, a in enumerate(arrays)})
""")


def test_mirrored_training_does_the_math_of_one_device(tmp_path):
    """Two replicas, each with half of every batch, make the same updates as one device (group norm
    has no batch statistics); the noise, timesteps and label drops are slices of one global draw."""
    out = tmp_path / "runs.npz"
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", MIRRORED_WORKER, str(out)], check=True, timeout=240,
                   cwd=root, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "2"})
    runs = np.load(out)
    for index in range(2):  # the DDPM, then the VAE
        single = sorted(k for k in runs.files if k.startswith(f"single{index}_"))
        assert len(single) > 10
        moved = [not np.allclose(runs[f"single{index}_{i + 1}"], runs[f"init{index}_{i}"])
                 for i in range(len(single) - 1)]
        assert sum(moved) > len(moved) // 2  # training did move the weights being compared
        for key in single:
            np.testing.assert_allclose(runs[key.replace("single", "mirrored")], runs[key],
                                       rtol=1e-4, atol=1e-5)

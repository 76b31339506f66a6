import keras
import numpy as np
import pytest
import tensorflow as tf

from genbench.benchmark import training
from genbench.benchmark.config import ConfigError, TrainConfig
from genbench.benchmark.training import Diverged, Validation, fit_resumable
from genbench.models import GAN


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    model = GAN(latent_dim=4, data_shape=(2,), hidden_units=(16,), seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    return model


def _points(n=4096):
    return np.random.default_rng(0).normal(size=(n, 2)).astype("float32")


def _make_dataset(points, batch=32):
    def make(skip):
        ds = tf.data.Dataset.from_tensor_slices(points).shuffle(len(points), seed=0)
        return ds.batch(batch, drop_remainder=True).repeat().skip(skip)
    return make


def _optimizers(model):
    return [model.d_optimizer, model.g_optimizer]


def test_resumed_training_matches_uninterrupted(tmp_path):
    """Stop after the first checkpoint, resume in a fresh model: same weights as one straight
    run."""
    train = TrainConfig(steps=40, batch_size=32, checkpoint_every=20)
    make = _make_dataset(_points())

    straight = _model()
    fit_resumable(straight, _optimizers(straight), make, train, tmp_path / "straight")

    first = _model()
    half = TrainConfig(steps=20, batch_size=32, checkpoint_every=20)
    fit_resumable(first, _optimizers(first), make, half, tmp_path / "resumed")
    resumed = _model(seed=0)
    state = fit_resumable(resumed, _optimizers(resumed), make, train, tmp_path / "resumed")

    assert state["step"] == 40 and state["steps"] == [20, 40]
    for a, b in zip(straight.variables, resumed.variables, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert int(resumed.g_optimizer.iterations) == 40


def test_finished_training_is_not_repeated(tmp_path):
    train = TrainConfig(steps=20, batch_size=32, checkpoint_every=10)
    make = _make_dataset(_points())
    model = _model()
    fit_resumable(model, _optimizers(model), make, train, tmp_path)
    again = _model(seed=5)
    state = fit_resumable(again, _optimizers(again), make, train, tmp_path)
    assert int(again.g_optimizer.iterations) == 20  # restored, no step taken
    assert len(state["history"]["d_loss"]) == 2


def test_non_finite_loss_is_reported_as_divergence_with_its_step(tmp_path):
    points = _points(64)
    points[40:] = np.nan  # batches from the third step on (batch 16) carry NaN
    make = lambda skip: tf.data.Dataset.from_tensor_slices(points).batch(16).repeat().skip(skip)  # noqa: E731
    model = _model()
    with pytest.raises(Diverged, match="diverged at step 3"):
        fit_resumable(model, _optimizers(model), make, TrainConfig(steps=10, batch_size=16,
                                                                   checkpoint_every=10), tmp_path)


@pytest.mark.parametrize("chunk, interval", [(2500, 250), (500, 50), (200, 50), (130, 65),
                                             (101, 101), (25, 25), (1, 1)])
def test_loss_curves_get_up_to_ten_points_of_at_least_50_steps_a_checkpoint_interval(chunk,
                                                                                       interval):
    assert training._curve_interval(chunk) == interval


def test_curve_points_do_not_change_what_is_trained(tmp_path, monkeypatch):
    """Two loss means a chunk, or one: the same weights and losses at the checkpoints."""
    train = TrainConfig(steps=200, batch_size=32, checkpoint_every=100)
    make = _make_dataset(_points())
    fine = _model()
    fine_state = fit_resumable(fine, _optimizers(fine), make, train, tmp_path / "fine")
    monkeypatch.setattr(training, "CURVE_POINTS", 1)
    coarse = _model()
    coarse_state = fit_resumable(coarse, _optimizers(coarse), make, train, tmp_path / "coarse")
    assert fine_state["steps"] == [50, 100, 150, 200] and coarse_state["steps"] == [100, 200]
    for a, b in zip(fine.variables, coarse.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # A chunk's mean loss is the mean of its two 50-step means.
    for name, values in coarse_state["history"].items():
        chunk_means = np.reshape(fine_state["history"][name], (2, 2)).mean(axis=1)
        np.testing.assert_allclose(values, chunk_means, rtol=1e-5)


def test_steps_must_be_a_multiple_of_the_checkpoint_interval():
    """Refused when the config is made (an override fails before anything trains)."""
    with pytest.raises(ConfigError, match=r"train.steps \(25\) must be a multiple of"):
        TrainConfig(steps=25, batch_size=32, checkpoint_every=10)
    assert TrainConfig(steps=25, batch_size=32, checkpoint_every=50).steps == 25  # one chunk


def _truncate(path):
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def _garbage(path):
    path.write_bytes(b"not a checkpoint" * 64)


def _assert_same_training(a, a_state, b, b_state):
    for x, y in zip(a.variables, b.variables, strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)
    assert a_state["steps"] == b_state["steps"]
    for name, values in a_state["history"].items():
        np.testing.assert_allclose(values, b_state["history"][name], rtol=1e-5)


@pytest.mark.parametrize("damage", [_truncate, _garbage])
def test_unusable_checkpoint_falls_back_to_the_previous_one(tmp_path, damage):
    """A damaged newest checkpoint (step 30): the run resumes from the previous one (step 20) on
    the same data order and ends as an uninterrupted run would."""
    train = TrainConfig(steps=40, batch_size=32, checkpoint_every=10)
    make = _make_dataset(_points())
    straight = _model()
    straight_state = fit_resumable(straight, _optimizers(straight), make, train,
                                   tmp_path / "straight")

    first = _model()
    fit_resumable(first, _optimizers(first), make,
                  TrainConfig(steps=30, batch_size=32, checkpoint_every=10), tmp_path / "resumed")
    damage(tmp_path / "resumed" / "checkpoint.npz")
    lines = []
    resumed = _model()
    state = fit_resumable(resumed, _optimizers(resumed), make, train, tmp_path / "resumed",
                          log=lines.append)

    assert len(lines) == 1 and "checkpoint.npz is unusable" in lines[0]
    assert lines[0].endswith("resuming from checkpoint.prev.npz at step 20")
    _assert_same_training(straight, straight_state, resumed, state)
    assert int(resumed.g_optimizer.iterations) == 40


def test_no_usable_checkpoint_starts_over(tmp_path):
    train = TrainConfig(steps=20, batch_size=32, checkpoint_every=10)
    make = _make_dataset(_points())
    straight = _model()
    straight_state = fit_resumable(straight, _optimizers(straight), make, train,
                                   tmp_path / "straight")

    first = _model(seed=3)
    fit_resumable(first, _optimizers(first), make, train, tmp_path / "over")
    _truncate(tmp_path / "over" / "checkpoint.npz")
    _garbage(tmp_path / "over" / "checkpoint.prev.npz")
    lines = []
    again = _model()
    state = fit_resumable(again, _optimizers(again), make, train, tmp_path / "over",
                          log=lines.append)

    assert len(lines) == 1 and lines[0].endswith("; starting over")
    assert "BadZipFile" in lines[0] and "checkpoint.prev.npz is unusable (ValueError" in lines[0]
    _assert_same_training(straight, straight_state, again, state)


def test_checkpoint_of_another_model_is_unusable(tmp_path):
    train = TrainConfig(steps=10, batch_size=32, checkpoint_every=10)
    make = _make_dataset(_points())
    narrow = _model()
    fit_resumable(narrow, _optimizers(narrow), make, train, tmp_path)
    keras.utils.set_random_seed(0)
    wider = GAN(latent_dim=4, data_shape=(2,), hidden_units=(32,), seed=0)
    wider.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    lines = []
    state = fit_resumable(wider, _optimizers(wider), make, train, tmp_path, log=lines.append)
    assert len(lines) == 1 and "is float32 (4, 32), the checkpoint has float32 (4, 16)" in lines[0]
    assert lines[0].endswith("; starting over") and state["steps"] == [10]


# Validation accuracy by step (a script, so the selection is known in advance): best at 20; with
# patience 20 the fit stops at 40.
SCRIPTED = {10: 0.5, 20: 0.7, 30: 0.6, 40: 0.7, 50: 0.9, 60: 0.9}


def _scripted(model, patience=20):
    return Validation(lambda: SCRIPTED[int(model.g_optimizer.iterations)], patience)


def test_validation_keeps_the_best_model_and_stops_after_patience(tmp_path):
    make = _make_dataset(_points())
    at_best = _model()
    fit_resumable(at_best, _optimizers(at_best), make,
                  TrainConfig(steps=20, batch_size=32, checkpoint_every=10), tmp_path / "twenty")

    model = _model()
    train = TrainConfig(steps=60, batch_size=32, checkpoint_every=10)
    state = fit_resumable(model, _optimizers(model), make, train, tmp_path / "selected",
                          validation=_scripted(model))
    assert state["step"] == 40 and state["validation"] == {
        "steps": [10, 20, 30, 40], "accuracy": [0.5, 0.7, 0.6, 0.7], "best_step": 20,
        "best_accuracy": 0.7, "stopped": True}  # a tie is no improvement
    for a, b in zip(at_best.variables, model.variables, strict=True):  # the step-20 model
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)

    again = _model(seed=5)  # a stopped fit is not resumed: it is restored at its best
    state = fit_resumable(again, _optimizers(again), make, train, tmp_path / "selected",
                          validation=_scripted(again))
    assert int(again.g_optimizer.iterations) == 40 and state["validation"]["stopped"]
    for a, b in zip(at_best.variables, again.variables, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_selection_survives_a_resume(tmp_path):
    """Killed at step 30 (after the best, before the stop), resumed in a fresh model: the same
    selection as one straight fit; without patience it trains every step and picks step 50."""
    make = _make_dataset(_points())
    train = TrainConfig(steps=60, batch_size=32, checkpoint_every=10)
    straight = _model()
    straight_state = fit_resumable(straight, _optimizers(straight), make, train,
                                   tmp_path / "straight", validation=_scripted(straight, 0))
    assert straight_state["step"] == 60 and straight_state["validation"]["best_step"] == 50

    first = _model()
    fit_resumable(first, _optimizers(first), make,
                  TrainConfig(steps=30, batch_size=32, checkpoint_every=10), tmp_path / "resumed",
                  validation=_scripted(first, 0))
    resumed = _model()
    state = fit_resumable(resumed, _optimizers(resumed), make, train, tmp_path / "resumed",
                          validation=_scripted(resumed, 0))
    assert state["validation"] == straight_state["validation"]
    for a, b in zip(straight.variables, resumed.variables, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def test_unusable_best_model_starts_the_fit_over(tmp_path):
    make = _make_dataset(_points())
    train = TrainConfig(steps=40, batch_size=32, checkpoint_every=10)
    model = _model()
    fit_resumable(model, _optimizers(model), make, train, tmp_path, validation=_scripted(model))
    _truncate(tmp_path / "best.npz")
    lines = []
    again = _model()
    state = fit_resumable(again, _optimizers(again), make, train, tmp_path, log=lines.append,
                          validation=_scripted(again))
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'best.npz'} is unusable (")
    assert lines[0].endswith("; starting over")
    assert state["validation"]["steps"] == [10, 20, 30, 40] and state["step"] == 40

import numpy as np
import pytest

from genbench.evaluation import latent_path_smoothness


def test_linear_paths_give_mean_squared_step():
    rng = np.random.default_rng(0)
    starts, directions = rng.normal(size=(3, 1, 5)), rng.normal(size=(3, 1, 5))
    steps = np.arange(7)[None, :, None]
    paths = starts + steps * directions  # step p has squared length ||direction_p||²
    expected = (directions**2).sum(axis=2).mean()
    assert latent_path_smoothness(paths) == pytest.approx(expected, rel=1e-12)


def test_constant_path_is_zero():
    assert latent_path_smoothness(np.ones((2, 4, 3))) == 0.0


def test_hand_computed_path():
    path = np.array([[[0.0, 0.0], [3.0, 4.0], [3.0, 5.0]]])  # steps of squared length 25 and 1
    assert latent_path_smoothness(path) == 13.0


@pytest.mark.parametrize("shape", [(4, 3), (2, 1, 3), (0, 3, 3)])
def test_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="path_features must have shape"):
        latent_path_smoothness(np.zeros(shape))


def test_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        latent_path_smoothness(np.full((1, 2, 2), np.nan))

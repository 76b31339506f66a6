import numpy as np
import pytest

from genbench.evaluation.extractors import ExtractorUnavailable
from genbench.evaluation.imagenet_inception import ImageNetInception, load_imagenet_inception


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ExtractorUnavailable, match="keras.applications.InceptionV3()"):
        load_imagenet_inception()


def test_probabilities_of_grey_and_colour_images():
    """Untrained network (no weights needed): shapes, softmax rows, grey handled as repeated RGB."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.applications.InceptionV3(weights=None, classifier_activation="softmax")
    net = ImageNetInception(model, "untrained")
    grey = np.random.default_rng(0).integers(0, 256, (3, 28, 28, 1), dtype=np.uint8)
    probs = net.probabilities(grey, batch_size=2)
    assert probs.shape == (3, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(net.probabilities(np.repeat(grey, 3, axis=-1)), probs, atol=1e-6)
    with pytest.raises(ValueError, match="uint8"):
        net.probabilities(grey.astype(np.float32))

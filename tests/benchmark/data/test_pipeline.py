"""make_pipeline: scaling, resize / channels, labels, seeded shuffling, options."""

import numpy as np
import pytest

from genbench.benchmark.data import make_pipeline
from genbench.benchmark.data.pipeline import CROP_PADDING

tf = pytest.importorskip("tensorflow")


@pytest.fixture
def grey():
    images = np.random.default_rng(0).integers(0, 256, (50, 16, 16, 1), dtype=np.uint8)
    images[0] = 0
    images[1] = 255
    return images, np.arange(50, dtype=np.int64)


def batches(dataset, n):
    return [tuple(np.asarray(t) for t in item) if isinstance(item, tuple) else np.asarray(item)
            for item in dataset.take(n)]


def test_scaling_and_labels(grey):
    images, labels = grey
    (x, y), = batches(make_pipeline(images, labels, batch_size=50, seed=0, shuffle=False), 1)
    assert x.dtype == np.float32 and x.shape == (50, 16, 16, 1) and y.dtype == np.int64
    assert x.min() == -1.0 and x.max() == 1.0
    np.testing.assert_allclose(x, images / 127.5 - 1, atol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_resize_and_grey_to_rgb(grey):
    images, _ = grey
    x, = batches(make_pipeline(images, batch_size=8, seed=0, size=32, channels=3), 1)
    assert x.shape == (8, 32, 32, 3) and x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    x, = batches(make_pipeline(images, batch_size=8, seed=0, size=(28, 20)), 1)
    assert x.shape == (8, 28, 20, 1)
    rgb = np.random.default_rng(1).integers(0, 256, (10, 8, 8, 3), dtype=np.uint8)
    x, = batches(make_pipeline(rgb, batch_size=10, seed=0, channels=1), 1)
    assert x.shape == (10, 8, 8, 1)


def test_shuffle_order_is_fixed_by_the_seed_and_changes_each_epoch(grey):
    images, labels = grey

    def order(seed, n=10):  # 10 batches of 10 = two epochs of 50
        return np.concatenate([y for _, y in batches(
            make_pipeline(images, labels, batch_size=10, seed=seed), n)])

    first = order(seed=5)
    np.testing.assert_array_equal(first, order(seed=5))
    assert not np.array_equal(first, order(seed=6))
    epoch1, epoch2 = first[:50], first[50:]
    assert sorted(epoch1) == sorted(epoch2) == list(range(50))  # each epoch is a permutation
    assert not np.array_equal(epoch1, epoch2) and not np.array_equal(epoch1, labels)


def test_augment_flips_and_crops_each_image_reproducibly(grey):
    """Every augmented image is one of the 2 x 9 x 9 flips and crops of its padded original (found
    by its label), all kinds occur, and a skipped stream sees the batches an unbroken one sees."""
    images, labels = grey
    pad = CROP_PADDING
    x_all = images / 127.5 - 1
    stream = batches(make_pipeline(images, labels, batch_size=10, seed=2, augment=True), 10)
    seen = set()
    for x, y in stream:
        for image, label in zip(x, y, strict=True):
            original = x_all[label]
            padded = {flip: np.pad(original[:, ::-1] if flip else original,
                                   ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
                      for flip in (False, True)}
            matches = [(flip, row, col) for flip in (False, True)
                       for row in range(2 * pad + 1) for col in range(2 * pad + 1)
                       if np.allclose(padded[flip][row:row + 16, col:col + 16], image, atol=1e-6)]
            assert matches, f"image of label {label} is no flip and crop of its original"
            seen.update(matches)
    assert {flip for flip, _, _ in seen} == {False, True}
    assert len({(row, col) for _, row, col in seen}) > 40  # of 81 offsets, over 100 images
    resumed = batches(make_pipeline(images, labels, batch_size=10, seed=2, augment=True).skip(7), 3)
    for (x, y), (x_resumed, y_resumed) in zip(stream[7:], resumed, strict=True):
        np.testing.assert_array_equal(x, x_resumed)
        np.testing.assert_array_equal(y, y_resumed)
    other_seed = batches(make_pipeline(images, labels, batch_size=10, seed=3, augment=True), 1)
    assert not np.array_equal(stream[0][0], other_seed[0][0])


def test_finite_and_partial_batches(grey):
    images, labels = grey
    finite = make_pipeline(images, labels, batch_size=16, seed=0, shuffle=False, repeat=False,
                           drop_remainder=False)
    sizes = [len(y) for _, y in finite]
    assert sizes == [16, 16, 16, 2]
    dropped = make_pipeline(images, labels, batch_size=16, seed=0, repeat=False)
    assert [len(y) for _, y in dropped] == [16] * 3


def test_points_pass_through_unscaled():
    points = np.random.default_rng(0).normal(0, 4, (40, 2)).astype(np.float32)
    x, = batches(make_pipeline(points, batch_size=40, seed=0, shuffle=False), 1)
    np.testing.assert_array_equal(x, points)
    with pytest.raises(ValueError, match="size, channels and augment apply to images"):
        make_pipeline(points, batch_size=4, seed=0, size=32)


def test_autotune_is_off_and_bad_input_is_refused(grey):
    images, _ = grey
    assert make_pipeline(images, batch_size=4, seed=0).options().autotune.enabled is False
    with pytest.raises(ValueError, match="uint8 images"):
        make_pipeline(images.astype(np.float32), batch_size=4, seed=0)
    with pytest.raises(ValueError, match="do not fill one batch"):
        make_pipeline(images, batch_size=64, seed=0)

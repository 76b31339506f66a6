"""Class-folder trees (cifar10-jpeg on a tiny generated archive, folder:PATH) and unpaired sets."""

import copy

import numpy as np
import pytest

from genbench.benchmark.data import DataError, get_dataset
from genbench.benchmark.data import folders as data_folders
from genbench.benchmark.data.folders import CIFAR10_JPEG

CLASSES = CIFAR10_JPEG.classes


def cifar_like(files, seed_offset=0):
    """2 train and 1 test PNG per CIFAR class, pixels known: {name: pixels}."""
    tree = {}
    for c, cls in enumerate(CLASSES):
        for i in range(2):
            tree[f"train/{cls}/{i:04d}.png"] = files.image(seed_offset + 10 * c + i)
        tree[f"test/{cls}/{0:04d}.png"] = files.image(seed_offset + 1000 + c)
    return tree


@pytest.fixture
def tiny_cifar():
    """The registered cifar10-jpeg definition, expecting the tiny tree's counts and no known
    hash."""
    dataset = copy.copy(CIFAR10_JPEG)
    dataset.counts, dataset.sha256s = {"train": 20, "test": 10}, ()
    return dataset


def test_cifar10_jpeg_from_a_tiny_archive(files, tmp_path, tiny_cifar, monkeypatch):
    tree = cifar_like(files)
    files.tree(tmp_path / "cifar10-jpeg.tar.gz", tree)
    images, labels = tiny_cifar.load("train", str(tmp_path))
    assert images.shape == (20, 32, 32, 3) and images.dtype == np.uint8
    assert labels.tolist() == [c for c in range(10) for _ in range(2)]  # sorted class folder names
    np.testing.assert_array_equal(images[5], tree[f"train/{CLASSES[2]}/0001.png"])
    assert tiny_cifar.status(str(tmp_path))["samples"] == "20/10"

    monkeypatch.setattr(data_folders, "decode_image", lambda *a: pytest.fail("decoded twice"))
    test_images, test_labels = tiny_cifar.load("test", str(tmp_path))  # from the decoded cache
    assert test_images.shape == (10, 32, 32, 3) and test_labels.tolist() == list(range(10))


def test_the_registered_set_checks_counts_and_checksum(files, tmp_path, tiny_cifar):
    files.tree(tmp_path / "cifar10-jpeg.tar.gz", cifar_like(files))
    with pytest.raises(DataError, match=r"cifar10-jpeg: .*cifar10-jpeg.tar.gz: "
                                        r"train split has 20 images, "
                                        r"expected 50000; replace or delete it"):
        CIFAR10_JPEG.load("train", str(tmp_path))
    tiny_cifar.counts = {"train": 20, "test": 10}
    tiny_cifar.sha256s = CIFAR10_JPEG.sha256s
    row = tiny_cifar.status(str(tmp_path))
    assert (row["status"], row["checksum"]) == ("corrupt", "mismatch")


def test_cifar10_jpeg_from_an_extracted_folder(files, tmp_path, tiny_cifar):
    files.tree(tmp_path / "cifar10-jpeg", cifar_like(files, seed_offset=7))
    images, labels = tiny_cifar.load("test", str(tmp_path))
    assert images.shape == (10, 32, 32, 3) and labels.tolist() == list(range(10))
    assert tiny_cifar.status(str(tmp_path))["checksum"] == "unknown"
    (tmp_path / "cifar10-jpeg" / "train" / "extra_class").mkdir()
    files.tree(tmp_path / "cifar10-jpeg" / "train" / "extra_class", {"x.png": files.image(0)})
    with pytest.raises(DataError,
                       match="class folders are airplane, .*extra_class.*; expected airplane"):
        tiny_cifar.load("test", str(tmp_path))


def test_folder_of_grey_classes_without_splits(files, tmp_path):
    tree = {f"{cls}/{i}.png": files.image(i, (8, 6, 1))
            for cls in ("zebra", "ant") for i in range(3)}
    tree["ant/notes.txt"] = b"ignored: not an image"
    tree["ant/.hidden.png"] = b"ignored: hidden"
    files.tree(tmp_path / "set", tree)
    dataset = get_dataset(f"folder:{tmp_path / 'set'}")
    assert (dataset.splits, dataset.image_shape, dataset.num_classes) == (("train",), (8, 6, 1), 2)
    images, labels = dataset.load("train")
    assert images.shape == (6, 8, 6, 1) and labels.tolist() == [0, 0, 0, 1, 1, 1]
    np.testing.assert_array_equal(images[3], tree["zebra/0.png"])


def test_folder_problems_name_the_file(files, tmp_path):
    files.tree(tmp_path / "sizes", {"a/1.png": files.image(1, (8, 8, 3)),
                                    "a/2.png": files.image(2, (9, 8, 3))})
    with pytest.raises(DataError,
                       match=r"sizes/a/2.png: image is 8x9, the set's first image is 8x8"):
        get_dataset(f"folder:{tmp_path / 'sizes'}").load("train")
    files.tree(tmp_path / "broken", {"a/1.png": files.image(1, (8, 8, 3)),
                                     "a/2.png": b"not an image"})
    with pytest.raises(DataError, match=r"broken/a/2.png: not a readable image"):
        get_dataset(f"folder:{tmp_path / 'broken'}").load("train")
    files.tree(tmp_path / "grey", {"a/1.png": files.image(1, (8, 8, 1)),
                                   "a/2.png": files.image(2, (8, 8, 3))})
    with pytest.raises(DataError,
                       match=r"grey/a/2.png: colour image \(mode RGB\) in a greyscale set"):
        get_dataset(f"folder:{tmp_path / 'grey'}").load("train")
    files.tree(tmp_path / "flat", {"1.png": files.image(1, (8, 8, 3))})
    with pytest.raises(DataError, match=r"flat: 1.png does not fit the layout"):
        get_dataset(f"folder:{tmp_path / 'flat'}")


def test_truncated_archive(files, tmp_path):
    archive = files.tree(tmp_path / "set.tar.gz", {f"a/{i}.png": files.image(i) for i in range(20)})
    archive.write_bytes(archive.read_bytes()[:-2000])
    with pytest.raises(DataError,
                       match=r"set.tar.gz: not a readable tar archive, it may be truncated"):
        get_dataset(f"folder:{archive}").load("train")


def test_unpaired_domains(files, tmp_path):
    tree = {f"{split}{domain}/{i}.jpg": files.png(files.image(i, (12, 12, 3)))
            for split, n in (("train", 3), ("test", 2)) for domain in "AB" for i in range(n)}
    files.tree(tmp_path / "horse2zebra", tree)
    dataset = get_dataset(f"unpaired:{tmp_path / 'horse2zebra'}")
    assert dataset.splits == ("train", "test") and dataset.image_shape == (12, 12, 3)
    images, labels = dataset.load("train", "B")
    assert images.shape == (3, 12, 12, 3) and labels.tolist() == [-1, -1, -1]
    assert dataset.load("test", "A")[0].shape == (2, 12, 12, 3)
    with pytest.raises(DataError, match="no 'train'/'C'"):
        dataset.load("train", "C")

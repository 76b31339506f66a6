"""TFDS-backed sets: found only when prepared, read through TFDS (mocked here: no network)."""

import json

import numpy as np
import pytest

from genbench.benchmark.data import DataError, get_dataset
from genbench.benchmark.data.tfds_sets import center_crop_resize


def prepare(root, name, version, counts):
    """What a prepared TFDS copy looks like to the registry:
    <root>/<name>/<version>/dataset_info.json."""
    folder = root / name / version
    folder.mkdir(parents=True)
    splits = [{"name": split, "shardLengths": [str(n)]} for split, n in counts.items()]
    (folder / "dataset_info.json").write_text(json.dumps({"splits": splits}))


def test_unprepared_sets_say_which_command_gets_them(tmp_path):
    for name, command in (("svhn_cropped", "tfds build svhn_cropped"),
                          ("celeb_a", "tfds build celeb_a"),
                          ("lsun_bedroom", "tfds build lsun/bedroom")):
        row = get_dataset(name).status(str(tmp_path))
        assert row["status"] == "missing" and row["how_to_get"].startswith(command)
        with pytest.raises(DataError, match=f"{name}: not found \\(looked at .*tfds/.*\\); "
                                            f"to get it: {command}"):
            get_dataset(name).load("train")


def test_prepared_copy_counts_are_checked(tmp_path):
    prepare(tmp_path / "tfds", "svhn_cropped", "3.1.0",
            {"train": 73257, "test": 26032, "extra": 531131})
    row = get_dataset("svhn_cropped").status()
    assert (row["status"], row["samples"]) == ("found", "73257/26032/531131")
    assert row["source"] == f"tfds ({tmp_path / 'tfds' / 'svhn_cropped' / '3.1.0'})"
    prepare(tmp_path / "data", "svhn_cropped", "3.0.0",
            {"train": 5, "test": 26032, "extra": 531131})
    row = get_dataset("svhn_cropped").status(str(tmp_path / "data"))  # the data dir comes first
    assert row["status"] == "corrupt"
    assert "train split has 5 images, expected 73257" in row["how_to_get"]


def test_celeb_a_is_cropped_and_resized_to_64(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    prepare(tmp_path / "tfds", "celeb_a", "2.1.0",
            {"train": 162770, "validation": 19867, "test": 19962})
    with tfds.testing.mock_data(num_examples=4):
        images, labels = get_dataset("celeb_a").load("test", limit=4)
    assert images.shape == (4, 64, 64, 3) and images.dtype == np.uint8
    assert labels.tolist() == [-1] * 4


def test_center_crop_resize():
    image = np.zeros((218, 178, 3), np.uint8)
    image[55:163, 35:143] = 200  # the central 108 x 108 square
    out = np.asarray(center_crop_resize(image, 64, crop=108))
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8 and (out == 200).all()
    out = np.asarray(center_crop_resize(np.full((30, 50, 1), 7, np.uint8), 16))
    assert out.shape == (16, 16, 1) and (out == 7).all()

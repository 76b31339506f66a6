"""Datasets read through TensorFlow Datasets once prepared (SVHN, CelebA, LSUN), and the original
CIFAR-10 (Keras' python release or TFDS; never the JPEG copy, which is ``cifar10-jpeg``).

Nothing here downloads unless ``load(..., download=True)`` asks for it.
TensorFlow and TFDS are imported only when a prepared copy is read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

import numpy as np

from .base import ImageDataset, Source, check_counts
from .errors import DataError
from .files import CIFAR_BATCHES, problem, read_cifar_batches, verify_sha256
from .images import keras_download
from .paths import keras_datasets_dir, tfds_data_dir

VERSION = re.compile(r"\d+\.\d+\.\d+")


def tfds_sources(tfds_name: str, data_dir: str | None) -> list[Source]:
    """Prepared copies ``<root>/<name>/<version>/dataset_info.json`` (newest version) in the data
    dir, then in TFDS' data dir."""
    sources = []
    for root in ([Path(data_dir)] if data_dir else []) + [tfds_data_dir()]:
        versions = [p for p in (root / tfds_name).glob("*") if VERSION.fullmatch(p.name)]
        newest = max(versions, key=lambda p: tuple(map(int, p.name.split("."))), default=None)
        sources.append(Source(newest or root / tfds_name / "*", "tfds", "dataset_info.json"))
    return sources


def tfds_counts(source: Source) -> dict[str, int]:
    """Examples per split, from the prepared copy's dataset_info.json."""
    info = source.path / "dataset_info.json"
    try:
        splits = json.loads(info.read_text())["splits"]
        return {s["name"]: sum(int(n) for n in s["shardLengths"]) for s in splits}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{info}: not a readable TFDS dataset_info.json ({problem(exc)})") from None


def center_crop_resize(image, size: int, crop: int | None = None):
    """The central ``crop`` x ``crop`` square (default: the shorter side), resized to ``size``.

    Bilinear with antialiasing, rounded back to uint8: the DCGAN paper's
    CelebA (crop 108) and LSUN (shorter side) preprocessing at 64 x 64.
    """
    import tensorflow as tf

    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(height, width) if crop is None else crop
    top, left = (height - side) // 2, (width - side) // 2
    square = image[top:top + side, left:left + side]
    resized = tf.image.resize(square, [size, size], method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def tfds_read(source: Source, tfds_name: str, split: str, limit: int | None,
              size: int | None = None, crop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of a prepared TFDS copy, in file order; labels are -1 for unlabelled
    sets."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    root = source.path.parents[len(PurePosixPath(tfds_name).parts)]

    def convert(example):
        image = example["image"]
        if size is not None:
            image = center_crop_resize(image, size, crop)
        return image, tf.cast(example.get("label", tf.constant(-1)), tf.int64)

    try:
        builder = tfds.builder(f"{tfds_name}:{source.path.name}", data_dir=str(root))
        chosen = split if limit is None else f"{split}[:{limit}]"
        batches = builder.as_dataset(split=chosen, shuffle_files=False).map(convert).batch(1024)
        pairs = list(batches.as_numpy_iterator())
    except Exception as exc:  # TFDS and tf.data raise many types for a broken or partial copy
        raise DataError(f"{source.path}: the prepared TFDS copy cannot be read "
                        f"({problem(exc)})") from None
    if not pairs:
        raise DataError(f"{source.path}: the {split} split is empty")
    return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])


def tfds_download(tfds_name: str):
    """A downloader that prepares the dataset in TFDS' data dir (network, and disk space)."""

    def fetch():
        import tensorflow_datasets as tfds

        tfds.builder(tfds_name, data_dir=str(tfds_data_dir())).download_and_prepare()

    return fetch


class TfdsDataset(ImageDataset):
    """A dataset read from a prepared TFDS copy, optionally center-cropped and resized."""

    def __init__(self, name: str, tfds_name: str, image_shape: tuple[int, int, int],
                 num_classes: int, counts: dict[str, int], *, size: int | None = None,
                 crop: int | None = None, note: str = ""):
        self.name, self.tfds_name = name, tfds_name
        self.image_shape, self.num_classes = image_shape, num_classes
        self.counts, self.splits = counts, tuple(counts)
        self.size, self.crop, self.note = size, crop, note
        self.downloader = tfds_download(tfds_name)

    def how_to_get(self) -> str:
        return f"tfds build {self.tfds_name}{self.note}"

    def sources(self, data_dir):
        return tfds_sources(self.tfds_name, data_dir)

    def inspect(self, source):
        counts = tfds_counts(source)
        check_counts(source.path, counts, self.counts)
        return counts

    def read(self, source, split, limit=None):
        return tfds_read(source, self.tfds_name, split, limit, self.size, self.crop)


class Cifar10(ImageDataset):
    """The original CIFAR-10: the python release (a folder of pickled batches, or its .tar.gz) in
    the data dir or Keras' cache, else a prepared TFDS copy.

    Image counts of the python release are fixed by its format (10000 per
    batch); ``load`` checks them on the arrays.
    """

    name, num_classes, image_shape = "cifar10", 10, (32, 32, 3)
    splits, counts = ("train", "test"), {"train": 50000, "test": 10000}
    ARCHIVE, FOLDER = "cifar-10-python.tar.gz", "cifar-10-batches-py"
    # Keras' file_hash
    SHA256 = ("6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",)
    downloader = staticmethod(keras_download("cifar10"))

    def how_to_get(self) -> str:
        return ('run: python -c "import keras; keras.datasets.cifar10.load_data()", '
                "or: tfds build cifar10, "
                f"or put {self.ARCHIVE} (https://www.cs.toronto.edu/~kriz/{self.ARCHIVE}) "
                "in the data dir")

    def sources(self, data_dir):
        keras = keras_datasets_dir()
        local = ([Source(Path(data_dir) / self.ARCHIVE, "data dir"),
                  Source(Path(data_dir) / self.FOLDER, "data dir")] if data_dir else [])
        keras3 = keras / f"{self.FOLDER}-target" / self.FOLDER
        return local + [Source(keras3, "keras cache"),  # Keras 3
                        Source(keras / self.FOLDER, "keras cache"),  # Keras 2
                        *tfds_sources("cifar10", data_dir)]

    def import_target(self, path: Path) -> str:
        return self.ARCHIVE if path.is_file() else self.FOLDER

    def inspect(self, source):
        if source.origin == "tfds":
            counts = tfds_counts(source)
            check_counts(source.path, counts, self.counts)
            return counts
        missing = [n for names in CIFAR_BATCHES.values() for n in names
                   if not (source.path / n).is_file()]
        if source.path.is_dir() and missing:
            raise DataError(f"{source.path}: has no {missing[0]}")
        return dict(self.counts)

    def checksum(self, source):
        return verify_sha256(source.path, self.SHA256) if source.path.is_file() else "unknown"

    def read(self, source, split, limit=None):
        if source.origin == "tfds":
            return tfds_read(source, "cifar10", split, limit)
        return read_cifar_batches(source.path, split)


CIFAR10 = Cifar10()

SVHN_CROPPED = TfdsDataset("svhn_cropped", "svhn_cropped", (32, 32, 3), 10,
                           {"train": 73257, "test": 26032, "extra": 531131})
CELEB_A = TfdsDataset("celeb_a", "celeb_a", (64, 64, 3), 0,
                      {"train": 162770, "validation": 19867, "test": 19962}, size=64, crop=108)
LSUN_BEDROOM = TfdsDataset("lsun_bedroom", "lsun/bedroom", (64, 64, 3), 0,
                           {"train": 3033042, "validation": 300}, size=64,
                           note=" (needs: pip install tensorflow-io; downloads about 46 GB)")

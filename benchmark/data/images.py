"""Datasets stored as arrays: .npz files (MNIST, USPS, MNIST-M) and gzipped IDX (Fashion-MNIST)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import ImageDataset, Source, check_counts
from .errors import DataError
from .files import idx_header, npz_header, read_idx, read_npz, verify_sha256
from .paths import SYSTEM_FASHION_MNIST, keras_datasets_dir

SHARED_COPY = ("copy {file} from the project's shared data folder (shared/data, see its README.md) "
               "into the data dir (--data-dir or BENCHMARK_DATA_DIR), or: "
               "python -m genbench data import {name} PATH/{file}")


def keras_download(module: str):
    """A downloader that fetches through keras.datasets.<module> into the Keras cache."""

    def fetch():
        import keras

        getattr(keras.datasets, module).load_data()

    return fetch


class NpzDataset(ImageDataset):
    """One .npz with ``x_train, y_train, x_test, y_test`` (the layout of Keras' mnist.npz).

    Grey images are stored as (N, H, W). With ``float_pixels`` the file holds
    float32 in [0, 1], loaded as uint8 ``round(x * 255)``.
    """

    splits = ("train", "test")

    def __init__(self, name: str, filename: str, image_shape: tuple[int, int, int],
                 counts: dict[str, int], sha256s: tuple[str, ...], *, float_pixels: bool = False,
                 keras_module: str | None = None, how_to_get: str | None = None):
        self.name, self.filename = name, filename
        self.image_shape, self.counts = image_shape, counts
        self.num_classes = 10
        self.sha256s, self.float_pixels, self.keras_module = sha256s, float_pixels, keras_module
        self.downloader = keras_download(keras_module) if keras_module else None
        self._how_to_get = how_to_get or SHARED_COPY.format(file=filename, name=name)

    def how_to_get(self) -> str:
        return self._how_to_get

    def sources(self, data_dir):
        found = [Source(Path(data_dir) / self.filename, "data dir")] if data_dir else []
        if self.keras_module:
            found.append(Source(keras_datasets_dir() / self.filename, "keras cache"))
        return found

    def import_target(self, path: Path) -> str:
        if not path.is_file():
            raise DataError(f"{self.name}: {path} is not a file; "
                            f"import the {self.filename} file itself")
        return self.filename

    def inspect(self, source):
        header = npz_header(source.path)
        stored = self.image_shape[:2] if self.image_shape[2] == 1 else self.image_shape
        dtype = np.dtype(np.float32 if self.float_pixels else np.uint8)
        counts = {}
        for split in self.splits:
            for key in (f"x_{split}", f"y_{split}"):
                if key not in header:
                    raise DataError(f"{source.path}: has no array {key!r} "
                                    f"(it has {', '.join(header)})")
            shape, found = header[f"x_{split}"]
            if shape[1:] != stored or found != dtype:
                raise DataError(f"{source.path}: x_{split} is {found} {shape}, expected {dtype} "
                                f"(N, {', '.join(map(str, stored))})")
            label_shape, label_dtype = header[f"y_{split}"]
            if label_shape != shape[:1] or label_dtype.kind not in "iu":
                raise DataError(f"{source.path}: y_{split} is {label_dtype} {label_shape}, "
                                f"expected {shape[0]} integer labels")
            counts[split] = shape[0]
        check_counts(source.path, counts, self.counts)
        return counts

    def checksum(self, source):
        return verify_sha256(source.path, self.sha256s)

    def read(self, source, split, limit=None):
        arrays = read_npz(source.path, [f"x_{split}", f"y_{split}"])
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if self.float_pixels:
            if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
                raise DataError(f"{source.path}: x_{split} values range over {np.nanmin(images)}.."
                                f"{np.nanmax(images)}, expected 0..1")
            images = np.round(images * 255).astype(np.uint8)
        return images.reshape(len(images), *self.image_shape), labels.astype(np.int64)


class IdxDataset(ImageDataset):
    """The four gzipped IDX files of an MNIST-format set, in one folder (Fashion-MNIST).

    Known hashes are of the decompressed IDX bytes: Debian's package
    re-compresses the upstream .gz files, so hashes of the .gz files differ.
    """

    splits = ("train", "test")
    FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
             "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}

    def __init__(self, name: str, folder: str, keras_module: str, image_shape: tuple[int, int, int],
                 counts: dict[str, int], sha256s: dict[str, str], how_to_get: str):
        self.name, self.folder, self.keras_module = name, folder, keras_module
        self.image_shape, self.counts, self.sha256s = image_shape, counts, sha256s
        self.num_classes = 10
        self.downloader = keras_download(keras_module)
        self._how_to_get = how_to_get

    def how_to_get(self) -> str:
        return self._how_to_get

    def sources(self, data_dir):
        marker = self.FILES["train"][0]
        found = ([Source(Path(data_dir) / self.folder, "data dir", marker),
                  Source(Path(data_dir), "data dir", marker)] if data_dir else [])
        return found + [Source(keras_datasets_dir() / self.folder, "keras cache", marker),
                        Source(SYSTEM_FASHION_MNIST, "system package", marker)]

    def import_target(self, path: Path) -> str:
        if not all((path / f).is_file() for files in self.FILES.values() for f in files):
            raise DataError(f"{self.name}: {path} must be a folder holding "
                            f"{', '.join(f for files in self.FILES.values() for f in files)}")
        return self.folder

    def inspect(self, source):
        counts = {}
        all_files = ", ".join(f for pair in self.FILES.values() for f in pair)
        for split, (image_file, label_file) in self.FILES.items():
            for file in (image_file, label_file):
                if not (source.path / file).is_file():
                    raise DataError(f"{source.path / file}: is missing; the four IDX files "
                                    f"({all_files}) must be in one folder")
            dims = idx_header(source.path / image_file)
            label_dims = idx_header(source.path / label_file)
            if dims[1:] != self.image_shape[:2]:
                raise DataError(f"{source.path / image_file}: holds images of shape {dims}, "
                                f"expected (N, {self.image_shape[0]}, {self.image_shape[1]})")
            if label_dims != dims[:1]:
                raise DataError(f"{source.path / label_file}: holds {label_dims} labels "
                                f"for {dims[0]} images")
            counts[split] = dims[0]
        check_counts(source.path, counts, self.counts)
        return counts

    def checksum(self, source):
        for files in self.FILES.values():
            for file in files:
                verify_sha256(source.path / file, [self.sha256s[file]], gunzip=True)
        return "verified"

    def read(self, source, split, limit=None):
        image_file, label_file = self.FILES[split]
        images, labels = read_idx(source.path / image_file), read_idx(source.path / label_file)
        return images.reshape(*images.shape, 1), labels.astype(np.int64)


MNIST = NpzDataset(
    "mnist", "mnist.npz", (28, 28, 1), {"train": 60000, "test": 10000},
    ("06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",  # shared data copy
     "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),  # Keras' download
    keras_module="mnist",
    how_to_get="put mnist.npz in the data dir, or with a network: "
               "python -m genbench data download mnist "
               '(the same as python -c "import keras; keras.datasets.mnist.load_data()")')

USPS = NpzDataset(
    "usps", "usps.npz", (16, 16, 1), {"train": 7291, "test": 2007},
    ("95e790f272f9ff97b293f6960cbae5a4632b24788dc64725d33a6fed681fab9f",), float_pixels=True)

MNIST_M = NpzDataset(
    "mnist_m", "mnist_m.npz", (32, 32, 3), {"train": 59001, "test": 9001},
    ("4b6c1dcb94730a7db37c7587400dbfd4c69652711f0808fb21986cc36d482b82",))

FASHION_MNIST = IdxDataset(
    "fashion_mnist", "fashion-mnist", "fashion_mnist", (28, 28, 1), {"train": 60000, "test": 10000},
    {"train-images-idx3-ubyte.gz":
         "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
     "train-labels-idx1-ubyte.gz":
         "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
     "t10k-images-idx3-ubyte.gz":
         "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
     "t10k-labels-idx1-ubyte.gz":
         "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
    how_to_get="put the four IDX files in DATA_DIR/fashion-mnist/ (the project's shared/data has "
               "them), or with a network: python -m genbench data download fashion_mnist")

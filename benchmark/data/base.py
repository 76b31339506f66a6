"""What every image dataset shares: where it may be, loading with checks, and its status row."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ChecksumMismatch, DataError
from .files import problem
from .paths import resolve_data_dir

STATUS_KEYS = ("dataset", "status", "source", "samples", "checksum", "how_to_get")


def status_row(dataset: str, status: str, source: str = "", samples: str = "", checksum: str = "",
               how_to_get: str = "") -> dict[str, str]:
    """One row of ``python -m benchmark data status``."""
    values = (dataset, status, source, samples, checksum, how_to_get)
    return dict(zip(STATUS_KEYS, values, strict=True))


@dataclass(frozen=True)
class Source:
    """A place a dataset may be: a file or folder, and what kind of place it is.

    ``marker`` names a file that must exist inside a folder source (the folder
    alone proves nothing when it is the data directory itself).
    """

    path: Path
    origin: str  # "data dir", "keras cache", "system package", "tfds", "folder"
    marker: str = ""

    def exists(self) -> bool:
        return (self.path / self.marker).exists() if self.marker else self.path.exists()

    def describe(self) -> str:
        if self.origin in ("data dir", "folder"):
            return str(self.path)
        return f"{self.origin} ({self.path})"


class ImageDataset:
    """An image dataset that loads as uint8 NHWC arrays and int64 labels.

    Subclasses set ``name``, ``num_classes`` (0: unlabelled, labels are -1),
    ``image_shape``, ``splits`` and ``counts`` (expected images per split, or
    None when unknown) and implement ``sources``, ``inspect``, ``read`` and
    ``how_to_get``; those with known hashes override ``checksum``; those that
    can be fetched over the network set ``downloader``.
    """

    name: str
    num_classes: int
    image_shape: tuple[int, int, int]
    splits: tuple[str, ...]
    counts: dict[str, int] | None
    downloader: Callable[[], object] | None = None

    def sources(self, data_dir: str | None) -> list[Source]:
        """Candidate places, in the order they are tried."""
        raise NotImplementedError

    def inspect(self, source: Source) -> dict[str, int]:
        """Cheap structural checks of a found source (headers, file list): images per split.

        Raises DataError naming the file and the problem.
        """
        raise NotImplementedError

    def checksum(self, source: Source) -> str:
        """"verified" (sha256 known and matching) or "unknown"; raises ChecksumMismatch."""
        return "unknown"

    def read(self, source: Source, split: str,
             limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Raw (images, labels) of one split; ``load`` checks them and keeps the first ``limit``.

        Readers that can stop early (TFDS) use ``limit``; the others read the split whole.
        """
        raise NotImplementedError

    def how_to_get(self) -> str:
        """The exact command, URL or copy step that gets this dataset."""
        raise NotImplementedError

    def download(self, data_dir: str | None = None) -> Source:
        """Fetch the dataset over the network into a cache that ``sources`` looks at, check it,
        and say in one line where it went. Returns the new source."""
        if self.downloader is None:
            raise DataError(f"{self.name}: has no downloader; {self.how_to_get()}")
        print(f"{self.name}: not found locally; downloading it", file=sys.stderr, flush=True)
        try:
            self.downloader()
        except Exception as exc:  # network and server errors of any kind
            raise DataError(f"{self.name}: download failed ({problem(exc)}); "
                            f"{self.how_to_get()}") from None
        source = self.locate(data_dir)
        if source is None:
            raise DataError(f"{self.name}: the download left nothing where it is looked for; "
                            f"{self.how_to_get()}")
        with self._about(source):
            self.inspect(source)
            checksum = self.checksum(source)
        print(f"{self.name}: downloaded to {source.path} (checksum {checksum})",
              file=sys.stderr, flush=True)
        return source

    def locate(self, data_dir: str | None = None) -> Source | None:
        """The first source that exists, or None."""
        return next((s for s in self.sources(resolve_data_dir(data_dir)) if s.exists()), None)

    @contextmanager
    def _about(self, source: Source):
        """Prefix errors with the dataset name and end them with how to fix them."""
        try:
            yield
        except DataError as err:
            fix = f"replace or delete it; to get a good copy: {self.how_to_get()}"
            raise type(err)(f"{self.name}: {err}; {fix}") from None

    def missing_error(self, data_dir: str | None) -> DataError:
        data_dir = resolve_data_dir(data_dir)
        places = [str(s.path / s.marker) if s.marker else str(s.path)
                  for s in self.sources(data_dir)]
        notes = ([f"looked at {', '.join(places)}"] if places else []) + (
            [] if data_dir else ["no data dir set: pass --data-dir or set BENCHMARK_DATA_DIR"])
        return DataError(f"{self.name}: not found ({'; '.join(notes)}); "
                         f"to get it: {self.how_to_get()}")

    def load(self, split: str, data_dir: str | None = None, *, limit: int | None = None,
             download: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Images (N, H, W, C) uint8 and labels (N,) int64 of one split, checked.

        ``limit`` keeps the first images only (for the very large TFDS sets it
        also reads only those). ``download=True`` fetches a missing dataset over
        the network first (only where a downloader exists); without it nothing
        is downloaded.
        """
        if split not in self.splits:
            raise DataError(f"{self.name}: no split {split!r}; splits are {', '.join(self.splits)}")
        source = self.locate(data_dir)
        if source is None and download and self.downloader is not None:
            source = self.download(data_dir)
        if source is None:
            raise self.missing_error(data_dir)
        with self._about(source):
            counts = self.inspect(source)
            images, labels = self.read(source, split, limit)
            images, labels = images[:limit], labels[:limit]
            expected = counts.get(split) if limit is None else min(counts.get(split, limit), limit)
            check_images(source.path, split, images, labels, self.image_shape, self.num_classes,
                         expected)
            # last, so that a specific problem is named before a hash mismatch
            self.checksum(source)
        return images, labels

    def status(self, data_dir: str | None = None) -> dict[str, str]:
        """Found / missing / corrupt, with where, how many, checksum state and how to get it."""
        source = self.locate(data_dir)
        if source is None:
            return status_row(self.name, "missing", how_to_get=self.how_to_get())
        try:
            with self._about(source):
                counts = self.inspect(source)
                checksum = self.checksum(source)
        except DataError as err:
            return status_row(self.name, "corrupt", source.describe(),
                              checksum="mismatch" if isinstance(err, ChecksumMismatch) else "",
                              how_to_get=str(err).removeprefix(f"{self.name}: "))
        samples = "/".join(str(counts[s]) for s in self.splits)
        return status_row(self.name, "found", source.describe(), samples, checksum)

    def import_target(self, path: Path) -> str:
        """The name under the data dir that an imported file or folder gets."""
        raise DataError(f"{self.name}: cannot be imported from a file; {self.how_to_get()}")


def check_counts(where: Path | str, counts: dict[str, int],
                 expected: dict[str, int] | None) -> None:
    """Images per split must match the published split sizes."""
    for split, count in (expected or {}).items():
        if counts.get(split) != count:
            raise DataError(f"{where}: {split} split has {counts.get(split, 0)} images, "
                            f"expected {count}")


def check_images(where: Path, split: str, images: np.ndarray, labels: np.ndarray,
                 image_shape: tuple[int, ...], num_classes: int, count: int | None) -> None:
    """Shape, dtype, count and label range of a loaded split."""
    if images.dtype != np.uint8 or images.shape[1:] != tuple(image_shape):
        raise DataError(f"{where}: {split} images are {images.dtype} {images.shape}, "
                        f"expected uint8 (N, {', '.join(map(str, image_shape))})")
    if labels.dtype != np.int64 or labels.shape != images.shape[:1]:
        raise DataError(f"{where}: {split} has {labels.shape} {labels.dtype} labels "
                        f"for {len(images)} images")
    if count is not None and len(images) != count:
        raise DataError(f"{where}: {split} split has {len(images)} images, expected {count}")
    if len(images) == 0:
        raise DataError(f"{where}: {split} split has no images")
    low, high = (-1, -1) if num_classes == 0 else (0, num_classes - 1)
    if labels.min() < low or labels.max() > high:
        raise DataError(f"{where}: {split} labels range over {labels.min()}..{labels.max()}, "
                        f"expected {low}..{high}")

"""Folder trees of image files (in a directory or a .tar/.tar.gz archive) and image decoding."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

from .errors import DataError
from .files import READ_ERRORS, problem, sha256

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm",
                            ".tif", ".tiff"})
GREY_MODES = frozenset({"1", "L"})


def _is_image(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix.lower() in IMAGE_SUFFIXES and not any(p.startswith(".") for p in path.parts)


class ImageTree:
    """The image files below a directory, or inside a tar archive, by relative POSIX path.

    Hidden files and folders (``.git``, macOS ``._*`` files) and non-image
    files are ignored.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.is_archive = self.path.is_file()

    def _archive_members(self) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
        try:
            with tarfile.open(self.path, "r:*") as archive:
                for member in archive:
                    name = member.name.removeprefix("./")
                    if member.isfile() and _is_image(name):
                        yield name, archive, member
        except READ_ERRORS as exc:
            raise DataError(f"{self.path}: not a readable tar archive, it may be truncated "
                            f"({problem(exc)})") from None

    def _directory_names(self) -> list[str]:
        names = []
        for folder, subfolders, files in os.walk(self.path):
            subfolders[:] = [s for s in subfolders if not s.startswith(".")]
            relative = Path(folder).relative_to(self.path)
            paths = [(relative / f).as_posix() for f in files]
            names += [path for path in paths if _is_image(path)]
        return sorted(names)

    def names(self) -> list[str]:
        """Relative paths of the image files, sorted (an archive is listed once per process)."""
        if self.is_archive:
            stat = self.path.stat()
            return list(_archive_names(self.path.resolve(), stat.st_size, stat.st_mtime_ns))
        return self._directory_names()

    def items(self) -> Iterator[tuple[str, bytes]]:
        """(relative path, file bytes) of every image file, in storage order."""
        if not self.is_archive:
            for name in self._directory_names():
                yield name, (self.path / name).read_bytes()
            return
        for name, archive, member in self._archive_members():
            try:
                data = archive.extractfile(member).read()
            except READ_ERRORS as exc:
                raise DataError(f"{self.path}: {name} cannot be read from the archive "
                                f"({problem(exc)})") from None
            yield name, data

    def first(self) -> tuple[str, bytes]:
        """The first image file (first in the archive, or first by name in a directory)."""
        for item in self.items():
            return item
        raise DataError(f"{self.path}: contains no image files "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))})")

    def fingerprint(self) -> str:
        """Changes whenever the tree does: the archive's sha256, or a hash of names, sizes and
        mtimes."""
        if self.is_archive:
            return sha256(self.path)
        digest = hashlib.sha256()
        for name in self._directory_names():
            stat = (self.path / name).stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()


@lru_cache(maxsize=8)
def _archive_names(path: Path, size: int, mtime_ns: int) -> tuple[str, ...]:
    """Listing a 60,000-file .tar.gz takes over a second; size and mtime key the memo."""
    return tuple(sorted(name for name, _, _ in ImageTree(path)._archive_members()))


def image_channels(data: bytes, name: str) -> tuple[int, int, int]:
    """(height, width, channels) of an encoded image: 1 channel for 8-bit grey, else 3 (RGB)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.height, image.width, 1 if image.mode in GREY_MODES else 3
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{name}: not a readable image ({problem(exc)})") from None


def decode_image(data: bytes, name: str, shape: tuple[int, int, int]) -> np.ndarray:
    """An encoded image as a uint8 (H, W, C) array; it must have the given shape.

    Grey images become RGB when ``shape`` has 3 channels; a colour image in a
    1-channel set is an error rather than a silent conversion to grey.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if shape[2] == 1 and image.mode not in GREY_MODES:
                raise DataError(f"{name}: colour image (mode {image.mode}) in a greyscale set")
            pixels = np.asarray(image.convert("L" if shape[2] == 1 else "RGB"))
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{name}: not a readable image ({problem(exc)})") from None
    pixels = pixels.reshape(*pixels.shape[:2], shape[2])
    if pixels.shape != tuple(shape):
        raise DataError(f"{name}: image is {pixels.shape[1]}x{pixels.shape[0]}, "
                        f"the set's first image is {shape[1]}x{shape[0]}; "
                        "resize the images to one size")
    return pixels

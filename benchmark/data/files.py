"""Readers for the dataset file formats, and sha256 checks remembered between runs.

Every reader turns a low-level failure (zipfile, gzip, numpy, pickle, tarfile)
into a DataError that names the file and the problem.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import os
import pickle
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import ChecksumMismatch, DataError
from .paths import cache_dir

READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error, tarfile.TarError,
               pickle.UnpicklingError)
CHECKSUMS_FILE = "checksums.json"


def problem(exc: BaseException) -> str:
    """A low-level exception as a short phrase for a DataError message."""
    return f"{type(exc).__name__}: {exc}"


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a file through a temporary sibling and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- sha256, remembered by (path, size, mtime) in the cache dir ---------------------------------

def _load_checksums() -> dict:
    try:
        return json.loads((cache_dir() / CHECKSUMS_FILE).read_text())
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: hash again


def sha256(path: Path, *, gunzip: bool = False) -> str:
    """sha256 of a file (of its decompressed bytes if gunzip), hashed once per (path, size, mtime).

    The result is remembered in ``checksums.json`` in the cache dir, so that
    repeated loads do not re-read large files.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({problem(exc)})") from None
    key = f"{path.resolve()}{' (gunzip)' if gunzip else ''}"
    stamp = [stat.st_size, stat.st_mtime_ns]
    remembered = _load_checksums()
    if remembered.get(key, {}).get("stamp") == stamp:
        return remembered[key]["sha256"]
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") if gunzip else open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot be read to the end, it may be truncated "
                        f"({problem(exc)})") from None
    remembered[key] = {"stamp": stamp, "sha256": digest.hexdigest()}
    try:
        write_atomically(cache_dir() / CHECKSUMS_FILE,
                         lambda stream: stream.write(json.dumps(remembered, indent=1).encode()))
    except OSError:
        pass  # an unwritable cache dir only means hashing again next time
    return digest.hexdigest()


def verify_sha256(path: Path, known: Iterable[str], *, gunzip: bool = False) -> str:
    """"verified" if the file's sha256 is one of ``known``, "unknown" if nothing is known.

    Raises ChecksumMismatch when hashes are known and none matches.
    """
    known = tuple(known)
    if not known:
        return "unknown"
    got = sha256(path, gunzip=gunzip)
    if got in known:
        return "verified"
    what = "sha256 of the decompressed data" if gunzip else "sha256"
    raise ChecksumMismatch(f"{path}: {what} is {got[:16]}..., not the known "
                           f"{' or '.join(k[:16] + '...' for k in known)}: the file is corrupt, "
                           "truncated or a different version")


# --- .npz ---------------------------------------------------------------------------------------

def npz_header(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array in an .npz file, read from the array headers only."""
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = {}
            for member in archive.namelist():
                if member.endswith(".npy"):
                    with archive.open(member) as stream:
                        version = np.lib.format.read_magic(stream)
                        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                else np.lib.format.read_array_header_2_0)
                        shape, _, dtype = read(stream)
                    arrays[member[:-len(".npy")]] = (shape, dtype)
            return arrays
    except READ_ERRORS as exc:
        raise DataError(f"{path}: not a readable .npz file, it may be truncated "
                        f"({problem(exc)})") from None


def read_npz(path: Path, keys: Iterable[str]) -> dict[str, np.ndarray]:
    """The named arrays of an .npz file (no pickled objects allowed)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise DataError(f"{path}: has no array {missing[0]!r} "
                                f"(it has {', '.join(archive.files)})")
            return {key: archive[key] for key in keys}
    except READ_ERRORS as exc:
        raise DataError(f"{path}: not a readable .npz file, it may be truncated "
                        f"({problem(exc)})") from None


# --- gzipped IDX (MNIST-style) ------------------------------------------------------------------

def _idx_dims(stream: BinaryIO, path: Path) -> tuple[int, ...]:
    magic = stream.read(4)
    if len(magic) != 4 or magic[:3] != b"\x00\x00\x08":
        raise DataError(f"{path}: not an IDX file of unsigned bytes "
                        f"(magic {magic.hex() or 'missing'})")
    raw = stream.read(4 * magic[3])
    if len(raw) != 4 * magic[3]:
        raise DataError(f"{path}: IDX header is cut short")
    return tuple(int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw), 4))


def idx_header(path: Path) -> tuple[int, ...]:
    """Dimensions of a gzipped IDX file, from its header."""
    try:
        with gzip.open(path, "rb") as stream:
            return _idx_dims(stream, path)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file ({problem(exc)})") from None


def read_idx(path: Path) -> np.ndarray:
    """The uint8 array stored in a gzipped IDX file."""
    try:
        with gzip.open(path, "rb") as stream:
            dims = _idx_dims(stream, path)
            payload = stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file, it may be truncated "
                        f"({problem(exc)})") from None
    expected = int(np.prod(dims))
    if len(payload) != expected:
        raise DataError(f"{path}: holds {len(payload)} data bytes but its header {dims} "
                        f"needs {expected}")
    return np.frombuffer(payload, np.uint8).reshape(dims)


# --- CIFAR-10 python release (pickled batches) --------------------------------------------------

CIFAR_BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches: dicts, lists and numpy arrays, nothing that can run code."""

    _RECONSTRUCT = np.ndarray(0).__reduce__()[0]  # numpy's array rebuilder, whatever its module
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
               ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): codecs.encode}  # Python 3 writes bytes in protocol 2 this way

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name}")
        return self.ALLOWED[module, name]


def _cifar_blobs(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    if path.is_dir():
        return {name: (path / name).read_bytes() for name in names if (path / name).is_file()}
    blobs = {}
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name in names:
                blobs[name] = archive.extractfile(member).read()
    return blobs


def read_cifar_batches(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 32, 32, 3) uint8 and labels of one split of CIFAR-10's python release.

    ``path`` is the ``cifar-10-batches-py`` folder or the ``cifar-10-python.tar.gz`` archive.
    """
    names = CIFAR_BATCHES[split]
    try:
        blobs = _cifar_blobs(path, names)
        images, labels = [], []
        for name in names:
            if name not in blobs:
                raise DataError(f"{path}: has no {name}")
            batch = _ArrayUnpickler(io.BytesIO(blobs[name]), encoding="bytes").load()
            data = np.asarray(batch[b"data"])
            if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise DataError(f"{path}: {name} has no uint8 image rows of 3072 bytes")
            images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            labels.append(np.asarray(batch[b"labels"], np.int64))
    except (*READ_ERRORS, KeyError, TypeError) as exc:
        raise DataError(f"{path}: CIFAR-10 batches cannot be read ({problem(exc)})") from None
    return np.concatenate(images), np.concatenate(labels)

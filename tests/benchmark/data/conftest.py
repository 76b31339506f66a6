"""Shared fixtures: isolation from the user's caches, the shared data copies, tiny file makers."""

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
# Fashion-MNIST: the shared copy, else Debian's package dataset-fashion-mnist.
FASHION_COPIES = (SHARED / "fashion-mnist", Path("/usr/share/datasets/fashion-mnist"))


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path, tmp_path_factory):
    """No user data dir, Keras cache or TFDS dir leaks in; one cache dir for the session, so
    that the shared files are hashed once."""
    monkeypatch.delenv("BENCHMARK_DATA_DIR", raising=False)
    monkeypatch.setenv("BENCHMARK_CACHE_DIR",
                       str(tmp_path_factory.getbasetemp() / "genbench-cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))


@pytest.fixture
def shared():
    if not (SHARED / "mnist.npz").exists():
        pytest.skip(f"shared data copies not found at {SHARED}")
    return SHARED


@pytest.fixture
def fashion_dir():
    for folder in FASHION_COPIES:
        if (folder / "train-images-idx3-ubyte.gz").exists():
            return folder
    pytest.skip(f"Fashion-MNIST IDX files not found in {' or '.join(map(str, FASHION_COPIES))}")


def write_npz(path, **arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def write_idx(path, array, magic=b"\x00\x00\x08"):
    """A gzipped IDX file of uint8 data with the given dims header."""
    array = np.asarray(array, np.uint8)
    header = magic + bytes([array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(header + array.tobytes()))
    return path


def png_bytes(pixels):
    from PIL import Image

    pixels = np.asarray(pixels, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def image(seed, shape=(32, 32, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def write_tree(root, files):
    """files: {relative path: pixels array or raw bytes}; root ending in .tar.gz makes an
    archive."""
    blobs = {name: data if isinstance(data, bytes) else png_bytes(data)
             for name, data in files.items()}
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    if root.name.endswith(".tar.gz"):
        with tarfile.open(root, "w:gz") as archive:
            for name, data in blobs.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        for name, data in blobs.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
    return root


@pytest.fixture
def files():
    """The tiny-file makers, for tests in modules that cannot import conftest."""

    class Makers:
        npz, idx, tree, png, image = (staticmethod(write_npz), staticmethod(write_idx),
                                      staticmethod(write_tree), staticmethod(png_bytes),
                                      staticmethod(image))

    return Makers

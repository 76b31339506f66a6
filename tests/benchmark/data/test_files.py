"""Broken files give one-line DataErrors naming the file and the problem, never a traceback."""

import gzip
import pickle
import shutil
import tarfile

import numpy as np
import pytest

from genbench.benchmark.data import DataError, get_dataset
from genbench.benchmark.data import files as data_files
from genbench.benchmark.data.errors import ChecksumMismatch
from genbench.benchmark.data.files import read_cifar_batches, sha256

IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def usps_arrays(x_train=None, y_train=None):
    """Valid-looking USPS arrays (sizes, dtypes and ranges right) that are not the known file."""
    return {"x_train": np.zeros((7291, 16, 16), np.float32) if x_train is None else x_train,
            "y_train": np.zeros(7291, np.uint8) if y_train is None else y_train,
            "x_test": np.zeros((2007, 16, 16), np.float32), "y_test": np.zeros(2007, np.uint8)}


def load_error(name, data_dir, split="train"):
    with pytest.raises(DataError) as caught:
        get_dataset(name).load(split, str(data_dir))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{name}: ")
    return caught.value


def test_truncated_npz(shared, tmp_path):
    data = (shared / "usps.npz").read_bytes()
    (tmp_path / "usps.npz").write_bytes(data[: len(data) // 2])
    message = str(load_error("usps", tmp_path))
    assert f"{tmp_path / 'usps.npz'}: not a readable .npz file, it may be truncated" in message
    assert "replace or delete it" in message and "copy usps.npz" in message


def test_wrong_shape(files, tmp_path):
    files.npz(tmp_path / "mnist.npz", x_train=np.zeros((5, 32, 32), np.uint8),
              y_train=np.zeros(5, np.uint8), x_test=np.zeros((5, 28, 28), np.uint8),
              y_test=np.zeros(5, np.uint8))
    assert (f"{tmp_path / 'mnist.npz'}: x_train is uint8 (5, 32, 32), expected uint8 (N, 28, 28)"
            in str(load_error("mnist", tmp_path)))


def test_missing_array_and_wrong_counts(files, tmp_path):
    files.npz(tmp_path / "mnist.npz", x_train=np.zeros((5, 28, 28), np.uint8),
              y_train=np.zeros(5, np.uint8))
    assert "mnist.npz: has no array 'x_test'" in str(load_error("mnist", tmp_path))
    files.npz(tmp_path / "mnist.npz", x_train=np.zeros((5, 28, 28), np.uint8),
              y_train=np.zeros(5, np.uint8), x_test=np.zeros((5, 28, 28), np.uint8),
              y_test=np.zeros(5, np.uint8))
    assert ("mnist.npz: train split has 5 images, expected 60000"
            in str(load_error("mnist", tmp_path)))


def test_bad_label_range(files, tmp_path):
    labels = np.zeros(7291, np.uint8)
    labels[7] = 12
    files.npz(tmp_path / "usps.npz", **usps_arrays(y_train=labels))
    assert ("usps.npz: train labels range over 0..12, expected 0..9"
            in str(load_error("usps", tmp_path)))


def test_pixel_range_of_float_files(files, tmp_path):
    files.npz(tmp_path / "usps.npz",
              **usps_arrays(x_train=np.full((7291, 16, 16), 2.0, np.float32)))
    assert ("usps.npz: x_train values range over 2.0..2.0, expected 0..1"
            in str(load_error("usps", tmp_path)))


def test_checksum_mismatch_for_a_known_name(files, tmp_path):
    files.npz(tmp_path / "usps.npz", **usps_arrays())
    error = load_error("usps", tmp_path)
    assert isinstance(error, ChecksumMismatch)
    assert f"{tmp_path / 'usps.npz'}: sha256 sha256 is" not in str(error)
    assert f"{tmp_path / 'usps.npz'}: sha256 is " in str(error)
    assert "not the known 95e790f272f9ff97" in str(error)
    row = get_dataset("usps").status(str(tmp_path))
    assert (row["status"], row["checksum"]) == ("corrupt", "mismatch")


def fashion_copy(fashion_dir, target):
    target.mkdir(parents=True)
    for name in IDX_NAMES:
        shutil.copyfile(fashion_dir / name, target / name)
    return target


def test_bad_gzip_idx(fashion_dir, tmp_path):
    folder = fashion_copy(fashion_dir, tmp_path / "fashion-mnist")
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"definitely not gzip")
    message = str(load_error("fashion_mnist", tmp_path, "test"))
    assert f"{folder / 't10k-labels-idx1-ubyte.gz'}: not a readable gzip file" in message
    assert "python -m genbench data download fashion_mnist" in message


def test_truncated_gzip_idx_is_not_skipped_for_the_system_copy(fashion_dir, tmp_path):
    folder = fashion_copy(fashion_dir, tmp_path / "fashion-mnist")
    data = (folder / "train-images-idx3-ubyte.gz").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(data[:100_000])
    message = str(load_error("fashion_mnist", tmp_path))
    assert (f"{folder / 'train-images-idx3-ubyte.gz'}: not a readable gzip file, "
            "it may be truncated" in message)


def test_idx_header_and_payload_checks(files, tmp_path):
    folder = tmp_path / "fashion-mnist"
    files.idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(60000))
    files.idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((10000, 28, 28)))
    files.idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(10000))
    files.idx(folder / "train-images-idx3-ubyte.gz", np.zeros((60000, 28, 28)),
              magic=b"\x00\x00\x0d")
    assert "train-images-idx3-ubyte.gz: not an IDX file of unsigned bytes (magic 00000d03)" in str(
        load_error("fashion_mnist", tmp_path))
    header = b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in (60000, 28, 28))
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + bytes(100)))
    assert ("train-images-idx3-ubyte.gz: holds 100 data bytes but its header (60000, 28, 28) "
            "needs 47040000" in str(load_error("fashion_mnist", tmp_path)))
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    assert "t10k-labels-idx1-ubyte.gz: is missing" in str(load_error("fashion_mnist", tmp_path))


def test_sha256_is_remembered_by_size_and_mtime(tmp_path, monkeypatch):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"abc")
    first = sha256(path)
    monkeypatch.setattr(data_files.hashlib, "sha256", lambda: pytest.fail("hashed again"))
    assert sha256(path) == first
    monkeypatch.undo()
    path.write_bytes(b"abcd")
    assert sha256(path) != first


def write_batch(path, images, labels):
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    path.write_bytes(pickle.dumps({b"data": rows, b"labels": list(labels)}, protocol=2))


def test_cifar10_python_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (tmp_path / "archive").mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 2, 32, 32, 3), dtype=np.uint8)
    for i in range(5):
        write_batch(folder / f"data_batch_{i + 1}", images[i], [i, 9])
    write_batch(folder / "test_batch", images[5], [3, 4])
    x, y = read_cifar_batches(folder, "train")
    np.testing.assert_array_equal(x, images[:5].reshape(10, 32, 32, 3))
    assert y.tolist() == [0, 9, 1, 9, 2, 9, 3, 9, 4, 9]
    assert ("cifar-10-batches-py: train split has 10 images, expected 50000"
            in str(load_error("cifar10", tmp_path)))
    with tarfile.open(tmp_path / "archive" / "cifar-10-python.tar.gz", "w:gz") as archive:
        archive.add(folder, arcname="cifar-10-batches-py")
    x, y = read_cifar_batches(tmp_path / "archive" / "cifar-10-python.tar.gz", "test")
    np.testing.assert_array_equal(x, images[5])
    assert ("cifar-10-python.tar.gz: train split has 10 images, expected 50000"
            in str(load_error("cifar10", tmp_path / "archive")))
    (folder / "test_batch").write_bytes(pickle.dumps(print))
    with pytest.raises(DataError, match=r"cifar-10-batches-py: CIFAR-10 batches cannot be read "
                                        r"\(UnpicklingError: unexpected object builtins.print\)"):
        read_cifar_batches(folder, "test")
    (folder / "data_batch_3").unlink()
    assert "cifar-10-batches-py: has no data_batch_3" in str(load_error("cifar10", tmp_path))


def test_idx_checksum_is_of_the_decompressed_data(fashion_dir, tmp_path):
    folder = fashion_copy(fashion_dir, tmp_path / "fashion-mnist")
    labels = bytearray(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels), mtime=0))
    # re-compressed
    assert get_dataset("fashion_mnist").status(str(tmp_path))["checksum"] == "verified"
    labels[-1] = (labels[-1] + 1) % 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    error = load_error("fashion_mnist", tmp_path, "test")
    assert isinstance(error, ChecksumMismatch)
    assert "t10k-labels-idx1-ubyte.gz: sha256 of the decompressed data is" in str(error)

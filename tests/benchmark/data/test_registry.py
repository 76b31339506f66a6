"""Registry, real shared copies, status table, sources order and the download gate."""

import shutil

import numpy as np
import pytest

from genbench.benchmark.data import (
    DataError,
    dataset_names,
    format_status,
    get_dataset,
    resolve_data_dir,
    status_rows,
)
from genbench.benchmark.data import images as images_module
from genbench.benchmark.data.images import MNIST

EXPECTED = {"mnist": ((28, 28, 1), 60000, 10000), "usps": ((16, 16, 1), 7291, 2007),
            "mnist_m": ((32, 32, 3), 59001, 9001)}


def test_names_and_unknown_name():
    names = dataset_names()
    for name in ("mnist", "fashion_mnist", "usps", "mnist_m", "cifar10-jpeg", "cifar10",
                 "svhn_cropped", "celeb_a", "lsun_bedroom", "ring8", "grid25"):
        assert name in names
        assert get_dataset(name).name == name
    with pytest.raises(DataError, match=r"unknown dataset 'mnits'; known: mnist, .*folder:PATH"):
        get_dataset("mnits")


def test_path_datasets_need_an_existing_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        get_dataset(f"folder:{tmp_path / 'nothing'}")
    with pytest.raises(DataError, match="give a path"):
        get_dataset("folder:")
    with pytest.raises(DataError, match="trainA/ and trainB/"):
        get_dataset(f"unpaired:{tmp_path}")


def test_resolve_data_dir(monkeypatch):
    assert resolve_data_dir(None) is None
    monkeypatch.setenv("BENCHMARK_DATA_DIR", "/from/env")
    assert resolve_data_dir(None) == "/from/env"
    assert resolve_data_dir("/from/flag") == "/from/flag"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_npz_sets_load_checked(shared, name):
    shape, n_train, n_test = EXPECTED[name]
    dataset = get_dataset(name)
    assert dataset.image_shape == shape and dataset.num_classes == 10
    for split, count in (("train", n_train), ("test", n_test)):
        images, labels = dataset.load(split, str(shared))
        assert images.shape == (count, *shape) and images.dtype == np.uint8
        assert labels.shape == (count,) and labels.dtype == np.int64
        assert set(np.unique(labels)) == set(range(10))


def test_usps_floats_become_rounded_uint8(shared):
    images, _ = get_dataset("usps").load("test", str(shared))
    with np.load(shared / "usps.npz") as raw:
        expected = np.round(raw["x_test"] * 255).astype(np.uint8)
    np.testing.assert_array_equal(images[..., 0], expected)


def test_fashion_mnist_from_the_data_dir_else_the_system_package(fashion_dir, monkeypatch):
    dataset = get_dataset("fashion_mnist")
    assert dataset.locate(str(fashion_dir.parent)).path == fashion_dir  # DATA_DIR/fashion-mnist/
    assert dataset.locate(str(fashion_dir)).path == fashion_dir  # or the files in DATA_DIR itself
    monkeypatch.setattr(images_module, "SYSTEM_FASHION_MNIST", fashion_dir)
    assert dataset.locate(None).origin == "system package"
    images, labels = dataset.load("test")
    assert images.shape == (10000, 28, 28, 1) and labels.max() == 9
    row = dataset.status()
    assert (row["status"], row["samples"], row["checksum"]) == ("found", "60000/10000", "verified")


def test_data_dir_comes_before_caches(shared, tmp_path, monkeypatch):
    keras_copy = tmp_path / "keras" / "datasets" / "mnist.npz"
    keras_copy.parent.mkdir(parents=True)
    shutil.copyfile(shared / "mnist.npz", keras_copy)
    assert MNIST.locate(None).origin == "keras cache"
    assert MNIST.locate(str(shared)).path == shared / "mnist.npz"
    monkeypatch.setenv("BENCHMARK_DATA_DIR", str(shared))
    assert MNIST.locate(None).path == shared / "mnist.npz"


def test_missing_dataset_says_how_to_get_it_and_never_downloads(tmp_path, monkeypatch):
    def forbidden():
        raise AssertionError("load() must not download unless download=True")

    monkeypatch.setattr(MNIST, "downloader", forbidden)
    with pytest.raises(DataError) as caught:
        get_dataset("mnist").load("train", str(tmp_path))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("mnist: not found (looked at ")
    assert str(tmp_path / "mnist.npz") in message and "keras.datasets.mnist.load_data()" in message
    with pytest.raises(DataError, match=r"tfds build svhn_cropped"):
        get_dataset("svhn_cropped").load("train", str(tmp_path))


def test_download_flag_runs_the_downloader(shared, tmp_path, monkeypatch, capsys):
    """The real downloader goes to the network; here a stand-in fills the Keras cache."""
    target = tmp_path / "keras" / "datasets" / "mnist.npz"

    def fake_download():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / "mnist.npz", target)

    monkeypatch.setattr(MNIST, "downloader", fake_download)
    images, _ = MNIST.load("test", download=True)
    assert len(images) == 10000
    assert f"mnist: downloaded to {target} (checksum verified)" in capsys.readouterr().err
    target.unlink()
    monkeypatch.setattr(MNIST, "downloader",
                        lambda: target.write_bytes(shared.joinpath("usps.npz").read_bytes()))
    with pytest.raises(DataError, match=r"mnist: .*mnist.npz: x_train is float32"):
        MNIST.load("test", download=True)  # a download that is not what it should be is checked
    monkeypatch.setattr(MNIST, "downloader", lambda: 1 / 0)
    target.unlink()
    with pytest.raises(DataError, match=r"mnist: download failed \(ZeroDivisionError"):
        MNIST.load("test", download=True)


def test_no_downloader_for_the_shared_only_sets(tmp_path):
    with pytest.raises(DataError,
                       match=r"usps: not found \(looked at .*\); to get it: copy usps.npz"):
        get_dataset("usps").load("train", str(tmp_path), download=True)
    with pytest.raises(DataError, match="usps: has no downloader; copy usps.npz"):
        get_dataset("usps").download()
    with pytest.raises(DataError, match=r"usps: not found \(no data dir set: pass --data-dir"):
        get_dataset("usps").load("train")


def test_status_of_the_shared_folder(shared, tmp_path_factory):
    rows = {row["dataset"]: row for row in status_rows(str(shared))}
    assert list(rows) == dataset_names()
    for name, (_, n_train, n_test) in EXPECTED.items():
        assert rows[name] == {"dataset": name, "status": "found",
                              "source": str(shared / f"{name}.npz"),
                              "samples": f"{n_train}/{n_test}", "checksum": "verified",
                              "how_to_get": ""}
    jpeg = rows["cifar10-jpeg"]
    assert ((jpeg["status"], jpeg["samples"], jpeg["checksum"])
            == ("found", "50000/10000", "verified"))
    decoded = (tmp_path_factory.getbasetemp() / "genbench-cache" / "decoded"
               / "cifar10-jpeg-3d296f89aac168b1.npz")
    assert not decoded.exists(), "status must not decode the JPEGs"
    assert rows["fashion_mnist"]["source"] == str(shared / "fashion-mnist")
    assert rows["cifar10"]["status"] == "missing"
    assert "cifar10.load_data()" in rows["cifar10"]["how_to_get"]
    assert rows["lsun_bedroom"]["how_to_get"].startswith("tfds build lsun/bedroom")
    assert rows["ring8"]["status"] == "synthetic" and rows["ring8"]["samples"] == "100000/10000"
    table = format_status(list(rows.values()))
    assert table.splitlines()[0].split() == ["dataset", "status", "samples", "checksum", "source"]
    assert "  svhn_cropped: tfds build svhn_cropped" in table


def test_status_rows_report_corrupt_files_without_raising(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    rows = {row["dataset"]: row for row in status_rows(str(tmp_path))}
    assert rows["mnist"]["status"] == "corrupt"
    assert str(tmp_path / "mnist.npz") in rows["mnist"]["how_to_get"]
    assert "not a readable .npz file" in rows["mnist"]["how_to_get"]
    assert rows["usps"]["status"] == "missing"

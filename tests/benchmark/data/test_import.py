"""import_dataset copies a user's download into the data dir, verifies it, or undoes the copy."""

import numpy as np
import pytest

from genbench.benchmark.data import DataError, get_dataset, import_dataset


def test_import_a_file(shared, tmp_path):
    summary = import_dataset("usps", str(shared / "usps.npz"), str(tmp_path / "data"))
    assert summary == (f"usps: imported {shared / 'usps.npz'} as {tmp_path / 'data' / 'usps.npz'} "
                       "(7291/2007 images, checksum verified)")
    assert get_dataset("usps").status(str(tmp_path / "data"))["status"] == "found"
    with pytest.raises(DataError, match="usps.npz already exists; delete it first"):
        import_dataset("usps", str(shared / "usps.npz"), str(tmp_path / "data"))


def test_import_a_folder(fashion_dir, tmp_path):
    summary = import_dataset("fashion_mnist", str(fashion_dir), str(tmp_path))
    assert summary.endswith("as " + str(tmp_path / "fashion-mnist")
                            + " (60000/10000 images, checksum verified)")
    assert get_dataset("fashion_mnist").locate(str(tmp_path)).path == tmp_path / "fashion-mnist"


def test_a_bad_import_is_undone(files, tmp_path):
    download = files.npz(tmp_path / "downloads" / "mnist (1).npz",
                         x_train=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DataError) as caught:
        import_dataset("mnist", str(download), str(tmp_path / "data"))
    assert "has no array 'y_train'" in str(caught.value)
    assert f"(import undone: {tmp_path / 'data' / 'mnist.npz'} removed)" in str(caught.value)
    assert not (tmp_path / "data" / "mnist.npz").exists()


def test_what_cannot_be_imported(tmp_path):
    with pytest.raises(DataError, match="ring8: needs no import"):
        import_dataset("ring8", str(tmp_path), str(tmp_path))
    with pytest.raises(DataError, match="svhn_cropped: cannot be imported from a file; "
                                        "tfds build svhn_cropped"):
        import_dataset("svhn_cropped", str(tmp_path), str(tmp_path / "data"))
    with pytest.raises(DataError, match="does not exist"):
        import_dataset("mnist", str(tmp_path / "nothing.npz"), str(tmp_path / "data"))

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


# What the task and runner tests read from the shared folder.
SHARED_FILES = ("mnist.npz", "usps.npz", "mnist_m.npz", "fashion-mnist/train-images-idx3-ubyte.gz",
                "cifar10-jpeg.tar.gz")


@pytest.fixture
def data_dir():
    missing = [name for name in SHARED_FILES if not (SHARED_DATA / name).exists()]
    if missing:
        pytest.skip(f"offline dataset copies not found in {SHARED_DATA}: {', '.join(missing)}")
    return str(SHARED_DATA)


@pytest.fixture
def cifar_copy(data_dir):
    """The CIFAR-10 copy the suites run on here: the original where present, else the JPEG one."""
    from genbench.benchmark.data import get_dataset

    return "cifar10-jpeg" if get_dataset("cifar10").locate(data_dir) is None else "cifar10"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Classifiers and decoded datasets go to a per-session cache, never the user's."""
    cache = os.environ.get("BENCHMARK_TEST_CACHE") or str(tmp_path_factory.getbasetemp() / "cache")
    monkeypatch.setenv("BENCHMARK_CACHE_DIR", cache)

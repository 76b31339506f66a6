import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def data_dir():
    if not (SHARED_DATA / "mnist.npz").exists():
        pytest.skip(f"offline dataset copies not found at {SHARED_DATA}")
    return str(SHARED_DATA)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Classifiers and decoded datasets go to a per-session cache, never the user's."""
    cache = os.environ.get("BENCHMARK_TEST_CACHE") or str(tmp_path_factory.getbasetemp() / "cache")
    monkeypatch.setenv("BENCHMARK_CACHE_DIR", cache)

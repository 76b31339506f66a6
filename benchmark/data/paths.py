"""Where datasets and caches are looked for, in the order the registry uses them."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "BENCHMARK_DATA_DIR"
CACHE_DIR_ENV = "BENCHMARK_CACHE_DIR"
# Debian/Ubuntu package dataset-fashion-mnist installs the four IDX files here.
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def resolve_data_dir(flag: str | None) -> str | None:
    """The data directory: the flag if given, else $BENCHMARK_DATA_DIR, else None."""
    chosen = flag or os.environ.get(DATA_DIR_ENV) or None
    return os.path.expanduser(chosen) if chosen else None


def cache_dir() -> Path:
    """Checksums and decoded image arrays: $BENCHMARK_CACHE_DIR or ~/.cache/genbench."""
    return Path(os.environ.get(CACHE_DIR_ENV) or "~/.cache/genbench").expanduser()


def keras_datasets_dir() -> Path:
    """Where keras.datasets keeps its downloads ($KERAS_HOME/datasets, default ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser() / "datasets"


def tfds_data_dir() -> Path:
    """TensorFlow Datasets' data directory ($TFDS_DATA_DIR, default ~/tensorflow_datasets)."""
    return Path(os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets").expanduser()

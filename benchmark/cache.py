"""Cache entries (trained classifiers, reference features) that a damaged file cannot poison.

An entry whose file is truncated or corrupt (a killed write, a full disk) is deleted with one
line saying so, and built again, instead of failing on every run. One process builds an entry at
a time (a lock file beside it): parallel workers that need it wait, then load it.
"""

from __future__ import annotations

import fcntl
import shutil

import numpy as np

from .data.files import READ_ERRORS, problem, write_atomically


def cached(paths, load, build, log):
    """The cache entry stored in ``paths``: ``load()`` if they are there and readable, else
    ``build()``, which writes them and returns the entry.

    Unreadable files are deleted first, with one line to ``log``.
    """
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    with open(paths[0].parent / f".{paths[0].name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, or by the OS if this process dies
        if all(path.exists() for path in paths):
            try:
                return load()
            except READ_ERRORS as exc:
                log(f"{paths[0]} in the cache is unreadable ({problem(exc).splitlines()[0]}); "
                    "rebuilding it")
                for path in paths:
                    path.unlink(missing_ok=True)
        return build()


def cached_array(path, compute, log):
    """The numpy array stored at ``path`` (``.npy``) by :func:`cached`, else ``compute()``d and
    stored there."""
    def build():
        array = compute()
        write_atomically(path, lambda stream: np.save(stream, array))
        return array

    return cached([path], lambda: np.load(path), build, log)


def cached_array_in_parts(path, compute, items, part_size, log):
    """``cached_array`` of ``compute(items)`` (an array with a row per item), computed
    ``part_size`` items at a time, each part stored in ``<path>.parts/`` as it is done: a killed
    computation (the FID Inception network on 50,000 images takes hours here) resumes at its
    first missing part. The parts go once the whole array is stored."""
    parts = path.with_name(f"{path.name}.parts")

    def compute_in_parts():
        arrays = []
        for start in range(0, len(items), part_size):
            part = parts / f"{start:09d}.npy"
            arrays.append(cached_array(part, lambda start=start: compute(
                items[start:start + part_size]), log))
            log(f"{path.name}: {min(start + part_size, len(items))} of {len(items)} done "
                f"(kept in {parts.name}; an interrupted run resumes here)")
        return np.concatenate(arrays)

    array = cached_array(path, compute_in_parts, log)
    shutil.rmtree(parts, ignore_errors=True)
    return array

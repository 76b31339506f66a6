import multiprocessing
import time

import numpy as np
import pytest

from genbench.benchmark.cache import cached, cached_array_in_parts


def _builder(path, value, calls):
    def build():
        calls.append("build")
        np.save(path, value)
        return value
    return build


def test_unreadable_entry_is_rebuilt_with_one_line_and_an_intact_one_loads(tmp_path):
    path, lines, calls = tmp_path / "features.npy", [], []
    value = np.arange(1000, dtype="float32")
    first = cached([path], lambda: np.load(path), _builder(path, value, calls), lines.append)
    again = cached([path], lambda: np.load(path), _builder(path, value, calls), lines.append)
    np.testing.assert_array_equal(first, value)
    np.testing.assert_array_equal(again, value)
    assert calls == ["build"] and lines == []

    path.write_bytes(path.read_bytes()[:500])  # a killed write
    rebuilt = cached([path], lambda: np.load(path), _builder(path, value, calls), lines.append)
    np.testing.assert_array_equal(rebuilt, value)
    assert calls == ["build", "build"] and len(lines) == 1
    assert lines[0].startswith(f"{path} in the cache is unreadable (ValueError: ")
    assert lines[0].endswith("; rebuilding it")


def test_entry_with_a_missing_file_is_built_without_a_line(tmp_path):
    present, missing = tmp_path / "weights.npy", tmp_path / "meta.json"
    np.save(present, np.zeros(3))
    lines, calls = [], []
    cached([present, missing], lambda: np.load(present), _builder(present, np.ones(3), calls),
           lines.append)
    assert calls == ["build"] and lines == []


def _slow_entry(path, ends):
    def build():
        time.sleep(1.0)
        np.save(path, np.full(3, 7.0))
        return "built"

    result = cached([path], lambda: "loaded", build, print)
    ends.put(result)


def test_parallel_processes_build_an_entry_once(tmp_path):
    """Two workers needing one entry: the second waits for the first's build, then loads it."""
    context = multiprocessing.get_context("spawn")
    ends = context.Queue()
    workers = [context.Process(target=_slow_entry, args=(tmp_path / "entry.npy", ends))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted([ends.get(timeout=5), ends.get(timeout=5)]) == ["built", "loaded"]


class _Killed(Exception):
    pass


def test_an_array_in_parts_resumes_at_its_first_missing_part_and_ends_whole(tmp_path):
    """Killed during its third part, the computation keeps the two parts done; run again it
    computes only the rest, stores the array a single computation gives, and drops the parts."""
    items = np.arange(25, dtype=np.float64)
    path = tmp_path / "features.npy"
    calls = []

    def compute(chunk):
        calls.append((int(chunk[0]), len(chunk)))
        if len(calls) == 3 and kill:
            raise _Killed
        return np.stack([chunk, chunk ** 2], axis=1)

    kill, lines = True, []
    with pytest.raises(_Killed):
        cached_array_in_parts(path, compute, items, 10, lines.append)
    assert sorted(p.name for p in (tmp_path / "features.npy.parts").glob("*.npy")) == [
        "000000000.npy", "000000010.npy"] and not path.exists()
    kill, calls = False, []
    array = cached_array_in_parts(path, compute, items, 10, lines.append)
    assert calls == [(20, 5)]  # only the missing part
    np.testing.assert_array_equal(array, np.stack([items, items ** 2], axis=1))
    np.testing.assert_array_equal(np.load(path), array)
    assert not (tmp_path / "features.npy.parts").exists()
    assert lines[-1] == ("features.npy: 25 of 25 done (kept in features.npy.parts; an "
                         "interrupted run resumes here)")
    calls = []
    np.testing.assert_array_equal(cached_array_in_parts(path, compute, items, 10, lines.append),
                                  array)
    assert calls == []  # the whole array from the cache

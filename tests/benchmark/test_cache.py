import numpy as np

from benchmark.cache import load_cached


def test_unreadable_entry_is_deleted_with_one_line_and_an_intact_one_loads(tmp_path):
    path = tmp_path / "features.npy"
    np.save(path, np.arange(1000, dtype="float32"))
    lines = []
    np.testing.assert_array_equal(load_cached([path], lambda: np.load(path), lines.append),
                                  np.arange(1000))
    assert lines == []

    path.write_bytes(path.read_bytes()[:500])  # a killed write
    assert load_cached([path], lambda: np.load(path), lines.append) is None
    assert len(lines) == 1 and lines[0].startswith(f"{path} in the cache is unreadable (ValueError: ")
    assert lines[0].endswith("; rebuilding it") and not path.exists()


def test_entry_with_a_missing_file_is_built_without_a_line(tmp_path):
    present, missing = tmp_path / "weights.npy", tmp_path / "meta.json"
    np.save(present, np.zeros(3))
    lines = []
    assert load_cached([present, missing], lambda: np.load(present), lines.append) is None
    assert lines == [] and present.exists()

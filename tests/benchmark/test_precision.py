"""--precision: resolving auto, hashes, and separate leaderboard rows per precision."""

import csv
import dataclasses
import hashlib
import json

import pytest

import genbench.benchmark.precision as precision
from genbench.benchmark.config import ConfigError, EvalConfig, RunConfig, TrainConfig
from genbench.benchmark.errors import BenchmarkError
from genbench.benchmark.reporting import write_reports
from genbench.benchmark.store import ResultsStore

CONFIG = RunConfig(suite="gan", task="generation", model="gan", dataset="ring8", profile="smoke",
                   train=TrainConfig(steps=10, batch_size=8),
                   eval=EvalConfig(num_samples=10, num_real=10))


@pytest.mark.parametrize("flags, expected", [({"amx_bf16", "avx2"}, "bfloat16"),
                                             ({"avx512_bf16"}, "bfloat16"),
                                             ({"avx2", "fma"}, "float32")])
def test_auto_is_bfloat16_only_where_the_cpu_computes_it(monkeypatch, flags, expected):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    assert precision.resolve("auto") == expected
    assert precision.resolve("float16") == "float16"
    with pytest.raises(BenchmarkError, match="unknown precision 'half'"):
        precision.resolve("half")


def test_float32_keeps_the_hash_of_runs_from_before_precision_was_a_setting():
    settings = {k: v for k, v in CONFIG.to_dict().items() if k not in ("suite", "precision")}
    old_hash = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    assert CONFIG.hash == old_hash
    bf16 = dataclasses.replace(CONFIG, precision="bfloat16")
    assert bf16.hash != CONFIG.hash and bf16.training_hash != CONFIG.training_hash
    with pytest.raises(ConfigError, match="precision must be one of float32, bfloat16, float16"):
        dataclasses.replace(CONFIG, precision="fp8")


def test_each_precision_gets_its_own_leaderboard_row(tmp_path):
    store = ResultsStore(tmp_path / "results.sqlite")
    for config, value in ((CONFIG, 8.0), (dataclasses.replace(CONFIG, precision="bfloat16"), 7.0)):
        run_id = store.start(config, 0, {"cpu": "test", "cores": 2, "gpus": []})
        store.finish(run_id, "done", 1.0, [{"metric": "modes_covered", "value": value,
                                            "unit": "modes", "setting": "", "provenance": {}}])
    write_reports(store, tmp_path)
    store.close()
    with open(tmp_path / "results.csv") as f:
        rows = {row["model"]: float(row["mean"]) for row in csv.DictReader(f)}
    assert rows == {"gan": 8.0, "gan (bfloat16)": 7.0}
    board = (tmp_path / "leaderboard.md").read_text()
    assert "| gan (bfloat16) |" in board and "(external)" not in board

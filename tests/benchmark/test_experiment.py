"""``run --config FILE.toml``: every run option from a file, flags override it, the file is kept
with each run, and bad files give one error line."""

import hashlib
import json
import sqlite3

import pytest

import genbench.benchmark.runner as runner
from genbench.benchmark.cli import _parser, _run_options, main
from genbench.benchmark.experiment import KEYS

EVERY_KEY = """
suite = "ssl"
model = "ssgan"
dataset = "mnist"
setting = "labels=100"
profile = "smoke"
seeds = 2
first_seed = 100
out = "{out}"
data_dir = "/data/here"
strategy = "default"
offline = true

[set]
train = {{ steps = 7, beta_1 = 0.25 }}
model = {{ latent_dim = 8 }}
"""


@pytest.fixture
def planned(monkeypatch):
    """What `run` would train, and with which options, without training it."""
    calls = []

    def fake_run_plan(plan, out_dir, data_dir, cache_dir, download, experiment, **engine):
        calls.append({"plan": plan, "out": out_dir, "data_dir": data_dir, "download": download,
                      "experiment": experiment})
        return {}

    monkeypatch.setattr(runner, "run_plan", fake_run_plan)
    return calls


def _write(tmp_path, text):
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


def test_every_run_flag_is_a_file_key():
    flags = vars(_parser().parse_args(["run"]))
    options = vars(_run_options(_parser().parse_args(["run"])))
    assert set(flags) - {"command", "config", "overrides"} == set(KEYS) - {"set"}
    assert set(options) - {"overrides", "experiment"} == set(KEYS) - {"set"}


def test_every_option_comes_from_the_file(tmp_path, planned):
    path = _write(tmp_path, EVERY_KEY.format(out=tmp_path / "mine"))
    assert main(["run", "--config", str(path)]) == 0
    (call,) = planned
    assert [(c.task, c.model, c.dataset, c.setting, c.profile, s) for c, s in call["plan"]] == [
        ("ssl", "ssgan", "mnist", "labels=100", "smoke", seed) for seed in (100, 101)]
    config = call["plan"][0][0]
    assert config.train.steps == 7 and config.train.beta_1 == 0.25
    assert config.model_params["latent_dim"] == 8
    assert call["out"] == str(tmp_path / "mine")
    assert call["data_dir"] == "/data/here" and call["download"] is False
    assert call["experiment"]["path"] == str(path)
    assert call["experiment"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert call["experiment"]["content"]["set"] == {"train": {"steps": 7, "beta_1": 0.25},
                                                    "model": {"latent_dim": 8}}


def test_flags_given_override_the_file(tmp_path, planned):
    path = _write(tmp_path, EVERY_KEY.format(out=tmp_path / "mine"))
    assert main(["run", "--config", str(path), "--seeds", "1", "--first-seed", "7", "--setting",
                 "labels=20", "--out", str(tmp_path / "other"), "--no-offline", "--set",
                 "train.steps=9"]) == 0
    (call,) = planned
    ((config, seed),) = call["plan"]
    assert (config.setting, seed) == ("labels=20", 7)
    assert config.train.steps == 9 and config.train.beta_1 == 0.25  # --set wins per key only
    assert call["out"] == str(tmp_path / "other") and call["download"] is True


def test_keys_left_out_keep_their_defaults(tmp_path, planned):
    path = _write(tmp_path, 'suite = "gan"\nmodel = "gan"\ndataset = "ring8"\n')
    assert main(["run", "--config", str(path)]) == 0
    (call,) = planned
    # the reported seeds (the tuning seeds start at 100)
    assert [(c.profile, s) for c, s in call["plan"]] == [("standard", s)
                                                         for s in (1000, 1001, 1002)]
    assert call["out"] == "reports" and call["download"] is True


@pytest.mark.parametrize("text, fragments", [
    ('suite = "gan"\nsedes = 2\n', ["unknown key 'sedes'", "seeds", "data_dir", "set"]),
    ('seeds = "two"\n', ["seeds must be a whole number", "'two'"]),
    ("seeds = true\n", ["seeds must be a whole number"]),
    ("seeds = 0\n", ["seeds must be at least 1"]),
    ("first_seed = -1\n", ["first_seed must be at least 0"]),
    ('suite = "gan\n', ["exp.toml is not valid TOML", "line 1, column"]),
    ("[set]\ntrain = 3\n", ["set.train must be a table"]),
    ("[set]\ntrain = { steps = 1979-05-27 }\n", ["[set] values must be numbers"]),
    ("[set]\ntrain = { stepz = 1 }\n", ["no key 'stepz'", "steps, batch_size"]),
    ("[set]\ntrian = { steps = 1 }\n", ["unknown section 'trian'", "train, eval or model"]),
    ('profile = "huge"\n', ["unknown profile 'huge'"]),
])
def test_bad_file_gives_one_clear_line(tmp_path, planned, capsys, text, fragments):
    assert main(["run", "--config", str(_write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    for fragment in fragments:
        assert fragment in err
    assert not planned


def test_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.toml"
    assert main(["run", "--config", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: experiment file {missing} not found\n"


def test_run_from_file_is_stored_and_is_the_same_run_as_flags(tmp_path, capsys):
    out = tmp_path / "reports"
    path = _write(tmp_path, f'suite = "gan"\nmodel = "gan"\ndataset = "ring8"\nprofile = "smoke"\n'
                            f'out = "{out}"\n'
                            "[set]\ntrain = { steps = 20, checkpoint_every = 10 }\n")
    assert main(["run", "--config", str(path)]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        ((status, environment),) = db.execute("SELECT status, environment FROM runs").fetchall()
    assert status == "done"
    assert json.loads(environment)["experiment"] == {
        "path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "content": {"suite": "gan", "model": "gan", "dataset": "ring8", "profile": "smoke",
                    "out": str(out), "set": {"train": {"steps": 20, "checkpoint_every": 10}}}}

    capsys.readouterr()
    assert main(["run", "--suite", "gan", "--model", "gan", "--dataset", "ring8", "--profile",
                 "smoke", "--out", str(out), "--set", "train.steps=20",
                 "--set", "train.checkpoint_every=10"]) == 0
    assert "1 of 1 runs already finished" in capsys.readouterr().err

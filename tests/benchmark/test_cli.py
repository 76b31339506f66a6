"""The command line as a user meets it: bad input gives one error line and a nonzero exit."""

import subprocess
import sys
from pathlib import Path

import pytest

from genbench.benchmark.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def _assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["run", "--suite", "nope"], ["unknown suite 'nope'", "gan"]),
    (["run", "--suite", "gan", "--model", "vae"], ["unknown model 'vae'", "dcgan"]),
    (["run", "--suite", "gan", "--dataset", "imagenet"], ["unknown dataset 'imagenet'"]),
    (["run", "--profile", "huge"], ["unknown profile 'huge'", "smoke"]),
    (["run", "--suite", "ssl", "--setting", "labels=7"],
     ["unknown setting 'labels=7'", "labels=100"]),
    (["run", "--seeds", "0"], ["--seeds", "at least 1"]),
    (["run", "--first-seed", "-1"], ["--first-seed", "at least 0"]),
    (["run", "--set", "train.steps=-3"], ["train.steps must be a positive number"]),
    (["run", "--set", "train.batch_size=0"], ["train.batch_size must be a positive number"]),
    (["run", "--cluster", "auto", "--jobs", "2"], ["--cluster", "cannot be combined with --jobs"]),
    (["frobnicate"], ["invalid choice"]),
])
def test_bad_input_gives_one_clear_line(args, fragments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        code = main(args)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    for fragment in fragments:
        assert fragment in err


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _cli("run", "--suite", "gan", "--dataset", "ring8", "--profile", "smoke",
                  "--out", str(blocker / "out"))
    _assert_one_line_error(result, "not writable", "--out")


def test_missing_dataset_files(tmp_path, monkeypatch):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "BENCHMARK_CACHE_DIR": str(tmp_path / "c")}
    result = _cli("run", "--suite", "gan", "--dataset", "mnist", "--profile", "smoke", "--offline",
                  "--data-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), env=env)
    _assert_one_line_error(result, "mnist: not found", "data download mnist")


def test_data_download(tmp_path, monkeypatch, capsys):
    """``data download`` runs the dataset's downloader (a stand-in here: no network in tests),
    checks what arrived and says where it went; it leaves present and generated sets alone."""
    from genbench.benchmark.data.images import USPS

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("BENCHMARK_DATA_DIR", raising=False)
    monkeypatch.setattr(USPS, "keras_module", "usps")  # looks in the Keras cache, like mnist
    shared = ROOT.parent / "shared" / "data" / "usps.npz"
    if not shared.exists():
        pytest.skip(f"{shared} not found")
    target = tmp_path / "keras" / "datasets" / "usps.npz"
    monkeypatch.setattr(USPS, "downloader", lambda: target.parent.mkdir(parents=True)
                        or target.write_bytes(shared.read_bytes()))
    assert main(["data", "download", "usps"]) == 0
    assert f"usps: downloaded to {target} (checksum verified)" in capsys.readouterr().err
    assert main(["data", "download", "usps"]) == 0
    assert f"usps: already present at {target}" in capsys.readouterr().out
    assert main(["data", "download", "ring8"]) == 2
    assert "error: ring8: nothing to download" in capsys.readouterr().err


def test_report_without_results(tmp_path):
    result = _cli("report", "--out", str(tmp_path))
    _assert_one_line_error(result, "no results store")


def test_list_names_everything():
    result = _cli("list")
    assert result.returncode == 0
    for word in ("gan", "dcgan", "ring8", "mnist", "fashion_mnist", "cfid", "smoke", "standard",
                 "paper"):
        assert word in result.stdout


@pytest.mark.parametrize("command", [["run"], ["report"], ["list"], ["data", "status"],
                                     ["data", "download"]])
def test_every_command_has_help(command):
    result = _cli(*command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_a_mistyped_model_key_is_one_error_line_naming_the_valid_keys(tmp_path, capsys):
    assert main(["run", "--suite", "adaptation", "--model", "dann", "--dataset", "mnist:usps",
                 "--profile", "smoke", "--out", str(tmp_path), "--set",
                 "model.init_from_sourse=true"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: ") and "known: init_from_source" in err


@pytest.mark.parametrize("suite, model, dataset, override, fragment", [
    ("adaptation", "pixel_cyclegan", "mnist:usps", '{"lamda_cycle": 5}',
     "model.cyclegan {\"lamda_cycle\": 5}: Unrecognized keyword arguments passed to CycleGAN"),
    ("ssl", "supervised", "mnist", '{"hiden_units": [10]}',
     "model.classifier {\"hiden_units\": [10]}: build_ssgan_discriminator() got an unexpected"),
])
def test_a_mistyped_network_argument_is_one_error_line(tmp_path, capsys, data_dir, suite, model,
                                                       dataset, override, fragment):
    key = fragment.split()[0]
    args = ["run", "--suite", suite, "--model", model, "--dataset", dataset, "--profile", "smoke",
            "--out", str(tmp_path), "--data-dir", data_dir, "--set", f"{key}={override}"]
    if suite == "ssl":
        args += ["--setting", "labels=100"]
    assert main(args) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and fragment in errors[0], errors

"""The suite end to end at tiny budgets: reports written, finished runs skipped, kills resumed,
failures isolated."""

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import genbench.benchmark.tasks.generation as generation
from genbench.benchmark.cli import main
from genbench.benchmark.runner import RATE_GUESS, Progress
from genbench.benchmark.suites import build_configs
from genbench.benchmark.tasks.base import RunSkipped
from genbench.benchmark.training import Diverged

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "train.steps=20", "--set", "train.checkpoint_every=10"]


def _runs(out):
    with sqlite3.connect(Path(out) / "results.sqlite") as db:
        return db.execute("SELECT model, dataset, seed, status, reason FROM runs "
                          "ORDER BY id").fetchall()


def _metric_count(out):
    with sqlite3.connect(Path(out) / "results.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]


def test_smoke_suite_writes_reports_and_skips_finished_runs(tmp_path, data_dir, capsys,
                                                            cifar_copy):
    out = tmp_path / "reports"
    args = ["run", "--suite", "gan", "--profile", "smoke", "--out", str(out),
            "--data-dir", data_dir]
    assert main(args) == 0
    runs = _runs(out)
    cifar = cifar_copy
    assert {(m, d) for m, d, *_ in runs} == {("gan", "ring8"), ("gan", "grid25"), ("gan", "mnist"),
                                            ("gan", "fashion_mnist"), ("dcgan", "mnist"),
                                            ("dcgan", "fashion_mnist"), ("real", "mnist"),
                                            ("real", "fashion_mnist"), ("gan", cifar),
                                            ("dcgan", cifar), ("real", cifar)}
    assert all(status == "done" for *_, status, _ in runs)

    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["suite", "task", "model", "dataset", "setting", "profile", "metric",
                             "mean", "std", "n_seeds", "unit", "config_hash"]
    metrics = {(r["model"], r["dataset"], r["metric"]) for r in rows}
    for metric in ("modes_covered", "hq_share", "mode_kl", "train_img_per_s"):
        assert ("gan", "ring8", metric) in metrics
    for metric in ("cfid", "ckid", "cis", "classes_covered", "class_kl", "precision", "recall",
                   "density", "coverage", "c2st_acc", "memorization", "train_img_per_s",
                   "sample_img_per_s"):
        assert ("dcgan", "mnist", metric) in metrics
    board = (out / "leaderboard.md").read_text()
    assert "## gan / generation (smoke profile)" in board and "*Provenance:*" in board
    for name in ("generation_dcgan_mnist_smoke_samples.png",
                 "generation_dcgan_mnist_smoke_latent_walk.png",
                 "generation_gan_ring8_smoke_samples.png", "generation_gan_mnist_smoke_curves.png"):
        assert (out / "figures" / name).stat().st_size > 1000
        assert f"figures/{name}" in board

    count = _metric_count(out)
    capsys.readouterr()
    started = time.time()
    assert main(args) == 0
    assert "11 of 11 runs already finished" in capsys.readouterr().err
    assert time.time() - started < 30
    assert _metric_count(out) == count and len(_runs(out)) == 11

    # A fresh clone has the committed reports but no work folders: the rebuild keeps every figure.
    shutil.rmtree(out / "work")
    (out / "leaderboard.md").unlink()
    assert main(["report", "--out", str(out)]) == 0
    assert (out / "leaderboard.md").read_text() == board


def test_killed_run_resumes_without_duplicates(tmp_path, data_dir):
    out = tmp_path / "out"
    args = [sys.executable, "-m", "benchmark", "run", "--suite", "gan", "--dataset", "ring8",
            "--profile", "smoke", "--out", str(out), "--data-dir", data_dir,
            "--set", "train.steps=3000", "--set", "train.checkpoint_every=100"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    for line in proc.stderr:  # wait for a checkpoint past the first, then kill -9 mid-training
        if "step 300/3000" in line or time.time() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _runs(out)[0][3] == "running"

    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "resuming from checkpoint" in result.stderr
    assert "step 100/3000" not in result.stderr  # the first chunks were not trained again
    runs = _runs(out)
    assert len(runs) == 1 and runs[0][3] == "done"
    with sqlite3.connect(out / "results.sqlite") as db:
        names = [r[0] for r in db.execute("SELECT metric FROM metrics")]
    assert len(names) == len(set(names)) and "modes_covered" in names


def test_diverged_and_crashed_runs_are_recorded_and_the_suite_goes_on(tmp_path, data_dir,
                                                                      monkeypatch):
    real_run = generation.run

    def flaky_run(config, seed, ctx):
        if config.dataset == "ring8":
            raise Diverged(7, {"d_loss": float("nan")})
        if config.dataset == "grid25":
            raise RuntimeError("simulated crash")
        return real_run(config, seed, ctx)

    monkeypatch.setattr(generation, "run", flaky_run)
    out = tmp_path / "out"
    code = main(["run", "--suite", "gan", "--model", "gan", "--profile", "smoke", "--out", str(out),
                 "--data-dir", data_dir, *TINY])
    assert code == 1  # a crash makes the exit nonzero, after the other runs finished
    status = {d: (s, r) for _, d, _, s, r in _runs(out)}
    assert status["ring8"] == ("diverged", "diverged at step 7: non-finite loss ({'d_loss': nan})")
    assert status["grid25"] == ("failed", "RuntimeError: simulated crash")
    assert status["mnist"][0] == status["fashion_mnist"][0] == "done"
    board = (out / "leaderboard.md").read_text()
    assert "diverged at step 7" in board and "simulated crash" in board


def test_skipped_run_records_nothing_and_runs_again_next_time(tmp_path, data_dir, monkeypatch,
                                                              capsys):
    real_run = generation.run
    weights_installed = False

    def needs_weights(config, seed, ctx):
        if config.dataset == "ring8" and not weights_installed:
            raise RunSkipped("weights not installed")
        return real_run(config, seed, ctx)

    monkeypatch.setattr(generation, "run", needs_weights)
    out = tmp_path / "out"
    args = ["run", "--suite", "gan", "--model", "gan", "--dataset", "ring8", "--profile", "smoke",
            "--out", str(out), "--data-dir", data_dir, *TINY]
    assert main(args) == 0
    assert _runs(out) == [] and "skipped (weights not installed)" in capsys.readouterr().err
    weights_installed = True
    assert main(args) == 0
    assert [status for *_, status, _ in _runs(out)] == ["done"] and _metric_count(out) > 0


def _scores(out):
    """The run's metrics that do not depend on timing."""
    with sqlite3.connect(out / "results.sqlite") as db:
        return dict(db.execute("SELECT metric, value FROM metrics WHERE metric NOT IN "
                               "('train_seconds', 'train_img_per_s', 'sample_img_per_s')"))


def test_same_seed_same_numbers(tmp_path, data_dir):
    values = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["run", "--suite", "gan", "--model", "gan", "--dataset", "ring8",
                     "--profile", "smoke", "--out", str(out), "--data-dir", data_dir, *TINY]) == 0
        values.append(_scores(out))
    assert values[0] == values[1] and "hq_share" in values[0]


def test_truncated_checkpoint_resumes_from_the_previous_one_with_the_same_numbers(
        tmp_path, data_dir, monkeypatch, capsys):
    def crash_after_training(config, seed, ctx):
        real_run(config, seed, ctx)
        raise RuntimeError("simulated crash")

    real_run = generation.run
    args = ["run", "--suite", "gan", "--model", "gan", "--dataset", "ring8", "--profile", "smoke",
            "--data-dir", data_dir, *TINY]
    assert main([*args, "--out", str(tmp_path / "clean")]) == 0
    out = tmp_path / "out"
    monkeypatch.setattr(generation, "run", crash_after_training)
    assert main([*args, "--out", str(out)]) == 1
    monkeypatch.setattr(generation, "run", real_run)
    [checkpoint] = (out / "work").rglob("checkpoint.npz")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # e.g. a disk that filled up
    capsys.readouterr()

    assert main([*args, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"{checkpoint} is unusable (BadZipFile: File is not a zip file); resuming from " \
           "checkpoint.prev.npz at step 10" in err
    assert [status for *_, status, _ in _runs(out)] == ["done"]
    assert _scores(out) == _scores(tmp_path / "clean") and "hq_share" in _scores(out)


@pytest.mark.parametrize("bad", [b"", b"garbage" * 50])
def test_corrupt_store_is_reported_and_kept(tmp_path, data_dir, bad, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.sqlite").write_bytes(bad)
    code = main(["run", "--suite", "gan", "--dataset", "ring8", "--profile", "smoke",
                 "--out", str(out), "--data-dir", data_dir, *TINY])
    if bad:
        assert code == 2 and "unusable" in capsys.readouterr().err
        assert (out / "results.sqlite").read_bytes() == bad
    else:
        assert code == 0  # an empty file is a valid, empty SQLite database


def test_eta_of_a_model_not_yet_run_adds_the_time_runs_spent_scoring():
    """The DCGAN after one CIFAR-10 GAN run: its training guess plus that run's scoring time."""
    configs = {c.model: c for c in build_configs("gan", "standard", dataset="cifar10-jpeg")}
    gan, dcgan = configs["gan"], configs["dcgan"]
    progress = Progress([(gan, 1000), (dcgan, 1000)])
    dcgan_training = dcgan.train.steps * dcgan.train.batch_size / RATE_GUESS["dcgan"]
    assert progress.estimate(dcgan) == pytest.approx(dcgan_training + 15.0)
    progress.record(gan, 950.0, [{"metric": "train_seconds", "value": 700.0},
                                 {"metric": "fid", "value": 300.0}])
    progress.ended.add(0)
    assert progress.estimate(gan) == 950.0
    assert progress.eta() == pytest.approx(dcgan_training + 250.0)


def test_eta_times_a_config_by_its_seeds_finished_before():
    """Seeds of the same config in the store time it (their mean); another setting of the same
    model falls back to the latest run of that model on that data."""
    by_setting = {c.setting: c for c in build_configs("ssl", "standard", dataset="mnist")
                  if c.model == "ssgan"}
    few, many = by_setting["labels=100"], by_setting["labels=1000"]
    finished = [{"config_hash": many.hash, "wall_seconds": 600.0},
                {"config_hash": many.hash, "wall_seconds": 900.0},
                {"config_hash": "another config", "wall_seconds": 5.0}]
    progress = Progress([(few, 1001), (many, 1002)], finished=finished)
    assert progress.estimate(many) == pytest.approx(750.0)
    progress.record(few, 300.0, [{"metric": "train_seconds", "value": 280.0}])
    assert progress.estimate(few) == 300.0 and progress.estimate(many) == pytest.approx(750.0)
    fewer = by_setting["labels=50"]
    assert progress.estimate(fewer) == 300.0

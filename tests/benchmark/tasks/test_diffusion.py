"""The diffusion suite end to end at the smoke profile (ldm and ddpm on MNIST), its settings
checks, and the latent-vs-pixel cost ratio table."""

import csv
import json
import sqlite3

import keras
import numpy as np
import pytest

from genbench.benchmark.cli import main
from genbench.benchmark.reporting.tables import ratio_table, summarize

COST = ("train_seconds", "train_img_per_s", "train_step_ms", "sampling_steps", "sample_img_per_s",
        "sample_ms_per_img")
QUALITY = ("cfid", "ckid", "cis", "classes_covered", "class_kl", "precision", "recall", "density",
           "coverage", "c2st_acc", "memorization")


def test_smoke_diffusion_suite_scores_and_draws_ldm_and_ddpm(tmp_path, data_dir):
    out = tmp_path / "reports"
    args = ["run", "--suite", "diffusion", "--profile", "smoke", "--dataset", "mnist",
            "--out", str(out), "--data-dir", data_dir]
    assert main(args) == 0
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    values = {(r["model"], r["setting"], r["metric"]): float(r["mean"]) for r in rows}
    for model, setting in (("ldm", ""), ("ddpm", ""), ("ldm", "cfg=2")):
        for metric in QUALITY + COST:
            assert np.isfinite(values[(model, setting, metric)]), (model, setting, metric)
        ms_per_img, img_per_s = (values[(model, setting, m)]
                                 for m in ("sample_ms_per_img", "sample_img_per_s"))
        assert ms_per_img * img_per_s == pytest.approx(1000, rel=1e-4)
    assert values[("ldm", "", "vae_train_seconds")] < values[("ldm", "", "train_seconds")]
    assert ("ddpm", "", "vae_train_seconds") not in values
    # Only the class-conditional model has a classification accuracy score (and its real-data
    # scale).
    assert (0 <= values[("ldm", "cfg=2", "cas")] <= 1
            and 0.5 < values[("ldm", "cfg=2", "cas_real")] <= 1)
    assert ("ldm", "", "cas") not in values and ("ddpm", "", "cas") not in values
    # ... and latent arithmetic across its labels.
    assert 0 <= values[("ldm", "cfg=2", "class_transition")] <= 1
    assert ("ldm", "", "class_transition") not in values
    with sqlite3.connect(out / "results.sqlite") as db:
        cfid = [json.loads(p) for (p,) in db.execute("SELECT provenance FROM metrics "
                                                     "WHERE metric = 'cfid'")]
    # The GANs' sizes: 200 samples against 500 training images.
    assert len(cfid) == 3 and all((p["n_fake"], p["n_real"], p["real_split"])
                                  == (200, 500, "train (500, seed 0)") for p in cfid)

    board = (out / "leaderboard.md").read_text()
    assert "## diffusion / diffusion (smoke profile)" in board
    assert "Cost of ldm relative to ddpm" in board and "| mnist |" in board.split("Cost of ldm")[1]
    for name in ("diffusion_ldm_mnist_smoke_samples.png", "diffusion_ldm_mnist_smoke_denoising.png",
                 "diffusion_ldm_mnist_smoke_reconstructions.png",
                 "diffusion_ddpm_mnist_smoke_denoising.png",
                 "diffusion_ldm_mnist_cfg-2_smoke_samples.png",
                 "diffusion_ldm_mnist_cfg-2_smoke_class_walks.png"):
        assert (out / "figures" / name).stat().st_size > 1000
        assert f"figures/{name}" in board

    for path in (out / "work").glob("ldm-mnist-*/ldm.keras"):
        ldm = keras.models.load_model(path)
        labels = None if ldm.diffusion.num_classes is None else [3, 7]
        images = ldm.generate(2, seed=0, steps=2, labels=labels, guidance=2.0)
        assert images.shape == (2, 28, 28, 1) and -1 <= images.min() <= images.max() <= 1


def test_bad_settings_fail_with_one_line_before_training(tmp_path, data_dir, capsys):
    base = ["run", "--suite", "diffusion", "--profile", "smoke", "--model", "ldm",
            "--dataset", "mnist", "--out", str(tmp_path / "out"), "--data-dir", data_dir]
    for override, message in (("model.sampling_steps=5000",
                               "model.sampling_steps: sampling steps must be"),
                              ("model.unet_width=3", "model has no key 'unet_width'"),
                              ('model.diffusion={"schedule": "sigmoid"}', "model.diffusion"),
                              ("train.vae_steps=15", "multiple of train.checkpoint_every"),
                              ("model.ema_momentum=1", "model.ema_momentum must be in [0, 1)"),
                              ('model.diffusion={"num_classes": 10}',
                               "needed exactly when model.diffusion.num_classes"),
                              ('model.diffusion={"num_classes": 7}',
                               "num_classes must be mnist's class count")):
        guidance = ["--set", "model.guidance=2"] if "7" in override else []
        assert main([*base, "--set", override, *guidance]) == 2
        err = capsys.readouterr().err.strip()
        last = err.splitlines()[-1]  # after the run's "starting" progress line
        assert last.startswith("error: ") and message in last and "Traceback" not in err, err
    assert not list((tmp_path / "out" / "work").glob("*/vae/checkpoint.npz"))


def test_ratio_table_divides_model_means_per_dataset():
    rows = [{"suite": "diffusion", "task": "diffusion", "model": model, "dataset": dataset,
             "setting": "", "profile": "standard", "seed": 0, "metric": metric, "value": value,
             "unit": "ms", "config_hash": "", "provenance": {}}
            for model, dataset, metric, value in [("ldm", "mnist", "train_step_ms", 10.0),
                                                  ("ddpm", "mnist", "train_step_ms", 40.0),
                                                  ("ldm", "mnist", "sample_ms_per_img", 3.0),
                                                  ("ddpm", "mnist", "sample_ms_per_img", 30.0),
                                                  ("ldm", "cifar10", "train_step_ms", 5.0)]]
    table = ratio_table(summarize(rows), "ldm", "ddpm",
                        ("train_step_ms", "sample_ms_per_img")).splitlines()
    assert table[0] == ("| dataset | setting | train_step_ms ldm/ddpm "
                        "| sample_ms_per_img ldm/ddpm |")
    assert table[2:] == ["| mnist |  | 0.25 | 0.1 |"]  # cifar10 has no ddpm run: no row

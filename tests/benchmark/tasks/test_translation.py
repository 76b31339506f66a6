"""The translation task: end to end through the CLI, and its scoring against independent
references."""

import csv
import dataclasses
import json
import math
import sqlite3

import matplotlib.image
import numpy as np
import pytest

from genbench.benchmark.cli import main
from genbench.benchmark.config import ConfigError
from genbench.benchmark.data import DataError, get_dataset
from genbench.benchmark.domain_classifier import domain_extractor
from genbench.benchmark.suites import build_configs
from genbench.benchmark.tasks import common, translation
from genbench.benchmark.tasks.base import TaskContext, TaskResult

# One model per pair keeps the test short; together they cover both models, both pairs and
# both kinds of common format (USPS up-sampled to 28 px; MNIST to 32 px RGB).
RUNS = {("cyclegan", "mnist:usps"): 28, ("discogan", "mnist:mnist_m"): 32}
TINY = ["--set", "train.steps=2", "--set", "train.checkpoint_every=1",
        "--set", "eval.num_samples=100", "--set", "eval.num_real=100",
        "--set", "eval.classifier_steps=50"]


def test_translation_suite_scores_both_directions_and_draws_the_grids(tmp_path, data_dir):
    out = tmp_path / "reports"
    for model, pair in RUNS:
        assert main(["run", "--suite", "translation", "--profile", "smoke", "--model", model,
                     "--dataset", pair, "--out", str(out), "--data-dir", data_dir, *TINY]) == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        runs = db.execute("SELECT model, dataset, status FROM runs").fetchall()
        provenance = {(setting, json.loads(prov)["extractor"]) for setting, prov in db.execute(
            "SELECT m.setting, m.provenance FROM metrics m JOIN runs r ON m.run_id = r.id "
            "WHERE m.metric = 'label_preservation' AND r.dataset = 'mnist:usps'")}
    assert sorted(runs) == sorted((m, p, "done") for m, p in RUNS)
    # a2b is judged by a USPS classifier at MNIST's 28 px, b2a by the native MNIST one.
    assert dict(provenance) == {"a2b": "usps_28x28x1_smallcnn_50", "b2a": "mnist_smallcnn_50"}

    with open(out / "results.csv") as f:
        rows = {(r["model"], r["dataset"], r["setting"], r["metric"]): float(r["mean"])
                for r in csv.DictReader(f)}
    for model, pair in RUNS:
        for direction in ("a2b", "b2a"):
            assert 0 <= rows[(model, pair, direction, "label_preservation")] <= 1
            assert 0 <= rows[(model, pair, direction, "val_label_preservation")] <= 1
            assert rows[(model, pair, direction, "cfid")] >= 0
            assert 0 <= rows[(model, pair, direction, "cycle_error")] <= 2
        for metric in ("train_seconds", "train_img_per_s", "sample_img_per_s"):
            assert math.isfinite(rows[(model, pair, "", metric)])

    board = (out / "leaderboard.md").read_text()
    assert "## translation / translation (smoke profile)" in board
    assert ("| model | dataset | setting | cfid ↓ | cfid_inf ↓ | label_preservation ↑ "
            "| val_label_preservation ↑ | cycle_error ↓ |" in board)
    assert ("| cyclegan | mnist:usps | a2b |" in board
            and "| discogan | mnist:mnist_m | b2a |" in board)
    for (model, pair), size in RUNS.items():
        for kind in ("grid_a2b", "grid_b2a", "curves"):
            name = f"translation_{model}_{pair.replace(':', '-')}_smoke_{kind}.png"
            assert f"figures/{name}" in board
            image = matplotlib.image.imread(out / "figures" / name)
            if kind != "curves":  # rows input / translated / reconstructed, 1-px gaps, 3x scale
                assert image.shape[:2] == ((3 * (size + 1) + 1) * 3, (10 * (size + 1) + 1) * 3)


class _IdentityTranslator:
    """Translates every image to itself."""

    def translate(self, images, direction="a2b", batch_size=500):
        return np.array(images)


def test_scores_of_an_identity_translation_match_direct_computation(tmp_path, data_dir):
    """Translating USPS to itself: label preservation is the classifier's own accuracy on those
    images, the cycle error is 0 and the Fréchet distance of a set to itself is 0."""
    usps = get_dataset("usps")
    config = build_configs("translation", "smoke")[0]
    config = dataclasses.replace(config, eval=dataclasses.replace(config.eval, num_samples=300,
                                                                  num_real=300,
                                                                  classifier_steps=100))
    ctx = TaskContext(workdir=tmp_path, data_dir=data_dir, cache_dir=tmp_path / "cache")
    result = TaskResult()
    run_ctx = common.RunContext(config, 0, ctx, result)
    direction = translation.Direction("a2b", usps, usps, 16, 1)
    x_train, y_train = usps.load("train", data_dir)
    validation = ((x_train[:200], y_train[:200]), "usps train, first 200")
    translation._validation_score(run_ctx, _IdentityTranslator(), direction, validation)
    count, seconds = translation._translate_and_score(run_ctx, _IdentityTranslator(), direction,
                                                      (validation, validation))
    scores = {m["metric"]: m["value"] for m in result.metrics}

    x_test, y_test = usps.load("test", data_dir)
    extractor = domain_extractor("usps", data_dir, ctx.cache_dir, 100)
    logits = extractor.classifier.predict(x_test[:300].astype("float32") / 127.5 - 1, verbose=0)
    assert count == 300 and seconds > 0
    accuracy = np.mean(logits.argmax(axis=1) == y_test[:300])
    assert scores["label_preservation"] == pytest.approx(accuracy)
    logits = extractor.classifier.predict(x_train[:200].astype("float32") / 127.5 - 1, verbose=0)
    assert scores["val_label_preservation"] == pytest.approx(
        np.mean(logits.argmax(axis=1) == y_train[:200]))
    assert scores["cycle_error"] == 0.0
    assert scores["cfid"] == pytest.approx(0.0, abs=1e-3)
    assert (tmp_path / "grid_a2b.png").exists()


def test_domain_classifier_at_another_format_has_its_own_cache_entry(tmp_path, data_dir):
    native = domain_extractor("usps", data_dir, tmp_path, 20)
    resized = domain_extractor("usps", data_dir, tmp_path, 20, size=28, channels=3)
    assert native.name == "usps_smallcnn_20" and resized.name == "usps_28x28x3_smallcnn_20"
    assert (tmp_path / "classifiers" / "usps-smallcnn-steps20-seed0.weights.h5").exists()
    assert (tmp_path / "classifiers" / "usps-28x28x3-smallcnn-steps20-seed0.weights.h5").exists()
    assert resized.classifier.input_shape == (None, 28, 28, 3)
    assert "16x16x1" in resized.resize and native.resize.startswith("none")
    again = domain_extractor("usps", data_dir, tmp_path, 20, size=28, channels=3)  # from the cache
    assert again.weights_hash == resized.weights_hash


def test_common_format_and_bad_pairs():
    mnist, usps, mnist_m = (get_dataset(n) for n in ("mnist", "usps", "mnist_m"))
    assert translation.common_format(mnist, usps) == (28, 1)
    assert translation.common_format(mnist, mnist_m) == (32, 3)
    images = common.to_format(np.full((3, 16, 16, 1), 255, np.uint8), 28, 3)
    assert images.shape == (3, 28, 28, 3) and np.allclose(images, 1.0)
    with pytest.raises(ConfigError, match="source:target"):
        translation.domains("mnist")
    with pytest.raises(ConfigError, match="labelled"):
        translation.domains("mnist:ring8")
    with pytest.raises(DataError, match="unknown dataset"):
        translation.domains("mnist:nope")


def test_a_cyclegan_folder_set_trains_through_the_cli_with_cycle_error_and_grids(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(0)
    for folder, count in (("trainA", 10), ("trainB", 9), ("testA", 3), ("testB", 4)):
        (tmp_path / "horse2zebra" / folder).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), np.uint8)).save(
                tmp_path / "horse2zebra" / folder / f"{i}.png")
    dataset = f"unpaired:{tmp_path / 'horse2zebra'}"
    out = tmp_path / "reports"
    assert main(["run", "--suite", "translation", "--profile", "smoke", "--model", "cyclegan",
                 "--dataset", dataset, "--out", str(out), *TINY]) == 0
    assert ("label_preservation and cfid skipped: they need labelled domains"
            in capsys.readouterr().err)
    with open(out / "results.csv") as f:
        rows = {(r["setting"], r["metric"]): float(r["mean"]) for r in csv.DictReader(f)}
    assert {metric for _, metric in rows} == {"cycle_error", "train_seconds", "train_img_per_s",
                                              "sample_img_per_s"}
    # one folder
    assert [p.name for p in (out / "work").iterdir()][0].startswith("cyclegan-unpaired-")
    assert 0 <= rows[("a2b", "cycle_error")] <= 2 and 0 <= rows[("b2a", "cycle_error")] <= 2
    grid = matplotlib.image.imread(next((out / "figures").glob("*grid_b2a.png")))
    assert grid.shape[:2] == ((3 * 33 + 1) * 3, (4 * 33 + 1) * 3)  # the 4 test images of domain B


def test_an_unlisted_pair_gets_every_translation_and_adaptation_model_but_no_unknown_one():
    configs = build_configs("all", "standard", dataset="svhn_cropped:mnist")
    assert {(c.suite, c.model) for c in configs} == {
        ("translation", "cyclegan"), ("translation", "discogan"), ("adaptation", "source_only"),
        ("adaptation", "dann"), ("adaptation", "adda"), ("adaptation", "pixel_cyclegan"),
        ("adaptation", "pixel_dann")}
    assert {c.dataset for c in configs} == {"svhn_cropped:mnist"}
    unpaired = build_configs("all", "standard", dataset="unpaired:/data/horse2zebra")
    assert {c.model for c in unpaired} == {"cyclegan", "discogan"}
    with pytest.raises(ConfigError, match="unknown dataset 'mnist:nope'"):
        build_configs("translation", "standard", dataset="mnist:nope")

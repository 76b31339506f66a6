"""`python -m benchmark score` and `genbench.score`: a user's samples scored like the
suite's models, with one error line for bad input."""

import json
import os
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import genbench
from genbench.benchmark.cli import main
from genbench.benchmark.errors import BenchmarkError
from genbench.benchmark.samples import as_images, load_images, score
from genbench.benchmark.suites import REAL_DATA, build_configs

SMOKE = ["--profile", "smoke", "--set", "eval.num_real=200"]


@pytest.fixture
def mnist(data_dir):
    """The first 300 training and test images of MNIST, uint8 (N, 28, 28, 1)."""
    with np.load(Path(data_dir) / "mnist.npz") as archive:
        return archive["x_train"][:300, :, :, None], archive["x_test"][:300, :, :, None]


def _save_pngs(folder, images):
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image[..., 0]).save(folder / f"{i:04d}.png")
    return folder


def _tiny_generator(path, outputs=(28, 28, 1)):
    import keras

    inputs = keras.Input((8,))
    x = keras.layers.Dense(int(np.prod(outputs)), activation="tanh")(inputs)
    keras.Model(inputs, keras.layers.Reshape(outputs)(x)).save(path)
    return path


def test_array_conversions_are_exact():
    grey = np.array([[[0, 128], [255, 7]]], np.uint8)
    assert as_images(grey, "x").shape == (1, 2, 2, 1)
    assert (as_images(grey, "x")[..., 0] == grey).all()
    assert (as_images(np.array([[[-1.0, 0.0, 1.0]]]), "x").ravel() == [0, 128, 255]).all()
    assert (as_images(np.array([[[0.0, 127.6, 255.0]]]), "x").ravel() == [0, 128, 255]).all()
    assert (as_images(np.arange(12, dtype=np.int64).reshape(1, 2, 2, 3), "x").ravel()
            == np.arange(12)).all()


def test_every_input_kind_gives_the_same_images(tmp_path, mnist):
    images = mnist[0][:20]
    np.save(tmp_path / "x.npy", images)
    np.savez(tmp_path / "x.npz", images, np.zeros(20))  # arr_0 images, arr_1 labels
    folder = _save_pngs(tmp_path / "pngs", images)
    for source in (images, tmp_path / "x.npy", tmp_path / "x.npz", folder):
        loaded, _ = load_images(source)
        assert loaded.dtype == np.uint8 and (loaded == images).all(), source
    assert (load_images(folder, num_samples=5)[0] == images[:5]).all()


def test_a_saved_generator_is_sampled_with_seeded_latents(tmp_path):
    import keras

    path = _tiny_generator(tmp_path / "g.keras")
    first, described = load_images(path, num_samples=30, seed=3)
    assert first.shape == (30, 28, 28, 1) and "seeded 3" in described
    assert (load_images(path, num_samples=30, seed=3)[0] == first).all()
    latents = np.random.default_rng(3).standard_normal((30, 8)).astype(np.float32)
    expected = keras.models.load_model(path).predict(latents, verbose=0)
    assert (first == np.clip(np.rint((expected + 1) * 127.5), 0, 255)).all()


def test_real_data_floor_is_far_below_random_pixels(data_dir, mnist):
    rng = np.random.default_rng(0)
    noise = (rng.random((300, 28, 28, 1)) < 0.5).astype(np.uint8) * 255
    kwargs = {"profile": "smoke", "overrides": ["eval.num_samples=300", "eval.num_real=300"],
              "data_dir": data_dir}
    real = genbench.score(mnist[1], "mnist", **kwargs)["metrics"]
    broken = score(noise, "mnist", **kwargs)["metrics"]
    assert real["cfid"]["value"] < broken["cfid"]["value"] / 20
    assert abs(real["c2st_acc"]["value"] - 0.5) < 0.15 and broken["c2st_acc"]["value"] > 0.95
    assert real["precision"]["value"] > 0.7 and broken["precision"]["value"] < 0.05
    provenance = real["cfid"]["provenance"]
    assert (provenance["n_fake"], provenance["n_real"],
            provenance["real_split"]) == (300, 300, "train (300, seed 0)")
    assert provenance["extractor"] == "mnist_smallcnn_150"


def test_images_scored_against_themselves_on_the_fid_network(tmp_path, mnist, capsys):
    """A folder or array reference has no classifier: FID/KID and the k-NN metrics on the FID
    Inception network; a set against itself is at Fréchet distance 0 and fully precise and
    recalled. Scoring says what it does and how long it took."""
    from genbench.evaluation.extractors import ExtractorUnavailable
    from genbench.evaluation.fid_inception import find_weights

    try:
        find_weights()
    except ExtractorUnavailable as exc:
        pytest.skip(str(exc))
    np.save(tmp_path / "x.npy", mnist[1][:12])
    folder = _save_pngs(tmp_path / "real", mnist[1][:12])
    metrics = score(tmp_path / "x.npy", str(folder), profile="smoke",
                    overrides=["eval.inception_samples=12"])["metrics"]
    assert abs(metrics["fid"]["value"]) < 1e-2
    assert metrics["precision"]["value"] == metrics["recall"]["value"] == 1.0
    assert "cfid" not in metrics and "memorization" not in metrics
    assert metrics["fid"]["provenance"]["real_split"] == "given (first 12)"
    assert metrics["fid"]["provenance"]["extractor"] == "fid_inception_v3_tf2015_pool3"
    assert re.search(r"scoring: FID Inception metrics, 12 samples vs 12 real: done in \d+ s",
                     "".join(capsys.readouterr()))


def test_reference_features_are_computed_once_then_loaded(data_dir, mnist, monkeypatch, tmp_path):
    from genbench.evaluation.extractors import ClassifierExtractor

    computed = []
    original = ClassifierExtractor.features
    monkeypatch.setattr(ClassifierExtractor, "features",
                        lambda self, images: computed.append(len(images)) or original(self, images))
    # A fresh cache for the reference features, sharing the session's trained classifier.
    (tmp_path / "cache").mkdir()
    shared = Path(os.environ["BENCHMARK_CACHE_DIR"]) / "classifiers"
    shared.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cache" / "classifiers").symlink_to(shared)
    kwargs = {"profile": "smoke", "overrides": ["eval.num_real=250"], "data_dir": data_dir,
              "cache_dir": tmp_path / "cache"}
    first = score(mnist[1][:50], "mnist", **kwargs)["metrics"]
    assert computed == [250, 250]  # the train reference and memorization's held-out test images
    assert len(list((tmp_path / "cache" / "reference_features").glob("mnist-*.npy"))) == 2
    second = score(mnist[1][:50], "mnist", **kwargs)["metrics"]
    assert computed == [250, 250]
    assert first == second


def test_cli_json_output_parses(tmp_path, data_dir, mnist, capsys):
    np.save(tmp_path / "samples.npy", mnist[0][:100])
    assert main(["score", str(tmp_path / "samples.npy"), "--real", "mnist:test", "--json",
                 "--data-dir", data_dir, *SMOKE]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["reference"] == "mnist:test" and scores["n_samples"] == 100
    assert scores["metrics"]["cfid"]["provenance"]["n_real"] == 200


def test_cli_table_and_stored_run_rendered_as_an_external_row(tmp_path, data_dir, capsys):
    out = tmp_path / "reports"
    generator = _tiny_generator(tmp_path / "tiny.keras")
    assert main(["score", str(generator), "--num-samples", "50", "--real", "mnist",
                 "--out", str(out), "--data-dir", data_dir, *SMOKE]) == 0
    table = capsys.readouterr().out
    assert "50 samples" in table and "cfid" in table and "mnist_smallcnn_150" in table
    with sqlite3.connect(out / "results.sqlite") as db:
        run = db.execute("SELECT suite, task, model, dataset, profile, status, config "
                         "FROM runs").fetchone()
    assert run[:6] == ("gan", "generation", "tiny", "mnist", "smoke", "done")
    assert json.loads(run[6])["train"] is None
    assert main(["report", "--out", str(out)]) == 0
    board = (out / "leaderboard.md").read_text()
    assert "## gan / generation (smoke profile)" in board
    assert "| tiny (external) | mnist |" in board
    assert "50 generated vs 200 real from train (200, seed 0)" in board


def test_real_data_floor_row_has_the_models_sample_counts(tmp_path, data_dir):
    configs = {c.model: c for c in build_configs("gan", "standard", dataset="mnist")}
    assert configs[REAL_DATA].eval == configs["dcgan"].eval == configs["gan"].eval
    assert configs[REAL_DATA].train is None
    out = tmp_path / "reports"
    assert main(["run", "--suite", "gan", "--model", REAL_DATA, "--dataset", "mnist", "--profile",
                 "smoke", "--out", str(out), "--data-dir", data_dir,
                 "--set", "train.steps=5"]) == 0  # a train override does not apply to it
    board = (out / "leaderboard.md").read_text()
    assert "| real data (images outside the reference) | mnist |" in board
    assert "200 generated vs 500 real from train (500, seed 0)" in board
    assert ("## Image generation: GANs and diffusion side by side (smoke profile, 200 generated "
            "vs 500 real images)") in board
    with sqlite3.connect(out / "results.sqlite") as db:
        scores = dict(db.execute("SELECT metric, value FROM metrics"))
    # Training images outside the reference, which memorization compares with: new to it, as
    # held-out images are (about its 5% quantile), unlike images of the reference (1.0).
    assert scores["memorization"] < 0.15 and scores["c2st_acc"] < 0.65


def _bad_inputs(tmp_path, mnist):
    """(samples argument, extra flags, fragment of the error line) per kind of bad input."""
    folder = tmp_path / "unreadable"
    _save_pngs(folder, mnist[0][:12])
    (folder / "0005.png").write_bytes(b"not a png")
    mixed = _save_pngs(tmp_path / "mixed", mnist[0][:12])
    Image.new("L", (32, 32)).save(mixed / "0003.png")
    np.save(tmp_path / "rgb2.npy", np.zeros((20, 28, 28, 2), np.uint8))
    np.save(tmp_path / "rgb.npy", np.zeros((20, 28, 28, 3), np.uint8))
    np.save(tmp_path / "range.npy", np.full((20, 28, 28), 300.0))
    np.save(tmp_path / "unit.npy", np.full((20, 28, 28), 0.5))
    np.save(tmp_path / "few.npy", mnist[0][:5])
    np.savez(tmp_path / "two.npz", images=mnist[0][:20], labels=np.zeros(20))
    not_images = _tiny_generator(tmp_path / "vector.keras", outputs=(10,))
    return [
        (folder, [], "0005.png: not a readable image"),
        (mixed, [], "0003.png: image is 32x32"),
        (tmp_path / "rgb2.npy", [], "C = 1 or 3"),
        (tmp_path / "rgb.npy", [], "samples are 28x28x3"),
        (tmp_path / "range.npy", [], "outside [0, 255] and [-1, 1]"),
        (tmp_path / "unit.npy", [], "values lie in [0, 1]"),
        (tmp_path / "few.npy", [], "5 samples are too few"),
        (tmp_path / "two.npz", [], "expected one array, or the images as arr_0"),
        (not_images, ["--num-samples", "20"], "(generator output): expected a batch of images"),
        (tmp_path / "missing.npy", [], "does not exist"),
        (tmp_path / "rgb.npy", ["--real", "nope:test"], "unknown dataset 'nope'"),
        (tmp_path / "rgb.npy", ["--profile", "huge"], "unknown profile 'huge'"),
    ]


def test_bad_input_gives_one_clear_line(tmp_path, data_dir, mnist, capsys):
    for samples, flags, fragment in _bad_inputs(tmp_path, mnist):
        code = main(["score", str(samples), "--real", "mnist:test", "--data-dir", data_dir,
                     "--profile", "smoke", *flags])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and "Traceback" not in err, err
        assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], err


def test_api_errors_are_benchmark_errors(data_dir):
    with pytest.raises(BenchmarkError, match="train.steps"):
        score(np.zeros((20, 28, 28), np.uint8), "mnist:test", overrides=["train.steps=3"],
              data_dir=data_dir)

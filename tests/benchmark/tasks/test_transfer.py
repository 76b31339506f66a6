"""Task transfer: class splits, what each strategy may train, and one end-to-end run per pair."""

import csv

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from genbench.benchmark.backbones import BACKBONES, build_backbone_classifier
from genbench.benchmark.cli import main
from genbench.benchmark.config import apply_overrides
from genbench.benchmark.suites import build_configs
from genbench.benchmark.tasks import transfer
from genbench.benchmark.tasks.base import RunSkipped, TaskContext
from genbench.benchmark.tasks.common import RunContext
from genbench.benchmark.tasks.configs import TransferTraining
from genbench.models import build_small_cnn
from genbench.models.dcgan import build_dcgan_discriminator

SHAPE = (8, 8, 1)
TRAIN = TransferTraining(steps=1, batch_size=1, classifier_lr=1e-2, finetune_lr=1e-2)


def test_select_classes_keeps_the_split_and_renumbers_in_its_order():
    images = np.arange(6)[:, None]
    x, y = transfer.select_classes(images, np.array([5, 0, 9, 7, 5, 3]), (9, 5))
    np.testing.assert_array_equal(x[:, 0], [0, 2, 4])
    np.testing.assert_array_equal(y, [1, 0, 1])


@pytest.mark.parametrize("strategy, conv_trains, features_train", [
    ("frozen", False, False), ("finetune_top", False, True), ("finetune_all", True, True),
    ("finetune_l2sp", True, True), ("finetune_conv", True, True), ("scratch", True, True)])
def test_strategy_trains_only_its_layers(strategy, conv_trains, features_train):
    pretrained = build_small_cnn(SHAPE, 3)
    # unlike any fresh initialisation
    pretrained.set_weights([w + 0.1 for w in pretrained.get_weights()])
    model = transfer.target_network(strategy, pretrained, SHAPE, 2, TRAIN, l2sp_weight=0.1)
    start = {layer.name: [w.copy() for w in layer.get_weights()] for layer in model.layers}
    # Which layers start as the pretrained ones: all but the new head, the conv blocks only, or
    # none.
    transferred = {"scratch": (), "finetune_conv": ("conv",)}.get(strategy, ("conv", "features"))
    for layer, source_layer in zip(model.layers, pretrained.layers, strict=True):
        if layer.get_weights() and layer.name != "logits":
            kind = "features" if layer.name == "features" else "conv"
            same = all(np.array_equal(a, b)
                       for a, b in zip(layer.get_weights(), source_layer.get_weights(),
                                       strict=True))
            assert same == (kind in transferred), layer.name
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(32, *SHAPE)).astype("float32"), rng.integers(0, 2, 32), epochs=2,
              verbose=0)
    for layer in model.layers:
        if not layer.get_weights():
            continue
        changed = not all(np.array_equal(a, b)
                          for a, b in zip(layer.get_weights(), start[layer.name], strict=True))
        expected = {"logits": True, "features": features_train}.get(layer.name, conv_trains)
        assert changed == expected, layer.name


def test_l2sp_penalises_the_squared_distance_from_the_transferred_weights_only():
    pretrained = build_small_cnn(SHAPE, 3)
    model = transfer.target_network("finetune_l2sp", pretrained, SHAPE, 2, TRAIN, l2sp_weight=2.0)
    assert float(sum(model.losses)) == pytest.approx(0.0)  # at the source weights
    kernel = model.get_layer("features").kernel
    kernel.assign(kernel + 0.5)
    penalty = 0.5 * 2.0 * 0.25 * np.prod(kernel.shape)
    assert float(sum(model.losses)) == pytest.approx(penalty, rel=1e-5)
    head = model.get_layer("logits").kernel
    head.assign(head + 3.0)  # the new head is not pulled anywhere
    assert float(sum(model.losses)) == pytest.approx(penalty, rel=1e-5)


def test_dcgan_features_train_only_a_linear_head_on_the_discriminators_last_conv_block():
    discriminator = build_dcgan_discriminator(SHAPE, base_filters=4)
    before = [w.copy() for w in discriminator.get_weights()]
    model = transfer.target_network("dcgan_features", discriminator, SHAPE, 3, TRAIN)
    # 8 px -> one stride-2 conv to the DCGAN's 4x4 bottom, 4 filters
    assert model.get_layer("logits").kernel.shape == (4 * 4 * 4, 3)
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(32, *SHAPE)).astype("float32"), rng.integers(0, 3, 32), epochs=2,
              verbose=0)
    for after, start in zip(discriminator.get_weights(), before, strict=True):
        np.testing.assert_array_equal(after, start)  # batch-norm statistics included
    assert len(model.trainable_weights) == 2


def test_transfer_suite_scores_every_label_fraction(tmp_path, data_dir):
    out = tmp_path / "reports"
    tiny = ["--set", "train.steps=3", "--set", 'model.fractions=[1, 100]',
            "--set", 'model.source={"steps": 10, "batch_size": 32, "classifier_lr": 0.001}',
            "--set", 'model.dcgan={"steps": 3, "batch_size": 32}']
    for strategy in ("frozen", "scratch", "dcgan_features"):
        assert main(["run", "--suite", "transfer", "--profile", "smoke", "--model", strategy,
                     "--dataset", "mnist:mnist", "--out", str(out), "--data-dir", data_dir,
                     *tiny]) == 0
    with open(out / "results.csv") as f:
        rows = {(r["model"], r["setting"], r["metric"]): float(r["mean"])
                for r in csv.DictReader(f)}
    for strategy in ("frozen", "scratch", "dcgan_features"):
        for fraction in ("1", "100"):
            setting = f"digits 0-4->5-9, labels={fraction}%"
            assert 0 <= rows[(strategy, setting, "accuracy")] <= 1
            assert 0 <= rows[(strategy, setting, "val_accuracy")] <= 1


def test_suite_compares_the_four_strategies_on_three_pairs_and_pretrained_features_where_they_fit():
    configs = build_configs("transfer", "standard")
    pairs = {("mnist:mnist", "digits 0-4->5-9"), ("mnist:fashion_mnist", ""),
             ("cifar10-jpeg:cifar10-jpeg", "animals->vehicles")}
    for strategy in ("frozen", "finetune_all", "finetune_l2sp", "finetune_conv", "finetune_top",
                     "scratch"):
        assert {(c.dataset, c.setting) for c in configs if c.model == strategy} == pairs
    assert {c.setting for c in configs if c.model == "dcgan_features"} == {"digits 0-4->5-9"}
    assert {c.setting for c in configs if c.model.startswith("imagenet_")} == {"animals->vehicles"}


def test_imagenet_backbone_without_cached_weights_is_skipped_with_one_message(tmp_path,
                                                                              monkeypatch):
    # an empty Keras cache: nothing may be downloaded
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    config = next(c for c in build_configs("transfer", "smoke") if c.model == "imagenet_resnet50")
    ctx = TaskContext(tmp_path / "work", "unused", tmp_path / "cache")
    with pytest.raises(RunSkipped, match="resnet50 skipped") as skipped:
        transfer.run(config, 0, ctx)
    assert str(tmp_path / "models" / BACKBONES["resnet50"][2]) in str(skipped.value)


def test_imagenet_backbone_classifier_loads_cached_weights_and_trains_only_its_head(
        tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    # Stand-in for Keras' download: the no-top network's own (random) weights, in the legacy h5
    # format Keras' ImageNet files use (save_weights writes only the new .weights.h5 format).
    reference = keras.applications.MobileNetV2(include_top=False, weights=None,
                                               input_shape=(32, 32, 3), alpha=1.0)
    with h5py.File(tmp_path / "models" / BACKBONES["mobilenet_v2"][2], "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    model = build_backbone_classifier("mobilenet_v2", (32, 32, 3), 4)
    backbone = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    np.testing.assert_array_equal(backbone.get_weights()[0], reference.get_weights()[0])
    assert [w.shape for w in model.trainable_weights] == [(1280, 4), (4,)]


def test_unreadable_cached_discriminator_is_trained_again_as_the_first_time(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(64, 28, 28, 1), dtype=np.uint8)
    lines = []
    ctx = TaskContext(workdir=tmp_path, data_dir=None, cache_dir=tmp_path, log=lines.append)
    config = apply_overrides(build_configs("transfer", "smoke", model="dcgan_features")[0],
                             ['model.dcgan={"steps": 2, "batch_size": 32}'])
    args = (RunContext(config, 0, ctx), "noise", x, (28, 28, 1))
    first = [w.copy() for w in transfer.source_discriminator(*args)[0].get_weights()]
    [weights] = (tmp_path / "pretrained").glob("*.weights.h5")
    weights.write_bytes(b"not hdf5" * 100)
    rebuilt = transfer.source_discriminator(*args)[0]
    assert len(lines) == 1 and lines[0].startswith(f"{weights} in the cache is unreadable (OSError")
    for a, b in zip(first, rebuilt.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    transfer.source_discriminator(*args)
    assert len(lines) == 2 and "loaded from the cache" in lines[1]

"""Task transfer: pretrain the small CNN on a source task, then learn a new task from few labels.

The dataset is a pair "source:target" of registered datasets; a named class
split (the TaskSpec's ``setting``, e.g. "digits 0-4->5-9") may select the
classes each side uses. The model is the strategy on the target task:

- ``frozen``: the source CNN up to its "features" layer, frozen (batch norm in
  inference mode), with a new linear head.
- ``finetune_all``: every layer starts from the source CNN and trains at
  ``train.finetune_lr`` (batch norm in training mode, its statistics from the source).
- ``finetune_conv``: only the conv blocks start from the source CNN; the
  "features" layer and the head start fresh, and every layer trains at
  ``train.finetune_lr``: Yosinski et al. 2014's transfer of the first layers
  with fine-tuning ("AnB+"), for sources whose top layers are too specific.
- ``finetune_top``: the conv blocks stay frozen; the "features" layer and a new
  head train.
- ``finetune_l2sp``: ``finetune_all`` plus L2-SP (Li et al. 2018): the penalty
  ``model.l2sp_weight`` / 2 x the squared distance of every transferred weight from its
  source value, so the few labels move the network only as far as they must.
- ``scratch``: the same CNN from random weights.
- ``dcgan_features``: the discriminator of a DCGAN trained on the source images
  (no labels; ``model.dcgan``: its training budget), frozen, read at its
  last conv block (flattened; batch norm in inference mode) with a new linear
  head: Radford et al. 2015's use of D features for classification (theirs: every
  layer max-pooled to 4x4 grids and an L2-SVM). Trained once per (source, format,
  budget, seed) and cached.
- ``imagenet_<backbone>`` (``benchmark.backbones``: vgg16, resnet50, mobilenet_v2,
  efficientnet_b0): Keras' ImageNet network, frozen, global-average-pooled, with a
  new linear head, on images brought to at least 32 px RGB. Only when its weights
  are in the local Keras cache; otherwise the run logs one line and records nothing.

The other strategies' new layers train at ``train.classifier_lr``; the sections are
``TransferTraining``, ``TransferParams`` and ``L2spParams`` in benchmark/tasks/configs.py.

One run trains the strategy at every label fraction of ``model.fractions``
(class-balanced labelled subsets of the target train split less its validation split, drawn
with the run's seed, so every strategy of a seed sees the same labels; 100% is all of it). Once
every fraction has trained, each is scored on the validation split (``val_accuracy``, what a
selection may use; ``common.carve_validation``: 100 images a class, the run's seed) and then on
the whole target test split (its classes): metrics ``accuracy`` and ``error_pct`` with setting
"labels=<fraction>%" (prefixed by the class split's name). The source CNN trains on the source
train split less a validation split of its own, is scored on that (``source_cnn_val_accuracy``
in the provenance), and is cached once per (source, format, budget, seed), shared by the
strategies and with the adaptation task.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from ...models import DCGAN, build_small_cnn
from ..backbones import (
    BACKBONES,
    MIN_SIZE,
    BackboneUnavailable,
    backbone_weights,
    build_backbone_classifier,
)
from ..cache import cached
from ..config import ConfigError
from ..data import make_pipeline
from ..data.splits import labelled_split
from .base import RunSkipped
from .common import (
    RunContext,
    accuracy,
    adversarial_optimizers,
    carve_validation,
    check_sections,
    source_classifier,
)
from .configs import L2spParams, TransferParams, TransferTraining
from .translation import common_format, domains

IMAGENET = "imagenet_"
STRATEGIES = ("frozen", "finetune_all", "finetune_l2sp", "finetune_conv", "finetune_top", "scratch",
              "dcgan_features", *(IMAGENET + name for name in BACKBONES))
# setting -> (source classes, target classes); "" uses every class on both sides.
CLASS_SPLITS = {
    "": (None, None),
    "digits 0-4->5-9": ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9)),
    # CIFAR-10 class indices: 0 airplane, 1 automobile, 8 ship, 9 truck; 2-7 the animals.
    "animals->vehicles": ((2, 3, 4, 5, 6, 7), (0, 1, 8, 9)),
}
CONV_LAYERS = ("conv2d", "batch_normalization")  # the two conv blocks' weighted layers


def select_classes(images, labels, classes):
    """Images of ``classes`` only, labels renumbered 0..len(classes)-1 in that order."""
    if classes is None:
        return images, labels
    keep = np.isin(labels, classes)
    mapping = np.full(int(labels.max()) + 1, -1, np.int64)
    mapping[list(classes)] = np.arange(len(classes))
    return images[keep], mapping[labels[keep]]


def fraction_setting(prefix, fraction):
    return ", ".join(filter(None, [prefix, f"labels={fraction:g}%"]))


def run(config, seed, ctx):
    check_sections(config, {strategy: (TransferTraining, L2spParams if strategy == "finetune_l2sp"
                                       else TransferParams) for strategy in STRATEGIES})
    if config.setting not in CLASS_SPLITS:
        raise ConfigError(f"transfer class split {config.setting!r} unknown; known: "
                          f"{', '.join(repr(s) for s in CLASS_SPLITS)}")
    source, target = domains(config.dataset)
    size, channels = common_format(source, target)
    if config.model.startswith(IMAGENET):
        try:
            backbone_weights(config.model.removeprefix(IMAGENET))
        except BackboneUnavailable as exc:
            raise RunSkipped(str(exc)) from None
        size, channels = max(size, MIN_SIZE), 3
    image_shape = (size, size, channels)
    run_ctx = RunContext(config, seed, ctx)
    pretrained, source_meta = _pretrained(run_ctx, source, image_shape)
    target_classes = CLASS_SPLITS[config.setting][1]
    num_classes = len(target_classes or range(target.num_classes))
    target_train, validation, validation_name = carve_validation(
        target.name, *select_classes(*target.load("train", ctx.data_dir), target_classes),
        num_classes, seed)
    fractions = config.model_params.fractions
    trained = [_train(run_ctx, fraction, pretrained, target_train, image_shape, num_classes)
               for fraction in fractions]
    # Training has ended: the validation split, then the target test split, read once.
    test = select_classes(*target.load("test", ctx.data_dir), target_classes)
    provenance = {"split": f"{target.name} test ({len(test[0])} images)",
                  "format": "{}x{}x{}".format(*image_shape), "steps": config.train.steps,
                  "validation": validation_name, **source_meta["provenance"]}
    for fraction, (model, labels, _) in zip(fractions, trained, strict=True):
        setting = fraction_setting(config.setting, fraction)
        score = accuracy(model, *test, image_shape)
        run_ctx.result.add("accuracy", score, setting=setting, labels=labels, **provenance)
        run_ctx.result.add("error_pct", 100 * (1 - score), "%", setting=setting, labels=labels,
                           **provenance)
        run_ctx.result.add("val_accuracy", accuracy(model, *validation, image_shape),
                           setting=setting, labels=labels, split=validation_name)
    own = 0 if config.model == "scratch" else source_meta["train_seconds"]
    run_ctx.result.add("train_seconds", sum(seconds for *_, seconds in trained) + own, "s",
                       setting=config.setting,
                       note="every label fraction, plus the (cached) source network's training")
    return run_ctx.result


def _pretrained(run_ctx, source, image_shape):
    """The network a strategy starts from (None for ImageNet's, built later) and its meta
    ({"train_seconds", "provenance"})."""
    config, ctx = run_ctx.config, run_ctx.ctx
    source_classes = CLASS_SPLITS[config.setting][0]
    x_source, y_source = select_classes(*source.load("train", ctx.data_dir), source_classes)
    source_name = source.name + ("-classes" + "".join(map(str, source_classes))
                                 if source_classes else "")
    if config.model.startswith(IMAGENET):
        return None, {"train_seconds": 0.0, "provenance": {}}  # ImageNet's training is not ours
    if config.model == "dcgan_features":
        discriminator, meta = source_discriminator(run_ctx, source_name, x_source, image_shape)
        return discriminator, {**meta, "provenance": {}}
    num_source_classes = len(source_classes or range(source.num_classes))
    labelled, validation, validation_name = carve_validation(source_name, x_source, y_source,
                                                             num_source_classes, run_ctx.seed)
    network, meta = source_classifier(run_ctx, source_name, labelled, validation, image_shape,
                                      num_source_classes)
    return network, {**meta, "provenance": {
        "source_validation": validation_name,
        "source_cnn_val_accuracy": round(meta["source_val_accuracy"], 4)}}


def _train(run_ctx, fraction, pretrained, target_train, image_shape, num_classes):
    """The strategy trained on ``fraction`` % of the labels of ``target_train`` (uint8 images,
    labels). Returns (model, the number of labels, the seconds training took)."""
    config, seed = run_ctx.config, run_ctx.seed
    x_target, y_target = target_train
    if fraction >= 100:
        labelled = np.arange(len(y_target))
    else:  # class-balanced, rounded to a multiple of the class count
        per_class = max(1, round(len(y_target) * fraction / 100 / num_classes))
        labelled, _ = labelled_split(y_target, per_class * num_classes, data_seed=seed)
    keras.utils.set_random_seed(seed)
    with run_ctx.ctx.model_scope():
        model = target_network(config.model, pretrained, image_shape, num_classes, config.train,
                               getattr(config.model_params, "l2sp_weight", 0.0))
    batch = min(config.train.batch_size, len(labelled))
    started = time.perf_counter()
    model.fit(make_pipeline(x_target[labelled], y_target[labelled], batch_size=batch, seed=seed,
                            size=image_shape[0], channels=image_shape[2]),
              steps_per_epoch=config.train.steps, epochs=1, verbose=0, shuffle=False)
    return model, len(labelled), time.perf_counter() - started


def source_discriminator(run_ctx, name, x, image_shape):
    """The discriminator of a DCGAN (its default networks, the budget ``model.dcgan``) trained on
    uint8 ``x``, cached. Returns (discriminator, {"train_seconds"})."""
    ctx, training, seed = run_ctx.ctx, run_ctx.config.model_params.dcgan, run_ctx.seed
    folder = Path(ctx.cache_dir) / "pretrained"
    stem = "{}-{}x{}x{}-dcgan-steps{}-batch{}-seed{}".format(name, *image_shape, training.steps,
                                                             training.batch_size, seed)
    weights, meta_path = folder / f"{stem}.discriminator.weights.h5", folder / f"{stem}.json"

    def fresh_gan():
        keras.utils.set_random_seed(seed)
        return DCGAN(data_shape=image_shape, seed=seed)

    def load():
        discriminator = fresh_gan().discriminator
        discriminator.load_weights(weights)
        ctx.log(f"DCGAN discriminator {stem} loaded from the cache")
        return discriminator, json.loads(meta_path.read_text())

    def train():
        gan = fresh_gan()  # a new one: a failed load may have assigned part of the weights
        d_optimizer, g_optimizer = adversarial_optimizers(training)
        gan.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer)
        started = time.perf_counter()
        gan.fit(make_pipeline(x, batch_size=training.batch_size, seed=seed, size=image_shape[0],
                              channels=image_shape[2]), steps_per_epoch=training.steps, epochs=1,
                verbose=0, shuffle=False)
        meta = {"train_seconds": time.perf_counter() - started}
        gan.discriminator.save_weights(weights)
        meta_path.write_text(json.dumps(meta))
        return gan.discriminator, meta

    with ctx.strategy.scope():  # float32 whatever the run's precision: the cache is shared
        return cached([weights, meta_path], load, train, ctx.log)


class StartingPointL2(keras.regularizers.Regularizer):
    """L2-SP (Li et al. 2018): ``weight`` / 2 x ||w - w0||^2, w0 the weight's value when
    transferred."""

    def __init__(self, weight, start):
        self.weight = weight
        self.start = keras.ops.convert_to_tensor(start)

    def __call__(self, x):
        return 0.5 * self.weight * keras.ops.sum(keras.ops.square(x - self.start))


def target_network(strategy, pretrained, image_shape, num_classes, train, l2sp_weight=0.0):
    """The compiled target-task network of a strategy (``train``: its TransferTraining),
    initialised from ``pretrained`` unless "scratch"."""
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if strategy.startswith(IMAGENET):
        model = build_backbone_classifier(strategy.removeprefix(IMAGENET), image_shape, num_classes)
        model.compile(keras.optimizers.Adam(train.classifier_lr), loss)
        return model
    if strategy == "dcgan_features":
        pretrained.trainable = False  # also runs its batch norm in inference mode
        features = pretrained.layers[-2].output  # the flattened last conv block, before the logit
        logits = keras.layers.Dense(num_classes, name="logits")(features)
        model = keras.Model(pretrained.input, logits, name="dcgan_features_classifier")
        model.compile(keras.optimizers.Adam(train.classifier_lr), loss)
        return model
    model = build_small_cnn(image_shape, num_classes, name=f"{strategy}_classifier")
    # The layers whose weights come from the source CNN (L2-SP anchors exactly these).
    transferred = {"scratch": (), "finetune_conv": CONV_LAYERS}.get(strategy,
                                                                    (*CONV_LAYERS, "features"))
    for layer, source_layer in zip(model.layers, pretrained.layers, strict=True):
        if layer.name.startswith(transferred):
            layer.set_weights(source_layer.get_weights())
    for layer in model.layers:
        if strategy == "frozen":
            layer.trainable = layer.name == "logits"
        elif strategy == "finetune_top":
            layer.trainable = not layer.name.startswith(CONV_LAYERS)
        elif strategy == "finetune_l2sp" and layer.name.startswith(transferred):
            for variable in layer.trainable_weights:
                variable.regularizer = StartingPointL2(l2sp_weight, variable.numpy())
    fine_tuned = strategy in ("finetune_all", "finetune_l2sp", "finetune_conv")
    model.compile(keras.optimizers.Adam(train.finetune_lr if fine_tuned else train.classifier_lr),
                  loss)
    return model

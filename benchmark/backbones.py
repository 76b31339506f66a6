"""Keras' ImageNet backbones for task transfer, used only when their weights are already cached.

Keras downloads ImageNet weights into ``$KERAS_HOME/models`` (default ``~/.keras/models``)
the first time an application is built with ``weights="imagenet"``. The benchmark never
downloads: ``backbone_weights`` finds the cached no-top file, and a backbone without one is
skipped by the caller with one message (``BackboneUnavailable``'s text).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from .errors import BenchmarkError

# name -> (keras.applications constructor, its module's preprocess_input, cached no-top weights
# file).
# MobileNetV2 below 96 px loads the 224 px weights (Keras' choice for unlisted sizes).
BACKBONES = {
    "vgg16": ("VGG16", "vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "resnet50": ("ResNet50", "resnet", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "mobilenet_v2": ("MobileNetV2", "mobilenet_v2",
                     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"),
    "efficientnet_b0": ("EfficientNetB0", "efficientnet", "efficientnetb0_notop.h5"),
}
MIN_SIZE = 32  # the smallest input side every one of them accepts


class BackboneUnavailable(BenchmarkError):
    """The backbone's ImageNet weights are not in the local Keras cache."""


def keras_models_dir():
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def backbone_weights(name):
    """Path of the cached no-top ImageNet weights of backbone ``name``; BackboneUnavailable if
    absent."""
    if name not in BACKBONES:
        raise BenchmarkError(f"ImageNet backbone {name!r} unknown; known: {', '.join(BACKBONES)}")
    path = keras_models_dir() / BACKBONES[name][2]
    if not path.exists():
        raise BackboneUnavailable(f"ImageNet backbone {name} skipped: {path} not found "
                                  "(offline; Keras downloads it "
                                  f"when keras.applications.{BACKBONES[name][0]}"
                                  "(weights='imagenet') is built once with network access)")
    return path


def build_backbone_classifier(name, image_shape, num_classes):
    """[-1, 1] RGB images -> frozen ImageNet backbone (inference mode) -> global average pool ->
    linear logits."""
    weights = backbone_weights(name)
    if image_shape[2] != 3 or image_shape[0] < MIN_SIZE:
        raise BenchmarkError(f"ImageNet backbones take RGB images of at least {MIN_SIZE} px, "
                             f"got {image_shape}")
    constructor, module, _ = BACKBONES[name]
    backbone = getattr(keras.applications, constructor)(include_top=False, weights=str(weights),
                                                        input_shape=image_shape)
    backbone.trainable = False
    preprocess = getattr(keras.applications, module).preprocess_input
    x = keras.Input(image_shape, name="image")
    h = keras.layers.Lambda(preprocess,
                            name="imagenet_preprocess")(keras.layers.Rescaling(127.5, 127.5)(x))
    h = keras.layers.GlobalAveragePooling2D(name="features")(backbone(h, training=False))
    return keras.Model(x, keras.layers.Dense(num_classes, name="logits")(h),
                       name=f"{name}_classifier")

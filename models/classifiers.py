"""Small CNN classifiers: domain classifiers for the metrics, and backbones for SSL and transfer."""

import keras
from keras import layers


def build_small_cnn(input_shape, num_classes, feature_dim=128, dropout=0.3, bn_momentum=0.9,
                    name="small_cnn"):
    """A LeNet-size CNN on [-1, 1] images with a named ``features`` layer before the logits.

    Two conv blocks (32 and 64 filters, 3x3, batch norm, max-pool), a ``feature_dim``
    ReLU layer named "features" and a linear ``logits`` layer: the model outputs logits,
    so losses use ``from_logits=True`` and softmax is applied once, where probabilities
    are needed. Batch-norm momentum 0.9 (not Keras' 0.99) lets the moving statistics
    settle within the few hundred steps these classifiers train.
    """
    return _conv_classifier(input_shape, num_classes, (32, 64), 1, layers.Flatten(), feature_dim,
                            dropout, bn_momentum, name)


def build_colour_cnn(input_shape, num_classes, widths=(32, 64, 128), feature_dim=128, dropout=0.3,
                     bn_momentum=0.9, name="colour_cnn"):
    """A VGG-style CNN for natural colour images (CIFAR-10), same interface as ``build_small_cnn``.

    Per width, two 3x3 conv + batch norm + ReLU and a max-pool (32 -> 16 -> 8 -> 4 px at 32 px),
    then global average pooling, the ``features`` layer and linear ``logits``: about 0.3M
    parameters, small enough to train on a CPU, deep enough for the 85%+ test accuracy on CIFAR-10
    that makes its features a domain metric (the two-block small CNN stays near 70%).
    """
    return _conv_classifier(input_shape, num_classes, widths, 2, layers.GlobalAveragePooling2D(),
                            feature_dim, dropout, bn_momentum, name)


def _conv_classifier(input_shape, num_classes, widths, convs_per_width, pooling, feature_dim,
                     dropout, bn_momentum, name):
    """Per width, ``convs_per_width`` 3x3 conv + batch norm + ReLU and a max-pool; ``pooling``
    (a layer) to a vector; the "features" layer and the linear "logits"."""
    x = keras.Input(input_shape, name="image")
    h = x
    for filters in widths:
        for _ in range(convs_per_width):
            h = layers.Conv2D(filters, 3, padding="same", use_bias=False)(h)
            h = layers.ReLU()(layers.BatchNormalization(momentum=bn_momentum)(h))
        h = layers.MaxPooling2D()(h)
    features = layers.Dense(feature_dim, activation="relu", name="features")(pooling(h))
    logits = layers.Dense(num_classes, name="logits", dtype="float32")(
        layers.Dropout(dropout)(features))
    return keras.Model(x, logits, name=name)


def feature_model(classifier):
    """The sub-model from a classifier's input to its ``features`` layer."""
    return keras.Model(classifier.input, classifier.get_layer("features").output,
                       name=f"{classifier.name}_features")

"""Per-dataset domain classifiers for the ``c*`` metrics: trained once, cached, accuracy recorded.

The classifier is seeded independently of the runs (seed 0), so every run on a
dataset is scored by the same network; its weights hash goes into every score.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from benchmark.data import get_dataset, make_pipeline
from evaluation.extractors import ClassifierExtractor
from models.classifiers import build_small_cnn

BATCH_SIZE = 128


def _train(dataset, data_dir, steps):
    x_train, y_train = dataset.load("train", data_dir)
    x_test, y_test = dataset.load("test", data_dir)
    keras.utils.set_random_seed(0)
    model = build_small_cnn(dataset.image_shape, dataset.num_classes, name=f"{dataset.name}_classifier")
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(make_pipeline(x_train, y_train, batch_size=BATCH_SIZE, seed=0),
              steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    accuracy = float(model.evaluate(make_pipeline(x_test, y_test, batch_size=1000, seed=0, shuffle=False,
                                                  repeat=False, drop_remainder=False),
                                    verbose=0)[1])
    return model, accuracy


def domain_extractor(dataset_name, data_dir, cache_dir, steps):
    """The cached classifier extractor for a labelled dataset, training it on first use."""
    dataset = get_dataset(dataset_name)
    folder = Path(cache_dir) / "classifiers"
    stem = folder / f"{dataset_name}-smallcnn-steps{steps}-seed0"
    weights, meta = stem.with_suffix(".weights.h5"), stem.with_suffix(".json")
    if weights.exists() and meta.exists():
        model = build_small_cnn(dataset.image_shape, dataset.num_classes,
                                name=f"{dataset.name}_classifier")
        model.load_weights(weights)
        accuracy = json.loads(meta.read_text())["test_accuracy"]
    else:
        model, accuracy = _train(dataset, data_dir, steps)
        folder.mkdir(parents=True, exist_ok=True)
        model.save_weights(weights)
        meta.write_text(json.dumps({"test_accuracy": accuracy, "steps": steps}))
    return ClassifierExtractor(f"{dataset_name}_smallcnn_{steps}", model, accuracy)


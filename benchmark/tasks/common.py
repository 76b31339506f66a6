"""What the tasks share: the run in progress, its history and figures, and classifiers.

Images are uint8 NHWC arrays until a model reads them; ``to_format`` brings them to a run's
common format in [-1, 1] through the training pipeline's resizer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from ...evaluation.latent_arithmetic import class_transition
from ...evaluation.plots import save_curves, save_mosaic
from ...models import build_small_cnn
from ..cache import cached
from ..config import ConfigError, RunConfig
from ..data import make_pipeline, validation_split
from .base import TaskContext, TaskResult

EVAL_BATCH = 500
# Images of each class a validation split holds (transfer's target, the source CNN's source).
VALIDATION_PER_CLASS = 100


@dataclass(frozen=True)
class RunContext:
    """One run of a task: what its helpers share instead of long argument lists."""
    config: RunConfig
    seed: int
    ctx: TaskContext
    result: TaskResult = field(default_factory=TaskResult)

    @property
    def title(self):
        config = self.config
        return f"{config.model} on {config.dataset} ({config.profile}, seed {self.seed})"

    def artifact(self, kind, filename):
        """The path of a file in the run's folder, recorded as the artifact ``kind``."""
        path = self.ctx.workdir / filename
        self.result.artifacts[kind] = str(path)
        return path


def check_sections(config, sections):
    """That the run's model is one of ``sections`` (model -> (its train section's class, its model
    section's class)) and that its config holds sections of those classes."""
    if config.model not in sections:
        raise ConfigError(f"{config.task} model {config.model!r} unknown; "
                          f"known: {', '.join(sections)}")
    training, params = sections[config.model]
    if not (isinstance(config.train, training) and isinstance(config.model_params, params)):
        raise ConfigError(f"{config.model} needs a {training.__name__} train section and a "
                          f"{params.__name__} model section")


def construct(cls, key, settings, **fixed):
    """A model from its constructor arguments ``settings`` (the model section's ``key``, or the
    whole section for "") and the task's ``fixed`` ones; a bad argument is a ConfigError naming
    it."""
    try:
        return cls(**fixed, **settings)
    except (TypeError, ValueError) as exc:
        where = f"model.{key}" if key else "model"
        raise ConfigError(f"{where} {json.dumps(settings)}: {exc}") from None


def save_history(run_ctx, state, prefix="", label="training losses"):
    """A ``fit_resumable`` state's loss history and its plot: artifacts ``<prefix>history`` and
    ``<prefix>curves``."""
    history = {"steps": state["steps"], **state["history"]}
    run_ctx.artifact(f"{prefix}history", f"{prefix}history.json").write_text(json.dumps(history))
    curves = {name: (state["steps"], values) for name, values in state["history"].items()}
    save_curves(curves, run_ctx.artifact(f"{prefix}curves", f"{prefix}curves.png"),
                f"{label}, {run_ctx.title}")


def to_format(images, size, channels):
    """uint8 images -> float32 in [-1, 1] at ``size`` (pixels, or (height, width)) and
    ``channels``."""
    batches = make_pipeline(images, batch_size=EVAL_BATCH, seed=0, shuffle=False, repeat=False,
                            drop_remainder=False, size=size, channels=channels)
    return np.concatenate(list(batches.as_numpy_iterator()))


def adversarial_optimizers(training):
    """The discriminator's and the generator's Adam of an AdversarialTraining."""
    return (keras.optimizers.Adam(training.discriminator_lr, beta_1=training.beta_1),
            keras.optimizers.Adam(training.generator_lr, beta_1=training.beta_1))


def compile_classifier(model, training, learning_rate=None):
    """Compile a classifier ``model`` (logits) for cross-entropy with Adam at
    ``training.classifier_lr`` (or the schedule ``learning_rate``), its optimizer built."""
    rate = training.classifier_lr if learning_rate is None else learning_rate
    model.compile(keras.optimizers.Adam(rate, beta_1=training.beta_1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.optimizer.build(model.trainable_variables)


def train_classifier(model, batches, training, learning_rate=None):
    """Fit a classifier ``model`` on ``(x, y)`` ``batches`` for ``training.steps`` steps
    (``compile_classifier``). Returns the seconds training took."""
    compile_classifier(model, training, learning_rate)
    started = time.perf_counter()
    model.fit(batches, steps_per_epoch=training.steps, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - started


def accuracy(classifier, images, labels, image_shape):
    """Accuracy of ``classifier`` on uint8 ``images`` brought to ``image_shape``."""
    x = to_format(images, image_shape[:2], image_shape[2])
    logits = classifier.predict(x, batch_size=EVAL_BATCH, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_small_cnn(x, y, image_shape, num_classes, training, seed, name):
    """A fresh small CNN trained on uint8 ``x``, labels ``y`` brought to ``image_shape``, by the
    ClassifierTraining ``training``. Returns (model, training seconds)."""
    model = build_small_cnn(image_shape, num_classes, name=name)
    keras.utils.set_random_seed(seed)  # after building: the cached source CNNs were trained so
    batches = make_pipeline(x, y, batch_size=training.batch_size, seed=seed, size=image_shape[:2],
                            channels=image_shape[2])
    return model, train_classifier(model, batches, training)


def carve_validation(name, images, labels, num_classes, seed):
    """A train split's class-balanced validation split (``VALIDATION_PER_CLASS`` images of each
    class, data seed ``seed``) and the rest, which alone may train: (train, validation, the
    validation split's name for provenance), train and validation as (uint8 images, labels)."""
    validation, rest = validation_split(labels, VALIDATION_PER_CLASS * num_classes, data_seed=seed)
    description = (f"{name} train, {len(validation)} images (class-balanced, data seed {seed}), "
                   "never trained on")
    return (images[rest], labels[rest]), (images[validation], labels[validation]), description


def source_classifier(run_ctx, name, labelled, validation, image_shape, num_classes):
    """The small CNN trained on the labelled source images (uint8 ``labelled`` = (x, y), the
    source train split less its validation split) at ``image_shape`` with the budget
    ``model.source``, cached; transfer and adaptation share it.

    ``name`` identifies the source data in the cache (with the format, budget and seed);
    ``validation`` = (uint8 images, labels) of the source validation split it is scored on once.
    Returns (model, meta) with meta = {"train_seconds", "source_val_accuracy"}.
    """
    ctx, training, seed = run_ctx.ctx, run_ctx.config.model_params.source, run_ctx.seed
    folder = Path(ctx.cache_dir) / "pretrained"
    stem = "{}-{}x{}x{}-smallcnn-steps{}-batch{}-lr{}-seed{}-val{}".format(
        name, *image_shape, training.steps, training.batch_size, training.classifier_lr, seed,
        len(validation[1]))
    # Suffixes appended, not Path.with_suffix: the learning rate's "." would cut the name short.
    weights, meta_path = folder / f"{stem}.weights.h5", folder / f"{stem}.json"

    def load():
        model = build_small_cnn(image_shape, num_classes, name="source_classifier")
        model.load_weights(weights)
        ctx.log(f"source CNN {stem} loaded from the cache")
        return model, json.loads(meta_path.read_text())

    def build():
        model, seconds = train_small_cnn(*labelled, image_shape, num_classes, training, seed,
                                         name="source_classifier")
        meta = {"train_seconds": seconds,
                "source_val_accuracy": accuracy(model, *validation, image_shape)}
        model.save_weights(weights)
        meta_path.write_text(json.dumps(meta))
        return model, meta

    with ctx.strategy.scope():  # float32 whatever the run's precision: the cache is shared
        return cached([weights, meta_path], load, build, ctx.log)


def record_class_walks(run_ctx, walks, pairs, extractor, num_classes, **provenance):
    """Latent arithmetic's score into the run: ``class_transition`` of the uint8 images ``walks``
    (W, steps, H, W, C), walk i going from class pairs[i][0] to pairs[i][1] by the domain
    ``extractor``, and the walks from each class to the next as the figure ``class_walks``."""
    steps = walks.shape[1]
    images = walks.reshape(-1, *walks.shape[2:])
    predicted = extractor.classes(images).reshape(len(pairs), steps)
    run_ctx.result.add("class_transition", class_transition(predicted, pairs), walks=len(pairs),
                       steps_per_walk=steps, extractor=extractor.name,
                       weights_sha256=extractor.weights_hash[:16], resize=extractor.resize,
                       **provenance)
    next_class = pairs[:, 1] == (pairs[:, 0] + 1) % num_classes
    rows = walks[next_class] if next_class.any() else walks[:num_classes]
    save_mosaic(rows.reshape(-1, *walks.shape[2:]),
                run_ctx.artifact("class_walks", "class_walks.png"), columns=steps)

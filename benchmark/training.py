"""Resumable training: ``fit`` in checkpointed chunks, with divergence detection.

A checkpoint holds every model variable (weights, batch-norm statistics, the noise generators'
state) and every optimizer variable, plus the loss history and the time trained so far, written
atomically; the one before it is kept as ``checkpoint.prev.npz``. The loss history has up to
``CURVE_POINTS`` points per chunk, each the mean over at least ``CURVE_MIN_STEPS`` steps; the
same points go to TensorBoard (``<workdir>/tensorboard``). A killed run restarts from its last
checkpoint and skips the batches it had already consumed, so it continues on the same data
order. A checkpoint that cannot be used (truncated, corrupt, or written for other variables) is
passed over for the previous one, or training starts over, with one line saying so.

With a ``Validation``, every checkpoint also measures the model on a validation split; the
best model so far is kept in ``best.npz`` and is what training returns, and training stops
early once ``patience`` steps pass without a better one. That selection survives a kill like
the rest of the state.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from .data.files import READ_ERRORS, problem

CHECKPOINT, PREVIOUS, BEST = "checkpoint.npz", "checkpoint.prev.npz", "best.npz"
STATE_KEYS = {"step", "train_seconds", "history", "steps"}
VALIDATION_KEY = "validation"  # in the state of a fit with a Validation only
CURVE_POINTS = 10  # loss-history points per checkpoint interval, at most
CURVE_MIN_STEPS = 50  # steps a point averages, at least: a Keras epoch each, not free in tiny runs


@dataclass(frozen=True)
class Validation:
    """Checkpoint selection on a validation split: ``accuracy()`` of the model as it stands,
    measured at every checkpoint. The best model (the earliest, on ties) is kept; training stops
    once ``patience`` steps have passed without a better one (0: it runs every step)."""
    accuracy: Callable[[], float]
    patience: int = 0


class Diverged(Exception):
    def __init__(self, step, losses):
        super().__init__(f"diverged at step {step}: non-finite loss ({losses})")
        self.step = step


class _StopOnNonFinite(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and remembers the step."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.bad = None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if logs and not all(math.isfinite(float(v)) for v in logs.values()):
            self.bad = (self.step, {k: float(v) for k, v in logs.items()})
            self.model.stop_training = True


def _trackable_variables(model, optimizers):
    return list(model.variables) + [v for opt in optimizers for v in opt.variables]


def _save(path, variables, state, keep_previous=True):
    """Writes the checkpoint through a synced temporary file.

    The checkpoint it replaces is kept as PREVIOUS (with ``keep_previous``), the fallback if the
    new one gets damaged.
    """
    tmp = path.with_suffix(".tmp.npz")
    with open(tmp, "wb") as stream:
        np.savez(stream, *[v.numpy() for v in variables], state=json.dumps(state))
        stream.flush()
        os.fsync(stream.fileno())  # else a crash after the rename can leave an empty checkpoint
    if keep_previous and path.exists():
        os.replace(path, path.with_name(PREVIOUS))
    os.replace(tmp, path)


def _read(path, variables, keys=STATE_KEYS):
    """A checkpoint's arrays and state; ValueError if they do not fit ``variables`` or the state
    lacks ``keys``."""
    names = [f"arr_{i}" for i in range(len(variables))]
    with np.load(path) as archive:
        if sorted(archive.files) != sorted([*names, "state"]):
            raise ValueError(f"it holds {len(archive.files) - 1} arrays, "
                             f"the model has {len(variables)} variables")
        values = [archive[name] for name in names]
        state = json.loads(str(archive["state"]))
    for value, variable in zip(values, variables, strict=True):
        if value.shape != tuple(variable.shape) or value.dtype != np.dtype(variable.dtype):
            raise ValueError(f"{variable.path} is {variable.dtype} {tuple(variable.shape)}, "
                             f"the checkpoint has {value.dtype} {value.shape}")
    if not isinstance(state, dict) or state.keys() - {VALIDATION_KEY} != keys:
        raise ValueError(f"its state is not {sorted(keys)}")
    return values, state


def _restore(workdir, variables, log):
    """Restores the newest usable checkpoint into ``variables`` and returns its state, or None.

    Variables are assigned only from a checkpoint that passed every check, so a model
    that starts over keeps its initial weights.
    """
    problems = []
    for path in (workdir / CHECKPOINT, workdir / PREVIOUS):
        if not path.exists():
            continue
        try:
            values, state = _read(path, variables)
        except READ_ERRORS as exc:
            problems.append(f"{path} is unusable ({problem(exc)})")
            continue
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
        if path.name == PREVIOUS:  # it replaces the unusable newest; the next save rotates it back
            os.replace(path, workdir / CHECKPOINT)
        if problems:
            log(f"{'; '.join(problems)}; resuming from {path.name} at step {state['step']}")
        return state
    if problems:
        (workdir / CHECKPOINT).unlink(missing_ok=True)
        (workdir / PREVIOUS).unlink(missing_ok=True)
        log(f"{'; '.join(problems)}; starting over")
    return None


class _Selection:
    """A fit's ``Validation``: measures the model, keeps the best in BEST (model variables only),
    and decides the early stop; its record lives in the checkpoint state."""

    KEYS = {"step", "accuracy"}

    def __init__(self, validation, path, variables, state):
        self.validation, self.path, self.variables = validation, path, variables
        self.record = state.setdefault(VALIDATION_KEY, {
            "steps": [], "accuracy": [], "best_step": None, "best_accuracy": None,
            "stopped": False})

    def check(self, step):
        """Measures the model at ``step``; True once training should stop."""
        record, accuracy = self.record, float(self.validation.accuracy())
        record["steps"].append(step)
        record["accuracy"].append(accuracy)
        if record["best_step"] is None or accuracy > record["best_accuracy"]:
            _save(self.path, self.variables, {"step": step, "accuracy": accuracy},
                  keep_previous=False)  # before the checkpoint that names it
            record["best_step"], record["best_accuracy"] = step, accuracy
        elif self.validation.patience and step - record["best_step"] >= self.validation.patience:
            record["stopped"] = True
        return record["stopped"]

    def restore(self):
        """Puts the best model measured into the variables."""
        values, _ = _read(self.path, self.variables, self.KEYS)
        for variable, value in zip(self.variables, values, strict=True):
            variable.assign(value)


def _curve_interval(chunk):
    """Steps per Keras epoch: the smallest divisor of ``chunk`` of at least ``CURVE_MIN_STEPS``
    steps that gives at most ``CURVE_POINTS`` loss-history points per chunk, else ``chunk``."""
    smallest = max(math.ceil(chunk / CURVE_POINTS), CURVE_MIN_STEPS)
    return next((d for d in range(smallest, chunk) if chunk % d == 0), chunk)


class _Checkpointer(keras.callbacks.Callback):
    """Records the loss means and trained time of every Keras epoch (``_curve_interval`` steps);
    after every chunk of epochs, checks the validation when there is one and saves variables and
    state."""

    def __init__(self, path, variables, state, epoch_steps, chunk, total_steps, report,
                 selection):
        super().__init__()
        self.path, self.variables, self.state = path, variables, state
        self.epoch_steps, self.chunk = epoch_steps, chunk
        self.total_steps, self.report, self.selection = total_steps, report, selection

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        state["train_seconds"] += time.perf_counter() - self.started
        state["step"] += self.epoch_steps
        state["steps"].append(state["step"])
        for name, value in (logs or {}).items():
            state["history"].setdefault(name, []).append(float(value))
        if state["step"] % self.chunk:
            return
        if self.selection and self.selection.check(state["step"]):
            self.model.stop_training = True
        _save(self.path, self.variables, state)
        if self.report:
            self.report(state["step"], self.total_steps, logs or {})


def _start(workdir, variables, model, validation, log):
    """(state, selection or None): the restored or fresh state of a fit. A fit with a validation
    whose best model is unusable starts over (its selection cannot be redone from a checkpoint)."""
    best = workdir / BEST
    if validation is not None and best.exists():
        try:
            _read(best, model.variables, _Selection.KEYS)
        except READ_ERRORS as exc:
            log(f"{best} is unusable ({problem(exc)}); starting over")
            for name in (CHECKPOINT, PREVIOUS, BEST):
                (workdir / name).unlink(missing_ok=True)
    state = (_restore(workdir, variables, log)
             or {"step": 0, "train_seconds": 0.0, "history": {}, "steps": []})
    if validation is None:
        return state, None
    return state, _Selection(validation, best, model.variables, state)


def fit_resumable(model, optimizers, make_dataset, train, workdir, report=None, log=print,
                  validation=None):
    """Train ``model`` for ``train.steps`` steps, checkpointing every ``train.checkpoint_every``.

    ``make_dataset(skip)`` returns the infinite training dataset with its first
    ``skip`` batches dropped. ``report(step, total, logs)`` is called after each
    chunk; ``log(text)`` gets the line saying that an unusable checkpoint was passed
    over. With a ``Validation``, the model is measured at every checkpoint, may stop
    early, and ends as the best model measured. Returns {"history": {loss: [means over
    ``_curve_interval(chunk)`` steps]}, "steps": [the step of each mean], "train_seconds":
    float, "step": steps trained}, plus
    "validation" {"steps", "accuracy", "best_step", "best_accuracy", "stopped"} with a
    ``Validation``.
    Raises ``Diverged`` on a non-finite loss.
    """
    workdir = Path(workdir)
    variables = _trackable_variables(model, optimizers)
    state, selection = _start(workdir, variables, model, validation, log)
    chunk = min(train.checkpoint_every, train.steps)  # a divisor of the steps (TrainConfig)
    epoch_steps = _curve_interval(chunk)  # a state saved after a chunk is at a whole epoch
    done_epochs, total_epochs = state["step"] // epoch_steps, train.steps // epoch_steps
    if done_epochs < total_epochs and not (selection and selection.record["stopped"]):
        guard = _StopOnNonFinite(state["step"])
        checkpointer = _Checkpointer(workdir / CHECKPOINT, variables, state, epoch_steps, chunk,
                                     train.steps, report, selection)
        # One fit call: with steps_per_epoch set, Keras keeps one iterator across epochs.
        tensorboard = keras.callbacks.TensorBoard(workdir / "tensorboard", write_graph=False)
        model.fit(make_dataset(state["step"]), steps_per_epoch=epoch_steps, epochs=total_epochs,
                  initial_epoch=done_epochs, verbose=0, shuffle=False,
                  callbacks=[guard, checkpointer, tensorboard])
        if guard.bad:
            raise Diverged(*guard.bad)
    if selection:
        selection.restore()
    return state

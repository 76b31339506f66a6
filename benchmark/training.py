"""Resumable training: ``fit`` in checkpointed chunks, with divergence detection.

A checkpoint holds every model variable (weights, batch-norm statistics, the
noise generators' state) and every optimizer variable, plus the loss history
and the time trained so far, written atomically. Losses also go to TensorBoard
(``<workdir>/tensorboard``), one point per chunk. A killed run restarts from
its last checkpoint and skips the batches it had already consumed, so it
continues on the same data order.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np


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


def _save(path, variables, state):
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, *[v.numpy() for v in variables], state=json.dumps(state))
    os.replace(tmp, path)


def _load(path, variables):
    with np.load(path) as archive:
        values = [archive[f"arr_{i}"] for i in range(len(variables))]
        state = json.loads(str(archive["state"]))
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)
    return state


class _Checkpointer(keras.callbacks.Callback):
    """Saves variables, loss history and trained time after every chunk (Keras epoch)."""

    def __init__(self, path, variables, state, chunk, total_steps, report):
        super().__init__()
        self.path, self.variables, self.state = path, variables, state
        self.chunk, self.total_steps, self.report = chunk, total_steps, report

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        state["train_seconds"] += time.perf_counter() - self.started
        state["step"] += self.chunk
        state["steps"].append(state["step"])
        for name, value in (logs or {}).items():
            state["history"].setdefault(name, []).append(float(value))
        _save(self.path, self.variables, state)
        if self.report:
            self.report(state["step"], self.total_steps, logs or {})


def fit_resumable(model, optimizers, make_dataset, train, workdir, report=None):
    """Train ``model`` for ``train.steps`` steps, checkpointing every ``train.checkpoint_every``.

    ``make_dataset(skip)`` returns the infinite training dataset with its first
    ``skip`` batches dropped. ``report(step, total, logs)`` is called after each
    chunk. Returns {"history": {loss: [chunk means]}, "steps": [...],
    "train_seconds": float}. Raises ``Diverged`` on a non-finite loss.
    """
    path = Path(workdir) / "checkpoint.npz"
    variables = _trackable_variables(model, optimizers)
    state = {"step": 0, "train_seconds": 0.0, "history": {}, "steps": []}
    if path.exists():
        state = _load(path, variables)
    chunk = min(train.checkpoint_every, train.steps)
    if train.steps % chunk:
        raise ValueError(f"train.steps ({train.steps}) must be a multiple of "
                         f"train.checkpoint_every ({chunk})")
    done_chunks, total_chunks = state["step"] // chunk, train.steps // chunk
    if done_chunks >= total_chunks:
        return state
    guard = _StopOnNonFinite(state["step"])
    checkpointer = _Checkpointer(path, variables, state, chunk, train.steps, report)
    # One fit call: with steps_per_epoch set, Keras keeps one iterator across epochs.
    tensorboard = keras.callbacks.TensorBoard(Path(workdir) / "tensorboard", write_graph=False)
    model.fit(make_dataset(state["step"]), steps_per_epoch=chunk, epochs=total_chunks,
              initial_epoch=done_chunks, verbose=0, shuffle=False, callbacks=[guard, checkpointer, tensorboard])
    if guard.bad:
        raise Diverged(*guard.bad)
    return state

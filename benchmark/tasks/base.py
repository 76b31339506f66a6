"""What every task receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..precision import policy


def _default_strategy():
    import tensorflow as tf

    return tf.distribute.get_strategy()


class RunSkipped(Exception):  # noqa: N818 (not an error: the run cannot happen on this machine)
    """Raised by a task that cannot run here (e.g. pretrained weights not installed): the runner
    records nothing, logs the message and tries the run again next time."""


@dataclass
class TaskContext:
    workdir: Path                 # this run's folder: checkpoint, figures, logs
    data_dir: str | None          # --data-dir / BENCHMARK_DATA_DIR
    cache_dir: Path               # classifiers, converted weights, reference statistics
    report: Callable | None = None  # report(step, total_steps, logs) after each checkpoint
    log: Callable = print         # one-line notices (skipped metrics, cached extractors)
    strategy: Any = field(default_factory=_default_strategy)  # tf.distribute strategy of the run
    precision: str = "float32"    # float32, bfloat16 or float16 (benchmark/precision.py)

    @contextmanager
    def model_scope(self):
        """Build and compile the run's trained models here: inside the distribution strategy and
        under the run's precision policy (scoring networks are built outside, in float32)."""
        with self.strategy.scope(), policy(self.precision):
            yield


@dataclass
class TaskResult:
    metrics: list[dict] = field(default_factory=list)  # {metric, value, unit, setting, provenance}
    artifacts: dict[str, str] = field(default_factory=dict)  # kind -> path

    def add(self, metric, value, unit="", setting="", **provenance):
        self.metrics.append({"metric": metric, "value": float(value), "unit": unit,
                             "setting": setting, "provenance": provenance})

"""``--strategy``: TensorFlow's distribution strategies for every training task.

``default`` is one device. ``mirrored`` replicates the model on every local GPU
(or the CPU when there is none) and splits each batch between them.
``multiworker`` does the same across hosts described by ``TF_CONFIG`` (see the
README). The configured batch size is the global batch; models scale their
losses to it, so results do not depend on the number of replicas.
"""

from __future__ import annotations

import json
import os

from .errors import BenchmarkError

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name):
    """Create the strategy; call before any other TensorFlow work (multi-worker needs that)."""
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        try:
            cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]
        except (KeyError, ValueError, TypeError):
            raise BenchmarkError("--strategy multiworker needs TF_CONFIG with a cluster and this "
                                 "task's index (see the README section on multi-host runs)"
                                 ) from None
        if not cluster.get("worker"):
            raise BenchmarkError("TF_CONFIG names no workers; "
                                 "list every host:port under cluster.worker")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise BenchmarkError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")


def gpu_count():
    """GPUs TensorFlow sees on this host (listing them does not claim their memory)."""
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def describe(strategy):
    return {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync}

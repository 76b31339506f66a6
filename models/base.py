"""What every trained model here shares with the others."""

import keras
import tensorflow as tf  # tf.distribute replica context
from keras import ops


def for_policy(optimizer, model):
    """The optimizer to train ``model`` with: wrapped in dynamic loss scaling under the
    ``mixed_float16`` policy, whose small gradients would underflow otherwise (Keras wraps
    ``compile``'s own ``optimizer`` argument so; models with several optimizers call this).
    Train steps differentiate ``training_loss``, which applies the wrapper's loss scale."""
    if model.dtype_policy.name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        return keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def replica_position():
    """(number of replicas in sync, this replica's index); (1, 0) outside ``tf.distribute``."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: not inside a train step
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def scale_for_replicas(loss):
    """A per-replica batch mean divided by the replica count: Keras sums gradients over
    replicas, so the update is that of the mean over the global batch."""
    return loss / replica_position()[0]


def tracker_logs(trackers):
    """``{name: result}`` of the loss trackers. Under a multi-worker strategy each result gets a
    leading axis of 1: Keras 3 reduces per-replica logs there along axis 0, which fails on
    scalars (tensorflow/tensorflow#72388)."""
    logs = {tracker.name: tracker.result() for tracker in trackers}
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        logs = {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs


def training_loss(loss, optimizer):
    """What a train step differentiates (inside its tape): ``loss`` divided by the replica count
    and times the optimizer's loss scale (float16's dynamic scale; 1 for other precisions)."""
    return optimizer.scale_loss(scale_for_replicas(loss))

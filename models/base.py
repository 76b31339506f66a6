"""What the trained models here share: precision and replica helpers for train steps, the
replica-aware noise draw, and ``TwoPlayerModel``, the base of the noise-to-data GANs (GAN, DCGAN,
SSGAN). The base of the unpaired translators (CycleGAN, DiscoGAN) is ``models.translator``."""

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


def replica_draw(sample, batch_size, shape=()):
    """This replica's slice of ``sample((global batch, *shape))``: under ``tf.distribute`` every
    replica gets different noise, and R replicas do the math of one device."""
    replicas, index = replica_position()
    values = sample((batch_size * replicas, *shape))
    return values[index * batch_size:(index + 1) * batch_size]


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


@keras.saving.register_keras_serializable(package="models")
class TwoPlayerModel(keras.Model):
    """Base of models with a ``discriminator`` and a ``generator`` from ``latent_dim``-d standard
    normal noise, each network with its own optimizer. Subclasses set ``latent_dim``,
    ``noise_seed`` (a ``keras.random.SeedGenerator``) and the two networks."""

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = for_policy(d_optimizer, self)
        self.g_optimizer = for_policy(g_optimizer, self)
        # Build optimizer slots now, outside any traced step (required under tf.distribute).
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def optimizers(self):
        """The optimizers a checkpoint saves: [discriminator's, generator's]."""
        return [self.d_optimizer, self.g_optimizer]

    def sample_noise(self, batch_size):
        """Training noise for this replica's ``batch_size`` (see ``replica_draw``)."""
        return replica_draw(lambda shape: keras.random.normal(shape, seed=self.noise_seed),
                            batch_size, (self.latent_dim,))

    def generate(self, n, seed=0, batch_size=500):
        """n samples as a numpy array in the data range ([-1, 1] for images), reproducible by
        seed."""
        z = keras.random.normal((n, self.latent_dim), seed=seed)
        return self.generator.predict(z, batch_size=batch_size, verbose=0)

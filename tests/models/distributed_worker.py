"""Trains a tiny GAN or DCGAN under a tf.distribute strategy and saves its losses and weights.

Run as a script by test_distribute.py (each strategy needs a fresh process):
    python distributed_worker.py {single|mirrored|multiworker} {gan|dcgan} OUT.npz
``mirrored`` splits the one CPU into two logical devices; ``multiworker`` reads TF_CONFIG.
"""

import sys

import tensorflow as tf

mode, name, out = sys.argv[1:4]
if mode != "multiworker":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
strategy = {"single": tf.distribute.get_strategy,
            "mirrored": lambda: tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
            "multiworker": tf.distribute.MultiWorkerMirroredStrategy}[mode]()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from genbench.models import DCGAN, GAN  # noqa: E402

model_class, kwargs = {"gan": (GAN, {"latent_dim": 4, "data_shape": (8,), "hidden_units": (16,)}),
                       "dcgan": (DCGAN, {"latent_dim": 8, "data_shape": (28, 28, 1),
                                         "base_filters": 4})}[name]
keras.utils.set_random_seed(0)
with strategy.scope():
    model = model_class(**kwargs)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
data = np.random.default_rng(0).uniform(-1, 1, (512, *kwargs["data_shape"])).astype("float32")
dataset = tf.data.Dataset.from_tensor_slices(data).batch(32, drop_remainder=True).repeat()
history = model.fit(dataset, steps_per_epoch=10, epochs=3, verbose=0, shuffle=False).history
weights = [v.numpy() for v in (model.generator.trainable_variables
                               + model.discriminator.trainable_variables)]
np.savez(out, *weights, d_loss=history["d_loss"], g_loss=history["g_loss"])

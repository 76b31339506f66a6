"""``--precision``: the Keras mixed-precision policy a run's models are built with.

Models are built (``TaskContext.model_scope``) under ``mixed_bfloat16`` or ``mixed_float16``:
layers compute in 16 bits and keep float32 weights; their output layers and every loss compute
in float32. The networks a run takes from the cache (domain classifiers, source CNNs, the
DCGAN features of transfer) and the scoring networks (the FID Inception network) are built
outside that scope and stay float32: they are shared by runs of every precision, so a score
depends on the precision only through the model under test. float16 needs loss scaling: models
wrap their optimizers in Keras' ``LossScaleOptimizer`` (``models.base.for_policy``) and train
steps differentiate ``models.base.training_loss``, which applies its loss scale (1 for the other
precisions).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from .errors import BenchmarkError

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
# CPU flags of native bfloat16 matrix units (Intel AMX, AVX512-BF16; AMD Zen 4 has avx512_bf16).
BF16_CPU_FLAGS = {"amx_bf16", "avx512_bf16"}


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def resolve(name: str) -> str:
    """A concrete precision: ``auto`` is bfloat16 where the hardware computes it natively (GPUs
    of compute capability 8.0 and up, CPUs with AMX or AVX512-BF16), float32 elsewhere."""
    if name not in PRECISIONS:
        raise BenchmarkError(f"unknown precision {name!r}; known: {', '.join(PRECISIONS)}")
    if name != "auto":
        return name
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
        return "bfloat16" if capability and capability >= (8, 0) else "float32"
    return "bfloat16" if _cpu_flags() & BF16_CPU_FLAGS else "float32"


@contextmanager
def policy(precision: str):
    """Keras' global dtype policy for ``precision`` while models are built, restored after."""
    import keras

    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(POLICIES[precision])
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


"""Training-step throughput of every model the suites train, at each precision, and what share
of the machine's matrix-multiply peak it reaches (part of ``python -m benchmark perf``).

Each model is built from its standard-profile run config by the task's own builder, under the
precision's Keras policy, and its ``train_step`` runs in a bare ``tf.function`` loop on one
in-memory batch of random inputs of the right shape (input pipelines and ``fit`` are measured
for the GANs in ``perf.py``). Its arithmetic is counted on the traced graph: every matrix
multiply and convolution, forward and backward (``graph_flops``). The peak is a large square
matmul timed in the same run at the same precision, so "share of peak" says how much of the time
goes to anything but arithmetic at full speed: small layers, element-wise ops, the framework.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..models import build_small_cnn
from .config import DOMAIN_CLASSIFIER
from .data import get_dataset
from .domain_classifier import recipe_of
from .precision import policy
from .suites import build_configs
from .tasks.adaptation import build_aligner
from .tasks.common import compile_classifier
from .tasks.diffusion import build_ddpm, build_vae
from .tasks.generation import build_model
from .tasks.ssl import build_ssgan
from .tasks.translation import MODELS as TRANSLATORS
from .tasks.translation import build_translator, common_format, domains

PRECISIONS = ("float32", "bfloat16")
MATMUL_SIZE = 2048
MIN_SECONDS = 2.0  # each timing repeats the step until at least this long has passed


# ---- arithmetic of a traced graph ------------------------------------------------------------

def _dims(tensor):
    return [int(d) for d in tensor.shape]


def _einsum_flops(op):
    """2 x the product of every index's size (one multiply-add per point of the joint index
    space), for a static ``Einsum``."""
    inputs = op.get_attr("equation").decode().split("->")[0].split(",")
    sizes = {}
    for letters, tensor in zip(inputs, op.inputs, strict=True):
        for letter, size in zip(letters.replace("...", ""), _dims(tensor)[-len(letters):],
                                strict=False):
            sizes[letter] = size
    return 2 * math.prod(sizes.values())


def _op_flops(op):
    """Multiply-add FLOPs (2 per multiply-add) of one matmul or convolution op, else 0."""
    kind = op.type
    if kind == "MatMul":
        a = _dims(op.inputs[0])
        inner = a[0] if op.get_attr("transpose_a") else a[1]
        return 2 * math.prod(_dims(op.outputs[0])) * inner
    if kind in ("BatchMatMulV2", "BatchMatMulV3"):
        a = _dims(op.inputs[0])
        inner = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * math.prod(_dims(op.outputs[0])) * inner
    if kind == "Conv2D":  # output N,H,W,Cout; filter kh,kw,Cin,Cout
        kh, kw, c_in, _ = _dims(op.inputs[1])
        return 2 * math.prod(_dims(op.outputs[0])) * kh * kw * c_in
    if kind in ("Conv2DBackpropInput", "Conv2DBackpropFilter"):
        # the forward convolution's count: its output gradient (N,Ho,Wo,Cout) times kh*kw*Cin
        kh, kw, c_in, _ = _filter_shape(op)
        return 2 * math.prod(_dims(op.inputs[2])) * kh * kw * c_in
    if kind == "Einsum":
        return _einsum_flops(op)
    return 0


def _filter_shape(op):
    """kh, kw, Cin, Cout: the filter input of a backprop-input op, the output (the filter's
    gradient) of a backprop-filter op."""
    return _dims(op.inputs[1] if op.type == "Conv2DBackpropInput" else op.outputs[0])


def graph_flops(graph):
    """Matmul and convolution FLOPs of one call of a traced ``tf.Graph`` (ops in nested
    function bodies are not reached: Keras 3 traces layers inline)."""
    return sum(_op_flops(op) for op in graph.get_operations())


# ---- the models -------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepCase:
    """One model's training step: ``build()`` (called under a precision policy) returns the
    compiled model, one batch for its ``train_step`` and the real images that batch holds."""

    model: str
    dataset: str
    build: Callable[[], tuple]


def _config(suite, model, dataset, setting=None):
    return build_configs(suite, "standard", model, dataset, setting)[0]


def _uniform(rng, shape):
    """Images on [-1, 1], as the input pipelines give them."""
    return tf.constant(rng.uniform(-1.0, 1.0, shape).astype(np.float32))


def _normal(rng, shape):
    """Standard-normal latents, as the LDM's U-Net trains on (scaled VAE latents)."""
    return tf.constant(rng.normal(size=shape).astype(np.float32))


def _labels(rng, count, num_classes=10):
    return tf.constant(rng.integers(0, num_classes, count), tf.int64)


def _labelled_and_unlabelled(rng, batch, shape):
    """``((images, labels), images)``: SSGAN's and domain adaptation's batches."""
    return ((_uniform(rng, (batch, *shape)), _labels(rng, batch)),
            _uniform(rng, (batch, *shape)))


def _generation(model, dataset):
    def build():
        config = _config("gan", model, dataset)
        shape = get_dataset(dataset).image_shape
        gan, _ = build_model(config, shape, seed=0)
        count = config.train.batch_size * gan.d_steps
        return gan, _uniform(np.random.default_rng(0), (count, *shape)), count
    return StepCase(model, dataset, build)


def _translation(model, pair):
    def build():
        config = _config("translation", model, pair)
        size, channels = common_format(*domains(pair))
        shape = (size, size, channels)
        translator = build_translator(TRANSLATORS[model], shape, config.model_params,
                                      config.train)
        rng, batch = np.random.default_rng(0), config.train.batch_size
        return translator, (_uniform(rng, (batch, *shape)), _uniform(rng, (batch, *shape))), (
            2 * batch)
    return StepCase(model, pair, build)


def _ssgan(dataset, labels):
    def build():
        config = _config("ssl", "ssgan", dataset, f"labels={labels}")
        shape = get_dataset(dataset).image_shape
        rng = np.random.default_rng(0)
        init = rng.integers(0, 256, (500, *shape), dtype=np.uint8)
        model = build_ssgan(config, init, 10, seed=0)
        return model, _labelled_and_unlabelled(rng, config.train.batch_size, shape), (
            2 * config.train.batch_size)
    return StepCase("ssgan", f"{dataset}[labels={labels}]", build)


def _diffusion(part, dataset):
    """``part``: "ddpm" (the pixel DDPM's U-Net), "ldm_vae" or "ldm_unet" (its two stages)."""
    def build():
        config = _config("diffusion", "ddpm" if part == "ddpm" else "ldm", dataset)
        shape = get_dataset(dataset).image_shape
        rng = np.random.default_rng(0)
        if part == "ldm_vae":
            batch = config.train.vae_batch_size
            return build_vae(shape, config, seed=0), _uniform(rng, (batch, *shape)), batch
        if part == "ldm_unet":
            shape = build_vae(shape, config, seed=0).latent_shape
        batch = config.train.batch_size
        return build_ddpm(shape, config, seed=0), _normal(rng, (batch, *shape)), batch
    return StepCase(part, dataset, build)


def _alignment(method, pair):
    def build():
        config = _config("adaptation", method, pair)
        source, target = domains(pair)
        size, channels = common_format(source, target)
        shape = (size, size, channels)
        classifier = build_small_cnn(shape, source.num_classes)
        model = build_aligner(method, config.train, config.model_params, classifier)
        batch = config.train.batch_size
        return model, _labelled_and_unlabelled(np.random.default_rng(0), batch, shape), 2 * batch
    return StepCase(method, pair, build)


def _domain_classifier(dataset):
    """The dataset's domain classifier (its recipe's network and optimizer)."""
    def build():
        recipe = recipe_of(dataset)
        shape = get_dataset(dataset).image_shape
        model = recipe.network(shape, 10)
        compile_classifier(model, DOMAIN_CLASSIFIER)
        rng, batch = np.random.default_rng(0), DOMAIN_CLASSIFIER.batch_size
        return model, (_uniform(rng, (batch, *shape)), _labels(rng, batch)), batch
    return StepCase(f"classifier ({recipe_of(dataset).name})", dataset, build)


CASES = [_generation("gan", "mnist"), _generation("dcgan", "mnist"),
         _generation("dcgan", "cifar10-jpeg"),
         _translation("cyclegan", "mnist:usps"), _translation("discogan", "mnist:usps"),
         _ssgan("mnist", 100), _diffusion("ldm_vae", "mnist"), _diffusion("ldm_unet", "mnist"),
         _diffusion("ddpm", "mnist"), _alignment("dann", "mnist:usps"),
         _alignment("adda", "mnist:usps"), _domain_classifier("mnist"),
         _domain_classifier("cifar10-jpeg")]


# ---- timing -----------------------------------------------------------------------------------

def _rate(fn, work):
    """``work`` per second of ``fn()``: repeated until ``MIN_SECONDS`` have passed, best of 3."""
    best = 0.0
    for _ in range(3):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < MIN_SECONDS or calls == 0:
            fn()
            calls += 1
        best = max(best, calls * work / elapsed)
    return best


def matmul_peak(precision, size=MATMUL_SIZE):
    """FLOP/s of a ``size``-cubed matmul at ``precision`` (the machine's practical peak)."""
    dtype = tf.bfloat16 if precision == "bfloat16" else tf.float32
    a = tf.cast(tf.random.stateless_normal((size, size), (0, 1)), dtype)
    b = tf.cast(tf.random.stateless_normal((size, size), (0, 2)), dtype)
    multiply = tf.function(lambda: tf.matmul(a, b))
    multiply()
    return _rate(lambda: multiply().numpy(), 2 * size ** 3)


def _loss_value(out):
    """One scalar of a train step's outputs (forces the step to finish)."""
    value = next(iter(out.values())) if isinstance(out, dict) else out
    return float(tf.reduce_mean(tf.cast(value, tf.float32)))


def measure_step(case, precision):
    """img/s and FLOP/s of ``case``'s train step at ``precision``."""
    import keras

    keras.utils.set_random_seed(0)
    with policy(precision):
        model, data, images = case.build()
    step = tf.function(model.train_step)
    flops = graph_flops(step.get_concrete_function(data).graph)
    _loss_value(step(data))
    steps_per_s = _rate(lambda: _loss_value(step(data)), 1)
    return {"img_per_s": images * steps_per_s, "flops_per_step": flops,
            "flop_per_s": flops * steps_per_s}


def measure_inception(cache_dir, precision, images):
    """img/s and FLOP/s of the FID Inception network's forward pass at ``precision`` (its
    weights must be installed; scoring itself always uses float32)."""
    from ..evaluation.fid import load_fid_inception

    inception = load_fid_inception(str(cache_dir), dtype=precision)
    batch = tf.constant(np.random.default_rng(0).uniform(-1, 1, (images, 299, 299, 3)),
                        tf.float32)
    forward = tf.function(lambda x: inception.model(x, training=False))
    flops = graph_flops(forward.get_concrete_function(batch).graph)
    forward(batch)
    calls_per_s = _rate(lambda: forward(batch).numpy(), 1)
    return {"img_per_s": images * calls_per_s, "flops_per_step": flops / images,  # per image
            "flop_per_s": flops * calls_per_s}


def measure_all(cache_dir, cases=CASES, precisions=PRECISIONS, inception_images=50, log=print):
    """Rows ``{model, dataset, <precision>: {img_per_s, flops_per_step, flop_per_s, share}}``
    (``cases``, then the FID Inception network on batches of ``inception_images`` if that is
    not 0 and its weights are installed) and the peaks ``{precision: FLOP/s}``, all measured in
    this call."""
    from ..evaluation.extractors import ExtractorUnavailable

    peaks = {p: matmul_peak(p) for p in precisions}
    rows = []
    for case in cases:
        row = {"model": case.model, "dataset": case.dataset}
        for precision in precisions:
            log(f"perf: {case.model} {case.dataset} {precision}")
            row[precision] = measure_step(case, precision)
        rows.append(row)
    try:
        if inception_images:
            row = {"model": "fid_inception (forward)", "dataset": "299x299x3"}
            for precision in precisions:
                row[precision] = measure_inception(cache_dir, precision, inception_images)
            rows.append(row)
    except ExtractorUnavailable as exc:
        log(f"perf: FID Inception skipped: {exc}")
    for row in rows:
        for precision in precisions:
            row[precision]["share"] = row[precision]["flop_per_s"] / peaks[precision]
    return {"peaks": peaks, "rows": rows}


def render(steps):
    """Markdown lines of ``measure_all``'s result."""
    precisions = list(steps["peaks"])
    peaks = ", ".join(f"{p} {steps['peaks'][p] / 1e9:.0f} GFLOP/s" for p in precisions)
    header = " | ".join(f"{p} img/s | {p} share of peak" for p in precisions)
    lines = ["## Every model's training step, by precision", "",
             f"Bare `train_step` loop on one in-memory batch of the standard profile's size, "
             f"best of 3. Peak: a {MATMUL_SIZE}³ matmul in the same run ({peaks}). Share of "
             "peak: the step's matmul and convolution FLOPs (forward and backward, counted on "
             "its graph) per second, over that peak.", "",
             f"| model | data | GFLOP per step | {header} | speed-up |",
             "|---|---|---|" + "---|---|" * len(precisions) + "---|"]
    for row in steps["rows"]:
        cells = " | ".join(f"{row[p]['img_per_s']:.0f} | {100 * row[p]['share']:.1f}%"
                           for p in precisions)
        speedup = row[precisions[-1]]["img_per_s"] / row[precisions[0]]["img_per_s"]
        lines.append(f"| {row['model']} | {row['dataset']} | "
                     f"{row[precisions[0]]['flops_per_step'] / 1e9:.3g} | {cells} | "
                     f"{speedup:.2f}x |")
    return lines


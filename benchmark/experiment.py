"""Experiment files: the options of ``run`` in a TOML file a user can commit and share.

Top-level keys are the run flags (``data_dir`` for ``--data-dir``); the ``[set]`` table holds
``--set`` overrides as sections (``train = { steps = 200 }``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .config import ConfigError

KEYS = {"suite": str, "model": str, "dataset": str, "setting": str, "profile": str, "seeds": int,
        "first_seed": int,
        "out": str, "data_dir": str, "strategy": str, "offline": bool, "jobs": int, "threads": int,
        "precision": str, "cluster": str, "set": dict}
TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false", dict: "a table"}


def load_experiment(path):
    """The file as {"path", "sha256", "content"}; ConfigError (naming the file) on any bad input."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"experiment file {path} not found") from None
    except OSError as exc:
        raise ConfigError(f"cannot read experiment file {path}: {exc.strerror}") from None
    try:
        content = tomllib.loads(data.decode())
    except ValueError as exc:  # TOMLDecodeError (names line and column) or UnicodeDecodeError
        raise ConfigError(f"experiment file {path} is not valid TOML: {exc}") from None
    where = f"experiment file {path}"
    for key, value in content.items():
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(KEYS)})")
        # exact types: TOML's true must not pass as a number of seeds
        if type(value) is not KEYS[key]:
            raise ConfigError(f"{where}: {key} must be {TYPE_NAMES[KEYS[key]]}, got {value!r}")
    for key, least in (("seeds", 1), ("jobs", 1), ("threads", 1), ("first_seed", 0)):
        if content.get(key, least) < least:
            raise ConfigError(f"{where}: {key} must be at least {least}, got {content[key]}")
    for section, values in content.get("set", {}).items():
        if type(values) is not dict:
            raise ConfigError(f"{where}: set.{section} must be a table of overrides, "
                              f"e.g. {section} = {{ steps = 200 }}")
    try:
        json.dumps(content)  # stored with each run, and [set] values become JSON overrides
    except TypeError as exc:
        raise ConfigError(f"{where}: [set] values must be numbers, strings, booleans, lists or "
                          f"tables ({exc})") from None
    return {"path": str(path.resolve()), "sha256": hashlib.sha256(data).hexdigest(),
            "content": content}


def overrides(content):
    """The ``[set]`` table as ``section.key=value`` overrides (values in JSON, as --set takes)."""
    return [f"{section}.{name}={json.dumps(value)}"
            for section, values in content.get("set", {}).items() for name, value in values.items()]

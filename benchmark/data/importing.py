"""``python -m benchmark data import NAME PATH``: copy a user's download into the data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import DataError
from .files import problem
from .registry import get_dataset


def import_dataset(name: str, path: str, data_dir: str) -> str:
    """Copy a downloaded file or folder into ``data_dir`` under the name the loader expects,
    then load every split to verify it (shape, counts, labels, sha256 where known).

    On failure the copy is removed and DataError raised. Returns a one-line summary.
    """
    dataset = get_dataset(name)
    source = Path(path).expanduser()
    if not hasattr(dataset, "import_target"):
        raise DataError(f"{name}: needs no import (synthetic or read in place)")
    if not data_dir:
        raise DataError(f"{name}: no data dir to import into; "
                        "pass --data-dir or set BENCHMARK_DATA_DIR")
    if not source.exists():
        raise DataError(f"{name}: {source} does not exist; give the downloaded file or folder")
    folder = Path(data_dir).expanduser()
    target = folder / dataset.import_target(source)
    if target.exists():
        raise DataError(f"{name}: {target} already exists; delete it first to import {source}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
        found = dataset.locate(str(folder))
        if found is not None and found.path != target:
            raise DataError(f"{name}: {found.path} is used before {target}; delete it first")
        counts = [len(dataset.load(split, str(folder))[0]) for split in dataset.splits]
    except DataError as err:
        _remove(target)
        raise DataError(f"{err} (import undone: {target} removed)") from None
    except OSError as exc:
        _remove(target)
        raise DataError(f"{name}: cannot copy {source} to {target} ({problem(exc)})") from None
    except BaseException:
        _remove(target)
        raise
    checksum = dataset.status(str(folder))["checksum"]
    return (f"{name}: imported {source} as {target} ({'/'.join(map(str, counts))} images, "
            f"checksum {checksum})")


def _remove(target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)

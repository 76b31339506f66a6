"""Dataset names -> dataset objects."""

from __future__ import annotations

from .errors import DataError
from .folders import CIFAR10_JPEG, UnpairedDataset, folder_dataset
from .images import FASHION_MNIST, MNIST, MNIST_M, USPS
from .mixtures import GRID25, RING8
from .tfds_sets import CELEB_A, CIFAR10, LSUN_BEDROOM, SVHN_CROPPED

DATASETS = {d.name: d for d in (MNIST, FASHION_MNIST, USPS, MNIST_M, CIFAR10_JPEG, CIFAR10,
                                 SVHN_CROPPED, CELEB_A, LSUN_BEDROOM, RING8, GRID25)}
PATH_KINDS = {"folder:": folder_dataset, "unpaired:": UnpairedDataset}


def dataset_names() -> list[str]:
    """The registered names (``folder:PATH`` and ``unpaired:PATH`` take any path)."""
    return list(DATASETS)


def dataset_parts(name: str) -> list[str]:
    """The datasets a task's dataset string names: both of a pair "source:target", or the one
    ``folder:PATH`` / ``unpaired:PATH`` (whose path may itself contain ":")."""
    if name.startswith(tuple(PATH_KINDS)):
        return [name]
    return name.split(":")


def get_dataset(name: str):
    """The dataset called ``name``: a registered name, ``folder:PATH`` or ``unpaired:PATH``."""
    for prefix, make in PATH_KINDS.items():
        if name.startswith(prefix):
            if not name[len(prefix):]:
                raise DataError(f"{name!r}: give a path after {prefix}, "
                                f"e.g. {prefix}/data/my_images")
            return make(name[len(prefix):])
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}, "
                        f"{', '.join(f'{p}PATH' for p in PATH_KINDS)}")
    return DATASETS[name]

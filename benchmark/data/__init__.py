"""Dataset registry and input pipelines.

Every dataset loads as arrays (images uint8 NHWC + int64 labels, or 2-D points
+ mode ids) from, in order: the data dir (flag or $BENCHMARK_DATA_DIR), the
Keras / TFDS caches, system packages; nothing is downloaded unless asked
(``load(..., download=True)``, which ``python -m benchmark run`` does unless
``--offline``). A missing or broken dataset raises DataError
with one line saying what is wrong and how to get it.
"""

from .base import ImageDataset
from .errors import DataError
from .folders import FolderDataset, UnpairedDataset
from .importing import import_dataset
from .mixtures import Mixture
from .paths import resolve_data_dir
from .pipeline import make_pipeline
from .registry import dataset_names, dataset_parts, get_dataset
from .splits import labelled_split, validation_split
from .status import format_status, status_rows

__all__ = ["DataError", "FolderDataset", "ImageDataset", "Mixture", "UnpairedDataset",
           "dataset_names", "dataset_parts", "format_status", "get_dataset", "import_dataset",
           "labelled_split", "make_pipeline", "resolve_data_dir", "status_rows",
           "validation_split"]

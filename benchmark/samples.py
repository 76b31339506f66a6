"""The evaluation package on a user's own samples: ``python -m benchmark score`` and ``score()``.

Samples are an array, a folder of image files, an ``.npy``/``.npz`` file or a saved ``.keras``
generator (sampled from standard normal latents, seeded); the reference is a registered dataset's
split ("mnist" for its train split in the suite's fixed order, "mnist:test") or images given the
same ways. They are scored by ``benchmark.scoring``, as
the suite scores its own models, at a profile's evaluation budget (the one DCGAN gets on images).
``score`` lives here, not in ``evaluation``, because resolving "mnist:test" needs the dataset
registry, and ``evaluation`` does not import ``benchmark``.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from ..evaluation.images import to_uint8
from .config import RunConfig, apply_overrides
from .data import DataError
from .data.trees import ImageTree, decode_image, image_channels
from .errors import BenchmarkError
from .scoring import Reference, dataset_reference, score_images
from .tasks.base import TaskContext, TaskResult

SAMPLE_BATCH = 500


def as_images(array, what):
    """uint8 (N, H, W, C) images from an array of integers in [0, 255] or floats in [-1, 1] or
    [0, 255]; floats all within [0, 1] are refused as ambiguous."""
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or not len(array):
        raise BenchmarkError(f"{what}: expected a batch of images (N, H, W) or (N, H, W, C) "
                             f"with C = 1 or 3 (channels last), got shape {array.shape}")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise BenchmarkError(f"{what}: expected numbers, got {array.dtype}")
    if not np.isfinite(array).all():
        raise BenchmarkError(f"{what}: contains NaN or infinite values")
    low, high = array.min(), array.max()
    if np.issubdtype(array.dtype, np.floating) and -1 <= low and high <= 1:
        if low >= 0:  # [0, 1] images would silently turn grey as [-1, 1] ones
            raise BenchmarkError(f"{what}: values lie in [0, 1]; scale them to [0, 255] or [-1, 1]")
        return to_uint8(array)
    if low < 0 or high > 255:
        raise BenchmarkError(f"{what}: values range over {low:.4g}..{high:.4g}, outside [0, 255] "
                             "and [-1, 1]")
    return np.rint(array).astype(np.uint8)


def _read_folder(path):
    """Every image file below ``path``, in name order; all must have the first one's size."""
    tree = ImageTree(path)
    first, data = tree.first()
    shape = image_channels(data, f"{path}/{first}")
    return np.stack([decode_image(data, f"{path}/{name}", shape) for name, data in tree.items()])


def _read_npz(path):
    with np.load(path, allow_pickle=False) as archive:
        names = archive.files
        name = "arr_0" if "arr_0" in names else names[0] if len(names) == 1 else None
        if name is None:
            raise BenchmarkError(f"{path}: holds {', '.join(names)}; expected one array, or the "
                                 "images as arr_0 (np.savez's first array)")
        return archive[name]


def _sample_generator(path, num_samples, seed):
    """``num_samples`` outputs of a saved Keras generator on standard normal latents."""
    import keras

    from .. import models  # noqa: F401 (registers the suite's layers, so that its generators load)

    if num_samples is None:
        raise BenchmarkError(f"{path}: a generator needs --num-samples (how many images to draw)")
    try:
        generator = keras.models.load_model(path, compile=False)
    except Exception as exc:  # Keras raises many kinds for a bad or foreign file
        raise BenchmarkError(f"{path}: cannot be loaded as a Keras model ({exc})".splitlines()[0]
                             ) from None
    shapes = [tuple(t.shape) for t in generator.inputs]
    if len(shapes) != 1 or None in shapes[0][1:]:
        raise BenchmarkError(f"{path}: expected a generator with one input of fixed shape (the "
                             f"latent vector), got inputs {shapes}")
    latents = np.random.default_rng(seed).standard_normal((num_samples, *shapes[0][1:]))
    output = generator.predict(latents.astype(np.float32), batch_size=SAMPLE_BATCH, verbose=0)
    if isinstance(output, (list, tuple, dict)):
        raise BenchmarkError(f"{path}: the generator has several outputs; expected one image batch")
    return output


def load_images(source, num_samples=None, seed=0, what="samples"):
    """(uint8 images (N, H, W, C), description) from an array, a folder of image files (PNG, JPEG,
    ...), an .npy or .npz file or a saved .keras generator; the first ``num_samples`` images, or
    that many draws of the generator (latents seeded with ``seed``)."""
    if not isinstance(source, (str, Path)):
        images, described = as_images(source, what), "an array"
    else:
        path = Path(source).expanduser()
        kind = "folder" if path.is_dir() else path.suffix.lower()
        readers = {"folder": _read_folder, ".npy": lambda p: np.load(p, allow_pickle=False),
                   ".npz": _read_npz,
                   ".keras": lambda p: _sample_generator(p, num_samples, seed)}
        if not path.exists():
            raise BenchmarkError(f"{what}: {path} does not exist")
        if kind not in readers:
            raise BenchmarkError(f"{what}: {path} is not a folder of images, an .npy or .npz file "
                                 "or a .keras generator")
        try:
            array = readers[kind](path)
        except (OSError, ValueError) as exc:
            raise BenchmarkError(f"{path}: cannot be read ({exc})".splitlines()[0]) from None
        except DataError as exc:
            raise BenchmarkError(str(exc)) from None
        images = as_images(array, f"{what} {path}" + (" (generator output)" if kind == ".keras"
                                                      else ""))
        described = str(path) if kind != ".keras" else f"{path} (latents seeded {seed})"
    if num_samples is not None:
        if num_samples > len(images):
            raise BenchmarkError(f"{what}: {num_samples} images asked for, "
                                 f"only {len(images)} given")
        images = images[:num_samples]
    return images, described


def resolve_reference(real, data_dir=None, download=False):
    """A Reference from "DATASET[:SPLIT]", a path to images, or an array of images."""
    if isinstance(real, str) and not Path(real).expanduser().exists():
        return dataset_reference(real, data_dir, download)
    images, described = load_images(real, what="reference")
    return Reference(described, "given", images)


def eval_budget(profile, overrides=()):
    """The evaluation sizes that every generation model gets on images at ``profile``, changed by
    ``overrides`` ("eval.num_real=2000")."""
    from .budgets.common import IMAGE_EVAL

    if profile not in IMAGE_EVAL:
        raise BenchmarkError(f"unknown profile {profile!r}; known: {', '.join(IMAGE_EVAL)}")
    for item in overrides:
        if not item.startswith("eval."):
            raise BenchmarkError(f"--set {item}: score takes eval.KEY=VALUE only "
                                 "(e.g. eval.num_real=2000)")
    sizes = RunConfig(suite="gan", task="generation", model="samples", dataset="", profile=profile,
                      train=None, eval=IMAGE_EVAL[profile])
    return apply_overrides(sizes, list(overrides)).eval


def _load_samples(samples, num_samples, sizes, seed, log):
    """The samples to score: ``num_samples`` of them if given, else the profile's count (all
    given images when there are fewer: the leaderboard does not set them beside the models)."""
    generator = isinstance(samples, (str, Path)) and Path(samples).suffix.lower() == ".keras"
    fake, described = load_images(samples, num_samples or (sizes.num_samples if generator
                                                            else None), seed)
    if num_samples is None and len(fake) > sizes.num_samples:
        log(f"{len(fake)} samples given; scoring the first {sizes.num_samples}, as the suite "
            "scores its models (--num-samples to change)")
        fake = fake[:sizes.num_samples]
    return fake, described


def score(samples, real, *, num_samples=None, seed=0, profile="standard",
          overrides=(), name=None, out=None, data_dir=None, cache_dir=None, download=False,
          log=print):
    """Score a user's samples against real images as the suite scores its own models.

    ``samples`` and ``real`` as in ``load_images`` / ``resolve_reference``; the evaluation sizes
    are ``profile``'s (``eval_budget``), changed by ``overrides`` ("eval.num_real=2000"), and
    ``num_samples`` defaults to theirs.
    Returns {"samples", "n_samples", "reference", "profile", "seed", "stored_as", "metrics"}, the
    metrics as {metric: {"value", "unit", "provenance"}}. With ``out``, the scores are stored in
    ``out``/results.sqlite as the external model ``name`` (default: the samples' file name) and
    the leaderboard there is rebuilt.
    """
    from .cli import default_cache_dir

    sizes = eval_budget(profile, overrides)
    fake, described = _load_samples(samples, num_samples, sizes, seed, log)
    reference = resolve_reference(real, data_dir, download)
    if out is not None and reference.dataset is None:
        raise BenchmarkError("storing scores (--out) needs a registered dataset as reference "
                             "(--real DATASET:SPLIT): the leaderboard's rows are per dataset")
    config = _config(fake, described, reference, profile, sizes, name, samples)
    ctx = TaskContext(workdir=None, data_dir=data_dir, log=log,
                      cache_dir=Path(cache_dir) if cache_dir else default_cache_dir())
    result = TaskResult()
    started = time.time()
    score_images(fake, reference, seed, config.eval, ctx, result)
    if not result.metrics:
        raise BenchmarkError(f"no metric applies: {reference.name} has no domain classifier and "
                             "the FID Inception network is skipped (see the line above)")
    if out is not None:
        _store(config, seed, result, out, time.time() - started)
    return {"samples": described, "n_samples": len(fake), "reference": reference.name,
            "profile": profile, "seed": seed, "stored_as": config.model if out else None,
            "metrics": {m["metric"]: {k: m[k] for k in ("value", "unit", "provenance")}
                        for m in result.metrics}}


def _config(fake, described, reference, profile, sizes, name, samples):
    """The run a score is stored as: the gan suite's generation task, no training, the samples'
    origin and sha256 as model parameters (so other samples are another configuration)."""
    from .suites import is_external

    if name is None:
        name = Path(samples).stem if isinstance(samples, (str, Path)) else "samples"
    if not is_external(name):
        raise BenchmarkError(f"{name!r} names one of the suite's models; pass another --name")
    setting = "" if reference.split == "train" else f"vs {reference.split} split"
    return RunConfig(suite="gan", task="generation", model=name,
                     dataset=reference.dataset.name if reference.dataset else reference.name,
                     profile=profile, train=None, eval=sizes, setting=setting,
                     model_params={"samples": described,
                                   "sha256": hashlib.sha256(fake.tobytes()).hexdigest()[:16],
                                   "n_samples": len(fake)})


def _store(config, seed, result, out, wall):
    from .environment import environment
    from .reporting import write_reports
    from .runner import check_writable
    from .store import ResultsStore

    check_writable(out)
    store = ResultsStore(Path(out) / "results.sqlite")
    try:
        run_id = store.start(config, seed, environment())
        store.finish(run_id, "done", wall, result.metrics)
        write_reports(store, out)
    finally:
        store.close()


def print_table(scores, file):
    """``score``'s result as a table (metric, value, unit, which way is better) and the provenance
    of its numbers, one line per network."""
    from .reporting.tables import direction, format_value, provenance_bullets

    print(f"{scores['n_samples']} samples ({scores['samples']}) scored against "
          f"{scores['reference']}; profile {scores['profile']}, seed {scores['seed']}", file=file)
    metrics = scores["metrics"]
    width = max(map(len, metrics))
    for metric, score in metrics.items():
        print(f"  {metric:<{width}}  {format_value(score['value'], None):>8}  {score['unit']:<7}  "
              f"{direction(metric)}", file=file)
    rows = [{"metric": metric, "provenance": score["provenance"]}
            for metric, score in metrics.items()]
    print("provenance:", *provenance_bullets(rows), sep="\n", file=file)

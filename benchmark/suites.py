"""Suites (lists of tasks) and profiles (budgets).

A profile sets how long each task trains and how much it evaluates: ``smoke``
finishes in seconds per task (tests, CI), ``standard`` (the default) gives
meaningful numbers on a 2-core CPU, ``paper`` uses the papers' settings.
Adding a model or dataset to a suite is one line in ``SUITES``; its budget is
one entry in the suite's module of ``benchmark/budgets/``. ``all`` runs every suite.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .budgets import BUDGETS, PROFILES
from .config import ConfigError, RunConfig

DEFAULT_PROFILE = "standard"
DEFAULT_SEEDS = {"smoke": 1, "standard": 3, "paper": 3}
# Seeds (issue 24): recipes are chosen on validation splits of the tuning seeds 100, 101, ...;
# the leaderboard reports 1000, 1001, ..., run only once the recipes were frozen.
TUNING_FIRST_SEED = 100
REPORTED_FIRST_SEED = 1000


# Datasets a suite lists that give way to another copy when they are not on this machine: the
# original CIFAR-10 (Keras' or TFDS' release) to the JPEG-re-encoded copy, which is reported under
# its own name, never as cifar10 (see ``on_this_machine``).
FALLBACKS = {"cifar10": "cifar10-jpeg"}


# The generation task's "model" whose samples are training images (the real-data floor of every
# metric), and its name in the leaderboard.
REAL_DATA = "real"
REAL_DATA_LABEL = "real data (images outside the reference)"


@dataclass(frozen=True)
class TaskSpec:
    task: str       # module in benchmark/tasks
    model: str
    dataset: str    # a registry name, or "source:target" for a pair of domains
    budget: str     # key into BUDGETS (benchmark/budgets/)
    # what varies inside a task family (e.g. "labels=100"); part of the config hash
    setting: str = ""


SUITES = {
    "gan": [
        TaskSpec("generation", "gan", "ring8", "gan-points"),
        TaskSpec("generation", "gan", "grid25", "gan-points"),
        TaskSpec("generation", "gan", "mnist", "gan-images"),
        TaskSpec("generation", "gan", "fashion_mnist", "gan-images"),
        TaskSpec("generation", "dcgan", "mnist", "dcgan-images"),
        TaskSpec("generation", "dcgan", "fashion_mnist", "dcgan-images"),
        TaskSpec("generation", "gan", "cifar10", "gan-cifar"),
        TaskSpec("generation", "dcgan", "cifar10", "dcgan-cifar"),
        # The real-data floor: train images scored like the models' samples, beside them.
        TaskSpec("generation", REAL_DATA, "mnist", "real-images"),
        TaskSpec("generation", REAL_DATA, "fashion_mnist", "real-images"),
        TaskSpec("generation", REAL_DATA, "cifar10", "real-cifar"),
    ],
    "translation": [
        TaskSpec("translation", "cyclegan", "mnist:usps", "cyclegan-digits"),
        TaskSpec("translation", "cyclegan", "mnist:mnist_m", "cyclegan-digits-rgb"),
        TaskSpec("translation", "discogan", "mnist:usps", "discogan-digits"),
        TaskSpec("translation", "discogan", "mnist:mnist_m", "discogan-digits"),
    ],
    "diffusion": [
        TaskSpec("diffusion", "ldm", "mnist", "ldm-images"),
        TaskSpec("diffusion", "ldm", "fashion_mnist", "ldm-images"),
        # Class-conditional with classifier-free guidance: also scored by the classification
        # accuracy score (add fashion_mnist here for a second dataset; ~4 min per seed on 2 cores).
        TaskSpec("diffusion", "ldm", "mnist", "ldm-cfg-images", setting="cfg=2"),
        TaskSpec("diffusion", "ddpm", "mnist", "ddpm-images"),
        TaskSpec("diffusion", "ddpm", "fashion_mnist", "ddpm-images"),
        TaskSpec("diffusion", "ldm", "cifar10", "ldm-cifar"),
        TaskSpec("diffusion", "ddpm", "cifar10", "ddpm-cifar"),
    ],
    # Task transfer: model = strategy; setting = named class split (benchmark/tasks/transfer.py);
    # each run scores every label fraction (setting "<split>, labels=<f>%"). DCGAN-discriminator
    # features on the digit split (the DCGAN adds ~50 s per seed); ImageNet backbones (frozen; a run
    # without cached Keras weights logs one line, records nothing and runs again next time) on
    # CIFAR-10 animals -> vehicles, the natural images they were trained for.
    "transfer": [
        TaskSpec("transfer", strategy, pair,
                 "transfer-l2sp" if strategy == "finetune_l2sp" else "transfer-small-cnn",
                 setting=split)
        for pair, split in (("mnist:mnist", "digits 0-4->5-9"), ("mnist:fashion_mnist", ""),
                            ("cifar10-jpeg:cifar10-jpeg", "animals->vehicles"))
        for strategy in ("frozen", "finetune_all", "finetune_l2sp", "finetune_conv", "finetune_top",
                         "scratch")
        + {"digits 0-4->5-9": ("dcgan_features",),
           "animals->vehicles": ("imagenet_vgg16", "imagenet_resnet50", "imagenet_mobilenet_v2",
                                 "imagenet_efficientnet_b0")}.get(split, ())
    ],
    # Domain adaptation: model = method; target labels only score.
    "adaptation": [
        TaskSpec("adaptation", method, pair, budget)
        for pair in ("mnist:usps", "usps:mnist", "mnist:mnist_m")
        for method, budget in (("source_only", "adapt-source-only"),
                               ("dann",
                                "adapt-dann-mnist-m" if pair == "mnist:mnist_m" else "adapt-dann"),
                               ("adda", "adapt-adda"))
    ] + [TaskSpec("adaptation", "pixel_cyclegan", "mnist:usps",
                  "adapt-pixel-cyclegan"),  # ~5 min a seed
         TaskSpec("adaptation", "pixel_cyclegan", "mnist:mnist_m", "adapt-pixel-cyclegan-rgb"),
         TaskSpec("adaptation", "pixel_dann", "mnist:usps", "adapt-pixel-dann"),  # ~6 min a seed
         TaskSpec("adaptation", "pixel_dann", "mnist:mnist_m",
                  "adapt-pixel-dann-rgb")],  # ~5 min a seed
    # Semi-supervised: every method on the same class-balanced labelled splits (one per seed);
    # CIFAR-10 (Salimans et al.'s CNN for every method) on the paper profile; the standard one
    # runs SSGAN and supervised-only on a reduced budget (benchmark/budgets/ssl.py).
    "ssl": [TaskSpec("ssl", model, dataset,
                     f"ssl-{model}" + ("-cifar" if dataset == "cifar10" else ""),
                     setting=f"labels={count}")
            for model in ("ssgan", "ssgan_explicit", "supervised", "self_training", "pseudo_label",
                          "cotraining_shared", "cotraining_teach", "gmm")
            for dataset, counts in (("mnist", (20, 50, 100, 1000)),
                                    ("fashion_mnist", (100, 1000, 4000)),
                                    ("cifar10", (4000,)))
            for count in counts],
}

def listed_specs():
    """(suite name, TaskSpec) of every suite, in the order the suites list them, each on the
    dataset it names (not the copy this machine has: ``on_this_machine``)."""
    return [(name, spec) for name, specs in SUITES.items() for spec in specs]


def on_this_machine(specs, data_dir, dataset):
    """``specs`` ((suite, TaskSpec) pairs), each on its dataset's ``FALLBACKS`` copy where its own
    dataset is not in ``data_dir`` (or its default places) or the user asked for the fallback by
    name (``dataset``)."""
    from .data import get_dataset

    absent = {name for name in FALLBACKS if get_dataset(name).locate(data_dir) is None}
    return [(suite, replace(spec, dataset=FALLBACKS[spec.dataset])
             if spec.dataset in FALLBACKS
             and (dataset == FALLBACKS[spec.dataset] or spec.dataset in absent) else spec)
            for suite, spec in specs]


def _user_pair_specs(dataset):
    """Specs for a domain pair no suite lists: every translation model and adaptation method on a
    pair of labelled datasets ("svhn_cropped:mnist"), every translation model on "unpaired:PATH"
    (e.g. horse2zebra), each with the budget of its first listed pair (override sizes and steps
    with --set)."""
    from .data import dataset_names, dataset_parts

    parts = dataset_parts(dataset)
    if not (dataset.startswith("unpaired:")
            or (len(parts) == 2 and set(parts) <= set(dataset_names()))):
        return []
    first = {}
    suites = (("translation",) if dataset.startswith("unpaired:")
              else ("translation", "adaptation"))
    for suite in suites:
        for spec in SUITES[suite]:
            first.setdefault((suite, spec.model), spec)
    return [(suite, replace(spec, dataset=dataset)) for (suite, _), spec in first.items()]


# Tasks that train a user's model (``--model module.path:ClassName`` or a ``genbench.models``
# entry point; protocol in benchmark/external.py) -> the built-in models whose budget it gets on a
# dataset, the first one listed there: DCGAN's on images, the MLP GAN's on the 2-D mixtures
# (where DCGAN has none).
# It gets their training and evaluation budget, not their model_params (architecture settings):
# the user's constructor gets only what ``--set model.KEY=VALUE`` gives.
EXTERNAL_BUDGETS = {"generation": ("dcgan", "gan")}


def is_external(model):
    """Whether ``model`` names a user's model rather than one that a suite lists."""
    return model not in {spec.model for _, spec in listed_specs()}


def _external_specs(reference):
    """Specs that train the user's model ``reference`` on every dataset of the tasks in
    ``EXTERNAL_BUDGETS``; a bad reference raises ConfigError here, before anything trains."""
    from .external import load_model_class

    load_model_class(reference, builtin={spec.model for _, spec in listed_specs()})
    chosen = {}
    for task, models in EXTERNAL_BUDGETS.items():
        for model in models:
            for suite, spec in listed_specs():
                if (spec.task, spec.model) == (task, model):
                    key = (suite, task, spec.dataset, spec.setting)
                    chosen.setdefault(key, replace(spec, model=reference))
    return [(suite, spec) for (suite, *_), spec in chosen.items()]


def _choose(value, known, what):
    if value is not None and value not in known:
        raise ConfigError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")


def build_configs(suite, profile=DEFAULT_PROFILE, model=None, dataset=None, setting=None,
                  data_dir=None):
    """The run configs of a suite at a profile, optionally narrowed to one model, dataset and/or
    setting; datasets with a ``FALLBACKS`` copy are looked for in ``data_dir``."""
    from .data import dataset_names

    _choose(suite, [*SUITES, "all"], "suite")
    _choose(profile, PROFILES, "profile")
    external = model is not None and is_external(model)
    listed = {*dataset_names(), *(spec.dataset for _, spec in listed_specs())}
    extra = _user_pair_specs(dataset) if dataset is not None and dataset not in listed else []
    if not extra:
        _choose(dataset, listed, "dataset")
    if external:
        extra = _external_specs(model)
    _choose(setting, {spec.setting for _, spec in listed_specs() + extra}, "setting")
    # A dataset is matched by the name the suite lists (cifar10, also where its copy stands in)
    # or by its copy's name (cifar10-jpeg).
    named = [(name, spec) for name, spec in listed_specs() + extra
             if dataset in (None, spec.dataset, FALLBACKS.get(spec.dataset))]
    specs = [(name, spec) for name, spec in on_this_machine(named, data_dir, dataset)
             if suite in ("all", name) and model in (None, spec.model)
             and setting in (None, spec.setting)]
    if not specs:
        raise ConfigError(f"suite {suite!r} has no task for model={model} dataset={dataset} "
                          f"setting={setting}; see `python -m genbench list`")
    configs = []
    for suite_name, spec in specs:
        if profile not in BUDGETS[spec.budget]:
            continue  # a task listed for some profiles only (e.g. CIFAR-10 SSL: paper)
        budget = BUDGETS[spec.budget][profile]
        configs.append(RunConfig(suite=suite_name, task=spec.task, model=spec.model,
                                 dataset=spec.dataset, profile=profile, train=budget.train,
                                 eval=budget.eval,
                                 model_params={} if external else budget.model_params,
                                 setting=spec.setting))
    return configs

"""One config object per run, in sections, hashable and overridable from the CLI.

A run has three sections: ``train`` (steps, batch size and the task's learning rates, named by
role), ``eval``, and ``model_params``: a task's own frozen dataclass (benchmark/tasks/configs.py)
or, for a task that trains one model class, that class's constructor arguments. Every section is
checked when it is built, so a mistyped ``--set`` key is one ConfigError naming the valid keys.

The config hash identifies a run's settings (not its seed): the store skips a
(config hash, seed) pair it has already finished.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field

from .errors import BenchmarkError
from .precision import POLICIES


class ConfigError(BenchmarkError):
    pass


def require_positive(section, **values):
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{section}.{name} must be a positive number, got {value!r}")


def _matches(value, hint):
    """Whether ``value`` is of the annotated type (numbers: int for int, int or float for float)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(hint))
    hint = typing.get_origin(hint) or hint
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


@dataclass(frozen=True, kw_only=True)
class Section:
    """A config section: typed fields, checked when built (a list given for a tuple becomes one)."""

    def __post_init__(self):
        for name, hint in typing.get_type_hints(type(self)).items():
            value = getattr(self, name)
            if typing.get_origin(hint) is tuple and isinstance(value, list):
                object.__setattr__(self, name, value := tuple(value))
            if not _matches(value, hint):
                raise ConfigError(f"{type(self).__name__}.{name} must be {_type_name(hint)}, "
                                  f"got {value!r}")


def _type_name(hint):
    return getattr(hint, "__name__", None) or str(hint)


@dataclass(frozen=True, kw_only=True)
class TrainConfig(Section):
    """What every training budget has; a task's learning rates are in its subclass."""
    steps: int
    batch_size: int
    checkpoint_every: int = 500

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", steps=self.steps, batch_size=self.batch_size,
                         checkpoint_every=self.checkpoint_every)
        if self.steps % min(self.checkpoint_every, self.steps):  # fit_resumable's chunks
            raise ConfigError(f"train.steps ({self.steps}) must be a multiple of "
                              f"train.checkpoint_every ({self.checkpoint_every})")


def _check_beta_1(beta_1):
    if not 0 <= beta_1 < 1:
        raise ConfigError(f"train.beta_1 must be in [0, 1), got {beta_1!r}")


@dataclass(frozen=True, kw_only=True)
class AdversarialTraining(TrainConfig):
    """Two players, each with its own Adam: the GANs, CycleGAN, DiscoGAN, SSGAN."""
    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    beta_1: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", generator_lr=self.generator_lr,
                         discriminator_lr=self.discriminator_lr)
        _check_beta_1(self.beta_1)


@dataclass(frozen=True, kw_only=True)
class ClassifierTraining(TrainConfig):
    """One classifier (logits, cross-entropy) trained with Adam."""
    classifier_lr: float = 1e-3
    beta_1: float = 0.9

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", classifier_lr=self.classifier_lr)
        _check_beta_1(self.beta_1)


@dataclass(frozen=True, kw_only=True)
class EvalConfig(Section):
    num_samples: int            # generated samples scored per run
    num_real: int               # real images of the reference (the k-NN metrics: min of the two)
    inception_samples: int = 0  # samples for Inception FID/KID (0: skip; 3-14 img/s on 2 CPU cores)
    classifier_steps: int = 4000  # domain classifier training steps (cached per dataset; 99% MNIST)

    def __post_init__(self):
        super().__post_init__()
        require_positive("eval", num_samples=self.num_samples, num_real=self.num_real,
                         classifier_steps=self.classifier_steps)
        if self.inception_samples < 0:
            raise ConfigError("eval.inception_samples must be >= 0, "
                              f"got {self.inception_samples!r}")


# The domain classifiers' recipe (benchmark/domain_classifier.py; eval.classifier_steps sets the
# steps). Their cache is keyed by dataset, format and steps only: change this, clear the cache.
DOMAIN_CLASSIFIER = ClassifierTraining(steps=4000, batch_size=128, classifier_lr=1e-3)


# The evaluation protocol's version, part of every config hash, so that no result of an earlier
# protocol counts as current. 2 (issue 24): validation splits carved from train for every choice,
# train-split generation references, equal sample counts, reported seeds from 1000.
PROTOCOL = 2


@dataclass(frozen=True)
class RunConfig:
    suite: str
    task: str
    model: str
    dataset: str
    profile: str
    train: TrainConfig | None  # None: nothing trains (the real-data floor, a user's scored samples)
    eval: EvalConfig
    model_params: Section | dict = field(default_factory=dict)  # dict: constructor arguments
    setting: str = ""
    precision: str = "float32"  # float32, bfloat16 or float16 (benchmark/precision.py)
    protocol: int = PROTOCOL

    def __post_init__(self):
        if self.precision not in POLICIES:
            raise ConfigError(f"precision must be one of {', '.join(POLICIES)}, "
                              f"got {self.precision!r}")

    def to_dict(self):
        return dataclasses.asdict(self)

    def _digest(self, *left_out):
        # float32 is left out of the hash: runs from before precision was a setting keep theirs.
        settings = {k: v for k, v in self.to_dict().items() if k not in left_out
                    and not (k == "precision" and v == "float32")}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def hash(self):
        """sha256 of the settings that change results (the suite a task was listed in does not)."""
        return self._digest("suite")

    @property
    def training_hash(self):
        """sha256 of what training depends on (not the eval section): names the run's checkpoint
        folder, so a change of evaluation settings re-scores the trained model instead of training
        it again."""
        return self._digest("suite", "eval")

    def label(self):
        return " ".join(filter(None, [self.task, self.model, self.dataset, self.setting]))


SECTIONS = {"train": "train", "eval": "eval", "model": "model_params"}


def _parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _change(target, path, value, where, changes):
    """Record in ``changes`` (key of ``target`` -> new value) the key ``path`` (a list of names,
    nested sections first) set to ``value``. A JSON object given for a nested section sets the
    keys it names; for a dict, replaces it."""
    name, rest = path[0], path[1:]
    if isinstance(target, dict):
        current = changes.get(name, target.get(name, {}))
    elif dataclasses.is_dataclass(target):
        known = [f.name for f in dataclasses.fields(target)]
        if name not in known:
            raise ConfigError(f"{where} has no key {name!r} (known: {', '.join(known)})")
        current = changes.get(name, getattr(target, name))
    else:
        raise ConfigError(f"{where} is a value, not a section")
    if rest:
        value = _with_changes(current, _change(current, rest, value, f"{where}.{name}", {}))
    elif dataclasses.is_dataclass(current) and isinstance(value, dict):
        nested = {}
        for key, item in value.items():
            _change(current, [key], item, f"{where}.{name}", nested)
        value = _with_changes(current, nested)
    changes[name] = value
    return changes


def _with_changes(target, changes):
    """``target`` with its ``changes`` applied together (a section is checked once, after all)."""
    if isinstance(target, dict):
        return {**target, **changes}
    return dataclasses.replace(target, **changes)


def apply_overrides(config: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply ``section.key=value`` overrides (sections: train, eval, model; nested keys as
    ``model.source.steps=50``) and re-validate each section once all its overrides are in."""
    changes = {}  # RunConfig field -> (its overrides, {key: new value})
    for item in overrides:
        key, sep, raw = item.partition("=")
        section, *path = key.split(".")
        if not sep or not path:
            raise ConfigError(f"override {item!r} is not of the form section.key=value "
                              "(e.g. train.steps=200)")
        if section not in SECTIONS:
            raise ConfigError(f"override {item!r}: unknown section {section!r}; "
                              "use train, eval or model")
        target = getattr(config, SECTIONS[section])
        if target is None:
            continue  # a run that trains nothing ignores the suite's train overrides
        items, section_changes = changes.setdefault(SECTIONS[section], ([], {}))
        items.append(item)
        try:
            _change(target, path, _parse_value(raw), section, section_changes)
        except (TypeError, ConfigError) as exc:
            raise ConfigError(f"override {item!r}: {exc}") from None
    for field_name, (items, section_changes) in changes.items():
        try:
            changed = _with_changes(getattr(config, field_name), section_changes)
        except (TypeError, ConfigError) as exc:
            raise ConfigError(f"override {', '.join(map(repr, items))}: {exc}") from None
        config = dataclasses.replace(config, **{field_name: changed})
    if "model_params" in changes:
        from .tasks.configs import check_constructor_arguments

        check_constructor_arguments(config)
    return config

"""One config object per run, in sections, hashable and overridable from the CLI.

The config hash identifies a run's settings (not its seed): the store skips a
(config hash, seed) pair it has already finished.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from .errors import BenchmarkError
from .precision import POLICIES


class ConfigError(BenchmarkError):
    pass


def _require_positive(section, **values):
    for name, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{section}.{name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    steps: int
    batch_size: int
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5
    checkpoint_every: int = 500

    def __post_init__(self):
        _require_positive("train", steps=self.steps, batch_size=self.batch_size,
                          d_learning_rate=self.d_learning_rate, g_learning_rate=self.g_learning_rate,
                          checkpoint_every=self.checkpoint_every)
        if not 0 <= self.beta_1 < 1:
            raise ConfigError(f"train.beta_1 must be in [0, 1), got {self.beta_1!r}")


@dataclass(frozen=True)
class EvalConfig:
    num_samples: int            # generated samples scored per run
    num_real: int               # real test images scored against them
    inception_samples: int = 0  # samples for Inception FID/KID (0: skip; ~36 img/s on 2 CPU cores)
    classifier_steps: int = 4000  # domain classifier training steps (cached per dataset; 99% MNIST)

    def __post_init__(self):
        _require_positive("eval", num_samples=self.num_samples, num_real=self.num_real,
                          classifier_steps=self.classifier_steps)
        if self.inception_samples < 0:
            raise ConfigError(f"eval.inception_samples must be >= 0, got {self.inception_samples!r}")


@dataclass(frozen=True)
class RunConfig:
    suite: str
    task: str
    model: str
    dataset: str
    profile: str
    train: TrainConfig | None  # None: nothing trains (the real-data floor, a user's scored samples)
    eval: EvalConfig
    model_params: dict = field(default_factory=dict)
    setting: str = ""
    precision: str = "float32"  # float32, bfloat16 or float16 (benchmark/precision.py)

    def __post_init__(self):
        if self.precision not in POLICIES:
            raise ConfigError(f"precision must be one of {', '.join(POLICIES)}, got {self.precision!r}")

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
        """sha256 of what training depends on (not the eval section): names the run's checkpoint folder,
        so a change of evaluation settings re-scores the trained model instead of training it again."""
        return self._digest("suite", "eval")

    def label(self):
        return " ".join(filter(None, [self.task, self.model, self.dataset, self.setting]))


def _parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(config: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply ``section.key=value`` overrides (sections: train, eval, model) and re-validate."""
    train, evaluation, model_params = config.train, config.eval, dict(config.model_params)
    for item in overrides:
        key, sep, raw = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot:
            raise ConfigError(f"override {item!r} is not of the form section.key=value (e.g. train.steps=200)")
        value = _parse_value(raw)
        if section == "model":
            model_params[name] = value
            continue
        if section == "train" and train is None:
            continue  # a run that trains nothing ignores the suite's train overrides
        target = {"train": train, "eval": evaluation}.get(section)
        if target is None:
            raise ConfigError(f"override {item!r}: unknown section {section!r}; use train, eval or model")
        if name not in {f.name for f in dataclasses.fields(target)}:
            known = ", ".join(f.name for f in dataclasses.fields(target))
            raise ConfigError(f"override {item!r}: {section} has no key {name!r} (known: {known})")
        try:
            target = dataclasses.replace(target, **{name: value})
        except TypeError as exc:
            raise ConfigError(f"override {item!r}: {exc}") from None
        if section == "train":
            train = target
        else:
            evaluation = target
    return dataclasses.replace(config, train=train, eval=evaluation, model_params=model_params)

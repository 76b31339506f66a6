"""Each task family's parameters: its ``train`` section (learning rates named by role) and its
``model`` section, as frozen dataclasses checked when built (benchmark/config.py's Section).

A task that trains one model class (generation, translation, the SSGAN of ssl) takes that class's
constructor arguments as its model section instead: ``check_constructor_arguments`` checks their
names against the constructor. Adding a task parameter is one field here (and its use in the task).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field

from ..config import (
    AdversarialTraining,
    ClassifierTraining,
    ConfigError,
    Section,
    TrainConfig,
    require_positive,
)

# --- transfer and adaptation: the source CNN (Adam; cached per source, format, budget, seed) ---


@dataclass(frozen=True, kw_only=True)
class TransferTraining(TrainConfig):
    """Per label fraction: a new head (or scratch) at ``classifier_lr``; fine-tuning strategies
    train every transferred layer at ``finetune_lr``."""
    classifier_lr: float = 1e-3
    finetune_lr: float = 1e-3

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", classifier_lr=self.classifier_lr, finetune_lr=self.finetune_lr)


@dataclass(frozen=True, kw_only=True)
class TransferParams(Section):
    source: ClassifierTraining      # the source CNN
    fractions: tuple[float, ...]    # label fractions of the target train split, in %
    dcgan: AdversarialTraining      # dcgan_features' DCGAN, trained on the source images


@dataclass(frozen=True, kw_only=True)
class L2spParams(TransferParams):
    l2sp_weight: float              # finetune_l2sp: weight / 2 x ||w - w_source||^2


@dataclass(frozen=True, kw_only=True)
class AdaptationParams(Section):
    source: ClassifierTraining      # the source CNN


@dataclass(frozen=True, kw_only=True)
class FeatureAlignment(Section):
    """DANN's settings besides its training budget (a method, or pixel_dann's second stage)."""
    init_from_source: bool = False  # start from the source (or pixel-level) classifier
    target_batch_norm: bool = False  # AdaBN: test on the target's batch-norm statistics
    anneal_lr: bool = False         # Ganin et al.'s lr0 / (1 + 10 p)^0.75
    network: dict = field(default_factory=dict)  # models.DANN constructor arguments


@dataclass(frozen=True, kw_only=True)
class DannParams(AdaptationParams, FeatureAlignment):
    pass


@dataclass(frozen=True, kw_only=True)
class AddaTraining(TrainConfig):
    discriminator_lr: float = 2e-4
    encoder_lr: float = 2e-4        # the target encoder
    beta_1: float = 0.5

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", discriminator_lr=self.discriminator_lr,
                         encoder_lr=self.encoder_lr)


@dataclass(frozen=True, kw_only=True)
class AddaParams(AdaptationParams):
    target_batch_norm: bool = False
    network: dict = field(default_factory=dict)  # models.ADDA constructor arguments


@dataclass(frozen=True, kw_only=True)
class PixelParams(AdaptationParams):
    """pixel_cyclegan: ``train`` is the CycleGAN's; its classifier has the source CNN's budget."""
    cyclegan: dict                  # models.CycleGAN constructor arguments
    translated_images: int          # labelled source images translated for the classifier

    def __post_init__(self):
        super().__post_init__()
        require_positive("model", translated_images=self.translated_images)


@dataclass(frozen=True, kw_only=True)
class DannStage(FeatureAlignment):
    train: ClassifierTraining


@dataclass(frozen=True, kw_only=True)
class PixelDannParams(PixelParams):
    dann: DannStage                 # then DANN from the pixel-level classifier


# --- ssl: the baselines share the SSGAN discriminator as their classifier ---


@dataclass(frozen=True, kw_only=True)
class EarlyStopping(Section):
    """Every ssl fit is measured on the validation split at each checkpoint
    (``checkpoint_every``), ends as its best model, and stops once ``patience`` steps pass
    without a better one (0: never; ``steps`` is then the whole budget)."""
    patience: int = 0

    def __post_init__(self):
        super().__post_init__()
        if self.patience < 0:
            raise ConfigError(f"train.patience must be >= 0, got {self.patience!r}")


@dataclass(frozen=True, kw_only=True)
class SslAdversarialTraining(AdversarialTraining, EarlyStopping):
    """SSGAN's two Adams, with the validation early stopping."""


@dataclass(frozen=True, kw_only=True)
class SslClassifierTraining(ClassifierTraining, EarlyStopping):
    """A baseline's classifier, each of its fits with the validation early stopping."""


@dataclass(frozen=True, kw_only=True)
class BaselineParams(Section):
    classifier: dict                # models.ssgan.build_ssgan_discriminator arguments


@dataclass(frozen=True, kw_only=True)
class PseudoLabelRounds(BaselineParams):
    """Self- and co-training: ``rounds`` times, the most confident ``fraction`` of the pool joins
    the pseudo-labelled set, which fills ``pseudo_batch_share`` of every batch."""
    rounds: int
    fraction: float
    pseudo_batch_share: float


@dataclass(frozen=True, kw_only=True)
class PseudoLabelParams(BaselineParams):
    """Pseudo-labelling: the unlabelled loss's weight rises from 0 to ``alpha`` between steps."""
    alpha: float
    ramp_start: int
    ramp_end: int


@dataclass(frozen=True, kw_only=True)
class GmmParams(Section):
    components: int                 # PCA dimensions
    iterations: int                 # EM iterations
    regularization: float           # added to every covariance's diagonal


# --- diffusion ---


@dataclass(frozen=True, kw_only=True)
class DdpmTraining(TrainConfig):
    noise_predictor_lr: float

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", noise_predictor_lr=self.noise_predictor_lr)


@dataclass(frozen=True, kw_only=True)
class LdmTraining(DdpmTraining):
    """Stage 1, the VAE, before the noise predictor (steps, batch_size, noise_predictor_lr)."""
    vae_steps: int
    vae_batch_size: int
    vae_lr: float

    def __post_init__(self):
        super().__post_init__()
        require_positive("train", vae_steps=self.vae_steps, vae_batch_size=self.vae_batch_size,
                         vae_lr=self.vae_lr)
        if self.vae_steps % min(self.checkpoint_every, self.vae_steps):
            raise ConfigError(f"train.vae_steps ({self.vae_steps}) must be a multiple of "
                              f"train.checkpoint_every ({self.checkpoint_every})")


@dataclass(frozen=True, kw_only=True)
class DdpmParams(Section):
    diffusion: dict                 # models.DDPM constructor arguments
    ema_momentum: float             # the noise predictor's weight average (0: none)
    sampling_steps: int             # DDIM steps
    guidance: float | None = None   # CFG scale; needed exactly when diffusion.num_classes is set

    def __post_init__(self):
        super().__post_init__()
        require_positive("model", sampling_steps=self.sampling_steps)
        if not 0 <= self.ema_momentum < 1:
            raise ConfigError("model.ema_momentum must be in [0, 1) (0: no weight averaging), "
                              f"got {self.ema_momentum!r}")
        if (self.guidance is None) == bool(self.diffusion.get("num_classes")):
            raise ConfigError("model.guidance (the classifier-free guidance scale) is needed "
                              "exactly when model.diffusion.num_classes is set")
        if self.guidance is not None and self.guidance < 0:
            raise ConfigError(f"model.guidance must be >= 0, got {self.guidance!r}")


@dataclass(frozen=True, kw_only=True)
class LdmParams(DdpmParams):
    vae: dict                       # models.VAE constructor arguments
    latent_images: int              # training images encoded for stage 2 (a seeded subset)

    def __post_init__(self):
        super().__post_init__()
        require_positive("model", latent_images=self.latent_images)


# --- one model class per run: the model section is its constructor's arguments ---

CONSTRUCTORS = {"generation": {"gan": "GAN", "dcgan": "DCGAN"},
                "translation": {"cyclegan": "CycleGAN", "discogan": "DiscoGAN"},
                "ssl": {"ssgan": "SSGAN", "ssgan_explicit": "SSGAN"}}
SET_BY_TASK = {"data_shape", "image_shape", "num_classes", "fake_class", "seed"}  # not settable


def constructor_arguments(cls):
    """The keyword arguments ``cls(...)`` accepts, through ``**kwargs`` to its base classes (up
    to Keras', whose arguments are not hyper-parameters)."""
    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("keras") or "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in parameters if p.kind is p.KEYWORD_ONLY
                  or p.kind is p.POSITIONAL_OR_KEYWORD} - {"self"}
        if all(p.kind is not p.VAR_KEYWORD for p in parameters):
            break
    return names


def check_constructor_arguments(config):
    """A ConfigError naming the valid keys if a run's model section names an argument its
    model's constructor does not take."""
    name = CONSTRUCTORS.get(config.task, {}).get(config.model)
    if name is None:
        return
    # Imported here: building a config must not load TensorFlow before the CLI configures it.
    models = importlib.import_module("...models", __package__)
    known = constructor_arguments(getattr(models, name)) - SET_BY_TASK
    unknown = set(config.model_params) - known
    if unknown:
        raise ConfigError(f"{config.model} has no model key {', '.join(map(repr, sorted(unknown)))}"
                          f" (known: {', '.join(sorted(known))})")

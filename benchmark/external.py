"""A user's own model in a suite, without editing this package.

``--model`` takes, besides the built-in names, a reference to a model class outside the package:

- ``module.path:ClassName``, importable from the current directory or the environment
  (``--model examples.tiny_gan:TinyGAN`` from the repository root), or
- the name of an entry point in the ``genbench.models`` group of an installed package, e.g. in its
  ``pyproject.toml``: ``[project.entry-points."genbench.models"] mygan = "my_package.gans:MyGAN"``.

Tasks that take such a model are listed in ``benchmark.suites.EXTERNAL_BUDGETS`` (today the ``gan``
suite's generation task); the model gets the budget of a built-in model there. The protocol for the
generation task, as the built-in GANs follow it (``models/gan.py``):

- a ``keras.Model`` subclass built as ``MyGAN(data_shape=..., seed=..., **params)``: ``data_shape``
  is one example's shape ((28, 28, 1) for MNIST, (2,) for a 2-D mixture), ``seed`` an int for the
  model's own noise, ``params`` what ``--set model.KEY=VALUE`` gives (nothing otherwise);
- ``compile(d_optimizer, g_optimizer)`` takes the discriminator's and the generator's Adam
  optimizers (the budget's learning rates and beta_1) and builds both on their variables
  (``optimizer.build(variables)``): checkpoints hold their slots from the first one on, and
  ``tf.distribute`` requires it;
- a custom ``train_step(real)`` on a batch of real examples (images in [-1, 1]) returning a dict
  of losses; it takes ``d_steps`` minibatches at once if the model has that attribute (default 1);
- ``generate(n, seed)`` returning ``n`` samples of ``data_shape`` as a numpy array, images in
  [-1, 1], the same for the same seed;
- optional ``generator`` (a Keras model from latent points to samples) and ``latent_dim``: with
  both, the task draws latent walks, scores ``path_smoothness`` and saves ``generator.keras``;
  without, it logs one line and skips them.

The run's config names the reference string as its model, so it is hashed, stored and skipped
when finished like any other run; the hash covers the name, not the code: after changing the
model, pass a new ``--out`` (or rename the class) to train it again.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import sys

from .config import ConfigError

ENTRY_POINT_GROUP = "genbench.models"


def load_model_class(reference, builtin=()):
    """The class that ``reference`` names (see the module docstring), checked against the protocol
    as far as it can be without building it; ``builtin`` names are listed when it names nothing."""
    if ":" in reference:
        if not re.fullmatch(r"\w+(\.\w+)*:\w+", reference):
            raise ConfigError(f"--model {reference}: expected module.path:ClassName")
        module_name, _, class_name = reference.partition(":")
        module = _import(module_name)
        if not hasattr(module, class_name):
            raise ConfigError(f"--model {reference}: module {module_name} has no {class_name!r}")
        cls = getattr(module, class_name)
    else:
        points = {p.name: p for p in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
        if reference not in points:
            known = ", ".join([*sorted(builtin), *sorted(points)])
            raise ConfigError(f"unknown model {reference!r}; known: {known}; "
                              "or a model of your own as module.path:ClassName")
        point = points[reference]
        try:
            cls = point.load()
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"entry point {reference!r} of {ENTRY_POINT_GROUP} ({point.value}) "
                              f"does not load: {exc}") from None
    _check_protocol(cls, reference)
    return cls


def _import(module_name):
    # `python -m benchmark` puts the current directory first on sys.path; when it is missing
    # (python -P, PYTHONSAFEPATH, or main() called from another program) the user's modules next
    # to their command would not be found.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:  # the module itself, or one that it imports, is missing
        if exc.name and f"{module_name}.".startswith(f"{exc.name}."):
            raise ConfigError(f"no module named {module_name!r} in the current directory "
                              f"({os.getcwd()}) or the environment") from None
        raise ConfigError(f"importing {module_name} failed: {exc}") from None


def _check_protocol(cls, reference):
    import keras

    if not (isinstance(cls, type) and issubclass(cls, keras.Model)):
        raise ConfigError(f"--model {reference}: {cls!r} is not a keras.Model subclass")
    if cls.train_step is keras.Model.train_step:
        raise ConfigError(f"--model {reference}: {cls.__name__} has no train_step of its own")
    if not callable(getattr(cls, "generate", None)):
        raise ConfigError(f"--model {reference}: {cls.__name__} has no generate(n, seed) method")

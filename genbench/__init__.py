"""genbench: benchmark suites for generative models on Keras 3 / TensorFlow.

Installed, the suite is one namespace: ``genbench.models`` (the Keras models),
``genbench.evaluation`` (the metrics), ``genbench.benchmark`` (suites, runner, leaderboards),
the ``genbench`` command and ``genbench.score`` (a user's own samples scored as the suite scores
its models). In a checkout, ``benchmark/``, ``models/`` and ``evaluation/`` sit at the top level
and this folder links to them.
"""


def __getattr__(name):
    # Imported on first use: `import genbench` (the CLI) must not load TensorFlow before it is
    # configured.
    if name == "score":
        from .benchmark.samples import score

        return score
    raise AttributeError(f"module 'genbench' has no attribute {name!r}")

"""genbench: ``python -m benchmark`` (suites, leaderboards) and ``benchmark.score`` (a user's own
samples scored as the suite scores its models; ``benchmark/samples.py``)."""


def __getattr__(name):
    # Imported on first use: `import benchmark` (the CLI) must not load TensorFlow before it is
    # configured.
    if name == "score":
        from benchmark.samples import score

        return score
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")

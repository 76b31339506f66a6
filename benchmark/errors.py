"""The suite's user-facing error: the CLI prints its message on one line and exits nonzero."""


class BenchmarkError(Exception):
    """Bad input (names, numbers, paths) or a missing resource; the message names the fix."""

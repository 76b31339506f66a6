"""The data layer's one exception type."""


class DataError(Exception):
    """A dataset is unknown, missing or broken.

    The message is one line: the dataset and file, what is wrong, and how to fix
    or get it. Whitespace (including newlines from wrapped exceptions) is
    collapsed so that the CLI can print it as is.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ChecksumMismatch(DataError):
    """A file with a known name does not have a known sha256."""

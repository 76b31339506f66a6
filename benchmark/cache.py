"""Cache entries (trained classifiers, reference features) that a damaged file cannot poison.

An entry whose file is truncated or corrupt (a killed write, a full disk) is deleted with one
line saying so, and its caller builds it again, instead of failing on every run.
"""

from __future__ import annotations

from benchmark.data.files import READ_ERRORS, problem


def load_cached(paths, load, log):
    """``load()`` of the cache entry stored in ``paths``, or None for the caller to build it.

    None when one of ``paths`` is missing, or when ``load`` cannot read them: then they are
    deleted and ``log`` gets one line saying so.
    """
    if not all(path.exists() for path in paths):
        return None
    try:
        return load()
    except READ_ERRORS as exc:
        log(f"{paths[0]} in the cache is unreadable ({problem(exc).splitlines()[0]}); rebuilding it")
        for path in paths:
            path.unlink(missing_ok=True)
        return None

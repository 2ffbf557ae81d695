"""Small on-disk caches of what a run learnt, so the next run does not pay for it again (the
ARM decoder's dispatch and compiled rows, the emitter's encoded code templates).

Like Python's own .pyc files, a cache file is keyed by the exact source of the modules that
produce its contents and by the interpreter's bytecode version, so it cannot go stale; it is
written atomically (at exit, when the run learnt something) and ignored when unreadable.
``$PYTRANS_CACHE_DIR`` (empty: no caches), default ``$XDG_CACHE_HOME/pytrans`` or
``~/.cache/pytrans``.
"""
from __future__ import annotations

import marshal
import os
import sys
from typing import Iterable

try:    # hashlib's BLAKE2 without importing hashlib, which loads OpenSSL (2.5-3.3 ms)
    from _blake2 import blake2b as _digest
except ImportError:                                 # (an interpreter without the builtin)
    from hashlib import blake2b as _digest

KEEP_VERSIONS = 4        # per prefix: several checkouts may share the directory


def cache_path(prefix: str, sources: Iterable[str]) -> str | None:
    """``DIR/PREFIX-HASH.bin`` for the current contents of ``sources`` (None: caching off,
    or a source cannot be read)."""
    d = os.environ.get("PYTRANS_CACHE_DIR")
    if d is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        d = os.path.join(base, "pytrans")
    if not d:
        return None
    h = _digest(sys.implementation.cache_tag.encode(), digest_size=10)
    for src in sources:
        try:
            with open(src, "rb") as f:
                h.update(f.read())
        except OSError:
            return None
    return os.path.join(d, f"{prefix}-{h.hexdigest()}.bin")


def load(path: str | None) -> object | None:
    """The marshalled object in ``path``; None when there is none or it is unreadable (the
    caller checks its shape before trusting it)."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())    # (marshal.load reads a file in small pieces)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def save(path: str | None, data: object) -> None:
    """Write ``data`` (marshallable) to ``path`` atomically; keep only the most recently used
    versions of the same prefix. Errors are ignored: a cache is an optimisation."""
    if path is None:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(data, f)
        os.replace(tmp, path)
        d, name = os.path.split(path)
        prefix = name.rsplit("-", 1)[0] + "-"
        old = sorted((os.path.join(d, n) for n in os.listdir(d)
                      if n.startswith(prefix) and n.endswith(".bin")),
                     key=os.path.getmtime, reverse=True)[KEEP_VERSIONS:]
        for stale in old:
            try:
                os.unlink(stale)
            except OSError:
                pass
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass

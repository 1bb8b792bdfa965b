"""Files and caches: atomic writes, the user cache folder, stable cache keys.

Apart from the model files (``models.io``): every layer above writes outputs and caches
through these helpers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; on success it replaces ``path``
    in one rename, on error it is removed and ``path`` is left untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the permissions open() would
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def cache_root() -> Path:
    """The user cache of every spikesynth cache (datasets, features, models, Brian2 builds):
    ``$SPIKESYNTH_CACHE``, else ``$XDG_CACHE_HOME/spikesynth``, else ``~/.cache/spikesynth``."""
    if os.environ.get("SPIKESYNTH_CACHE"):
        return Path(os.environ["SPIKESYNTH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spikesynth"


def settings_key(settings: dict) -> str:
    """A short stable hash (16 hex digits) of JSON-able settings, for cache file names."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def file_key(path: str | os.PathLike) -> str:
    """A short stable hash (16 hex digits) of a file's bytes: a cache key that follows
    what a file holds, not where it lies."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]

"""Where datasets are looked for: ``--data-dir``, ``$SPIKESYNTH_DATA``, the Debian package
folder (Fashion-MNIST), the user cache."""

from __future__ import annotations

import os
from pathlib import Path

from models.files import cache_root

from ..defaults import IMAGE_DATASETS

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def cache_dir() -> Path:
    """The user cache for datasets: ``models.files.cache_root() / "data"`` (default
    ``~/.cache/spikesynth/data``); ``spikesynth data fetch`` downloads into ``<cache>/<name>/``."""
    return cache_root() / "data"


def user_roots(data_dir: str | os.PathLike | None) -> list[tuple[str, Path]]:
    """The user-named roots in search order: the argument (which must exist), then ``$SPIKESYNTH_DATA``."""
    roots = []
    if data_dir is not None and str(data_dir) != "":
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"data_dir (--data-dir) must be an existing folder, got {str(data_dir)!r}")
        roots.append(("--data-dir", root))
    if os.environ.get("SPIKESYNTH_DATA"):
        roots.append(("SPIKESYNTH_DATA", Path(os.environ["SPIKESYNTH_DATA"]).expanduser()))
    return roots


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """Folders searched for dataset ``name``, in order, as ``(source, folder)``.

    Each user-named root (``data_dir``, then ``$SPIKESYNTH_DATA``) is searched as
    ``<root>/<name>/``, or as ``<root>`` itself when that folder is named ``<name>``;
    then ``/usr/share/datasets/fashion-mnist`` (Debian package, Fashion-MNIST only);
    then the user cache ``<cache_dir()>/<name>/``.
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"dataset must be one of {IMAGE_DATASETS}, got {name!r}")
    dirs = []
    for source, root in user_roots(data_dir):
        dirs.append((source, root / name))
        if root.name == name:
            dirs.append((source, root))
    if name == "fashion-mnist":
        dirs.append(("Debian package", DEBIAN_FASHION_MNIST))
    dirs.append(("user cache", cache_dir() / name))
    return dirs

"""MNIST and Fashion-MNIST from IDX files, and the bundled MNIST sample."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..defaults import IMAGE_DATASETS
from .custom import is_custom, load_custom
from .idx import SPLITS, idx_filenames, read_idx
from .search import DEBIAN_FASHION_MNIST, cache_dir, search_dirs


def _find_file(directory: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (directory / name).is_file():
            return directory / name
    return None


@dataclass(frozen=True)
class ImageFiles:
    """Where one split of an image dataset was found: the search ``source``
    (``--data-dir``, ``SPIKESYNTH_DATA``, ``Debian package`` or ``user cache``) and the two files."""

    source: str
    images: Path
    labels: Path


def locate_images(name: str, split: str, data_dir: str | os.PathLike | None = None) -> ImageFiles | None:
    """The first folder in ``search_dirs`` order holding both IDX files (``.gz`` or raw) of the split,
    or None when no folder has them."""
    img_base, lbl_base = idx_filenames(split)
    for source, directory in search_dirs(name, data_dir):
        img, lbl = _find_file(directory, img_base), _find_file(directory, lbl_base)
        if img is not None and lbl is not None:
            return ImageFiles(source, img, lbl)
    return None


def missing_message(name: str, split: str, data_dir: str | os.PathLike | None = None) -> str:
    """The error text for a dataset split found nowhere: which files, where it looked,
    and the three ways to provide them."""
    img_base, lbl_base = idx_filenames(split)
    looked = "\n".join(f"    {source}: {d}" for source, d in search_dirs(name, data_dir))
    cache = cache_dir() / name
    third = (f"install the Debian/Ubuntu package dataset-fashion-mnist (files in {DEBIAN_FASHION_MNIST}/), "
             f"or copy the canonical .gz files into {cache}/" if name == "fashion-mnist"
             else f"copy the canonical .gz files into {cache}/")
    return (f"{name} {split}: {img_base}[.gz] and {lbl_base}[.gz] not found; searched\n{looked}\n"
            f"  Provide them in one of three ways:\n"
            f"    1. point --data-dir (Python: data_dir=...) or the SPIKESYNTH_DATA environment variable "
            f"at a folder that holds {name}/ with the IDX files;\n"
            f"    2. download and verify them: spikesynth data fetch {name} (Python: download=True), "
            f"which needs a network;\n"
            f"    3. {third}.")


def load_images(name: str, split: str, data_dir: str | os.PathLike | None = None, as_float: bool = False,
                download: bool = False):
    """Load MNIST, Fashion-MNIST or your own images.

    name: ``mnist``, ``fashion-mnist``, or the path of your own images (an ``.npz`` file or a
    folder with ``train/`` and ``test/``: see ``training.data.custom``; any image size, labels
    None when it has none); split: ``train`` or ``test``.
    data_dir: a folder holding ``<name>/`` (or the folder ``<name>`` itself); searched
    before ``$SPIKESYNTH_DATA``, the Debian package location (Fashion-MNIST) and the
    user cache (see ``search_dirs``). download: when no folder has the files, download
    the canonical ``.gz`` files into the user cache (MD5-verified) instead of failing.
    Returns ``(images, labels)``: uint8 ``[N, 28, 28]`` (float32 in [0, 1] when
    ``as_float``; your own: ``[N, H, W]`` or ``[N, D]``) and int64 ``[N]``. A missing dataset raises FileNotFoundError saying
    how to provide it; a truncated or corrupt file raises ValueError naming the file.
    """
    if name not in IMAGE_DATASETS and is_custom(name):   # a name wins over a folder called so
        images, labels = load_custom(name, split)
        return (images if as_float else np.round(images * 255.0).astype(np.uint8)), labels
    if name not in IMAGE_DATASETS:
        raise ValueError(f"dataset must be one of {IMAGE_DATASETS} or the path of your own images (an .npz file "
                         f"or a folder with train/ and test/), got {name!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    found = locate_images(name, split, data_dir)
    if found is None and download:
        from .catalog import fetch
        fetch(name, splits=(split,), missing_hint=missing_message(name, split, data_dir))
        found = locate_images(name, split, data_dir)
    if found is None:
        raise FileNotFoundError(missing_message(name, split, data_dir))
    images, labels = read_image_files(found)
    if as_float:
        images = images.astype(np.float32) / 255.0
    return images, labels


def check_image_dims(image_dims, label_dims, files: ImageFiles) -> None:
    """ValueError naming the file unless the images are ``[n, 28, 28]`` and the labels ``[n]``;
    the dimensions come from the arrays or from the IDX headers alone (``idx_dims``)."""
    if tuple(image_dims[1:]) != (28, 28):
        raise ValueError(f"{files.images}: images are {tuple(image_dims[1:])}, expected 28 x 28")
    if image_dims[0] != label_dims[0]:
        raise ValueError(f"{files.images} has {image_dims[0]} images but {files.labels} has {label_dims[0]} labels")


def read_image_files(files: ImageFiles) -> tuple[np.ndarray, np.ndarray]:
    """Read one split's two IDX files with every check ``load_images`` makes (IDX format and
    length, ``check_image_dims``, labels 0-9): uint8 images ``[N, 28, 28]``, int64 labels ``[N]``.
    ValueError naming the file otherwise."""
    images = read_idx(files.images, 3)
    labels = read_idx(files.labels, 1).astype(np.int64)
    check_image_dims(images.shape, labels.shape, files)
    if labels.size and labels.max() > 9:
        raise ValueError(f"{files.labels}: labels must be 0-9, found {int(labels.max())}")
    return images, labels


# --- the bundled MNIST sample ------------------------------------------------------

SAMPLE_PATH = Path(__file__).parent / "sample" / "mnist_sample.npz"


def load_sample(split: str) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST sample shipped with the package (for offline demos): 100 images per
    digit of each split, made by ``scripts/make_sample.py``.
    Returns images uint8 ``[1000, 28, 28]`` and labels int64 ``[1000]``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not SAMPLE_PATH.is_file():
        raise FileNotFoundError(f"bundled MNIST sample missing: {SAMPLE_PATH} (rebuild it with "
                                f"python scripts/make_sample.py --data-dir DIR)")
    with np.load(SAMPLE_PATH, allow_pickle=False) as npz:
        images, labels = npz[f"{split}_images"], npz[f"{split}_labels"]
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise ValueError(f"{SAMPLE_PATH}: {split} sample has images {images.dtype} {images.shape} "
                         f"and labels {labels.shape}, expected uint8 [N, 28, 28] and [N]")
    return images, labels.astype(np.int64)

"""Datasets: MNIST and Fashion-MNIST (IDX files), the Free Spoken Digit Dataset."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

IMAGE_DATASETS = ("mnist", "fashion-mnist")
SPLITS = ("train", "test")
_PREFIX = {"train": "train", "test": "t10k"}
_COUNTS = {"train": 60000, "test": 10000}


def idx_filenames(split: str) -> tuple[str, str]:
    """Base names (without ``.gz``) of the image and label IDX files of a split."""
    return f"{_PREFIX[split]}-images-idx3-ubyte", f"{_PREFIX[split]}-labels-idx1-ubyte"


def read_idx(path: str | os.PathLike, expected_ndim: int) -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) of unsigned bytes; returns uint8 ``[n, ...]``.
    Raises ValueError naming the file when the magic number, dimensions or length are wrong."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: cannot read IDX file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    if ndim != expected_ndim:
        raise ValueError(f"{path}: IDX file has {ndim} dimensions, expected {expected_ndim}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise ValueError(f"{path}: IDX length {len(data)} bytes does not match its header "
                         f"{dims} ({expected} bytes): the file is truncated or corrupt")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _find_file(directory: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        if (directory / name).is_file():
            return directory / name
    return None


def load_images(name: str, split: str, data_dir: str | os.PathLike | None = None, as_float: bool = False):
    """Load MNIST or Fashion-MNIST.

    name: ``mnist`` or ``fashion-mnist``; split: ``train`` or ``test``.
    data_dir: a directory holding ``<name>/`` (or the IDX files themselves);
    defaults to ``$SPIKESYNTH_DATA``.
    Returns ``(images, labels)``: uint8 ``[N, 28, 28]`` (float32 in [0, 1] when
    ``as_float``) and int64 ``[N]``.
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"dataset must be one of {IMAGE_DATASETS}, got {name!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(data_dir or os.environ.get("SPIKESYNTH_DATA", "."))
    directory = root / name if (root / name).is_dir() else root
    img_base, lbl_base = idx_filenames(split)
    img_path, lbl_path = _find_file(directory, img_base), _find_file(directory, lbl_base)
    missing = [b for b, p in ((img_base, img_path), (lbl_base, lbl_path)) if p is None]
    if missing:
        raise FileNotFoundError(f"{name} {split}: missing {missing} in {directory}")
    images = read_idx(img_path, 3)
    labels = read_idx(lbl_path, 1).astype(np.int64)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{img_path}: images are {images.shape[1:]}, expected 28 x 28")
    if len(images) != len(labels):
        raise ValueError(f"{img_path} has {len(images)} images but {lbl_path} has {len(labels)} labels")
    if as_float:
        images = images.astype(np.float32) / 255.0
    return images, labels

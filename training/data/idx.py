"""IDX files (MNIST, Fashion-MNIST): file names, header and content checks, reading."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

SPLITS = ("train", "test")
_PREFIX = {"train": "train", "test": "t10k"}


def idx_filenames(split: str) -> tuple[str, str]:
    """Base names (without ``.gz``) of the image and label IDX files of a split."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return f"{_PREFIX[split]}-images-idx3-ubyte", f"{_PREFIX[split]}-labels-idx1-ubyte"


def _idx_dims(data: bytes, expected_ndim: int, source: str | os.PathLike) -> list[int]:
    """Check an IDX header (magic number, number of dimensions) and return its dimensions."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{source}: not an unsigned-byte IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    if ndim != expected_ndim:
        raise ValueError(f"{source}: IDX file has {ndim} dimensions, expected {expected_ndim}")
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{source}: truncated IDX header")
    return [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]


def parse_idx(data: bytes, expected_ndim: int, source: str | os.PathLike) -> np.ndarray:
    """Parse the bytes of an uncompressed unsigned-byte IDX file; returns uint8 ``[n, ...]``.
    Raises ValueError naming ``source`` when the magic number, dimensions or length are wrong."""
    dims = _idx_dims(data, expected_ndim, source)
    header = 4 + 4 * expected_ndim
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise ValueError(f"{source}: IDX length {len(data)} bytes does not match its header "
                         f"{dims} ({expected} bytes): the file is truncated or corrupt")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def idx_dims(path: str | os.PathLike, expected_ndim: int) -> list[int]:
    """The dimensions an IDX file (raw or ``.gz``) declares in its header, e.g. ``[10000, 28, 28]``;
    reads only the header. ValueError naming the file if it is unreadable or not IDX."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4 + 4 * expected_ndim)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot read IDX file ({exc})") from None
    return _idx_dims(head, expected_ndim, path)


def read_file_bytes(path: str | os.PathLike) -> bytes:
    """The content of a file, decompressed when its name ends in ``.gz``.
    Raises ValueError naming the file when it cannot be read or decompressed."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path}: cannot read IDX file ({exc})") from None


def read_idx(path: str | os.PathLike, expected_ndim: int) -> np.ndarray:
    """Read an IDX file (raw or ``.gz``) of unsigned bytes; returns uint8 ``[n, ...]``.
    Raises ValueError naming the file when the magic number, dimensions or length are wrong."""
    return parse_idx(read_file_bytes(path), expected_ndim, path)

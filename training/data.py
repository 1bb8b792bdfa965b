"""Datasets: MNIST and Fashion-MNIST (IDX files), the Free Spoken Digit Dataset."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import wavfile

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


# --- Free Spoken Digit Dataset ---------------------------------------------------

FSDD_SPLITS = ("standard", "stratified")


@dataclass(frozen=True)
class Clip:
    """One FSDD recording. audio: float32 in [-1, 1], ``[n_samples]`` (mono) or
    ``[n_samples, channels]``; sample_rate in Hz."""

    audio: np.ndarray
    sample_rate: int
    digit: int
    speaker: str
    index: int
    path: Path


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Read a WAV file with scipy. Returns float32 audio in [-1, 1] (``[n]`` or
    ``[n, channels]``) and the sample rate in Hz; ValueError naming the file if unreadable."""
    path = Path(path)
    try:
        rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: unreadable WAV file ({exc})") from None
    if np.issubdtype(data.dtype, np.integer):
        info = np.iinfo(data.dtype)
        if info.min == 0:  # unsigned 8-bit WAV is offset binary
            data = data.astype(np.float32) - (info.max + 1) / 2
            scale = (info.max + 1) / 2
        else:
            scale = -float(info.min)
        audio = data.astype(np.float32) / scale
    else:
        audio = data.astype(np.float32)
    return audio, int(rate)


def fsdd_files(data_dir: str | os.PathLike | None = None) -> list[tuple[int, str, int, Path]]:
    """Every ``{digit}_{speaker}_{index}.wav`` under ``<data_dir>/fsdd/recordings`` (or
    ``<data_dir>/recordings``, or ``data_dir`` itself), as ``(digit, speaker, index, path)``
    sorted by digit, speaker, index. Files not named like that raise ValueError."""
    root = Path(data_dir or os.environ.get("SPIKESYNTH_DATA", "."))
    for directory in (root / "fsdd" / "recordings", root / "recordings", root):
        if directory.is_dir() and any(directory.glob("*.wav")):
            break
    else:
        raise FileNotFoundError(f"no FSDD recordings (*.wav) found under {root}: pass the folder that "
                                f"holds fsdd/recordings/ as data_dir or set SPIKESYNTH_DATA")
    entries = []
    for path in directory.glob("*.wav"):
        parts = path.stem.split("_")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
            raise ValueError(f"{path}: FSDD file names must be {{digit}}_{{speaker}}_{{index}}.wav")
        entries.append((int(parts[0]), parts[1], int(parts[2]), path))
    return sorted(entries)


def fsdd_split(entries: list, scheme: str = "standard", seed: int = 0, test_fraction: float = 0.15):
    """Split FSDD entries ``(digit, speaker, index, ...)`` into train and test index lists.

    ``standard``: indices 0-4 of each speaker and digit are test (the dataset's convention).
    ``stratified``: a seeded split with ``test_fraction`` of each digit's clips in test
    (the paper's 85/15 split of TI-46). Returns ``(train_positions, test_positions)``.
    """
    if scheme == "standard":
        test = [i for i, e in enumerate(entries) if e[2] < 5]
    elif scheme == "stratified":
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        rng = np.random.default_rng(seed)
        test = []
        for digit in sorted({e[0] for e in entries}):
            members = [i for i, e in enumerate(entries) if e[0] == digit]
            n_test = int(round(test_fraction * len(members)))
            test.extend(rng.permutation(members)[:n_test].tolist())
        test.sort()
    else:
        raise ValueError(f"scheme must be one of {FSDD_SPLITS}, got {scheme!r}")
    test_set = set(test)
    return [i for i in range(len(entries)) if i not in test_set], test


def load_fsdd(data_dir: str | os.PathLike | None = None, split: str | None = None, scheme: str = "standard",
              seed: int = 0, test_fraction: float = 0.15) -> list[Clip]:
    """Load the Free Spoken Digit Dataset as a list of ``Clip``.

    split: ``None`` (all clips), ``train`` or ``test`` under ``scheme``
    (see ``fsdd_split``). An unreadable WAV raises ValueError naming the file.
    """
    entries = fsdd_files(data_dir)
    if split is not None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
        train, test = fsdd_split(entries, scheme, seed, test_fraction)
        entries = [entries[i] for i in (train if split == "train" else test)]
    clips = []
    for digit, speaker, index, path in entries:
        audio, rate = read_wav(path)
        clips.append(Clip(audio, rate, digit, speaker, index, path))
    return clips

"""Datasets: MNIST and Fashion-MNIST (IDX files), the Free Spoken Digit Dataset."""

from __future__ import annotations

import gzip
import os
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from models.files import cache_root

from .defaults import IMAGE_DATASETS

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


# --- where datasets are looked for -------------------------------------------------

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def cache_dir() -> Path:
    """The user cache for datasets: ``models.io.cache_root() / "data"`` (default
    ``~/.cache/spikesynth/data``); ``spikesynth data fetch`` downloads into ``<cache>/<name>/``."""
    return cache_root() / "data"


def _roots(data_dir: str | os.PathLike | None) -> list[tuple[str, Path]]:
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
    for source, root in _roots(data_dir):
        dirs.append((source, root / name))
        if root.name == name:
            dirs.append((source, root))
    if name == "fashion-mnist":
        dirs.append(("Debian package", DEBIAN_FASHION_MNIST))
    dirs.append(("user cache", cache_dir() / name))
    return dirs


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
    """Load MNIST or Fashion-MNIST.

    name: ``mnist`` or ``fashion-mnist``; split: ``train`` or ``test``.
    data_dir: a folder holding ``<name>/`` (or the folder ``<name>`` itself); searched
    before ``$SPIKESYNTH_DATA``, the Debian package location (Fashion-MNIST) and the
    user cache (see ``search_dirs``). download: when no folder has the files, download
    the canonical ``.gz`` files into the user cache (MD5-verified) instead of failing.
    Returns ``(images, labels)``: uint8 ``[N, 28, 28]`` (float32 in [0, 1] when
    ``as_float``) and int64 ``[N]``. A missing dataset raises FileNotFoundError saying
    how to provide it; a truncated or corrupt file raises ValueError naming the file.
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"dataset must be one of {IMAGE_DATASETS}, got {name!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    found = locate_images(name, split, data_dir)
    if found is None and download:
        from .catalog import fetch
        fetch(name, splits=(split,), missing_hint=missing_message(name, split, data_dir))
        found = locate_images(name, split, data_dir)
    if found is None:
        raise FileNotFoundError(missing_message(name, split, data_dir))
    images = read_idx(found.images, 3)
    labels = read_idx(found.labels, 1).astype(np.int64)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{found.images}: images are {images.shape[1:]}, expected 28 x 28")
    if len(images) != len(labels):
        raise ValueError(f"{found.images} has {len(images)} images but {found.labels} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{found.labels}: labels must be 0-9, found {int(labels.max())}")
    if as_float:
        images = images.astype(np.float32) / 255.0
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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise ValueError(f"{path}: unreadable WAV file ({exc})") from None
    for w in caught:
        # scipy warns and returns the samples it got when a file is shorter than its header
        # says; only an unknown extra chunk is harmless
        if not str(w.message).startswith("Chunk (non-data) not understood"):
            raise ValueError(f"{path}: truncated or corrupt WAV file ({w.message})")
        warnings.warn(f"{path}: {w.message}", wavfile.WavFileWarning, stacklevel=2)
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


def locate_fsdd(data_dir: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """The first folder holding FSDD ``*.wav`` recordings, as ``(source, folder)``, or None.
    Each user-named root (``data_dir``, then ``$SPIKESYNTH_DATA``) is tried as
    ``<root>/fsdd/recordings``, ``<root>/recordings`` and ``<root>``; then the user cache
    ``<cache_dir()>/fsdd/recordings``."""
    candidates = [(source, d) for source, root in _roots(data_dir)
                  for d in (root / "fsdd" / "recordings", root / "recordings", root)]
    candidates.append(("user cache", cache_dir() / "fsdd" / "recordings"))
    for source, directory in candidates:
        if directory.is_dir() and any(directory.glob("*.wav")):
            return source, directory
    return None


def fsdd_files(data_dir: str | os.PathLike | None = None) -> list[tuple[int, str, int, Path]]:
    """Every ``{digit}_{speaker}_{index}.wav`` in the folder ``locate_fsdd`` finds, as
    ``(digit, speaker, index, path)`` sorted by digit, speaker, index. A ``.wav`` not
    named like that (digit 0-9) raises ValueError; no recordings raises FileNotFoundError."""
    found = locate_fsdd(data_dir)
    if found is None:
        looked = ", ".join(str(root) for _, root in _roots(data_dir)) or "no folder named"
        raise FileNotFoundError(
            f"no FSDD recordings (*.wav) found (searched: {looked}; and {cache_dir() / 'fsdd' / 'recordings'}): "
            f"pass the folder that holds fsdd/recordings/ as --data-dir (Python: data_dir=...) or set "
            f"SPIKESYNTH_DATA; get the recordings from the FSDD release archive "
            f"(https://github.com/Jakobovski/free-spoken-digit-dataset)")
    entries = []
    for path in found[1].glob("*.wav"):
        parts = path.stem.split("_")
        if len(parts) != 3 or not (parts[0].isdigit() and len(parts[0]) == 1) or not parts[2].isdigit():
            raise ValueError(f"{path}: FSDD file names must be {{digit}}_{{speaker}}_{{index}}.wav with digit 0-9")
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

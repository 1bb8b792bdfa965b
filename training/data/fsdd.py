"""The Free Spoken Digit Dataset: WAV reading, locating the recordings, the splits."""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.io import wavfile

from .idx import SPLITS
from .search import cache_dir, user_roots

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


def read_wav(path: str | os.PathLike, max_frames: int | Callable[[int], int] | None = None) -> tuple[np.ndarray, int]:
    """Read a WAV file with scipy. Returns float32 audio in [-1, 1] (``[n]`` or
    ``[n, channels]``) and the sample rate in Hz; ValueError naming the file if unreadable.

    max_frames: read only the first frames, this many (an int, or a function of the sample rate
    in Hz giving it): the file is memory-mapped and only those frames are read and converted,
    so memory does not grow with the file's length (None: the whole file)."""
    path = Path(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", wavfile.WavFileWarning)
            if max_frames is None:
                rate, data = wavfile.read(path)
            else:
                try:
                    rate, data = wavfile.read(path, mmap=True)
                except ValueError:   # a format scipy cannot map (e.g. 24-bit) or a short file: read it
                    rate, data = wavfile.read(path)
                limit = max_frames(rate) if callable(max_frames) else max_frames
                data = np.array(data[:max(int(limit), 0)])
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


def check_clip(audio, sample_rate, name: str = "audio") -> None:
    """ValueError naming ``name`` unless ``audio`` is a clip the audio front end can use:
    ``[n]`` or ``[n, channels]`` with at least one sample, all finite, and ``sample_rate`` a
    positive integer (Hz). ``training.audio.features`` and ``spikesynth data info`` both check
    clips with it."""
    x = np.asarray(audio)
    if x.ndim not in (1, 2):
        raise ValueError(f"{name}: audio must be [n_samples] or [n_samples, channels], got {list(x.shape)}")
    if x.size == 0:
        raise ValueError(f"{name}: the clip is empty (0 samples)")
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: the clip contains NaN or infinite samples")
    if not (isinstance(sample_rate, (int, np.integer)) and not isinstance(sample_rate, bool) and sample_rate > 0):
        raise ValueError(f"{name}: sample_rate must be a positive integer in Hz, got {sample_rate!r}")


def locate_fsdd(data_dir: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """The first folder holding FSDD ``*.wav`` recordings, as ``(source, folder)``, or None.
    Each user-named root (``data_dir``, then ``$SPIKESYNTH_DATA``) is tried as
    ``<root>/fsdd/recordings``, ``<root>/recordings`` and ``<root>``; then the user cache
    ``<cache_dir()>/fsdd/recordings``."""
    candidates = [(source, d) for source, root in user_roots(data_dir)
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
        looked = ", ".join(str(root) for _, root in user_roots(data_dir)) or "no folder named"
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

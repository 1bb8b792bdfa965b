"""The canonical dataset files: MD5 checksums, verification, and downloads (``spikesynth data fetch``).

MD5 sums come from ``../shared/data/README.md``: the canonical ``.gz`` downloads and the
uncompressed IDX contents. The local MNIST train-images file is a lossless rebuild whose
content MD5 is listed as a known variant: it is reported, never refused.
"""

from __future__ import annotations

import hashlib
import http.client
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from tqdm import tqdm

from ..defaults import IMAGE_DATASETS
from .idx import SPLITS, idx_filenames, parse_idx, read_file_bytes
from .search import cache_dir

MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}


@dataclass(frozen=True)
class Canonical:
    """Canonical checksums of one IDX file: ``gz_md5`` of the download, ``md5`` of the
    uncompressed content (None where not known)."""

    gz_md5: str
    md5: str | None


CANONICAL = {
    ("mnist", "train-images-idx3-ubyte"):
        Canonical("f68b3c2dcbeaaa9fbdd348bbdeb94873", None),
    ("mnist", "train-labels-idx1-ubyte"):
        Canonical("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
    ("mnist", "t10k-images-idx3-ubyte"):
        Canonical("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
    ("mnist", "t10k-labels-idx1-ubyte"):
        Canonical("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    ("fashion-mnist", "train-images-idx3-ubyte"):
        Canonical("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    ("fashion-mnist", "train-labels-idx1-ubyte"):
        Canonical("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
    ("fashion-mnist", "t10k-images-idx3-ubyte"):
        Canonical("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
    ("fashion-mnist", "t10k-labels-idx1-ubyte"):
        Canonical("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
}
# content MD5 of files that are known not to be canonical, and what they are
KNOWN_VARIANTS = {
    "ff31079e9f752de13a2ec1d4a52d8877": "MNIST train images rebuilt from a lossless PNG export, not the "
                                        "canonical download: 97.2% of pixels exact, the rest within 1/255",
}


def md5_hex(data: bytes) -> str:
    """MD5 of bytes as 32 hex digits."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def checksum_status(name: str, path: str | os.PathLike) -> tuple[str, str]:
    """Read, validate and checksum one IDX file of ``name`` (``.gz`` or raw).

    Returns ``(status, detail)``; status is ``canonical`` (the canonical download or its
    exact content), ``known variant`` (e.g. the local MNIST rebuild) or ``not canonical``
    (loads, but its MD5 is not on the canonical list). Raises ValueError naming the file
    when it is truncated or corrupt."""
    path = Path(path)
    base = path.name.removesuffix(".gz")
    canon = CANONICAL.get((name, base))
    if canon is None:
        raise ValueError(f"{path}: not a known {name} file (expected one of "
                         f"{sorted(b for n, b in CANONICAL if n == name)})")
    content = read_file_bytes(path)
    parse_idx(content, 3 if "images" in base else 1, path)
    if path.suffix == ".gz" and md5_hex(path.read_bytes()) == canon.gz_md5:
        return "canonical", "MD5 of the canonical download"
    digest = md5_hex(content)
    if digest == canon.md5:
        return "canonical", "MD5 of the canonical content"
    if digest in KNOWN_VARIANTS:
        return "known variant", KNOWN_VARIANTS[digest]
    return "not canonical", f"content MD5 {digest} is not the canonical one (the file loads; results may differ)"


class DownloadError(FileNotFoundError):
    """A dataset file is missing here and could not be downloaded (no network, or no mirror answered)."""


def _download(url: str, dest: Path, expected_md5: str, timeout: float) -> None:
    """Stream ``url`` into ``dest`` (atomically), raising ValueError on an MD5 mismatch."""
    from models.files import atomic_path  # imports torch: only when downloading
    md5 = hashlib.md5(usedforsecurity=False)
    with urlopen(url, timeout=timeout) as response, atomic_path(dest) as tmp, open(tmp, "wb") as out:
        total = response.headers.get("Content-Length")
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar:
            while chunk := response.read(1 << 16):
                md5.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
        if md5.hexdigest() != expected_md5:
            raise ValueError(f"{url}: downloaded file has MD5 {md5.hexdigest()}, expected {expected_md5}; "
                             f"nothing was saved")


def fetch(name: str, splits: tuple[str, ...] = SPLITS, dest: str | os.PathLike | None = None,
          timeout: float = 30.0, force: bool = False, missing_hint: str = "") -> list[Path]:
    """Download the canonical ``.gz`` IDX files of ``name`` (``mnist`` or ``fashion-mnist``)
    for ``splits`` into ``dest`` (default ``<cache_dir()>/<name>``), verifying each MD5
    before it is moved into place. A file already there with the canonical MD5 is kept
    unless ``force``. Returns the paths of the ``.gz`` files. Raises DownloadError (a
    FileNotFoundError) when no mirror can be reached, ValueError when every mirror
    served a file with the wrong MD5; ``missing_hint`` is appended to those messages."""
    if name not in IMAGE_DATASETS:
        raise ValueError(f"only {IMAGE_DATASETS} can be downloaded, got {name!r}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    dest = Path(dest) if dest is not None else cache_dir() / name
    paths = []
    for split in splits:
        for base in idx_filenames(split):
            path = dest / f"{base}.gz"
            expected = CANONICAL[(name, base)].gz_md5
            if not force and path.is_file() and md5_hex(path.read_bytes()) == expected:
                paths.append(path)
                continue
            errors, bad_checksum = [], False
            for mirror in MIRRORS[name]:
                try:
                    _download(mirror + path.name, path, expected, timeout)
                    break
                except ValueError as exc:
                    errors.append(str(exc))
                    bad_checksum = True
                except (URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
                    errors.append(f"{mirror}{path.name}: {getattr(exc, 'reason', exc)}")
            else:
                tail = f"\n{missing_hint}" if missing_hint else ""
                if bad_checksum:
                    raise ValueError(f"could not download a verified {path.name}:\n  " + "\n  ".join(errors) + tail)
                raise DownloadError(f"could not download {name} {path.name} (no network?):\n  "
                                    + "\n  ".join(errors) + tail)
            paths.append(path)
    return paths

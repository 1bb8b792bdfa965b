"""Your own images: an ``.npz`` file or a folder of PNG/JPEG files, any image size.

``.npz``: arrays ``train_images`` and ``test_images`` (``uint8`` 0-255, or floats in [0, 1];
``[N, H, W]`` or ``[N, D]``), optional ``train_labels`` / ``test_labels`` (integers ``[N]``).

Folder: ``train/`` and ``test/`` subfolders holding ``.png``, ``.jpg`` or ``.jpeg`` files, read
with Pillow. Either the images lie directly in the split folder (no labels), or in one
subfolder per class (labels ``0..K-1`` in the sorted order of the class folder names, the same
for both splits; a test class missing from train/ is an error, as is an ``.npz`` test label
that the training labels never have). Colour images are converted to grey with Pillow's ``L`` mode, the ITU-R
601-2 luma ``L = 0.299 R + 0.587 G + 0.114 B`` (an alpha channel is dropped first, i.e. the
colour is taken as if on black); 16-bit greyscale PNGs are scaled to 0-255. Files are read in
sorted path order. Every image of both splits must have the same size.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from .idx import SPLITS

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def is_custom(name: str | os.PathLike) -> bool:
    """True when ``name`` names your own images (an ``.npz`` file or a folder) rather than a
    built-in dataset name: it ends in ``.npz`` or contains a path separator, or is an existing
    folder."""
    text = str(name)
    return text.endswith(".npz") or os.sep in text or "/" in text or Path(text).is_dir()


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _as_unit_floats(images: np.ndarray, source: str) -> np.ndarray:
    """uint8 0-255 -> float32 /255; floats checked finite and in [0, 1] -> float32."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"{source}: images must be uint8 (0-255) or floats in [0, 1], got dtype {images.dtype}")
    if images.size and not np.isfinite(images).all():
        raise ValueError(f"{source}: images contain NaN or infinite values")
    if images.size and (float(images.min()) < 0.0 or float(images.max()) > 1.0):
        raise ValueError(f"{source}: float images must lie in [0, 1], got range "
                         f"[{float(images.min()):g}, {float(images.max()):g}] (give uint8 0-255 or rescale)")
    return images.astype(np.float32, copy=False)


def _load_npz(path: Path, split: str):
    if not path.is_file():
        raise FileNotFoundError(f"--dataset {path}: no such .npz file")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable .npz file ({exc})") from None
    with npz:
        missing = [k for k in ("train_images", "test_images") if k not in npz.files]
        if missing:
            raise ValueError(f"{path}: missing array(s) {missing} (an image .npz holds train_images and "
                             f"test_images, optionally train_labels and test_labels; found {sorted(npz.files)})")
        try:
            images = npz[f"{split}_images"]
            labels = npz[f"{split}_labels"] if f"{split}_labels" in npz.files else None
        except ValueError as exc:   # an object array needs pickle
            raise ValueError(f"{path}: {exc}") from None
        other = npz["test_images" if split == "train" else "train_images"]
        if labels is not None and {"train_labels", "test_labels"} <= set(npz.files):
            _check_label_sets(path, npz["train_labels"], npz["test_labels"])
    source = f"{path}:{split}_images"
    if images.ndim not in (2, 3):
        raise ValueError(f"{source}: images must be [N, H, W] or [N, D], got shape {list(images.shape)}")
    if len(images) == 0:
        raise ValueError(f"{source}: the {split} split is empty")
    if other.shape[1:] != images.shape[1:]:
        shapes = {split: list(images.shape), ("test" if split == "train" else "train"): list(other.shape)}
        raise ValueError(f"{path}: train_images {shapes['train']} and test_images {shapes['test']} must have the "
                         f"same image size")
    if labels is not None:
        if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"{path}:{split}_labels must be integers [{len(images)}], got {labels.dtype} "
                             f"{list(labels.shape)}")
        labels = labels.astype(np.int64)
    return _as_unit_floats(images, source), labels


def _check_label_sets(path: Path, train: np.ndarray, test: np.ndarray) -> None:
    """ValueError naming the file when test_labels holds a label that train_labels never has."""
    if train.dtype.kind in "iu" and test.dtype.kind in "iu":
        unseen = np.setdiff1d(np.unique(test), np.unique(train))
        if unseen.size:
            raise ValueError(f"{path}: test_labels holds label(s) {unseen[:10].tolist()} that train_labels never has; "
                             f"both splits must share one set of classes")


def _read_image(path: Path) -> np.ndarray:
    """One image file as uint8 ``[H, W]`` grey (see the module docstring for the rule). An image
    whose header claims more than Pillow's ``Image.MAX_IMAGE_PIXELS`` pixels (a decompression
    bomb: a tiny file that would decode to gigabytes) is refused before it is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():     # Pillow only warns up to twice its limit
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(claimed[1]):,} pixels" if claimed else str(exc)
        raise ValueError(f"{path}: image too large to read: its header claims {size}, more than Pillow's limit "
                         f"Image.MAX_IMAGE_PIXELS = {Image.MAX_IMAGE_PIXELS:,} (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable image ({exc})") from None
    try:
        with img:
            if img.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(img, dtype=np.float64)
                top = 65535.0 if img.mode.startswith("I;16") else max(float(arr.max()), 1.0)
                return np.round(np.clip(arr, 0, top) * (255.0 / top)).astype(np.uint8)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                img = img.convert("RGBA").convert("RGB")
            return np.asarray(img.convert("L"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable image ({exc})") from None


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _classes(root: Path) -> list[str] | None:
    """The class names (sorted) when ``root/train`` holds one subfolder per class, else None."""
    subdirs = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    return subdirs or None


def _split_files(root: Path, split: str, classes: list[str] | None) -> tuple[list[Path], np.ndarray | None]:
    """The image files of ``root/split`` in sorted order, and their labels (None without classes).
    ValueError for a class folder of the test split that the training split lacks (its images
    would be left out, or carry a label the training split never has)."""
    folder = root / split
    extra = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in (classes or []))
    if extra:
        raise ValueError(f"{folder}: class folder(s) {extra} not in {root / 'train'} (classes {classes or []}); "
                         f"both splits must have the same classes")
    if classes is None:
        return _image_files(folder), None
    stray = _image_files(folder)
    if stray:
        raise ValueError(f"{folder}: images beside class subfolders (e.g. {stray[0].name}); put every image "
                         f"in its class folder, or use no class folders at all")
    files, labels = [], []
    for label, name in enumerate(classes):
        found = _image_files(folder / name) if (folder / name).is_dir() else []
        files += found
        labels += [label] * len(found)
    return files, np.asarray(labels, dtype=np.int64)


def _load_folder(root: Path, split: str):
    for needed in SPLITS:
        if not (root / needed).is_dir():
            raise FileNotFoundError(f"--dataset {root}: an image folder needs train/ and test/ subfolders; "
                                    f"{root / needed} is missing")
    classes = _classes(root)
    files, labels = _split_files(root, split, classes)
    if not files:
        raise ValueError(f"{root / split}: the {split} split holds no .png/.jpg/.jpeg images")
    first = _read_image(files[0])
    images = np.empty((len(files), *first.shape), dtype=np.uint8)
    images[0] = first
    for i, path in enumerate(files[1:], start=1):
        img = _read_image(path)
        if img.shape != first.shape:
            raise ValueError(f"{path}: image is {img.shape[1]}x{img.shape[0]} (width x height) but {files[0]} "
                             f"is {first.shape[1]}x{first.shape[0]}; every image must have the same size")
        images[i] = img
    other, _ = _split_files(root, "test" if split == "train" else "train", classes)
    if other and (size := _read_image(other[0]).shape) != first.shape:
        raise ValueError(f"{other[0]}: image is {size[1]}x{size[0]} but the {split} images are "
                         f"{first.shape[1]}x{first.shape[0]}; train and test images must have the same size")
    return images.astype(np.float32) / 255.0, labels


def load_custom(path: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Your own images (see the module docstring) of ``split`` (``train`` or ``test``).

    Returns ``(images, labels)``: float32 in [0, 1], ``[N, H, W]`` (``[N, D]`` for a flat ``.npz``),
    and int64 labels ``[N]`` or None. FileNotFoundError for a missing file or folder; ValueError
    naming the file for anything malformed (missing array, empty split, NaN, floats outside
    [0, 1], images of different sizes, an unreadable image)."""
    _check_split(split)
    path = Path(path).expanduser()
    if str(path).endswith(".npz"):
        return _load_npz(path, split)
    if path.is_dir():
        return _load_folder(path, split)
    if path.exists():
        raise ValueError(f"--dataset {path}: not an .npz file or a folder of images")
    raise FileNotFoundError(f"--dataset {path}: no such .npz file or image folder")

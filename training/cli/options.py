"""Argument types and options shared by several subcommands (light: no torch, numpy or scipy)."""

from __future__ import annotations

import argparse
import json

from training.defaults import IMAGE_DATASETS

DATASET_HELP = (f"{' or '.join(IMAGE_DATASETS)} (default {IMAGE_DATASETS[0]}), or your own images: an .npz file "
                f"(train_images, test_images) or a folder with train/ and test/ of PNG/JPEG files, any image size")


def add_dataset_option(p: argparse.ArgumentParser) -> None:
    """``--dataset NAME|PATH``: a built-in dataset or your own images, checked by ``load_images``."""
    p.add_argument("--dataset", default=IMAGE_DATASETS[0], metavar="NAME|PATH", help=DATASET_HELP)


def size_list(text: str):
    """``"196"`` -> 196, ``"400,196,400"`` -> (400, 196, 400): layer sizes for ``--hidden`` / ``--sizes``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or a comma-separated list of integers, got {text!r}")
    return sizes[0] if len(sizes) == 1 else sizes


#: The largest seed (``encoders.rate.SEED_MAX``, repeated here so that parsing imports no torch).
SEED_MAX = 2**32 - 1


def seed(text: str) -> int:
    """``--seed``: an integer in ``[0, SEED_MAX]`` (torch keeps a seed's low 32 bits only, so a larger
    one would silently repeat a smaller one's spikes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, {SEED_MAX}], got {text!r}")
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {SEED_MAX}] (torch keeps only a seed's low 32 "
                                         f"bits), got {text}")
    return value


def key_value(text: str) -> tuple:
    """``KEY=VALUE`` -> ``(KEY, VALUE)`` with VALUE parsed as JSON, else kept as a string."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value

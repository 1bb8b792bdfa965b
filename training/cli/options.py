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


def key_value(text: str) -> tuple:
    """``KEY=VALUE`` -> ``(KEY, VALUE)`` with VALUE parsed as JSON, else kept as a string."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value

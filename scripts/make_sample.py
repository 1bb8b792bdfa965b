"""Build the bundled MNIST sample ``training/data/sample/mnist_sample.npz`` from a local MNIST copy.

Picks ``--per-class`` images of each digit from each split (seeded, kept in dataset
order) and stores uint8 images ``[N, 28, 28]``, uint8 labels ``[N]`` and the int32
positions in the full dataset (``<split>_index``), compressed. MNIST: Y. LeCun and
C. Cortes, CC BY-SA 3.0 (see README). The train images come from whatever train file
the search order finds (for ../shared/data: the rebuilt file, within 1/255 of canonical).

Usage (from the repository root, with the package installed or PYTHONPATH=.):
    python scripts/make_sample.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse

import numpy as np

from models.files import atomic_path
from training.data import SAMPLE_PATH, SPLITS, load_images


def pick(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of ``per_class`` random items of each label 0-9 in ``labels`` ``[N]``."""
    chosen = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        if len(members) < per_class:
            raise ValueError(f"per_class must be <= {len(members)} (items of digit {digit}), got {per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder holding mnist/ (default: the usual search order)")
    parser.add_argument("--per-class", type=int, default=100, help="images per digit and split (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the selection (default 0)")
    parser.add_argument("--out", default=str(SAMPLE_PATH), help=f"output file (default {SAMPLE_PATH})")
    args = parser.parse_args(argv)
    if args.per_class < 1:
        parser.error(f"--per-class must be >= 1, got {args.per_class}")
    rng = np.random.default_rng(args.seed)
    arrays = {}
    for split in SPLITS:
        images, labels = load_images("mnist", split, args.data_dir)
        index = pick(labels, args.per_class, rng)
        arrays.update({f"{split}_images": images[index], f"{split}_labels": labels[index].astype(np.uint8),
                       f"{split}_index": index.astype(np.int32)})
    with atomic_path(args.out) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

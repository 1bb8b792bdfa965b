"""``spikesynth figures [NAME ...|all] [--quick] [--out DIR]``."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

FIGURES = ["fig1"]


def configure_figures(parser) -> None:
    parser.add_argument("names", nargs="*", default=["all"], metavar="NAME",
                        help=f"figures to make: {', '.join(FIGURES)}, or all (default)")
    parser.add_argument("--quick", action="store_true",
                        help="small subsets (2,000 training images, 1,000 test images): minutes, not hours")
    parser.add_argument("--out", default="output/figures", help="output folder (default: output/figures)")
    parser.add_argument("--data-dir", default=None, help="dataset folder (default: $SPIKESYNTH_DATA, ...)")
    parser.add_argument("--cache", default=None, help="trained-model cache (default: ~/.cache/spikesynth/figures)")
    parser.add_argument("--seed", type=int, default=1, help="seed of weights, spikes and shuffling (default 1, as the official code)")


def run_figures(args) -> int:
    from . import style
    from .runner import Context

    names = FIGURES if "all" in args.names else args.names
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {FIGURES} or all")
    style.apply()
    ctx = Context(out=Path(args.out), quick=args.quick, data_dir=args.data_dir, seed=args.seed)
    if args.cache:
        ctx.cache = Path(args.cache)
    for name in names:
        start = time.perf_counter()
        module = importlib.import_module(f"figures.{name}")
        print(f"[{name}] {module.TITLE}", file=sys.stderr)
        module.make(ctx)
        print(f"[{name}] done in {time.perf_counter() - start:.1f} s -> {ctx.out}/{name}.png", file=sys.stderr)
    return 0

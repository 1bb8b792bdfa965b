"""``spikesynth figures [NAME ...|all] [--quick] [--out DIR]``."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from figures.runner import FIGURES


def configure_figures(parser) -> None:
    parser.add_argument("names", nargs="*", default=["all"], metavar="NAME",
                        help=f"figures to make: {', '.join(FIGURES)}, or all (default)")
    parser.add_argument("--quick", action="store_true",
                        help="small subsets (2,000 training images, 1,000 test images): minutes, not hours")
    parser.add_argument("--out", default="output/figures", help="output folder (default: output/figures)")
    parser.add_argument("--data-dir", default=None, help="dataset folder (default: $SPIKESYNTH_DATA, ...)")
    parser.add_argument("--cache", default=None, help="trained-model cache (default: the spikesynth cache's figures/, see README)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="sizes",
                        help="override one run size of the preset: train_limit, test_limit, fsdd_epochs, "
                             "audio_train, audio_test (an integer, or none for all), e.g. --set fsdd_epochs=5")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of weights, spikes and shuffling (default 1, as the official code)")


def parse_sizes(items: list[str]) -> dict:
    """``["KEY=VALUE", ...]`` -> run-size overrides (positive integers, or None for ``none``)."""
    from figures.runner import FULL

    sizes = {}
    for item in items:
        key, _, value = item.partition("=")
        if key not in FULL:
            raise ValueError(f"--set {item!r}: the key must be one of {sorted(FULL)}")
        if value.lower() == "none" and key.startswith("audio_"):
            sizes[key] = None
        elif value.isdigit() and int(value) > 0:
            sizes[key] = int(value)
        else:
            raise ValueError(f"--set {item!r}: the value must be a positive integer"
                             + (" or none" if key.startswith("audio_") else ""))
    return sizes


def run_figures(args) -> int:
    from tqdm import tqdm

    from figures import style
    from figures import runner
    from figures.runner import Context, estimate_seconds, plan
    from models.files import check_output_dir

    names = FIGURES if "all" in args.names else args.names
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {FIGURES} or all")
    ctx = Context(out=Path(args.out), quick=args.quick, data_dir=args.data_dir, seed=args.seed,
                  sizes=parse_sizes(args.sizes))
    if args.cache:
        ctx.cache = Path(args.cache)
    # before any training: where the figures and the trained models go
    check_output_dir(ctx.out, [f"{n}.{ext}" for n in names for ext in ("png", "pdf", "json", "csv")], what="--out")
    check_output_dir(ctx.cache, what="--cache")
    style.apply()
    modules = [importlib.import_module(f"figures.{name}") for name in names]
    todo = plan(ctx, modules)
    estimate = sum(estimate_seconds(cfg) for cfg in todo)
    print(f"{len(names)} figure(s); {len(todo)} model(s) to train (cache: {ctx.cache}); "
          f"estimated training time {estimate / 60:.1f} min", file=sys.stderr)
    start = time.perf_counter()
    for cfg in tqdm(todo, desc="models", unit="model", disable=not todo):
        runner.trained_autoencoder(ctx, cfg)
    for name, module in zip(names, modules):
        t0 = time.perf_counter()
        print(f"[{name}] {module.TITLE}", file=sys.stderr)
        module.make(ctx)
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s -> {ctx.out}/{name}.png", file=sys.stderr)
    print(f"all done in {(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr)
    return 0

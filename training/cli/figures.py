"""``spikesynth figures [NAME ...|all] [--quick] [--out DIR] [--workers N | --scheduler ADDRESS]``."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

from figures.runner import FIGURES
from training.cli import options


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
    parser.add_argument("--seed", type=options.seed, default=1,
                        help="seed of weights, spikes and shuffling (default 1, as the official code)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="train the models and run the audio experiment as Dask tasks on N local worker "
                             "processes (needs dask[distributed]; default: one after the other in this process)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="send those tasks to the workers of a running Dask scheduler instead, e.g. "
                             "tcp://host:8786 (every worker must see the --cache folder under the same path)")
    parser.add_argument("--threads", type=int, default=1, metavar="K",
                        help="torch threads of every training and figure, serial or on workers (default 1: "
                             "the same arithmetic wherever a task runs)")


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
    from figures import style
    from figures.runner import Context, check_limits
    from models.files import check_output_dir, output_folder
    from training.sweeps import check_options, require_distributed, torch_threads

    names = FIGURES if "all" in args.names else args.names
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; choose from {FIGURES} or all")
    check_options(args.workers, args.scheduler)
    if args.workers is not None or args.scheduler is not None:
        require_distributed()
    ctx = Context(out=Path(args.out), quick=args.quick, data_dir=args.data_dir, seed=args.seed,
                  sizes=parse_sizes(args.sizes))
    if args.cache:
        ctx.cache = Path(args.cache)
    # before any training: where the figures and the trained models go; the output folder is
    # locked for the whole run, so two runs into one folder do not interleave their files
    files = [f"{n}.{ext}" for n in names for ext in ("png", "pdf", "json", "csv")]
    with output_folder(ctx.out, files, what="--out"):
        check_output_dir(ctx.cache, what="--cache")
        style.apply()
        modules = [importlib.import_module(f"figures.{name}") for name in names]
        check_limits(ctx, modules)
        with torch_threads(args.threads):
            _make(args, ctx, names, modules)
    return 0


def _make(args, ctx, names, modules) -> None:
    """The plan (serial, or as Dask tasks), then every figure drawn here from the cache."""
    from tqdm import tqdm

    from figures.runner import is_experiment, item_seconds, plan, run_item

    todo = plan(ctx, modules)
    estimate = sum(item_seconds(item) for item in todo)
    experiments = sum(map(is_experiment, todo))
    print(f"{len(names)} figure(s); {len(todo) - experiments} model(s) to train"
          + (f" and {experiments} audio experiment(s) to run" if experiments else "")
          + f" (cache: {ctx.cache}); estimated training time {estimate / 60:.1f} min", file=sys.stderr)
    start = time.perf_counter()
    if args.workers is not None or args.scheduler is not None:
        from figures.parallel import run_plan

        run_plan(ctx, modules, args.workers, args.scheduler, threads=args.threads, items=todo)
    else:
        for item in tqdm(todo, desc="models", unit="model", disable=not todo):
            run_item(ctx, item)
    failures = []
    for name, module in zip(names, modules):
        t0 = time.perf_counter()
        print(f"[{name}] {module.TITLE}", file=sys.stderr)
        numbers = module.make(ctx)
        failure = getattr(module, "check", lambda numbers: None)(numbers)   # drawn, but a failed check
        if failure:
            failures.append(failure)
        print(f"[{name}] done in {time.perf_counter() - t0:.1f} s -> {ctx.out}/{name}.png"
              + (" (FAILED its check)" if failure else ""), file=sys.stderr)
    print(f"all done in {(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr)
    if failures:
        raise ValueError("; ".join(failures))

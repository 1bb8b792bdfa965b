"""The figure plan and Brian2 runs on Dask workers against the serial run, side by side.

    python benchmarks/bench_sweeps.py                          # figures all --quick: serial, then --workers 2
    python benchmarks/bench_sweeps.py --figures fig3 fig4      # a smaller subset
    python benchmarks/bench_sweeps.py --skip-figures --model runs/ae/model.safetensors   # simulate only

Figures: ``spikesynth figures NAMES --quick`` runs once serially and once with ``--workers N``,
each as its own process from an empty cache of its own (its own ``$SPIKESYNTH_CACHE``: model
cache, audio features, the MNIST classifier and Brian2 builds), and the script prints both wall
times, their ratio, and every number of the figure JSON files that differs between the two
(timings, which differ by nature, and paths into each run's own cache are listed apart).

Simulate: ``spikesynth simulate --model M --n N --target T --workers W`` for W = 1 and 2 (the
numbers printed by both must be the same), with their wall times and ratio; without ``--model``
the model is one the figures runs trained (the fig3 AE-SNN at alpha 0.1, i.e. the default
784-196-784), else a quick one is trained first.

Exit status 1 when any number (not a timing) differs between the serial and the Dask runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMING = re.compile(r"seconds|_time|per_second|_s$")


def spikesynth(args: list[str], env: dict, log: Path | None = None) -> tuple[float, str]:
    """Run ``spikesynth ARGS`` as its own process (stderr into ``log``); returns (wall seconds,
    stdout). Fails loudly."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "training.cli", *args], env=env, cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(done.stderr)
    if done.returncode != 0:
        sys.exit(f"spikesynth {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return wall, done.stdout


def training_seconds(cache: Path) -> float:
    """The summed training seconds of the models a figures run put into ``cache`` (each as its
    trainer measured it: how fast one task ran, whatever ran beside it)."""
    return sum(json.loads(p.read_text())["metrics"]["train_seconds"] for p in cache.glob("*/result.json")
               if json.loads(p.read_text())["key"].get("what") == "autoencoder")


def environment(cache: Path) -> dict:
    env = dict(os.environ, SPIKESYNTH_CACHE=str(cache), MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def differences(a, b, where: str = "") -> list[tuple[str, object, object]]:
    """Every leaf of two JSON values that differs: (path, a, b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [(f"{where}.{k}", a.get(k), b.get(k)) for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [(where, a, b)]


_PROBE = """
import time, torch
torch.set_num_threads(1)
from training.autoencoder import TrainConfig, train_autoencoder
train_autoencoder(TrainConfig(train_limit=200, eval_limit=0), progress=False)
start = time.perf_counter()
train_autoencoder(TrainConfig(train_limit=3000, eval_limit=0), progress=False)
print(time.perf_counter() - start)
"""


def free_cores(n: int, env: dict) -> float:
    """How many cores this machine gives us now: n one-thread trainings at once against one alone
    (n x its time alone / their mean time; n for n idle cores, 1 when they share one)."""
    def run(k: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE) for _ in range(k)]
        return sum(float(p.communicate()[0]) for p in procs) / k
    alone = run(1)
    return n * alone / run(n)


def bench_figures(names: list[str], workers: int, base: Path, data_dir: str | None) -> tuple[Path, bool]:
    """The figures serially and on workers; ``(the serial run's cache, whether every number agrees)``."""
    runs = {}
    cores = free_cores(workers, environment(base / "probe-cache"))
    for label, extra in (("serial", []), (f"--workers {workers}", ["--workers", str(workers)])):
        folder = base / ("serial" if not extra else f"workers{workers}")
        args = ["figures", *names, "--quick", "--out", str(folder / "out"), *extra]
        args += ["--data-dir", data_dir] if data_dir else []
        print(f"running spikesynth {' '.join(args)} ...", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        wall, _ = spikesynth(args, environment(folder / "cache"), folder / "stderr.txt")
        runs[label] = (folder, wall, load, os.getloadavg()[0], training_seconds(folder / "cache" / "figures"))
        print(f"  {wall / 60:.1f} min", file=sys.stderr, flush=True)
    cores = (cores + free_cores(workers, environment(base / "probe-cache"))) / 2
    (serial, t_serial, *_), (parallel, t_parallel, *_) = runs.values()
    print(f"\nspikesynth figures {' '.join(names)} --quick, each from an empty cache of its own, on "
          f"{os.cpu_count()} cores:\n")
    print("| run | wall time | ratio to serial | models' training seconds, summed | load average before / after |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, (_, wall, before, after, train) in runs.items():
        print(f"| {label} | {wall / 60:.2f} min | {wall / t_serial:.2f} | {train:.0f} s | {before:.1f} / {after:.1f} |")
    print(f"\nspeed-up with {workers} workers: {t_serial / t_parallel:.2f}x; cores free for this benchmark "
          f"({workers} one-thread trainings at once against one alone, before and after): {cores:.2f} of {workers}")
    files = sorted(p.name for p in (serial / "out").glob("*.json"))
    numbers, timings, paths = 0, [], []
    other = []
    for name in files:
        a = json.loads((serial / "out" / name).read_text())
        b = json.loads((parallel / "out" / name).read_text())
        numbers += len(re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", json.dumps(a)))
        for where, x, y in differences(a, b):
            key = where.rsplit(".", 1)[-1]
            if TIMING.search(key.split("[")[0]):
                timings.append(f"{name}{where}")
            elif (isinstance(x, str) and isinstance(y, str)
                  and x.replace(str(serial), "") == y.replace(str(parallel), "")):
                paths.append(f"{name}{where}")
            else:
                other.append((f"{name}{where}", x, y))
    print(f"\nfigure JSON files: {len(files)} ({', '.join(files)}), about {numbers} numbers")
    print(f"numbers that differ: {len(other)}" + ("" if other else " (every number equal)"))
    for where, x, y in other:
        print(f"  {where}: serial {x!r}, workers {y!r}")
    print(f"timings that differ (wall-clock, expected): {len(timings)}"
          + (f", e.g. {', '.join(timings[:3])}" if timings else ""))
    print(f"paths into each run's own cache: {len(paths)}" + (f", e.g. {paths[0]}" if paths else ""))
    missing = sorted(set(p.name for p in (parallel / "out").glob("*.json")) ^ set(files))
    if missing:
        print(f"JSON files written by one run only: {missing}")
    return serial / "cache", not other and not missing


def bench_simulate(model: str, n: int, target: str, base: Path, data_dir: str | None) -> bool:
    """simulate with 1 and 2 workers, twice each; whether every printed number (not a timing) agrees."""
    outputs, walls, sims = {}, {}, {}
    env = environment(base / "simulate-cache")
    cores = free_cores(2, env)
    for w in (1, 2, 1, 2):   # the second pair runs with the build cached, like any later run
        args = ["simulate", "--model", model, "--n", str(n), "--target", target, "--workers", str(w), "--json"]
        args += ["--data-dir", data_dir] if data_dir else []
        print(f"running spikesynth {' '.join(args)} ...", file=sys.stderr, flush=True)
        wall, out = spikesynth(args, env)
        report = json.loads(out)
        walls.setdefault(w, []).append(wall)
        sims.setdefault(w, []).append(report["seconds"])
        outputs.setdefault(w, []).append({k: v for k, v in report.items() if not TIMING.search(k)})
    cores = (cores + free_cores(2, env)) / 2
    print(f"\nspikesynth simulate --n {n} --target {target} (process wall time; in brackets the chunks' "
          f"wall time, the report's seconds):\n")
    print("| workers | first run (builds) | second run | ratio to 1 worker (second run) |")
    print("| ---: | ---: | ---: | ---: |")
    for w in (1, 2):
        print(f"| {w} | {walls[w][0]:.1f} s ({sims[w][0]:.1f} s) | {walls[w][1]:.1f} s ({sims[w][1]:.1f} s) | "
              f"{walls[w][1] / walls[1][1]:.2f} ({sims[w][1] / sims[1][1]:.2f}) |")
    print(f"\ncores free for this benchmark (2 one-thread trainings at once against one alone, before and "
          f"after): {cores:.2f} of 2")
    same = outputs[1][0] == outputs[2][0] == outputs[1][1] == outputs[2][1]
    print(f"\nprinted numbers identical for 1 and 2 workers: {same}")
    if not same:
        for where, x, y in differences(outputs[1][0], outputs[2][0]):
            print(f"  {where}: 1 worker {x!r}, 2 workers {y!r}")
    return same


def default_model(cache: Path) -> str | None:
    """The cached default AE-SNN (MNIST 784-196-784, T = 15, alpha 0.1, paper trainer, with the mask)."""
    wanted = {"dataset": "mnist", "trainer": "paper", "hidden": 196, "steps": 15, "alpha": 0.1, "mask": True,
              "epochs": 1}
    for result in sorted(cache.glob("*/result.json")):
        key = json.loads(result.read_text())["key"]
        if key.get("what") == "autoencoder" and all(key.get(k) == v for k, v in wanted.items()):
            return str(result.parent / "model.safetensors")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; 1 when the serial and Dask numbers differ, else 0."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", nargs="+", default=["all"], help="figure names (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-figures", action="store_true")
    parser.add_argument("--skip-simulate", action="store_true")
    parser.add_argument("--model", default=None, help="model file for simulate (default: see above)")
    parser.add_argument("--n", type=int, default=10000, help="images for simulate (default 10,000)")
    parser.add_argument("--target", default="cpp_standalone", help="Brian2 target for simulate")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--keep", default=None, help="folder for the runs (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    same = True
    with tempfile.TemporaryDirectory(prefix="bench-sweeps-") as tmp:
        base = Path(args.keep or tmp)
        base.mkdir(parents=True, exist_ok=True)
        cache = None
        if not args.skip_figures:
            cache, same = bench_figures(args.figures, args.workers, base, args.data_dir)
        if not args.skip_simulate:
            same = _simulate(args, base, cache) and same
    if not same:
        print("bench_sweeps: the serial and the Dask runs gave different numbers (listed above)", file=sys.stderr)
    return 0 if same else 1


def _simulate(args, base: Path, cache: Path | None) -> bool:
    """bench_simulate on --model, the figures' default model, or a quickly trained one."""
    model = args.model
    if model is None and cache is not None:
        model = default_model(cache / "figures")
    if model is None:
        model = str(base / "ae" / "model.safetensors")
        spikesynth(["train", "autoencoder", "--out", str(base / "ae"), "--train-limit", "2000"],
                   environment(base / "simulate-cache"))
    return bench_simulate(model, args.n, args.target, base, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())

"""Speed of the Brian2 back-ends against the float64 mirror, with a spike-for-spike check.

    python benchmarks/bench_brian.py --model runs/ae/model.safetensors            # 10,000 MNIST test images
    python benchmarks/bench_brian.py --model M --n 200 --runtime-n 50             # smoke run

The mirror (float64) is the in-process baseline; every Brian2 back-end prints images/second,
its time relative to the mirror, and the number of spikes that differ from the mirror.
cpp_standalone times include code generation, compilation (a cached build is reused: for the
same images nothing is recompiled) and reading back the monitors; ``--cold`` builds everything,
the precompiled standard headers included, in a temporary cache.
numpy and cython run ``--runtime-n`` images (they are much slower); their rates are comparable.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from models.backends import MIRROR_BATCH, Network
from models.backends import run as run_network
from models.brian_snn import TARGETS
from models.encode import encode
from training.data import load_images


def mismatches(model, spikes: torch.Tensor, rec) -> list[int]:
    """Spikes that differ between the mirror and a Brian2 run, per layer, ``MIRROR_BATCH`` images at a time."""
    total = [0] * model.spec.n_layers
    for a in tqdm(range(0, rec.batch, MIRROR_BATCH), desc="checking", unit="batch", leave=False):
        b = min(a + MIRROR_BATCH, rec.batch)
        ref = model.forward(spikes[:, a:b].to(torch.float64))
        for layer, s in enumerate(ref.spikes):
            total[layer] += int((rec.dense(layer, a, b) != s).sum())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--n", type=int, default=10000, help="images for the mirror and cpp_standalone")
    parser.add_argument("--runtime-n", type=int, default=500, help="images for numpy and cython")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS, help="Brian2 code generation targets")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for the mirror (default: torch's)")
    parser.add_argument("--cold", action="store_true",
                        help="build cpp_standalone from scratch in a temporary cache (times a first build)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="spikesynth-cold-") as cache:
            os.environ["SPIKESYNTH_CACHE"] = cache
            run(args)
    else:
        run(args)


def run(args) -> None:
    """The measurements (see the module docstring)."""
    net = Network.from_file(args.model, kind="snn")
    spec, model = net.spec, net.mirror()
    images, _ = load_images(args.dataset, "test", args.data_dir, as_float=True)
    spikes = encode(images[:args.n], spec, seed=0)
    print(f"{args.n} {args.dataset} test images, sizes {list(spec.sizes)}, T={spec.steps}, "
          f"{torch.get_num_threads()} torch threads")

    base = run_network(net, spikes, "mirror", progress=False).seconds
    print(f"{'mirror float64':>21}: {args.n:6d} images {base:8.2f} s {args.n / base:9.1f} images/s  (baseline)")
    for backend in args.targets:
        n = args.n if backend == "cpp_standalone" else min(args.runtime_n, args.n)
        rec = run_network(net, spikes[:, :n], "brian2", backend, record=True, progress=False).recording
        bad = mismatches(model, spikes[:, :n], rec)
        ratio = (rec.seconds / n) / (base / args.n)
        print(f"{'brian2 ' + backend:>21}: {n:6d} images {rec.seconds:8.2f} s {n / rec.seconds:9.1f} images/s  "
              f"{ratio:7.2f} x mirror time per image, mismatching spikes per layer {bad}")


if __name__ == "__main__":
    main()

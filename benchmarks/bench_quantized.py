"""Reconstruction error of the fixed-point (hardware-style) network against the weight bit width.

    python benchmarks/bench_quantized.py --model runs/ae/model.safetensors --n 1000

For float64 and 8-, 6- and 4-bit weights (16-bit membrane, 8-bit leak multiplier) it prints
Spike-MSE and pixel MSE of the mirror on the first ``--n`` MNIST test images, the synaptic
operations per image, and the spikes that differ between Brian2 (``--target``) and the
matching mirror on the first ``--check`` images (must be 0).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from models.backends import Network
from models.brian_snn import TARGETS
from models.compare import compare_networks
from models.encode import encode
from training.data import load_images
from training.evaluate import BITS, bit_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--check", type=int, default=100, help="images checked spike for spike in Brian2")
    parser.add_argument("--target", default="numpy", choices=TARGETS, help="Brian2 code generation target")
    parser.add_argument("--bits", type=int, nargs="+", default=list(BITS))
    args = parser.parse_args()

    net = Network.from_file(args.model, kind="snn")
    spec = net.spec
    images, _ = load_images(args.dataset, "test", args.data_dir, as_float=True)
    images = images[:args.n]
    check = encode(images[:args.check], spec, seed=1)
    print(f"{args.n} {args.dataset} test images, sizes {list(spec.sizes)}, T={spec.steps}")
    print(f"{'weights':>8} {'spike_mse':>10} {'pixel_mse':>10} {'synops/img':>11} {'brian2 mismatches':>18}")
    for name, sweep_net, report in bit_sweep(net, images, args.bits, progress=False):
        rows, _, _ = compare_networks(sweep_net, check, args.target, progress=False)
        print(f"{name:>8} {report['spike_mse']:10.4f} {report['pixel_mse']:10.4f} "
              f"{report['synops_per_image']:11.0f} {str([r['mismatches'] for r in rows]):>18}")


if __name__ == "__main__":
    main()

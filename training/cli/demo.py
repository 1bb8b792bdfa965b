"""``spikesynth demo``: the whole pipeline on the bundled MNIST sample, offline, in about a minute.

Poisson-encode the sample, train a 784-196-784 spiking autoencoder with the paper's online
rule, evaluate it, run the same input spikes through the Brian2 network and the mirror,
and write the reconstruction grid and the comparison figure. The output folder is checked
before the training; each run starts over (a checkpoint a killed demo left there is discarded).
"""

from __future__ import annotations

import json
import sys
from training.cli import options
from training.defaults import BRIAN2_TARGETS


def configure_demo(parser) -> None:
    parser.add_argument("--out", default="output/demo", help="output folder (default: output/demo)")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the 1,000 sample images (default 5)")
    parser.add_argument("--compare-images", type=int, default=20,
                        help="test images run through Brian2 and the mirror (default 20)")
    parser.add_argument("--target", default="numpy", choices=BRIAN2_TARGETS,
                        help="Brian2 code generation target of the comparison (default numpy: no compiler needed)")
    parser.add_argument("--device", default="cpu", help="torch device of the training: cpu or cuda[:N] (default cpu)")
    parser.add_argument("--seed", type=options.seed, default=1)


def run_demo(args) -> int:
    import training.autoencoder as autoencoder
    from figures.reconstructions import plot_reconstructions
    from models.backends import Network
    from models.compare import compare_networks, plot_comparison
    from models.encode import encode
    from models.files import check_output_dir

    from training.autoencoder import TrainConfig
    from training.data import load_sample

    if args.epochs < 1 or args.compare_images < 1:
        raise ValueError("--epochs and --compare-images must be >= 1")
    out = check_output_dir(args.out, [*autoencoder.OUTPUT_FILES, "reconstructions.png", "compare.png"], what="--out")
    train, _ = load_sample("train")
    test, _ = load_sample("test")
    train, test = train.astype("float32") / 255.0, test.astype("float32") / 255.0
    print(f"1/3 training a 784-196-784 AE-SNN (paper's online rule, T = 15) on the {len(train)} bundled "
          f"MNIST images, {args.epochs} epoch(s)", file=sys.stderr)
    cfg = TrainConfig(epochs=args.epochs, seed=args.seed, device=args.device)
    result = autoencoder.train_autoencoder(cfg, out_dir=out, images=(train, test), force=True)
    # the outputs behind result.metrics["test"], not a redraw with other input spikes
    plot_reconstructions(test[:10], result.test_outputs[:10], out / "reconstructions.png",
                         title="bundled MNIST test images (top) and AE-SNN output spike counts (bottom)")
    print(f"2/3 running {args.compare_images} test images through Brian2 ({args.target}) and the mirror",
          file=sys.stderr)
    spikes = encode(test[:args.compare_images], result.spec, seed=args.seed)
    rows, mirror, brian = compare_networks(Network(result.spec, result.weights), spikes, args.target)
    plot_comparison(mirror, brian, out / "compare.png", images=4, v_th=result.spec.neuron.v_th)
    summary = {"test": result.metrics["test"], "train_seconds": result.metrics["train_seconds"],
               "brian2_vs_mirror": rows, "model": str(out / "model.safetensors"),
               "figures": [str(out / "reconstructions.png"), str(out / "compare.png")]}
    print("3/3 done", file=sys.stderr)
    print(json.dumps(summary, indent=1))
    return 0 if all(r["mismatches"] == 0 for r in rows) else 1

"""``spikesynth simulate`` and ``spikesynth compare``: thin wrappers over ``training.evaluate.evaluate``
and ``models.compare.compare_networks``; with ``--input-spikes`` your own 0/1 spikes ``[T, batch, N_in]``
(a ``.npy`` file, no encoder) instead of a dataset, and ``simulate --save-spikes`` writes every layer's
spikes (``models.spike_files``)."""

from __future__ import annotations

import json

from training.defaults import BRIAN2_TARGETS as TARGETS
from training.cli import options


def _common(parser, n_default: int, device_default: str) -> None:
    parser.add_argument("--model", required=True, help="model file (safetensors written by save_model)")
    options.add_dataset_option(parser)
    parser.add_argument("--split", default="test", choices=("train", "test"))
    parser.add_argument("--n", type=int, default=n_default, help="number of images (the first n of the split)")
    parser.add_argument("--data-dir", default=None, help="dataset directory (default: $SPIKESYNTH_DATA)")
    parser.add_argument("--seed", type=options.seed, default=0, help="seed of the Poisson input spikes")
    parser.add_argument("--target", default=device_default, choices=TARGETS,
                        help=f"Brian2 code generation target: numpy/cython (runtime) or cpp_standalone "
                             f"(default {device_default})")
    parser.add_argument("--device", default="cpu", help="torch device of the mirror: cpu or cuda[:N] (default cpu)")
    parser.add_argument("--weight-bits", type=int, default=None,
                        help="run the fixed-point (hardware-style) network with this many weight bits (2-16)")
    parser.add_argument("--input-spikes", default=None, metavar="IN.npy",
                        help="run these 0/1 input spikes [T, batch, N_in] (numpy.save) instead of encoding a "
                             "dataset (--dataset, --split, --n and --seed are then unused); T may differ from "
                             "the model's steps")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _load_spikes(args):
    """The network and the checked spikes of ``--input-spikes``, before any simulation."""
    from models.backends import Network
    from models.spike_files import read_input_spikes

    net = Network.from_file(args.model, kind="snn", weight_bits=args.weight_bits)
    return net, read_input_spikes(args.input_spikes, net.spec)


def _load(args):
    """The network (float64 or fixed point) and the first n images, all checked before simulating."""
    from models.backends import Network
    from training.evaluate import load_split

    net = Network.from_file(args.model, kind="snn", weight_bits=args.weight_bits)
    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    from models.encode import check_values_fit

    images = load_split(args.dataset, args.split, args.data_dir, args.n, limit_name="--n")
    check_values_fit(images, net.spec, f"the {args.split} images of {args.dataset} do not fit the model {args.model}")
    return net, images


def configure_simulate(parser) -> None:
    """Arguments of ``spikesynth simulate``."""
    _common(parser, 10000, "cpp_standalone")
    parser.add_argument("--backend", default="brian2", choices=("brian2", "mirror"),
                        help="brian2 (the equation-defined network) or mirror (the PyTorch model)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="cut the images into N chunks, each its own Brian2 run on one of N local Dask worker "
                             "processes (needs dask[distributed]); the same numbers as one run")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the chunks on the workers of a running Dask scheduler instead, e.g. tcp://host:8786")
    parser.add_argument("--save-spikes", default=None, metavar="OUT.npz",
                        help="with --input-spikes: write every layer's output spikes to this .npz file "
                             "(layer1, layer2, ... as uint8 [T, batch, N])")


def _simulate_spikes(args) -> int:
    """``simulate --input-spikes``: every layer's spikes, counted and (``--save-spikes``) saved."""
    import numpy as np

    from models.files import check_output_file
    from models.spike_files import layer_spikes, save_layer_spikes

    if args.save_spikes:
        check_output_file(args.save_spikes, "--save-spikes", ("npz",))
    net, spikes = _load_spikes(args)
    layers, result = layer_spikes(net, spikes, args.backend, args.target, args.device, progress=True)
    if args.save_spikes:
        save_layer_spikes(args.save_spikes, layers)
    steps, batch = spikes.shape[:2]
    report = {"input_spikes": args.input_spikes, "steps": steps, "batch": batch, "backend": args.backend,
              "target": args.target if args.backend == "brian2" else None, "fixed_point": net.describe(),
              "seconds": result.seconds, "spikes_per_item": [float(spikes.sum()) / batch] + [float(s.sum(dtype=np.int64)) / batch
                                                                   for s in layers],
              "save_spikes": args.save_spikes}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        where = args.backend + (f" ({args.target})" if args.backend == "brian2" else "")
        counts = ", ".join(f"layer {i + 1} {c:.1f}" for i, c in enumerate(report["spikes_per_item"][1:]))
        print(f"{batch} items x {steps} steps through {where} in {result.seconds:.2f} s; spikes per item: "
              f"input {report['spikes_per_item'][0]:.1f}, {counts}"
              + (f"; every layer's spikes in {args.save_spikes}" if args.save_spikes else ""))
    return 0


def _value(x) -> str:
    """A metric to 4 decimals, or ``n/a`` when there is none (None: no target of that size)."""
    return "n/a" if x is None else f"{x:.4f}"


def run_simulate(args) -> int:
    """Run a dataset split (or ``--input-spikes``) through a model file and print the reconstruction
    metrics (or the spike counts)."""
    from training.evaluate import evaluate
    from training.sweeps import check_options, require_distributed

    check_options(args.workers, args.scheduler)
    if args.workers is not None or args.scheduler is not None:
        if args.input_spikes:
            raise ValueError("--workers and --scheduler split a dataset's images into chunks; they do not take "
                             "--input-spikes")
        if args.backend != "brian2":
            raise ValueError("--workers and --scheduler run Brian2 chunks: they need --backend brian2")
        require_distributed()
    if args.input_spikes:
        return _simulate_spikes(args)
    if args.save_spikes:
        raise ValueError("--save-spikes needs --input-spikes: a dataset's input spikes are models.encode.encode(images, "
                         "spec, seed) in Python, saved with numpy.save as [T, batch, N_in]")
    net, images = _load(args)
    report, _ = evaluate(net, images, backend=args.backend, target=args.target, seed=args.seed, device=args.device,
                         progress=True, workers=args.workers, scheduler=args.scheduler)   # bars: stderr, JSON: stdout
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        where = args.backend + (f" ({args.target})" if args.backend == "brian2" else "")
        print(f"{report['n']} images through {where} in {report['seconds']:.2f} s: "
              f"spike_mse {_value(report['spike_mse'])}, pixel_mse {_value(report['pixel_mse'])}, "
              f"{report['synops_per_image']:.0f} synaptic ops per image "
              f"({report['synops_over_macs']:.2f} x the ANN's {report['ann_macs_per_image']} MACs)")
    return 0


def configure_compare(parser) -> None:
    """Arguments of ``spikesynth compare``."""
    _common(parser, 100, "numpy")
    parser.add_argument("--plot", default=None, help="write the comparison figure here (.png/.pdf/.svg)")


def run_compare(args) -> int:
    """Same input spikes through the mirror and Brian2; exit status 1 on any mismatching spike."""
    from models.compare import compare_networks, plot_comparison
    from models.encode import encode
    from models.files import PLOT_FORMATS, check_output_file

    if args.plot:
        check_output_file(args.plot, "--plot", PLOT_FORMATS)
    if args.input_spikes:
        net, spikes = _load_spikes(args)
    else:
        net, images = _load(args)
        spikes = encode(images, net.spec, args.seed)
    rows, ref, rec = compare_networks(net, spikes, args.target, args.device)
    if args.plot:
        plot_comparison(ref, rec, args.plot, v_th=net.v_th())
    agree = all(r["mismatches"] == 0 for r in rows)
    if args.json:
        print(json.dumps({"n": rec.batch, "target": args.target, "agree": agree, "layers": rows,
                          "plot": args.plot}, indent=2))
    else:
        for r in rows:
            print(f"layer {r['layer']}: mirror {r['mirror_spikes']} spikes, Brian2 {r['brian2_spikes']}, "
                  f"{r['mismatches']} mismatching, max |dV| {r['max_abs_dv']:.3g}")
    return 0 if agree else 1

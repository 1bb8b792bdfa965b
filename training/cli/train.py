"""``spikesynth train`` and ``spikesynth evaluate``: thin wrappers over
``training.autoencoder.train_autoencoder`` and ``training.evaluate.evaluate_file``.

``train`` takes a target; ``TRAIN_TARGETS`` maps each to ``(help, configure, run)`` so a new
target (e.g. ``audiocoder``) is one more entry.
"""

from __future__ import annotations

import argparse
import json

from training.cli.audio import configure_train_audiocoder, run_train_audiocoder
from training.cli.options import add_dataset_option, key_value, size_list
from training.defaults import (ANN_OPTIMIZERS, ANN_TRAINERS, DEFAULT_BATCH, DEFAULT_HIDDEN, DEFAULT_LR,
                               DEFAULT_WEIGHT_DECAY, IMAGE_ENCODERS, SPIKING_TRAINERS, TRACE_RESETS, describe)
from training.cli import options

def _common_options(p: argparse.ArgumentParser, trainers: tuple) -> None:
    """The options of every ``train`` target; ``trainers``: those whose defaults the help lists."""
    add_dataset_option(p)
    p.add_argument("--hidden", type=size_list, default=None, metavar="H[,H...]",
                   help=f"hidden layer size, or several for a deeper network, e.g. 400,196,400 (default {DEFAULT_HIDDEN})")
    p.add_argument("--sizes", type=size_list, default=None, metavar="N,H,...,N",
                   help="every layer size, input first, e.g. 784,400,196,400,784 (instead of --hidden, refused if they differ; the first "
                        "and last are checked against the data)")
    p.add_argument("--out", required=True, help="output folder for model.safetensors and metrics.json")
    p.add_argument("--train-limit", type=int, default=None, metavar="N", help="use the first N training images")
    p.add_argument("--eval-limit", type=int, default=None, metavar="N",
                   help="evaluate on the first N test images after training (0: skip; default all)")
    p.add_argument("--seed", type=options.seed, default=1, help="seed of weights, spikes and shuffling (default 1)")
    p.add_argument("--batch-size", type=int, default=None, help=f"default: the trainer's ({describe(DEFAULT_BATCH, trainers)})")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=None, help=f"learning rate (default: the trainer's, {describe(DEFAULT_LR, trainers)})")
    p.add_argument("--weight-decay", type=float, default=None,
                   help=f"weight decay (default: the trainer's, {describe(DEFAULT_WEIGHT_DECAY, trainers)})")
    p.add_argument("--checkpoint-every", type=int, default=0, metavar="N", help="checkpoint every N batches")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.safetensors")
    p.add_argument("--force", action="store_true",
                   help="start over in an OUT that holds the checkpoint of an unfinished run (discards it)")
    p.add_argument("--data-dir", default=None, help="dataset folder (default $SPIKESYNTH_DATA)")
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda[:N] (default cpu)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")


def configure_autoencoder(p: argparse.ArgumentParser) -> None:
    _common_options(p, SPIKING_TRAINERS)
    p.add_argument("--trainer", choices=SPIKING_TRAINERS, default=SPIKING_TRAINERS[0],
                   help="paper: the official online rule; bptt: backpropagation through time")
    p.add_argument("--steps", type=int, default=None, help="time steps T (default 15; with --stack-on: that model's)")
    p.add_argument("--alpha", type=float, default=None,
                   help="leak per step in [0, 1) (default 0.1; with --stack-on: that model's)")
    p.add_argument("--encoder", choices=IMAGE_ENCODERS, default=IMAGE_ENCODERS[0],
                   help="the input encoder (default poisson; see spikesynth encode --list)")
    p.add_argument("--encoder-param", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="an encoder parameter, VALUE as JSON (else a string), e.g. --encoder-param tau=4.0; "
                        "repeatable; steps and dt come from --steps and the spec")
    p.add_argument("--max-rate", type=float, default=None,
                   help="poisson/regular rate in Hz (default 300 MNIST and your own images, 500 Fashion)")
    p.add_argument("--stack-on", default=None, metavar="MODEL",
                   help="train a stacked autoencoder on the code-layer spikes that this autoencoder's model file "
                        "gives for the training images (join them with spikesynth stack)")
    p.add_argument("--no-mask", action="store_true", help="train without the XOR mask (fails, as in the paper)")
    p.add_argument("--trace-reset", choices=TRACE_RESETS, default=TRACE_RESETS[0],
                   help="paper trainer only: the code's fractional trace reset or the exact per-synapse reset")
    p.add_argument("--float64", action="store_true", help="train in double precision")


def configure_ann(p: argparse.ArgumentParser) -> None:
    _common_options(p, ANN_TRAINERS)
    p.add_argument("--optimizer", choices=ANN_OPTIMIZERS, default=ANN_OPTIMIZERS[0],
                   help="sgd (the official plain SGD with weight decay) or adam")


def _sizes_text(sizes) -> str:
    return ",".join(map(str, sizes)) if isinstance(sizes, tuple) else str(sizes)


def _run(args, trainer: str, **spiking) -> int:
    import sys
    from pathlib import Path

    from models.files import check_output_dir
    from training.autoencoder import CHECKPOINT_FILE, OUTPUT_FILES, TrainConfig, train_autoencoder

    given = {name: value for name, value in (("hidden", args.hidden), ("sizes", args.sizes)) if value is not None}
    inner = args.sizes[1:-1] if isinstance(args.sizes, tuple) else ()
    if args.hidden is not None and len(inner) >= 1 and args.hidden != (inner[0] if len(inner) == 1 else inner):
        raise ValueError(f"--hidden {_sizes_text(args.hidden)} contradicts --sizes {_sizes_text(args.sizes)} "
                         f"(hidden {_sizes_text(inner)}): give one of them")
    cfg = TrainConfig(dataset=args.dataset, trainer=trainer, batch_size=args.batch_size,
                      epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay, train_limit=args.train_limit,
                      seed=args.seed, checkpoint_every=args.checkpoint_every, eval_limit=args.eval_limit,
                      device=args.device, **given, **spiking)
    check_output_dir(args.out, OUTPUT_FILES, what="--out")
    try:
        result = train_autoencoder(cfg, out_dir=args.out, data_dir=args.data_dir, resume=args.resume,
                                   force=args.force)
    except KeyboardInterrupt:
        checkpoint = Path(args.out) / CHECKPOINT_FILE
        if checkpoint.is_file():
            print(f"spikesynth train: the checkpoint {checkpoint} is kept; continue with the same command and "
                  f"--resume", file=sys.stderr)
        raise
    summary = {"out": args.out, "train_seconds": round(result.metrics["train_seconds"], 2),
               "test": result.metrics.get("test")}
    print(json.dumps(summary))
    return 0


def run_autoencoder(args) -> int:
    spiking = {"steps": args.steps, "alpha": args.alpha}
    if args.stack_on is not None:   # the neuron and T of the stacked-on model, unless given (then checked)
        from models.io import load_model

        outer, _, _ = load_model(args.stack_on, kind="snn")
        spiking = {"steps": outer.steps if args.steps is None else args.steps,
                   "alpha": outer.neuron.alpha if args.alpha is None else args.alpha, "stack_on": args.stack_on}
    spiking = {k: v for k, v in spiking.items() if v is not None}
    return _run(args, args.trainer, max_rate=args.max_rate, encoder=args.encoder,
                encoder_params=tuple(args.encoder_param), mask=not args.no_mask, trace_reset=args.trace_reset,
                float64=args.float64, **spiking)


def run_ann(args) -> int:
    return _run(args, f"ann-{args.optimizer}")


TRAIN_TARGETS = {
    "autoencoder": ("a spiking autoencoder 784-H-784, or of any depth and on your own images (paper or bptt "
                    "trainer)", configure_autoencoder, run_autoencoder),
    "ann": ("the AE-ANN baseline (ReLU, no biases) with SGD or Adam", configure_ann, run_ann),
    "audiocoder": ("the audiocoder (AC-SNN, optionally the AC-ANN) for audio-to-image synthesis on FSDD",
                   configure_train_audiocoder, run_train_audiocoder),
}


def configure_train(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, (help_text, configure, run) in TRAIN_TARGETS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
        p.set_defaults(train_run=run)


def run_train(args) -> int:
    return args.train_run(args)


def configure_evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="a model file (model.safetensors)")
    add_dataset_option(p)
    p.add_argument("--split", choices=("train", "test"), default="test")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="the first N images only")
    p.add_argument("--seed", type=options.seed, default=0, help="seed of the input spikes (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", default=None, metavar="FILE",
                   help="write a reconstruction grid (inputs over outputs): .png, .pdf or .svg")
    p.add_argument("--data-dir", default=None, help="dataset folder (default $SPIKESYNTH_DATA)")
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda[:N] (default cpu)")


def run_evaluate(args) -> int:
    from models.files import PLOT_FORMATS, check_output_file
    from training.evaluate import evaluate_file

    if args.plot:
        check_output_file(args.plot, "--plot", PLOT_FORMATS)
    metrics, kind, images, outputs = evaluate_file(args.model, args.dataset, args.split, args.data_dir,
                                                   args.limit, args.seed, device=args.device, progress=not args.json)
    report = {"model": str(args.model), "dataset": args.dataset, "split": args.split, "kind": kind, **metrics}
    if args.plot:
        from figures.reconstructions import plot_reconstructions
        plot_reconstructions(images[:10], outputs[:10], args.plot,   # the scored outputs, not a redraw
                             title=f"{args.dataset} {args.split}: inputs (top), {kind} outputs (bottom)")
        report["plot"] = str(args.plot)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0

"""``spikesynth nir export`` and ``spikesynth nir import``: model files to and from NIR graphs.
A thin layer over ``models.nir_bridge`` (docs/nir.md has the mapping and the conventions)."""

from __future__ import annotations

import argparse
import json
import sys

#: ``models.nir_bridge.CONVENTIONS`` (repeated so that building the parser imports no torch).
CONVENTIONS = ("spikesynth", "snntorch", "norse")


def configure_nir(parser: argparse.ArgumentParser) -> None:
    """Add the ``nir export`` and ``nir import`` arguments to ``parser``."""
    sub = parser.add_subparsers(dest="nir_action", metavar="ACTION")
    e = sub.add_parser("export", help="write a model file as a NIR graph (Input, Linear/Affine, LIF/IF, Output)",
                       description="Write a model file as a NIR graph; the conventions NIR cannot express go "
                                   "into the graph's metadata (docs/nir.md).")
    e.add_argument("--model", required=True, help="model file (safetensors written by spikesynth)")
    e.add_argument("--out", required=True, help="the NIR file to write (HDF5, its name ending in .nir)")
    e.add_argument("--dt", type=float, default=None,
                   help="time step (s) for which tau and r are written (default: the model's dt); snntorch's "
                        "import_from_nir reads graphs at 1e-4 s, norse's from_nir at its dt (default 1e-3 s)")
    e.add_argument("--json", action="store_true", help="print the result as JSON")
    i = sub.add_parser("import", help="build a model file from a feed-forward NIR graph (snntorch, norse, ...)",
                       description="Build a model file from a feed-forward chain of Linear/Affine and LIF/IF "
                                   "nodes, read under the convention of the framework that wrote it "
                                   "(docs/nir.md). Anything the spec cannot carry is refused, naming the "
                                   "node; nothing is written then.")
    i.add_argument("file", help="the NIR file (HDF5)")
    i.add_argument("--convention", required=True, choices=CONVENTIONS,
                   help="the framework that wrote the graph: how its tau and r encode the per-step decay and "
                        "input scale, and its reset, timing and threshold test")
    i.add_argument("--dt", type=float, default=None,
                   help="the network's time step (s); required for norse (its to_nir/LIFBoxCell dt) and for "
                        "a spikesynth-convention graph without spikesynth metadata; snntorch: default 1e-3")
    i.add_argument("--reset", default=None, choices=("zero", "subtract"),
                   help="reset to 0 or by subtraction (NIR cannot say; default: the convention's: snntorch "
                        "subtract, norse zero, spikesynth the metadata's or zero)")
    i.add_argument("--reset-timing", default=None, choices=("same", "next"),
                   help="when the reset applies (default: the convention's: snntorch next (reset_delay=True), "
                        "norse same, spikesynth the metadata's or same)")
    i.add_argument("--steps", type=int, default=None,
                   help="time steps T of the model's spec (default: the metadata's, else 100)")
    i.add_argument("--out", required=True, help="the model file to write (.safetensors)")
    i.add_argument("--json", action="store_true", help="print the result as JSON")


def run_nir(args) -> int:
    """``nir export`` or ``nir import``; exit status 0, or 1 with one line for a missing package."""
    if args.nir_action is None:
        print("spikesynth nir: choose an action: export or import (see spikesynth nir --help)", file=sys.stderr)
        return 2
    try:
        return _export(args) if args.nir_action == "export" else _import(args)
    except ImportError as exc:
        print(f"spikesynth nir {args.nir_action}: error: {exc}", file=sys.stderr)
        return 1


def _export(args) -> int:
    from models.files import check_model_output
    from models.io import load_model
    from models.nir_bridge import NIR_FORMATS, export_nir

    check_model_output(args.out, (args.model,), "--out", NIR_FORMATS)
    spec, weights, meta = load_model(args.model, kind="snn")
    path = export_nir(args.out, spec, weights, meta["biases"], dt=args.dt)
    dt = spec.dt if args.dt is None else args.dt
    if args.json:
        print(json.dumps({"out": str(path), "sizes": list(spec.sizes), "dt": dt, "bias": spec.bias}, indent=2))
    else:
        print(f"wrote {path}: sizes {list(spec.sizes)}, tau and r for dt = {dt!r} s, the spec in its metadata")
    return 0


def _import(args) -> int:
    from models.files import check_model_output
    from models.nir_bridge import MODEL_FORMATS, describe, import_nir

    check_model_output(args.out, (args.file,), "--out", MODEL_FORMATS)
    imported = import_nir(args.file, args.out, args.convention, dt=args.dt, reset=args.reset,
                          reset_timing=args.reset_timing, steps=args.steps)
    if args.json:
        print(json.dumps({"out": args.out, "spec": imported.spec.to_dict(), "exact": imported.exact,
                          "notes": imported.notes, "nodes": [list(n) for n in imported.nodes]}, indent=2))
    else:
        print(f"wrote {args.out} ({args.convention} convention)")
        print(describe(imported))
    return 0

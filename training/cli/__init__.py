"""The ``spikesynth`` command line: a thin layer over the Python API.

Each subcommand lives in its own module, which defines
``configure_<name>(parser)`` (adds the arguments) and ``run_<name>(args) -> int``.
A subcommand whose module does not exist yet says so and exits with status 2. Bad input
(ValueError), a missing file, any other OSError (a full disk, a read-only folder) and failed Dask
tasks (``training.sweeps.SweepError``, naming them) are one line on stderr and exit status 1;
Ctrl-C is exit status 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from training.defaults import BRIAN2_TARGETS

# (name, module, one-line help)
COMMANDS = [
    ("data", "training.cli.data", "find, check and download datasets (info, fetch)"),
    ("encode", "training.cli.encode", "encode values into spike trains and back; --list shows the encoders"),
    ("train", "training.cli.train", "train a spiking autoencoder or audiocoder (or an ANN baseline)"),
    ("evaluate", "training.cli.train", "evaluate a model file on a dataset split (Spike-MSE, pixel MSE)"),
    ("simulate", "training.cli.simulate", "run a model file in Brian2 (numpy, cython or cpp_standalone)"),
    ("compare", "training.cli.simulate", "run the same input spikes through the mirror and Brian2 and compare"),
    ("stack", "training.cli.stack", "join an autoencoder and one trained on its hidden spikes into one deeper model"),
    ("synthesize", "training.cli.audio", "synthesize an image from a spoken-digit WAV file"),
    ("nir", "training.cli.nir", "exchange networks with snntorch, norse and hardware as NIR graphs (export, import)"),
    ("figures", "training.cli.figures", "regenerate the paper's figures and Table 1"),
    ("demo", "training.cli.demo", "a quick offline demo on the bundled MNIST sample"),
]


def _not_built(name: str):
    def run(args) -> int:
        print(f"spikesynth {name}: not built yet in this version", file=sys.stderr)
        return 2
    return run


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="spikesynth",
        description="Spiking autoencoders and audio-to-image synthesis (Roy, Panda & Roy 2019) "
                    "with a PyTorch mirror and exact Brian2 networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name, help_text in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            module = None
        configure = getattr(module, f"configure_{name}", None)
        run = getattr(module, f"run_{name}", None)
        if configure is None or run is None:
            p.set_defaults(func=_not_built(name))
            p.description = f"{help_text} (not built yet)"
            continue
        configure(p)
        p.set_defaults(func=run)
    return parser


#: Brian2 code generation targets: given to ``--device`` or ``--backend`` they are the old
#: spellings of ``--target``, answered with a hint (see ``_old_spelling``).
TARGETS = BRIAN2_TARGETS


def _old_spelling(argv: list[str]) -> str | None:
    """The hint for ``--device TARGET`` / ``--backend TARGET`` (the spellings before ``--target``), else None."""
    for i, item in enumerate(argv):
        name, eq, value = item.partition("=")
        if name in ("--device", "--backend"):
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if value in TARGETS:
                return (f"{name} {value}: the Brian2 code generation target is --target {value}; "
                        f"--device is the torch device (cpu, cuda[:N]) and --backend chooses brian2 or mirror")
    return None


def _check_vocabulary(args) -> None:
    """One CLI vocabulary, checked here for every command before any work: ``--device`` is the
    torch device (``training.settings.check_device``); ``--threads K`` (a positive integer) sets
    torch's CPU threads of this process (``figures`` also gives it to its workers)."""
    if getattr(args, "device", None) is not None:
        from training.settings import check_device

        check_device(args.device)
    threads = getattr(args, "threads", None)
    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be a positive integer, got {threads}")
        import torch

        torch.set_num_threads(threads)


def _os_error(exc: OSError) -> str:
    """One line for an OSError: ``FILE: reason`` (without ``[Errno N]``), or its message."""
    if exc.strerror:
        files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        return f"{files}: {exc.strerror}" if files else exc.strerror
    return str(exc)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spikesynth`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    hint = _old_spelling(argv)
    if hint:
        print(f"spikesynth: error: {hint}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from training.sweeps import SweepError   # (imports no Dask)

    try:
        _check_vocabulary(args)
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, SweepError) as exc:   # SweepError: Dask tasks failed (named)
        print(f"spikesynth {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:   # e.g. a full disk or a read-only folder met during the work
        print(f"spikesynth {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"spikesynth {args.command}: interrupted", file=sys.stderr)
        return 130


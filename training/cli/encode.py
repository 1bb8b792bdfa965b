"""``spikesynth encode``: encode an image into spike trains and decode it back, or list the
encoders. The spikes are the ones every command uses: ``models.encode.encode`` of a spec with
that encoder (so ``--seed`` gives the spikes ``evaluate --seed`` and ``simulate --seed`` draw)."""

from __future__ import annotations

import argparse

from training.cli.options import add_dataset_option, key_value
from training.cli import options


def configure_encode(parser: argparse.ArgumentParser) -> None:
    """Add the ``encode`` arguments to ``parser``."""
    parser.add_argument("--list", action="store_true", help="list the encoders with a one-line description and exit")
    parser.add_argument("--encoder", default="poisson",
                        help="a static encoder (poisson, regular, latency, receptive_fields); default poisson")
    add_dataset_option(parser)
    parser.add_argument("--split", default="test", choices=("train", "test"))
    parser.add_argument("--index", type=int, default=0, help="which image of the split (default 0)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding <dataset>/ or the IDX files (default: $SPIKESYNTH_DATA)")
    parser.add_argument("--steps", type=int, default=None, help="time steps T (default: the encoder's)")
    parser.add_argument("--max-rate", type=float, default=None, help="rate codes: maximum rate in Hz")
    parser.add_argument("--seed", type=options.seed, default=0, help="random encoders: seed (default 0)")
    parser.add_argument("--param", type=key_value, action="append", default=[], metavar="KEY=VALUE",
                        help="any other encoder parameter, VALUE as JSON, else a string (e.g. --param tau=4.0); "
                             "repeatable")
    parser.add_argument("--plot", default=None, metavar="FILE",
                        help="write the image, its spike raster and the decoded image side by side "
                             "(.png, .pdf or .svg)")


def _spec(args, n_values: int):
    """The one-image network spec whose encoder is ``--encoder`` with its parameters (only its
    input layer and encoder are used)."""
    import dataclasses

    import encoders
    from models.encode import input_units
    from models.spec import EncoderSpec, NetworkSpec

    cls = encoders.encoder_class(args.encoder)   # ValueError listing the names if unknown
    if not cls.static:
        raise ValueError(f"--encoder {args.encoder} encodes signals [T, ...], not images; use the Python API "
                         f"(encoders.get({args.encoder!r}).encode(signal))")
    from training.autoencoder import check_encoder_params

    params = dict(check_encoder_params(args.param, "--param"))   # a key given twice is an error
    for name, option in (("steps", "--steps"), ("seed", "--seed")):
        if name in params:
            raise ValueError(f"--param {name}: give it as {option}")
    if args.max_rate is not None:
        if "max_rate" in params:
            raise ValueError(f"give --max-rate or --param max_rate, not both (got {args.max_rate} and "
                             f"{params['max_rate']})")
        params["max_rate"] = args.max_rate
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    steps = args.steps if args.steps is not None else defaults.get("steps", 15)
    dt = params.pop("dt", defaults.get("dt", 1e-3))
    encoder = EncoderSpec(args.encoder, params)
    units = input_units(encoder, n_values, steps, dt)
    return NetworkSpec(sizes=(units, 1, n_values), steps=steps, dt=dt, encoder=encoder)


def run_encode(args) -> int:
    """Encode image ``--index`` of ``--dataset`` with ``--encoder``, print the spike
    statistics and the decoding error, optionally write ``--plot``. Returns 0."""
    import numpy as np

    import encoders
    from models.encode import encode, spec_encoder
    from models.files import PLOT_FORMATS, check_output_file
    from training.data import load_images

    if args.list:
        names = encoders.available()
        width = max(map(len, names))
        for name, text in names.items():
            print(f"{name:<{width}}  {text}")
        return 0
    if args.plot:
        check_output_file(args.plot, "--plot", PLOT_FORMATS)
    _spec(args, 1)   # an unknown encoder or a bad parameter before the data is read
    images, labels = load_images(args.dataset, args.split, data_dir=args.data_dir, as_float=True)
    if not 0 <= args.index < len(images):
        raise ValueError(f"--index must be in [0, {len(images) - 1}] for {args.dataset} {args.split}, "
                         f"got {args.index}")
    image = images[args.index]
    spec = _spec(args, image.size)
    encoder = spec_encoder(spec)
    spikes = encode(image[None], spec, seed=args.seed).numpy()[:, 0]   # [T, units]
    decoded = np.asarray(encoder.decode(spikes)).reshape(image.shape)
    mse = float(np.mean((decoded - image) ** 2))
    label = "" if labels is None else f" (label {labels[args.index]})"
    print(f"{args.dataset} {args.split}[{args.index}]{label}: {args.encoder} {encoder.params()}")
    print(f"spikes {list(spikes.shape)}: {int(spikes.sum())} in total, "
          f"{float(spikes.mean()):.4f} per unit per step; decoded pixel MSE {mse:.5f}")
    if args.plot:
        _plot(args.plot, image, spikes, decoded, f"{args.dataset} #{args.index}, {args.encoder}")
        print(f"wrote {args.plot}")
    return 0


def _plot(path: str, image, spikes, decoded, title: str) -> None:
    """Image, raster (unit vs step) and decoded image side by side, written atomically."""
    from pathlib import Path

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from models.files import atomic_path

    fmt = Path(path).suffix.lstrip(".").lower()
    steps = spikes.shape[0]
    t, unit = np.nonzero(spikes.reshape(steps, -1))
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), gridspec_kw={"width_ratios": [1, 1.6, 1]})
    vmax = max(1.0, float(decoded.max()))
    axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("image")
    axes[1].scatter(t, unit, s=6, marker="|", color="k")
    axes[1].set_xlim(-0.5, steps - 0.5)
    axes[1].set_ylim(-0.5, spikes[0].size - 0.5)
    axes[1].set_xlabel("time step")
    axes[1].set_ylabel("input unit")
    axes[1].set_title(f"raster ({len(t)} spikes)")
    axes[2].imshow(decoded, cmap="gray", vmin=0, vmax=vmax)
    axes[2].set_title("decoded")
    for ax in (axes[0], axes[2]):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=100)
    plt.close(fig)


"""``spikesynth stack``: join an autoencoder and one trained on its code-layer spikes (``train
autoencoder --stack-on``) into one deeper model file; a thin wrapper over
``models.stacking.stack_files``."""

from __future__ import annotations

import json


def configure_stack(parser) -> None:
    """Arguments of ``spikesynth stack``."""
    parser.add_argument("outer", metavar="OUTER", help="the outer autoencoder's model file (e.g. 784-196-784)")
    parser.add_argument("inner", metavar="INNER",
                        help="the model file of the autoencoder trained with --stack-on OUTER (e.g. 196-64-196)")
    parser.add_argument("--out", required=True, help="the stacked model file to write (.safetensors), e.g. "
                                                     "784-196-64-196-784")


def run_stack(args) -> int:
    """Write the stacked model and print its layer sizes as JSON."""
    from models.stacking import stack_files

    net = stack_files(args.outer, args.inner, args.out)
    print(json.dumps({"out": str(args.out), "sizes": list(net.spec.sizes), "encoder": net.spec.encoder.name}))
    return 0

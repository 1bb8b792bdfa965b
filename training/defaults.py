"""Names and default settings shared by the trainers and the command line, in one place.

Kept free of heavy imports (no torch, numpy or scipy) so that ``spikesynth --help`` stays
fast while its choices and help texts come from the same constants as the code.
"""

from __future__ import annotations

IMAGE_DATASETS = ("mnist", "fashion-mnist")
#: The encoders a spiking autoencoder of images takes (``--encoder``): the static image encoders.
IMAGE_ENCODERS = ("poisson", "regular", "latency", "receptive_fields")
#: Pixels of an MNIST / Fashion-MNIST image (28 x 28); your own images set their own size.
N_PIXELS = 784
DEFAULT_HIDDEN = 196
SPIKING_TRAINERS = ("paper", "bptt")
ANN_OPTIMIZERS = ("sgd", "adam")
ANN_TRAINERS = tuple(f"ann-{name}" for name in ANN_OPTIMIZERS)
TRAINERS = SPIKING_TRAINERS + ANN_TRAINERS
TRACE_RESETS = ("fraction", "exact")
#: Brian2 code generation targets (``--target``): ``models.brian_snn.TARGETS``, kept here so the
#: command line's help needs no torch (a test checks the two are the same).
BRIAN2_TARGETS = ("numpy", "cython", "cpp_standalone")

# per trainer: the official code's settings, except bptt's (tuned here, see docs/results.md)
DEFAULT_LR = {"paper": 5e-4, "bptt": 2e-3, "ann-sgd": 0.1, "ann-adam": 5e-3}
DEFAULT_BATCH = {"paper": 100, "bptt": 16, "ann-sgd": 100, "ann-adam": 100}
DEFAULT_WEIGHT_DECAY = {"paper": 0.0, "bptt": 0.0, "ann-sgd": 1e-4, "ann-adam": 0.0}


def describe(defaults: dict, names) -> str:
    """A per-trainer default for a help text, e.g. ``"paper 0.0005, bptt 0.002"`` for
    ``describe(DEFAULT_LR, SPIKING_TRAINERS)``; names: the trainers to list."""
    return ", ".join(f"{name} {defaults[name]:g}" for name in names)

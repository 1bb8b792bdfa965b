"""Settings and validation shared by every trainer and config: the Adam settings of the
spiking trainers (``TrainSettings``), what one training batch produced (``BatchStats``), the
checks of a batch, of a torch device, and of a frozen config's fields.

The number checks themselves are ``encoders.checks`` (one family for the whole project).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from encoders.checks import check, check_bool, check_choice, check_int, check_number, check_optional_int
from models.spec import NeuronSpec
from models.torch_snn import check_spikes

__all__ = ["TrainSettings", "BatchStats", "check_paper_neuron", "check_weights_chain", "check_batch", "check_device",
           "check_memory", "checked",
           "positive_int", "check", "check_bool", "check_choice", "check_int", "check_number", "check_optional_int"]


def checked(obj, **checks: Callable) -> None:
    """Validate fields of a frozen dataclass ``obj`` in place: for each ``name=fn``,
    ``fn(value, name)`` returns the canonical value (or raises ValueError naming ``name``),
    which replaces the field's value."""
    for name, fn in checks.items():
        object.__setattr__(obj, name, fn(getattr(obj, name), name))


def positive_int(value, name: str) -> int:
    """``check_int(value, name, 1)``: for ``checked``."""
    return check_int(value, name, 1)


#: Copies of the weights a trainer holds at least: the weights, a gradient or trace of their
#: size, and Adam's two moments.
WEIGHT_COPIES = 4


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(n_weights: int, bytes_per_value: int, what: str, available: int | None = None) -> None:
    """ValueError before any training when ``WEIGHT_COPIES`` copies of ``n_weights`` values of
    ``bytes_per_value`` bytes (a lower bound of what a trainer holds) exceed the available memory
    (``available``; default ``available_memory()``, no check where it is unknown): the process would
    otherwise be killed by the system mid-run, without a message. ``what`` names the network."""
    available = available_memory() if available is None else available
    need = WEIGHT_COPIES * n_weights * bytes_per_value
    if available is not None and need > available:
        raise ValueError(f"{what}: {n_weights:,} weights need at least {need / 2**30:.1f} GiB to train "
                         f"({WEIGHT_COPIES} copies of {bytes_per_value} bytes each), but {available / 2**30:.1f} GiB "
                         f"of memory are available: use smaller layers")


def check_device(device) -> str:
    """A torch device name, ``cpu`` or ``cuda[:N]``, checked to exist here: returns it as given
    (``torch.device`` accepts it). ValueError for anything else, or for a CUDA device this
    torch cannot use (no CUDA build, no GPU, or an index past the GPUs)."""
    text = str(device)
    kind, sep, index = text.partition(":")
    if kind not in ("cpu", "cuda") or (sep and not (kind == "cuda" and index.isdigit())):
        raise ValueError(f"device must be 'cpu' or 'cuda[:N]' (a torch device), got {device!r}")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {text!r} requested but this torch has no usable CUDA device")
        if sep and int(index) >= torch.cuda.device_count():
            raise ValueError(f"device {text!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return text


@dataclass(frozen=True)
class TrainSettings:
    """Settings shared by the spiking trainers.

    lr: Adam step size (> 0). beta1, beta2: moment decays in [0, 1). eps: > 0, added to
    ``sqrt(v_hat)``. weight_decay: L2 term ``weight_decay * W`` added to the gradient
    (>= 0; the official code's Adam branch uses none). mask: use the XOR mask in the loss.
    """

    lr: float = 5e-4
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7
    weight_decay: float = 0.0
    mask: bool = True

    def __post_init__(self) -> None:
        checked(self, lr=lambda v, n: check_number(v, n, 0.0, lo_open=True),
                beta1=lambda v, n: check_number(v, n, 0.0, 1.0, hi_open=True),
                beta2=lambda v, n: check_number(v, n, 0.0, 1.0, hi_open=True),
                eps=lambda v, n: check_number(v, n, 0.0, lo_open=True),
                weight_decay=lambda v, n: check_number(v, n, 0.0), mask=check_bool)


@dataclass
class BatchStats:
    """What one batch produced.

    loss: ``0.5 * sum(E ** 2)`` per sample, averaged over samples and steps.
    counts: per weight layer, the spike counts over the batch's steps ``[batch, N_layer]``
    (dtype of the weights; the last is the output). Only counts are kept: writing every
    step's spikes to a ``[T, batch, N]`` record cost the online rule about 11% of its time
    in memory traffic.
    error_density: fraction of output (step, sample, neuron) entries whose spike differs
    from the target, the density of the XOR mask (the paper: about 15%).
    """

    loss: float
    counts: list
    error_density: float


def check_paper_neuron(neuron: NeuronSpec, trainer: str) -> None:
    """Raise ValueError unless ``neuron`` is a ``NeuronSpec`` with the paper's update rule
    (``NeuronSpec.is_paper``: threshold test ``>=``, reset to zero in the same step), the only
    one the trainers implement; ``trainer`` names the trainer in the message."""
    check(isinstance(neuron, NeuronSpec), f"{trainer}: neuron must be a NeuronSpec, got {type(neuron).__name__}")
    for name, paper in (("threshold_test", ">="), ("reset", "zero"), ("reset_timing", "same")):
        check(getattr(neuron, name) == paper,
              f"{trainer} trains the paper's neuron only ({name} {paper!r}); this spec has "
              f"{name} {getattr(neuron, name)!r}")


def check_weights_chain(weights: list[torch.Tensor]) -> list[int]:
    """Raise ValueError unless ``weights`` are 2-D floating ``[post, pre]`` matrices on one
    device and dtype whose sizes chain (``W_l`` has ``pre == post`` of ``W_{l-1}``), finite.
    Returns the layer sizes, input first."""
    check(isinstance(weights, (list, tuple)) and len(weights) > 0, "weights must be a non-empty list of tensors")
    first = weights[0]
    sizes = None
    for i, w in enumerate(weights):
        check(isinstance(w, torch.Tensor) and w.dim() == 2 and w.is_floating_point(),
               f"weight {i} must be a 2-D floating tensor [post, pre]")
        check(w.device == first.device and w.dtype == first.dtype,
               f"weight {i} is {w.dtype} on {w.device}, weight 0 is {first.dtype} on {first.device}")
        if sizes is None:
            sizes = [w.shape[1]]
        check(w.shape[1] == sizes[-1], f"weight {i} has {w.shape[1]} inputs but layer {i} has {sizes[-1]} neurons")
        check(bool(torch.isfinite(w).all()), f"weight {i} contains NaN or infinite values")
        sizes.append(w.shape[0])
    return sizes


def check_batch(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor) -> list[int]:
    """Validate one training batch: weights as in ``check_weights_chain``, 0/1 input spikes
    ``[T, batch, N_in]`` and target spikes ``[T, batch, N_out]``. Returns the layer sizes."""
    sizes = check_weights_chain(weights)
    check_spikes(input_spikes, sizes[0], "input spikes")
    if target_spikes is not input_spikes:  # an autoencoder's target is its input: checked once
        check_spikes(target_spikes, sizes[-1], "target spikes")
    check(input_spikes.shape[:2] == target_spikes.shape[:2],
           f"input spikes {list(input_spikes.shape)} and target spikes {list(target_spikes.shape)} "
           f"must have the same steps and batch size")
    return sizes

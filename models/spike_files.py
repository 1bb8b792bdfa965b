"""Your own input spikes in, every layer's output spikes out: ``.npy`` files of 0/1 spikes
``[T, batch, N_in]`` run through a model with no encoder (``spikesynth simulate --input-spikes``),
and the spikes of every layer saved as ``.npz`` (``layer1``, ``layer2``, ... as uint8
``[T, batch, N]``), so that a run can be held against another framework's.

T may differ from the spec's ``steps``: the spec's T is the length of an encoder's presentation,
and given spikes are their own presentation (every item starts from rest, runs the file's T
steps; items run back to back in Brian2, each from rest, as in the mirror).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import torch

from encoders.checks import check, is_binary

from .backends import Network, Run, run
from .files import write_bytes_atomic
from .spec import MAX_STEPS, NetworkSpec

#: The most spikes ``read_input_spikes`` loads (T * batch * N_in values, float64 in the mirror).
MAX_VALUES = 50_000_000


def read_input_spikes(path: str | os.PathLike, spec: NetworkSpec) -> torch.Tensor:
    """The 0/1 input spikes of the ``.npy`` file ``path`` for a network of ``spec``, as float64
    ``[T, batch, sizes[0]]``, checked before anything is simulated: a plain (non-object) numeric or
    boolean array of three dimensions, ``N_in == spec.sizes[0]``, ``1 <= T <= MAX_STEPS`` (T may
    differ from ``spec.steps``), at most ``MAX_VALUES`` values, only 0 and 1. FileNotFoundError when
    missing; ValueError naming the file otherwise. The file is read without executing code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input spikes not found: {path}")
    check(path.suffix.lower() == ".npy", f"{path}: input spikes must be a .npy file (numpy.save of a "
                                         f"[T, batch, N_in] array), got {path.suffix or 'no suffix'!r}")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable .npy array ({exc})") from None
    check(arr.dtype.kind in "biuf", f"{path}: input spikes must be numbers or booleans, got dtype {arr.dtype}")
    n_in = spec.sizes[0]
    check(arr.ndim == 3, f"{path}: input spikes must be [T, batch, N_in] = [T, batch, {n_in}], got shape "
                         f"{list(arr.shape)}" + (" (add a batch axis: x[:, None, :])" if arr.ndim == 2 else ""))
    steps, batch, n = arr.shape
    check(n == n_in, f"{path}: the spikes have {n} inputs (last axis) but the model has {n_in} "
                     f"(shape {list(arr.shape)}, expected [T, batch, {n_in}])")
    check(1 <= steps <= MAX_STEPS, f"{path}: T = {steps} time steps, must be in [1, {MAX_STEPS}]")
    check(batch >= 1, f"{path}: the spikes hold no item (batch 0)")
    check(arr.size <= MAX_VALUES, f"{path}: {arr.size} values, more than {MAX_VALUES} (MAX_VALUES): split the file")
    values = np.asarray(arr)
    if not is_binary(values):
        bad = ~((values == 0) | (values == 1))   # where: only on the way to the error
        t, b, i = (int(k[0]) for k in np.nonzero(bad))
        raise ValueError(f"{path}: input spikes must be 0 or 1, found {values[t, b, i].item()!r} at [t={t}, item={b}, "
                         f"input={i}] ({int(bad.sum())} such values)")
    return torch.from_numpy(values.astype(np.float64))


def layer_spikes(net: Network, spikes: torch.Tensor, backend: str = "mirror", target: str = "cpp_standalone",
                 device: str = "cpu", progress: bool = True) -> tuple[list[np.ndarray], Run]:
    """Run 0/1 input spikes ``[T, batch, sizes[0]]`` through ``net`` (``models.backends.run``, the
    mirror or Brian2) and return every weight layer's spikes as uint8 ``[T, batch, N]`` arrays, and
    the ``Run``."""
    result = run(net, spikes, backend, target, device, record=True, progress=progress)
    rec = result.recording
    if backend == "brian2":
        layers = [rec.dense(layer) for layer in range(net.spec.n_layers)]
    else:
        layers = rec.spikes
    return [s.detach().cpu().numpy().astype(np.uint8) for s in layers], result


def save_layer_spikes(path: str | os.PathLike, layers: list[np.ndarray]) -> Path:
    """Write every layer's spikes (uint8 ``[T, batch, N]``) to the ``.npz`` file ``path`` as
    ``layer1``, ``layer2``, ..., atomically. Returns the path."""
    arrays = {f"layer{i + 1}": np.ascontiguousarray(s, dtype=np.uint8) for i, s in enumerate(layers)}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return write_bytes_atomic(path, buffer.getbuffer())

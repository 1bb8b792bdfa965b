"""The common encoder interface: the ``Encoder`` base class, numpy/torch in and out,
parameter and input validation, and the batched grid search behind ``optimize``.

Conventions: time is the leading axis. Static data ``[..., N]`` encodes to spikes
``[T, ..., N]``; signals ``[T, ...]`` encode to spikes ``[T, ...]``. Unipolar codes
use values in {0, 1}, bipolar codes values in {-1, 0, 1}.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Callable, ClassVar

import numpy as np
import torch

from . import checks as _checks

# re-exported: the encoders' checks (assigned, not imported, so that pyflakes sees them used)
check_bool, check_int, check_number = _checks.check_bool, _checks.check_int, _checks.check_number


# --- numpy / torch in, the same kind out ---------------------------------------

def to_numpy(x, name: str = "x") -> tuple[np.ndarray, object]:
    """Return ``(array, like)``: ``x`` as a numeric numpy array (torch tensors are
    detached and copied to the CPU; half precision becomes float32) and the object
    that ``wrap`` uses to give results back in ``x``'s kind."""
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
        if t.is_floating_point() and t.dtype not in (torch.float32, torch.float64):
            t = t.to(torch.float32)
        if t.dtype == torch.bool:
            t = t.to(torch.uint8)
        return t.numpy(), x
    arr = np.asarray(x)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must be a numeric numpy array or torch tensor, got dtype {arr.dtype}")
    return arr, arr


def work_dtype(arr: np.ndarray) -> np.dtype:
    """The float dtype computations run in: the input's float32/float64, else float64."""
    return arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def wrap(result: np.ndarray, like) -> np.ndarray | torch.Tensor:
    """``result`` in the kind of ``like`` (see ``to_numpy``): a torch tensor on
    ``like``'s device or a numpy array, with ``like``'s float dtype (float32 for
    integer inputs)."""
    if isinstance(like, torch.Tensor):
        dtype = like.dtype if like.is_floating_point() else torch.float32
        return torch.from_numpy(np.array(result, order="C")).to(device=like.device, dtype=dtype)
    dtype = like.dtype if like.dtype in (np.float32, np.float64) else np.float32
    return np.asarray(result, dtype=dtype)


# --- validation -----------------------------------------------------------------

def check_extremes(vmin: float, vmax: float, name: str, encoder: str, lo: float = -math.inf,
                   hi: float = math.inf, fix: str = "normalise it first") -> None:
    """ValueError unless ``vmin`` and ``vmax``, the smallest and largest of the values
    ``name`` (NaN if any is NaN), are finite and in ``[lo, hi]``; ``fix`` ends the
    message."""
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if vmin < lo or vmax > hi:
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}] for the {encoder} encoder, got range "
                         f"[{vmin:g}, {vmax:g}] ({fix})")


def check_values(arr: np.ndarray, name: str, encoder: str, lo: float = -math.inf, hi: float = math.inf) -> None:
    """ValueError unless every value of ``arr`` is finite and in ``[lo, hi]``."""
    if arr.size:
        check_extremes(float(arr.min()), float(arr.max()), name, encoder, lo, hi)


def check_static_shape(shape: tuple, name: str = "x") -> None:
    """ValueError unless ``shape`` is a static input's ``[..., N]`` (at least 1 dimension)."""
    if len(shape) < 1:
        raise ValueError(f"{name} must have shape [..., N] (at least 1 dimension), got a scalar")


def check_spikes(arr: np.ndarray, bipolar: bool, name: str = "spikes") -> None:
    """ValueError unless ``arr`` holds only 0/1 (or -1/0/1 when ``bipolar``)."""
    allowed = (-1, 0, 1) if bipolar else (0, 1)
    if not np.isin(arr, allowed).all():
        raise ValueError(f"{name} must contain only values in {allowed}")


# --- the interface ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Encoder(abc.ABC):
    """Base of every encoder. Subclasses are frozen dataclasses whose fields are the
    encoder's parameters, validated on construction. ``static`` encoders add a
    leading time axis of ``steps``; signal encoders keep the input's time axis."""

    name: ClassVar[str]
    description: ClassVar[str]
    static: ClassVar[bool]

    @property
    def bipolar(self) -> bool:
        """True when spikes take values in {-1, 0, 1} (on/off), False for {0, 1}."""
        return False

    def params(self) -> dict:
        """The parameters, as keyword arguments for ``encoders.get(self.name, ...)``."""
        return dataclasses.asdict(self)

    @abc.abstractmethod
    def encode(self, x):
        """Values (numpy array or torch tensor) to spikes of the same kind."""

    @abc.abstractmethod
    def decode(self, spikes):
        """Spikes back to an estimate of the values, of the same kind."""


def encode_static(encoder: str, x, fn: Callable[[np.ndarray], np.ndarray]):
    """Run ``fn`` (values ``[M]`` in the work dtype -> spikes ``[steps, M]``) on static
    input ``x [..., N]`` checked to lie in [0, 1] (errors name the ``encoder``);
    returns ``[steps, ..., N]`` of x's kind."""
    arr, like = to_numpy(x)
    check_static_shape(arr.shape)
    check_values(arr, "x", encoder, 0.0, 1.0)
    flat = arr.astype(work_dtype(arr), copy=False).reshape(-1)
    out = fn(flat)
    return wrap(out.reshape(out.shape[0], *arr.shape), like)


def signal_io(x, name: str = "x") -> tuple[np.ndarray, tuple, object]:
    """Signal input ``[T, ...]`` as ``([T, B] work-dtype array, original shape, like)``."""
    arr, like = to_numpy(x, name)
    if arr.ndim < 1 or arr.shape[0] < 1:
        raise ValueError(f"{name} must have shape [T, ...] with T >= 1 time steps, got {list(arr.shape)}")
    return arr.astype(work_dtype(arr), copy=False).reshape(arr.shape[0], -1), arr.shape, like


def initial_values(initial, shape: tuple, encoder: str) -> np.ndarray:
    """A signal's first value for decoding spikes of shape ``shape = [T, ...]``: a
    number or an array (numpy or torch) of shape ``[...]``, as float64 ``[B]`` or a
    scalar; ValueError if it is not finite or does not fit."""
    init = np.asarray(initial.detach().cpu() if hasattr(initial, "detach") else initial, np.float64)
    if init.size != 1 and init.shape != tuple(shape[1:]):
        raise ValueError(f"initial must be a number or have shape {list(shape[1:])}, got {list(init.shape)}")
    check_values(init, "initial", encoder)
    return init.reshape(-1) if init.size != 1 else init.reshape(())


def nearest_spikes(hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a boolean spike mask ``hit [T, B]``: ``(prev, nxt)``, int ``[T, B]``, the
    last step ``<= t`` with a spike (-1 if none) and the first step ``>= t`` with a
    spike (``T`` if none), for every step ``t`` and column."""
    steps = hit.shape[0]
    t = np.arange(steps)[:, None]
    prev = np.maximum.accumulate(np.where(hit, t, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(hit, t, steps)[::-1], axis=0)[::-1]
    return prev, nxt


def rmse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square difference over the time axis: ``[T, B]`` pairs -> ``[B]``."""
    return np.sqrt(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2, axis=0))


def grid_search(x: np.ndarray, grid: dict[str, np.ndarray],
                reconstruct: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]) -> dict:
    """Exhaustive, deterministic search over a parameter grid, batched.

    x: the signal ``[T, C]`` (checked by the caller); grid: name -> 1-D candidate
    values (the Cartesian product is searched). ``reconstruct(xs [T, K*C], params)``
    gets every channel repeated once per candidate (params are ``[K*C]`` arrays) and
    returns the reconstruction ``[T, K*C]``. Returns the candidate with the lowest RMSE
    summed over channels (the first one on ties) as ``{name: float}``.
    """
    names = list(grid)
    mesh = np.meshgrid(*[np.asarray(grid[n], np.float64) for n in names], indexing="ij")
    cand = {n: m.reshape(-1) for n, m in zip(names, mesh)}
    k, c = len(cand[names[0]]), x.shape[1]
    xs = np.tile(x, (1, k))                                   # column j = channel j % c of candidate j // c
    params = {n: np.repeat(v, c) for n, v in cand.items()}
    err = rmse(reconstruct(xs, params), xs).reshape(k, c).sum(axis=1)
    best = int(np.argmin(err))
    return {n: float(cand[n][best]) for n in names}

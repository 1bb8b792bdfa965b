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

from .checks import check_bool, check_number


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

    def units(self, n: int) -> int:
        """The spike trains (units) that ``n`` values per item encode to: ``n`` (one per value),
        ``n * n_bins`` for ``receptive_fields``."""
        return n

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


# --- min-max normalisation of signals, as spike-encoding does it --------------------

def bound_values(value, name: str) -> float | tuple:
    """A bound parameter (``min_value``/``max_value``) in canonical form: a float for a
    number, a tuple of floats for a sequence/array (one per channel); ValueError unless
    every value is a finite number."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) == 0 or any(isinstance(v, (list, tuple)) for v in value):
            raise ValueError(f"{name} must be a number or a flat, non-empty sequence of numbers (one per channel), "
                             f"got {value!r}")
        return tuple(check_number(v, f"{name}[{i}]") for i, v in enumerate(value))
    return check_number(value, name)


class Normalizing:
    """The ``normalize`` option of the signal encoders (step_forward, bsa, pwm, lif), as a
    mixin for dataclasses with the fields ``normalize``, ``min_value`` and ``max_value``.

    With ``normalize=True`` every channel (each column of the signal ``[T, ...]``) is scaled
    to ``norm_range`` before encoding, as spike-encoding does it:
    ``scale * (x - min)`` with ``scale = 1 / (max - min)`` (then ``* 2 - 1`` for the
    [-1, 1] range of lif), where min and max are the channel's own extremes, or the given
    ``min_value``/``max_value`` (a number for every channel, or one per channel; the signal
    must then lie within them). A constant channel (max == min) scales to all zeros.
    ``encode`` stores the bounds it used (``bounds``) so that ``decode`` restores the
    original range, ``min + y * (max - min)``; ``decode(..., bounds=(min, max))`` takes them
    explicitly instead (safe when one encoder object serves several signals or threads). A
    decode without any bounds and without a preceding encode of the same channel shape is a
    ValueError.
    """

    norm_range: ClassVar[tuple[float, float]] = (0.0, 1.0)

    def _check_normalize(self) -> None:
        """Validate (and canonicalise) normalize, min_value and max_value."""
        check_bool(self.normalize, "normalize")
        if (self.min_value is None) != (self.max_value is None):
            raise ValueError("min_value and max_value must be given together (or neither), got "
                             f"min_value={self.min_value!r}, max_value={self.max_value!r}")
        if self.min_value is None:
            return
        if not self.normalize:
            raise ValueError("min_value and max_value are the normalisation bounds: they need normalize=True")
        lo, hi = bound_values(self.min_value, "min_value"), bound_values(self.max_value, "max_value")
        if isinstance(lo, tuple) and isinstance(hi, tuple) and len(lo) != len(hi):
            raise ValueError(f"min_value and max_value must have the same length, got {len(lo)} and {len(hi)}")
        bad = np.flatnonzero(~(np.asarray(hi) > np.asarray(lo)).reshape(-1))
        if bad.size:
            raise ValueError(f"max_value must be > min_value for every channel, got min_value={lo!r}, max_value={hi!r}")
        object.__setattr__(self, "min_value", lo)
        object.__setattr__(self, "max_value", hi)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(min, max)``, float64 arrays shaped like one time step ``[...]``: the bounds the
        last ``encode`` normalised with (None before any, or without ``normalize``)."""
        stored = getattr(self, "_bounds", None)
        return None if stored is None else (stored[0].reshape(stored[2]).copy(), stored[1].reshape(stored[2]).copy())

    def _given_bounds(self, channels: int, dtype) -> tuple[np.ndarray, np.ndarray]:
        """The given min_value/max_value as ``[channels]`` arrays of ``dtype``."""
        out = []
        for name in ("min_value", "max_value"):
            v = np.asarray(getattr(self, name), np.float64).reshape(-1)
            if v.size not in (1, channels):
                raise ValueError(f"{name} has {v.size} values but the signal has {channels} channel(s)")
            out.append(np.broadcast_to(v, (channels,)).astype(dtype))
        return out[0], out[1]

    def _scaled(self, arr: np.ndarray, shape: tuple, name: str = "x", store: bool = False) -> np.ndarray:
        """``arr [T, B]`` (the signal of shape ``shape``, checked finite) scaled to
        ``norm_range`` per column when ``normalize`` (stored as ``bounds`` if ``store``);
        ``arr`` itself otherwise."""
        if not self.normalize:
            return arr
        check_values(arr, name, self.name)
        if self.min_value is None:
            lo, hi = arr.min(axis=0), arr.max(axis=0)
        else:
            lo, hi = self._given_bounds(arr.shape[1], arr.dtype)
            out = np.flatnonzero((arr.min(axis=0) < lo) | (arr.max(axis=0) > hi))
            if out.size:
                j = int(out[0])
                raise ValueError(f"{name} must lie in [min_value, max_value] for the {self.name} encoder: channel {j} "
                                 f"has range [{float(arr[:, j].min()):g}, {float(arr[:, j].max()):g}] outside "
                                 f"[{float(lo[j]):g}, {float(hi[j]):g}] (widen the bounds, or drop them to use "
                                 f"each channel's own min and max)")
        if store:
            object.__setattr__(self, "_bounds", (lo.astype(np.float64), hi.astype(np.float64), tuple(shape[1:])))
        span = hi - lo
        scale = np.zeros_like(span)
        np.divide(np.ones_like(span), span, out=scale, where=span > 0)
        y = scale * (arr - lo)
        if self.norm_range == (-1.0, 1.0):
            y = np.where(span > 0, y * 2 - 1, y)
        return y

    def _decode_bounds(self, shape: tuple, bounds=None) -> tuple[np.ndarray, np.ndarray]:
        """The bounds to restore spikes of shape ``shape = [T, ...]`` with, float64 ``[B]``:
        ``bounds`` (``(min, max)``, each a number or an array shaped like one step ``[...]``, as
        ``encoder.bounds`` gives them) when given, else the given min_value/max_value, else the
        ones the last ``encode`` kept."""
        channels = int(np.prod(shape[1:], dtype=np.int64))
        if bounds is not None:
            return self._explicit_bounds(bounds, shape)
        if self.min_value is not None:
            return self._given_bounds(channels, np.float64)
        stored = getattr(self, "_bounds", None)
        if stored is None:
            raise ValueError(f"decode with normalize=True needs the bounds the signal was normalised with: encode it "
                             f"with this {self.name} encoder first, pass bounds=(min, max), or give min_value and "
                             f"max_value")
        if stored[2] != tuple(shape[1:]):
            raise ValueError(f"the stored normalisation bounds are for a signal of shape [T, {', '.join(map(str, stored[2]))}]"
                             f", not for spikes of shape {list(shape)}: encode this signal first, pass bounds=(min, "
                             f"max), or give min_value and max_value")
        return stored[0], stored[1]

    def _explicit_bounds(self, bounds, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
        """``bounds = (min, max)`` checked (finite, max >= min, a number or shaped like one step
        of ``shape``) as float64 ``[B]`` arrays."""
        if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
            raise ValueError(f"bounds must be a pair (min, max), got {type(bounds).__name__}")
        step = tuple(shape[1:])
        out = []
        for name, v in zip(("bounds[0] (min)", "bounds[1] (max)"), bounds):
            a = np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=np.float64)
            if a.shape not in ((), step):
                raise ValueError(f"{name} must be a number or have one step's shape {list(step)}, got {list(a.shape)}")
            if not np.isfinite(a).all():
                raise ValueError(f"{name} must be finite")
            out.append(np.broadcast_to(a, step).reshape(-1).astype(np.float64))
        if (out[1] < out[0]).any():
            raise ValueError("bounds: max must be >= min for every channel")
        return out[0], out[1]

    def _restored(self, y: np.ndarray, shape: tuple, bounds=None) -> np.ndarray:
        """Decoded ``y [T, B]`` in ``norm_range`` back in the signal's units (when ``normalize``;
        ``bounds``: see ``_decode_bounds``)."""
        if not self.normalize:
            if bounds is not None:
                raise ValueError(f"bounds are the normalisation bounds: this {self.name} encoder has normalize=False")
            return y
        lo, hi = self._decode_bounds(shape, bounds)
        if self.norm_range == (-1.0, 1.0):
            y = (y + 1) / 2
        return lo + y * (hi - lo)

    def _initial_scaled(self, init: np.ndarray, shape: tuple, bounds=None) -> np.ndarray:
        """A first value ``initial`` (scalar or ``[B]``, signal units) in the normalised units."""
        if not self.normalize:
            return init
        lo, hi = self._decode_bounds(shape, bounds)
        span = hi - lo
        scale = np.divide(1.0, span, out=np.zeros_like(span), where=span > 0)
        return scale * (init - lo)


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

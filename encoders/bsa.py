"""Ben's Spiker Algorithm (Schrauwen & Van Campenhout 2003): signals ``[T, ...]`` in
[0, 1] (or any signal, min-max normalised per channel with ``normalize=True``, as
spike-encoding does it) to 0/1 spikes whose FIR-filtered sum reconstructs the signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import firwin

from .base import Encoder, Normalizing, check_values, grid_search, signal_io, wrap
from .checks import check_binary, check_int, check_number


def bsa_filter(filter_order: int, filter_cutoff: float) -> np.ndarray:
    """The low-pass FIR filter ``[filter_order + 1]``: ``scipy.signal.firwin`` with the
    cutoff in cycles per step (fs = 1, so 0 < cutoff < 0.5), unit DC gain. The cutoff is
    rounded to float32 first, as spike-encoding passes it (its parameters are float32
    tensors), so the taps are the package's."""
    return firwin(int(filter_order) + 1, float(np.float32(filter_cutoff)), fs=1.0)


def _filter_bank(filter_order, filter_cutoff, batch: int, dtype) -> np.ndarray:
    """Filters ``[F, B]`` for scalar or per-column ``[B]`` parameters, zero-padded to
    the longest (a zero tap changes neither the encoder's error nor the decode)."""
    orders = np.broadcast_to(np.asarray(filter_order), (batch,)).astype(int)
    cutoffs = np.broadcast_to(np.asarray(filter_cutoff, np.float64), (batch,))
    pairs = sorted(set(zip(orders.tolist(), cutoffs.tolist())))
    bank = np.zeros((orders.max() + 1, batch), dtype)
    for order, cutoff in pairs:
        cols = (orders == order) & (cutoffs == cutoff)
        bank[: order + 1, cols] = bsa_filter(order, cutoff)[:, None]
    return bank


def bsa_spikes(x: np.ndarray, h: np.ndarray, threshold) -> np.ndarray:
    """BSA kernel. x: ``[T, B]``; h: filters ``[F, B]``; threshold: scalar or ``[B]``.

    A spike at step t accounts for taps ``h[1:]`` over ``x[t : t + F - 1]`` (cut at
    the end of the signal). It fires where ``sum |s - h[1:]| <= sum |s| - threshold``
    over that window of the residual ``s``, which then loses ``h[1:]``. As in the
    spike-encoding package, step 0 never spikes, and the sums run tap by tap in x's
    dtype, as the package adds them (the same rounding whatever the batch).
    Returns ``[T, B]`` 0/1 in x's dtype.
    """
    s = x.copy()
    taps = h[1:].astype(x.dtype)
    th = np.broadcast_to(np.asarray(threshold, x.dtype), x.shape[1:])
    steps, n_taps = x.shape[0], taps.shape[0]
    out = np.zeros_like(x)
    for t in range(1, steps):
        m = min(n_taps, steps - t)
        win, hk = s[t:t + m], taps[:m]
        # cumsum adds in tap order (a sum over axis 0 may pair them up, depending on the batch)
        err_spike = np.abs(win - hk).cumsum(axis=0)[-1]
        err_none = np.abs(win).cumsum(axis=0)[-1]
        fire = err_spike <= err_none - th
        if fire.any():
            win -= hk * fire
            out[t] = fire
    return out


def bsa_decode(spikes: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Inverse of the BSA kernel: ``y[n] = sum_j h[1 + j] * spikes[n - j]``, exactly the
    part of the signal the encoder took out (x minus the final residual). spikes
    ``[T, B]``, h ``[F, B]``; returns ``[T, B]``."""
    y = np.zeros(spikes.shape, np.float64)
    for j in range(min(h.shape[0] - 1, spikes.shape[0])):   # taps beyond the signal's end add nothing
        y[j:] += h[1 + j] * spikes[: spikes.shape[0] - j]
    return y


@dataclass(frozen=True)
class BSA(Normalizing, Encoder):
    """Ben's Spiker Algorithm for signals in [0, 1] (a signal of 1 needs a spike every
    step, since the filter has unit DC gain). threshold: error reduction a spike must
    achieve (>= 0); filter_order: FIR order (taps - 1), >= 1; filter_cutoff: in
    cycles per step, in (0, 0.5). Defaults as the spike-encoding package.

    normalize: scale each channel to [0, 1] by its min and max first, as spike-encoding
    does before every BSA encode (or by the given ``min_value``/``max_value``, a number
    or one per channel), and scale decodes back (see ``base.Normalizing``).

    Precision: the spikes are computed in float32, as spike-encoding computes them, for
    every input dtype (decode and the returned arrays keep the input's dtype). At a
    threshold equal to the filter's tap sum (1.0 for the default filter) a spike is a
    tie between two sums that only rounding decides, so the precision decides the
    spikes; in float32 (and with the cutoff rounded to float32 for ``firwin``, as the
    package passes it) they are spike-encoding 1.8.2's spikes bit for bit."""

    name = "bsa"
    description = "Ben's Spiker Algorithm: spikes whose FIR-filtered sum rebuilds the signal"
    static = False

    threshold: float = 0.5
    filter_order: int = 10
    filter_cutoff: float = 0.2
    normalize: bool = False
    min_value: float | tuple | None = None
    max_value: float | tuple | None = None

    def __post_init__(self):
        check_number(self.threshold, "threshold", 0.0)
        check_int(self.filter_order, "filter_order", lo=1)
        check_number(self.filter_cutoff, "filter_cutoff", 0.0, 0.5, lo_open=True, hi_open=True)
        self._check_normalize()

    def _input(self, x, name: str, store: bool):
        """``x`` as ``([T, B] in [0, 1], shape, like)``: normalised, or checked to lie in [0, 1]."""
        arr, shape, like = signal_io(x, name)
        if not self.normalize:
            check_values(arr, name, self.name, 0.0, 1.0)
        return self._scaled(arr, shape, name, store=store), shape, like

    def encode(self, x):
        """Signal ``[T, ...]`` (in [0, 1] unless ``normalize``) -> 0/1 spikes ``[T, ...]``
        (x's kind and float dtype; the kernel runs in float32, see the class)."""
        arr, shape, like = self._input(x, "x", store=True)
        arr = arr.astype(np.float32, copy=False)
        h = _filter_bank(self.filter_order, self.filter_cutoff, arr.shape[1], np.float32)
        return wrap(bsa_spikes(arr, h, self.threshold).reshape(shape), like)

    def decode(self, spikes, bounds=None):
        """0/1 spikes ``[T, ...]`` -> signal ``[T, ...]`` (FIR filtering, see ``bsa_decode``;
        with ``normalize`` scaled back to the signal's range).
        ``bounds``: the normalisation ``(min, max)`` to restore with (``normalize`` only; default:
        min_value/max_value, else the last encode's ``bounds``)."""
        arr, shape, like = signal_io(spikes, "spikes")
        check_binary(arr)
        h = _filter_bank(self.filter_order, self.filter_cutoff, arr.shape[1], np.float64)
        return wrap(self._restored(bsa_decode(arr, h), shape, bounds).reshape(shape), like)

    def optimize(self, signal) -> dict:
        """Parameters minimising the reconstruction RMSE of ``signal [T, ...]`` (in
        [0, 1], or normalised first with ``normalize``; the RMSE is then in normalised
        units), summed over channels. Grid: filter_order 4, 8, ..., 40; filter_cutoff
        10 log-spaced values in [0.01, 0.45]; threshold 0, 0.1, ..., 1.0. Deterministic.
        Returns ``{"threshold", "filter_order", "filter_cutoff"}``."""
        x, _, _ = self._input(signal, "signal", store=False)
        x = x.astype(np.float32, copy=False)                     # as encode computes the spikes
        grid = {"threshold": np.linspace(0.0, 1.0, 11), "filter_order": np.arange(4, 41, 4),
                "filter_cutoff": np.logspace(np.log10(0.01), np.log10(0.45), 10)}

        def reconstruct(xs, p):
            h = _filter_bank(p["filter_order"], p["filter_cutoff"], xs.shape[1], xs.dtype)
            return bsa_decode(bsa_spikes(xs, h, p["threshold"]), h)
        best = grid_search(x, grid, reconstruct)
        best["filter_order"] = int(best["filter_order"])
        return best

"""Step-forward (SF) delta code of signals ``[T, ...]``: +1 / -1 spikes that track an
adaptive baseline (Kasabov et al. 2016). ``normalize=True`` min-max scales each channel
to [0, 1] first (spike-encoding 1.8.2's StepForwardConverter does not: it has the
method but never calls it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, Normalizing, check_values, grid_search, initial_values, signal_io, wrap
from .checks import check_binary, check_number


def step_forward_spikes(x: np.ndarray, threshold) -> np.ndarray:
    """SF kernel. x: ``[T, B]``; threshold: scalar or ``[B]`` (> 0).

    The baseline starts at ``x[0]``; at each later step an up spike (+1) fires where
    ``x[t] > base + threshold`` (then ``base += threshold``), else a down spike (-1)
    where ``x[t] < base - threshold`` (then ``base -= threshold``). At most one spike
    per step, none at step 0. Returns ``[T, B]`` in {-1, 0, 1}, x's dtype.
    """
    th = np.broadcast_to(np.asarray(threshold, x.dtype), x.shape[1:])
    out = np.zeros_like(x)
    base = x[0].copy()
    for t in range(1, x.shape[0]):
        up = x[t] > base + th
        base = np.where(up, base + th, base)
        down = x[t] < base - th
        base = np.where(down, base - th, base)
        out[t] = up.astype(x.dtype) - down.astype(x.dtype)
    return out


def step_forward_decode(spikes: np.ndarray, threshold, initial) -> np.ndarray:
    """Inverse of the SF kernel: ``initial + threshold * cumsum(spikes)`` over time,
    which is exactly the encoder's baseline. spikes ``[T, B]``; threshold and initial
    scalars or ``[B]``."""
    return np.asarray(initial) + np.asarray(threshold) * np.cumsum(spikes, axis=0)


@dataclass(frozen=True)
class StepForward(Normalizing, Encoder):
    """Step-forward encoder (bipolar). threshold: the baseline step, in signal units, > 0.
    Decode needs the first value of the signal (``initial``, default 0 as in the
    spike-encoding package's documentation) and returns the baseline, which stays
    within ``threshold`` of the signal wherever the signal moves by at most
    ``threshold`` per step.

    normalize: scale each channel to [0, 1] by its min and max first (or by the given
    ``min_value``/``max_value``), the threshold then in normalised units, and scale
    decodes back (see ``base.Normalizing``); ``initial`` stays in the signal's units.
    spike-encoding 1.8.2 does not normalise step-forward input, so its spikes are this
    encoder's without ``normalize`` (and, with it, those of the package run on the
    normalised signal). The threshold is used as the float32 number nearest to it, as the
    package stores it (so float64 signals give its spikes too)."""

    name = "step_forward"
    description = "step-forward delta code: +1/-1 spikes when the signal leaves baseline +- threshold"
    static = False

    threshold: float = 0.5
    normalize: bool = False
    min_value: float | tuple | None = None
    max_value: float | tuple | None = None

    def __post_init__(self):
        check_number(self.threshold, "threshold", 0.0, lo_open=True)
        self._check_normalize()

    @property
    def bipolar(self) -> bool:
        return True

    @property
    def _threshold32(self) -> float:
        """The threshold rounded to float32, as spike-encoding keeps it."""
        return float(np.float32(self.threshold))

    def _input(self, x, name: str, store: bool):
        arr, shape, like = signal_io(x, name)
        check_values(arr, name, self.name)
        return self._scaled(arr, shape, name, store=store), shape, like

    def encode(self, x):
        """Signal ``[T, ...]`` -> spikes ``[T, ...]`` in {-1, 0, 1}."""
        arr, shape, like = self._input(x, "x", store=True)
        return wrap(step_forward_spikes(arr, self._threshold32).reshape(shape), like)

    def decode(self, spikes, initial=0.0, bounds=None):
        """Spikes ``[T, ...]`` -> signal ``[T, ...]``; ``initial``: the signal's first
        value (a number, or an array of shape ``[...]``; in the signal's units).
        ``bounds``: the normalisation ``(min, max)`` to restore with (``normalize`` only; default:
        min_value/max_value, else the last encode's ``bounds``)."""
        arr, shape, like = signal_io(spikes, "spikes")
        check_binary(arr, bipolar=True)
        init = self._initial_scaled(initial_values(initial, shape, self.name), shape, bounds)
        y = step_forward_decode(arr, self._threshold32, init)
        return wrap(self._restored(y, shape, bounds).reshape(shape), like)

    def optimize(self, signal) -> dict:
        """The threshold minimising the reconstruction RMSE of ``signal [T, ...]``
        (decoded from its own first value; normalised first with ``normalize``), summed
        over channels. Grid: 200 log-spaced thresholds from 1e-4 to 1 times the largest
        step-to-step change. Deterministic. Returns ``{"threshold": float}``."""
        x, _, _ = self._input(signal, "signal", store=False)
        span = float(np.abs(np.diff(x, axis=0)).max()) if x.shape[0] > 1 else 0.0
        if span == 0:
            raise ValueError("signal must change over time (at least 2 steps, not constant) to optimise threshold")
        grid = {"threshold": span * np.logspace(-4, 0, 200)}

        def reconstruct(xs, p):
            return step_forward_decode(step_forward_spikes(xs, p["threshold"]), p["threshold"], xs[0])
        return grid_search(x, grid, reconstruct)

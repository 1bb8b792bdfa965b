"""Step-forward (SF) delta code of signals ``[T, ...]``: +1 / -1 spikes that track an
adaptive baseline (Kasabov et al. 2016)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, check_number, check_spikes, check_values, grid_search, initial_values, signal_io, wrap


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
class StepForward(Encoder):
    """Step-forward encoder (bipolar). threshold: the baseline step, in signal units, > 0.
    Decode needs the first value of the signal (``initial``, default 0 as in the
    spike-encoding package's documentation) and returns the baseline, which stays
    within ``threshold`` of the signal wherever the signal moves by at most
    ``threshold`` per step."""

    name = "step_forward"
    description = "step-forward delta code: +1/-1 spikes when the signal leaves baseline +- threshold"
    static = False

    threshold: float = 0.5

    def __post_init__(self):
        check_number(self.threshold, "threshold", 0.0, lo_open=True)

    @property
    def bipolar(self) -> bool:
        return True

    def encode(self, x):
        """Signal ``[T, ...]`` -> spikes ``[T, ...]`` in {-1, 0, 1}."""
        arr, shape, like = signal_io(x)
        check_values(arr, "x", self.name)
        return wrap(step_forward_spikes(arr, self.threshold).reshape(shape), like)

    def decode(self, spikes, initial=0.0):
        """Spikes ``[T, ...]`` -> signal ``[T, ...]``; ``initial``: the signal's first
        value (a number, or an array of shape ``[...]``)."""
        arr, shape, like = signal_io(spikes, "spikes")
        check_spikes(arr, bipolar=True)
        init = initial_values(initial, shape, self.name)
        return wrap(step_forward_decode(arr, self.threshold, init).reshape(shape), like)

    def optimize(self, signal) -> dict:
        """The threshold minimising the reconstruction RMSE of ``signal [T, ...]``
        (decoded from its own first value), summed over channels. Grid: 200
        log-spaced thresholds from 1e-4 to 1 times the largest step-to-step change.
        Deterministic. Returns ``{"threshold": float}``."""
        x, _, _ = signal_io(signal, "signal")
        check_values(x, "signal", self.name)
        span = float(np.abs(np.diff(x, axis=0)).max()) if x.shape[0] > 1 else 0.0
        if span == 0:
            raise ValueError("signal must change over time (at least 2 steps, not constant) to optimise threshold")
        grid = {"threshold": span * np.logspace(-4, 0, 200)}

        def reconstruct(xs, p):
            return step_forward_decode(step_forward_spikes(xs, p["threshold"]), p["threshold"], xs[0])
        return grid_search(x, grid, reconstruct)

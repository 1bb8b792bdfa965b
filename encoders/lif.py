"""LIF-based encoding of signals ``[T, ...]``: the signal is the input current of a
leaky integrate-and-fire neuron; spikes carry it, inter-spike intervals decode it.
With ``normalize=True`` each channel is first min-max scaled to [-1, 1], as
spike-encoding's LIF encoder does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, Normalizing, check_values, grid_search, nearest_spikes, signal_io, wrap
from .checks import check_binary, check_bool, check_number


def lif_spikes(x: np.ndarray, threshold, membrane_constant, down_spike: bool) -> np.ndarray:
    """LIF kernel. x: ``[T, B]`` input per step; threshold (> 0) and membrane_constant
    (the fraction of the potential kept per step, in [0, 1]): scalars or ``[B]``.

    ``v`` starts at 0; each step ``v += x[t]``; an up spike fires where
    ``v > threshold`` (a down spike where ``v < -threshold`` if ``down_spike``), the
    potential of a spiking unit resets to 0, then ``v *= membrane_constant``.
    Returns ``[T, B]`` in {-1, 0, 1} (x's dtype).
    """
    th = np.broadcast_to(np.asarray(threshold, x.dtype), x.shape[1:])
    beta = np.broadcast_to(np.asarray(membrane_constant, x.dtype), x.shape[1:])
    out = np.zeros_like(x)
    v = np.zeros(x.shape[1:], x.dtype)
    for t in range(x.shape[0]):
        v = v + x[t]
        up = v > th
        down = (v < -th) if down_spike else np.zeros_like(up)
        v = np.where(up | down, 0, v) * beta
        out[t] = up.astype(x.dtype) - down.astype(x.dtype)
    return out


def lif_decode(spikes: np.ndarray, threshold, membrane_constant) -> np.ndarray:
    """Inverse of the LIF kernel from inter-spike intervals (no loop over time).

    A constant input ``a`` starting from rest first crosses ``threshold`` after ``n``
    steps when ``a (1 - b^n) / (1 - b) ~ threshold`` (``b`` = membrane_constant). Each
    interval of ``n`` steps ending in a spike decodes to the middle of the inputs
    that give it, ``sign * threshold * (1 - b) / (1 - b^(n - 1/2))``
    (``threshold / (n - 1/2)`` for b = 1). For n = 1 the leak never acted (the input
    alone exceeded threshold, with no upper bound) and the level is the leak-free
    ``2 * threshold``. A level holds over the last ``ceil(1 / (1 - b))`` steps
    before the spike only (the potential's memory; the whole interval for b = 1):
    earlier steps of a long interval were below threshold and decode to 0, as do
    steps after the last spike. spikes ``[T, B]`` -> ``[T, B]`` float64.
    """
    steps, batch = spikes.shape
    th = np.broadcast_to(np.asarray(threshold, np.float64), (batch,))[None, :]
    b = np.broadcast_to(np.asarray(membrane_constant, np.float64), (batch,))[None, :]
    last, nxt = nearest_spikes(spikes != 0)
    prev = np.vstack([np.full((1, batch), -1), last[:-1]])          # last spike before t
    t = np.arange(steps)[:, None]
    mid = (nxt - prev).astype(np.float64) - 0.5                      # n - 1/2
    sign = np.take_along_axis(spikes, np.clip(nxt, None, steps - 1), axis=0)
    leaky = b < 1
    safe_b = np.where(leaky, b, 0.0)
    level = np.where(leaky & (mid > 1), th * (1 - safe_b) / (1 - safe_b ** mid), th / mid)
    memory = np.where(leaky, np.ceil(1 / (1 - safe_b)), steps)
    return np.where((nxt < steps) & (nxt - t < memory), sign * level, 0.0)


@dataclass(frozen=True)
class LIF(Normalizing, Encoder):
    """LIF-based encoding. threshold: firing threshold (> 0, in signal units per
    step); membrane_constant: potential kept per step, in [0, 1]; down_spike: also
    fire -1 when the potential falls below -threshold (bipolar). Any finite signal is
    accepted; inputs whose running sum stays within +-threshold produce no spikes.

    normalize: scale each channel to [-1, 1] by its min and max first (``2 * (x - min) /
    (max - min) - 1``, or by the given ``min_value``/``max_value``), as spike-encoding
    does before every LIF encode, and scale decodes back (see ``base.Normalizing``); the
    threshold is then in normalised units. spike-encoding's LIF kernel is not this one
    (it skips step 0 and compares against a baseline), so the spikes differ from the
    package's even then."""

    name = "lif"
    description = "LIF-based encoding: the signal drives a leaky integrate-and-fire neuron"
    static = False
    norm_range = (-1.0, 1.0)

    threshold: float = 0.5
    membrane_constant: float = 0.9
    down_spike: bool = True
    normalize: bool = False
    min_value: float | tuple | None = None
    max_value: float | tuple | None = None

    def __post_init__(self):
        check_number(self.threshold, "threshold", 0.0, lo_open=True)
        check_number(self.membrane_constant, "membrane_constant", 0.0, 1.0)
        check_bool(self.down_spike, "down_spike")
        self._check_normalize()

    @property
    def bipolar(self) -> bool:
        return self.down_spike

    def _input(self, x, name: str, store: bool):
        arr, shape, like = signal_io(x, name)
        check_values(arr, name, self.name)
        return self._scaled(arr, shape, name, store=store), shape, like

    def encode(self, x):
        """Signal ``[T, ...]`` -> spikes ``[T, ...]`` ({-1, 0, 1} if bipolar)."""
        arr, shape, like = self._input(x, "x", store=True)
        return wrap(lif_spikes(arr, self.threshold, self.membrane_constant, self.down_spike).reshape(shape), like)

    def decode(self, spikes, bounds=None):
        """Spikes ``[T, ...]`` -> signal ``[T, ...]`` (see ``lif_decode``; with ``normalize``
        scaled back to the signal's range).
        ``bounds``: the normalisation ``(min, max)`` to restore with (``normalize`` only; default:
        min_value/max_value, else the last encode's ``bounds``)."""
        arr, shape, like = signal_io(spikes, "spikes")
        check_binary(arr, bipolar=self.down_spike)
        y = lif_decode(arr, self.threshold, self.membrane_constant)
        return wrap(self._restored(y, shape, bounds).reshape(shape), like)

    def optimize(self, signal) -> dict:
        """threshold and membrane_constant minimising the reconstruction RMSE of
        ``signal [T, ...]`` (normalised first with ``normalize``), summed over channels,
        for this encoder's down_spike. Grid: threshold 50 log-spaced values from 1e-3 to
        100 times max |signal|; membrane_constant 0, 0.05, ..., 1. Deterministic. Returns
        ``{"threshold", "membrane_constant"}``."""
        x, _, _ = self._input(signal, "signal", store=False)
        amp = float(np.abs(x).max())
        if amp == 0:
            raise ValueError("signal must not be all zeros to optimise the LIF threshold")
        grid = {"threshold": amp * np.logspace(-3, 2, 50),
                "membrane_constant": np.linspace(0.0, 1.0, 21)}

        def reconstruct(xs, p):
            spikes = lif_spikes(xs, p["threshold"], p["membrane_constant"], self.down_spike)
            return lif_decode(spikes, p["threshold"], p["membrane_constant"])
        return grid_search(x, grid, reconstruct)

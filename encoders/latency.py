"""Time-to-first-spike (latency) code of static values in [0, 1]: one spike per value
at most, larger values earlier. Spikes are ``[steps, ..., N]``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, encode_static, to_numpy, wrap
from .checks import check_binary, check_int, check_number


@dataclass(frozen=True)
class Latency(Encoder):
    """Latency code. Values ``x <= threshold`` never spike; the others spike once at
    step ``k`` (``0 <= k < steps``); ``tau`` picks the mode:

    * linear (``tau=None``, the default): ``k = round((1 - x) / (1 - threshold) * (steps - 1))``;
      decode ``x = 1 - k (1 - threshold) / (steps - 1)``.
    * RC (``tau`` in steps, ``0 < threshold < 1``): an RC membrane charged by ``x``
      reaches ``threshold`` after ``tau * ln(x / (x - threshold))``; shifted so
      ``x = 1`` fires at step 0 and rounded to a step; values whose step would be
      ``>= steps`` do not spike. Decode ``x = threshold / (1 - (1 - threshold) e^(-k/tau))``.

    Silent units decode to 0.
    """

    name = "latency"
    description = "time to first spike: one spike per value, larger values earlier (linear or RC)"
    static = True

    steps: int = 15
    tau: float | None = None
    threshold: float = 0.0

    def __post_init__(self):
        check_int(self.steps, "steps", lo=2)
        if self.tau is None:
            check_number(self.threshold, "threshold", 0.0, 1.0, hi_open=True)
        else:
            check_number(self.tau, "tau (RC latency, in steps)", 0.0, lo_open=True)
            check_number(self.threshold, "threshold (RC latency)", 0.0, 1.0, lo_open=True, hi_open=True)

    def _step(self, x: np.ndarray) -> np.ndarray:
        """Spike step per value (``steps`` for silent values), float ``[M]``."""
        th = self.threshold
        fires = x > th
        xs = np.where(fires, x, 1.0)
        if self.tau is None:  # linear
            k = np.round((1.0 - xs) / (1.0 - th) * (self.steps - 1))
        else:
            k = np.round(self.tau * (np.log(xs / (xs - th)) - np.log(1.0 / (1.0 - th))))
        return np.where(fires & (k < self.steps), k, self.steps)

    def encode(self, x):
        """``[..., N]`` values in [0, 1] -> 0/1 spikes ``[steps, ..., N]`` (at most one per unit)."""
        def fn(flat):
            k = self._step(flat)
            return (np.arange(self.steps)[:, None] == k[None, :]).astype(flat.dtype)
        return encode_static(self.name, x, fn)

    def decode(self, spikes):
        """``[steps, ..., N]`` -> ``[..., N]``: the value of each unit's first spike time."""
        arr, like = to_numpy(spikes, "spikes")
        if arr.ndim < 2 or arr.shape[0] != self.steps:
            raise ValueError(f"spikes must have shape [steps={self.steps}, ..., N], got {list(arr.shape)}")
        check_binary(arr)
        fired = arr.any(axis=0)
        k = np.argmax(arr != 0, axis=0).astype(np.float64)
        th = self.threshold
        if self.tau is None:  # linear
            x = 1.0 - k * (1.0 - th) / (self.steps - 1)
        else:
            x = th / (1.0 - (1.0 - th) * np.exp(-k / self.tau))
        return wrap(np.where(fired, x, 0.0), like)

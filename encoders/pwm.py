"""Pulse-width modulation (PWM) code of signals ``[T, ...]`` in [0, 1] (or any signal,
min-max normalised per channel with ``normalize=True``) against a sawtooth carrier
(Arriandiaga et al. 2019): the phase of each spike within a carrier period carries one
sample of the signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, Normalizing, check_values, grid_search, initial_values, nearest_spikes, signal_io, wrap
from .checks import check_binary, check_bool, check_number


def sawtooth(steps: int, cycles_per_step) -> np.ndarray:
    """Carrier ``c[t] = frac(t * cycles_per_step)`` in [0, 1): ``[steps, 1]`` for a
    scalar rate, ``[steps, B]`` for per-column rates ``[B]``."""
    f = np.atleast_1d(np.asarray(cycles_per_step, np.float64))
    return np.mod(np.arange(steps, dtype=np.float64)[:, None] * f[None, :], 1.0)


def pwm_spikes(x: np.ndarray, cycles_per_step, down_spike: bool) -> np.ndarray:
    """PWM kernel (no loop over time). x: ``[T, B]`` in [0, 1].

    With the carrier ``c`` (see ``sawtooth``) the comparator state is -1 where
    ``down_spike and x > 1 - c`` (falling carrier crossed), else +1 where ``x < c``
    (rising carrier crossed), else 0; a spike of the state's sign fires where the
    state enters +1 or -1. Returns ``[T, B]`` in {-1, 0, 1} (x's dtype).
    """
    c = sawtooth(x.shape[0], cycles_per_step)
    state = np.where(x < c, 1, 0)
    if down_spike:
        state = np.where(x > 1.0 - c, -1, state)
    prev = np.vstack([np.zeros_like(state[:1]), state[:-1]])
    return np.where((state != 0) & (state != prev), state, 0).astype(x.dtype)


def pwm_decode(spikes: np.ndarray, cycles_per_step, initial=None) -> np.ndarray:
    """Inverse of the PWM kernel. Each spike at step t gives one sample: the middle of
    the carrier interval it was crossed in (up: ``c[t] - d/2``, down:
    ``1 - c[t] + d/2``, with ``d = min(cycles_per_step, c[t])``); ``initial`` (scalar
    or ``[B]``), when given, is one more sample at step 0 (where the kernel never
    spikes). Samples are joined by straight lines and held before the first and after
    the last one; a column without samples decodes to 0.
    spikes ``[T, B]`` -> ``[T, B]`` float64."""
    steps = spikes.shape[0]
    c = sawtooth(steps, cycles_per_step) * np.ones((1, spikes.shape[1]))
    d = np.minimum(np.atleast_1d(np.asarray(cycles_per_step, np.float64))[None, :], c) / 2
    sample = np.where(spikes > 0, c - d, 1.0 - c + d)
    hit = spikes != 0
    if initial is not None:
        sample[0], hit[0] = initial, True
    t = np.arange(steps)[:, None]
    prev, nxt = nearest_spikes(hit)
    cols = np.arange(spikes.shape[1])[None, :]
    v_prev = sample[np.clip(prev, 0, None), cols]
    v_next = sample[np.clip(nxt, None, steps - 1), cols]
    frac = np.where(nxt > prev, (t - prev) / np.maximum(nxt - prev, 1), 0.0)
    inner = v_prev + (v_next - v_prev) * frac
    out = np.where(prev < 0, v_next, np.where(nxt >= steps, v_prev, inner))
    return np.where((prev < 0) & (nxt >= steps), 0.0, out)


@dataclass(frozen=True)
class PWM(Normalizing, Encoder):
    """Pulse-width modulation for signals in [0, 1]. frequency: carrier frequency in
    Hz, dt: step in seconds, with ``0 < frequency * dt <= 0.5`` (at least two steps
    per carrier period). down_spike: bipolar (a rising and a falling carrier, two
    samples per period) or unipolar.

    The amplitude resolution is the carrier step ``frequency * dt``: each sample is
    the middle of the step the carrier crossed the signal in, so a constant signal
    decodes to within ``frequency * dt / 2``. It must spike to do so: unipolar, a
    value at or above the carrier's highest level over the signal's steps (e.g. ``x >= 0.75`` at
    ``frequency * dt = 0.25``) never spikes and decodes to 0; bipolar, only
    ``x = 0.5`` at ``frequency * dt = 0.5`` never does.

    normalize: scale each channel to [0, 1] by its min and max first (or by the given
    ``min_value``/``max_value``), as spike-encoding does before every PWM encode, and
    scale decodes back (see ``base.Normalizing``). spike-encoding's carrier is not this
    one (it runs ``frequency`` against 999 steps per second and restarts at each wrap),
    so the spikes differ from the package's even then."""

    name = "pwm"
    description = "pulse-width modulation: spike phase against a sawtooth carrier carries the value"
    static = False

    frequency: float = 50.0
    dt: float = 1e-3
    down_spike: bool = True
    normalize: bool = False
    min_value: float | tuple | None = None
    max_value: float | tuple | None = None

    def __post_init__(self):
        check_number(self.frequency, "frequency", 0.0, lo_open=True)
        check_number(self.dt, "dt", 0.0, lo_open=True)
        check_bool(self.down_spike, "down_spike")
        if self.frequency * self.dt > 0.5:
            raise ValueError(f"frequency * dt must be in (0, 0.5] (at least two steps per carrier period), "
                             f"got {self.frequency * self.dt:g}")
        self._check_normalize()

    @property
    def bipolar(self) -> bool:
        return self.down_spike

    def _input(self, x, name: str, store: bool):
        """``x`` as ``([T, B] in [0, 1], shape, like)``: normalised, or checked to lie in [0, 1]."""
        arr, shape, like = signal_io(x, name)
        if not self.normalize:
            check_values(arr, name, self.name, 0.0, 1.0)
        return self._scaled(arr, shape, name, store=store), shape, like

    def encode(self, x):
        """Signal ``[T, ...]`` (in [0, 1] unless ``normalize``) -> spikes ``[T, ...]``
        ({-1, 0, 1} if bipolar)."""
        arr, shape, like = self._input(x, "x", store=True)
        return wrap(pwm_spikes(arr, self.frequency * self.dt, self.down_spike).reshape(shape), like)

    def decode(self, spikes, initial=None, bounds=None):
        """Spikes ``[T, ...]`` -> signal ``[T, ...]`` (see ``pwm_decode``; with ``normalize``
        scaled back to the signal's range). ``initial``: optionally the signal's first
        value (a number or an array ``[...]``, in the signal's units), which step 0
        cannot carry.
        ``bounds``: the normalisation ``(min, max)`` to restore with (``normalize`` only; default:
        min_value/max_value, else the last encode's ``bounds``)."""
        arr, shape, like = signal_io(spikes, "spikes")
        check_binary(arr, bipolar=self.down_spike)
        init = None if initial is None else self._initial_scaled(initial_values(initial, shape, self.name), shape, bounds)
        y = pwm_decode(arr, self.frequency * self.dt, init)
        return wrap(self._restored(y, shape, bounds).reshape(shape), like)

    def optimize(self, signal) -> dict:
        """The carrier frequency minimising the reconstruction RMSE of ``signal [T, ...]``
        (in [0, 1], or normalised first with ``normalize``), summed over channels, for
        this encoder's dt and down_spike. Grid: 120 log-spaced ``frequency * dt`` from
        ``1 / T`` to 0.49. Deterministic. Returns ``{"frequency": float}`` in Hz."""
        x, _, _ = self._input(signal, "signal", store=False)
        lo = min(1.0 / max(x.shape[0], 2), 0.49)
        grid = {"frequency": np.logspace(np.log10(lo), np.log10(0.49), 120) / self.dt}

        def reconstruct(xs, p):
            f = p["frequency"] * self.dt
            return pwm_decode(pwm_spikes(xs, f, self.down_spike), f)
        return grid_search(x, grid, reconstruct)

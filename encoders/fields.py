"""Gaussian receptive fields (the "bin encoder"): each value drives ``n_bins`` units
whose rates fall off as a Gaussian of the distance to their centres."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Encoder, check_static_shape, check_values, to_numpy, work_dtype, wrap
from .checks import check_binary, check_int, check_number
from .rate import even_spikes


@dataclass(frozen=True)
class ReceptiveFields(Encoder):
    """Gaussian receptive-field population code of static values.

    Each feature ``x_i`` in ``[min_values_i, max_values_i]`` is scaled to
    ``u in [0, 1]``; bin ``j`` (centre ``c_j = j / (n_bins - 1)``) fires with
    probability per step ``r_j = exp(-(u - c_j)^2 / (2 sigma^2))``, placed
    deterministically as evenly spaced spikes (``encoders.rate.even_spikes``).
    ``sigma`` is in scaled units (default: the centre spacing ``1 / (n_bins - 1)``).
    ``[..., N]`` encodes to ``[steps, ..., N * n_bins]``, the bins of feature 0 first.
    min_values / max_values: a number or one per feature.

    Decode takes the two most active bins of each feature and inverts the Gaussian
    from the ratio of their rates, exact up to the rate quantisation: each rate is
    floored to a multiple of 1 / steps, and the second bin's rate is at least
    ``1 / g`` with ``g = exp(d^2 / (2 sigma^2))`` (``d = 1 / (n_bins - 1)``; ``g =
    sqrt(e)`` for the default sigma). So for ``steps > g`` a value decodes to within
    ``(sigma^2 / d) ln(1 / (1 - g / steps)) ~ sigma^2 g / (d steps)`` in scaled units
    (``1.65 d / steps`` for the default sigma), times ``max_values - min_values``
    in the original units.
    """

    name = "receptive_fields"
    description = "Gaussian receptive fields (bin encoder): each value spreads over n_bins units"
    static = True

    n_bins: int = 5
    min_values: float | tuple = 0.0
    max_values: float | tuple = 1.0
    steps: int = 15
    sigma: float | None = None

    def __post_init__(self):
        check_int(self.n_bins, "n_bins", lo=2)
        check_int(self.steps, "steps", lo=1)
        lo, hi = self._bounds()
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()) or lo.shape != hi.shape or (hi <= lo).any():
            raise ValueError(f"min_values and max_values must be finite numbers (or equal-length lists) "
                             f"with max_values > min_values, got {self.min_values!r} and {self.max_values!r}")
        for key in ("min_values", "max_values"):
            v = getattr(self, key)
            if not isinstance(v, (int, float)):
                object.__setattr__(self, key, tuple(float(a) for a in np.atleast_1d(v)))
        if self.sigma is None:
            object.__setattr__(self, "sigma", 1.0 / (self.n_bins - 1))
        check_number(self.sigma, "sigma", 0.0, lo_open=True)

    def units(self, n: int) -> int:
        """``n`` values encode to ``n * n_bins`` units."""
        return n * self.n_bins

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.atleast_1d(np.asarray(self.min_values, np.float64)),
                np.atleast_1d(np.asarray(self.max_values, np.float64)))

    def scaled(self, x):
        """Values ``[..., N]`` (numpy or torch) scaled by ``min_values``/``max_values`` into [0, 1],
        as the bins see them (ValueError for values outside the bounds); the same kind out."""
        arr, like = to_numpy(x)
        check_static_shape(arr.shape)
        return wrap(self._scaled(arr.astype(np.float64)), like)

    def _scaled(self, arr: np.ndarray) -> np.ndarray:
        lo, hi = self._bounds()
        n = arr.shape[-1]
        if lo.size not in (1, n):
            raise ValueError(f"min_values/max_values have {lo.size} entries but x has {n} features")
        check_values(arr, "x", self.name)
        if (arr < lo).any() or (arr > hi).any():
            raise ValueError(f"x must lie in [min_values, max_values] = [{self.min_values}, {self.max_values}] "
                             f"for the receptive_fields encoder, got range [{arr.min():g}, {arr.max():g}]")
        return (arr - lo) / (hi - lo)

    def encode(self, x):
        """``[..., N]`` values -> 0/1 spikes ``[steps, ..., N * n_bins]``."""
        arr, like = to_numpy(x)
        check_static_shape(arr.shape)
        u = self._scaled(arr.astype(np.float64))
        centres = np.linspace(0.0, 1.0, self.n_bins)
        r = np.exp(-(u[..., None] - centres) ** 2 / (2 * self.sigma ** 2)).reshape(-1)
        spikes = even_spikes(r, self.steps, work_dtype(arr))
        return wrap(spikes.reshape(self.steps, *arr.shape[:-1], arr.shape[-1] * self.n_bins), like)

    def decode(self, spikes):
        """``[steps, ..., N * n_bins]`` -> ``[..., N]`` in the original units."""
        arr, like = to_numpy(spikes, "spikes")
        if arr.ndim < 2 or arr.shape[0] != self.steps or arr.shape[-1] % self.n_bins:
            raise ValueError(f"spikes must have shape [steps={self.steps}, ..., N * n_bins={self.n_bins}], "
                             f"got {list(arr.shape)}")
        check_binary(arr)
        rates = arr.sum(axis=0, dtype=np.float64).reshape(*arr.shape[1:-1], -1, self.n_bins) / self.steps
        order = np.argsort(-rates, axis=-1, kind="stable")
        i, j = order[..., 0], order[..., 1]
        ri = np.take_along_axis(rates, i[..., None], -1)[..., 0]
        rj = np.take_along_axis(rates, j[..., None], -1)[..., 0]
        ci, cj = i / (self.n_bins - 1), j / (self.n_bins - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            pair = (ci + cj) / 2 + self.sigma ** 2 * (np.log(ri) - np.log(rj)) / (ci - cj)
        u = np.where(rj > 0, pair, ci)
        lo, hi = self._bounds()
        return wrap(lo + u * (hi - lo), like)

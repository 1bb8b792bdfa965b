"""State encoder for control observations (e.g. Gymnasium's CartPole): observation
batches ``[B, F]`` to spike trains ``[steps, B, units]``, the role of spike-encoding's
``GymnasiumEncoder`` (and of its ``ScalerFactory``/``ConverterFactory``).

Per observation, each feature is scaled to [0, 1] by fixed bounds ``low``/``high``
(values outside are clipped to them first), optionally turned into a change since the
previous observation (``coder="step"``), split into a positive and a negative population
(``split_exc_inh``) and complemented (``inverted``); every resulting rate in [0, 1] (spikes
per step) becomes a spike train of ``steps`` steps.

Units, population by population (F features, feature index ``i`` fastest):

=================================  ==============================================
split_exc_inh, inverted            units (each block has F units, in feature order)
=================================  ==============================================
False, False                       ``x``
False, True                        ``x``, ``1 - x``
True, False                        ``up``, ``down``
True, True                         ``up``, ``down``, ``1 - up``, ``1 - down``
=================================  ==============================================

where ``x`` is the scaled value, ``up = max(2 x - 1, 0)`` and ``down = max(1 - 2 x, 0)``
(the signed value ``2 x - 1`` in [-1, 1] split at the bounds' midpoint), as the seed
orders them (inverses appended after all regular trains).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from .base import Encoder, to_numpy, wrap
from .checks import check_binary, check_bool, check_choice, check_int, check_number
from .rate import check_seed, even_spikes, poisson

CODERS = ("deterministic", "poisson", "step")


def _bounds(value, name: str) -> tuple[float, ...]:
    """A per-feature bound as a tuple of floats; ValueError unless a non-empty 1-D
    sequence of finite numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value, dtype=object)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty sequence of numbers, one per feature, got {value!r}")
    return tuple(check_number(v.item() if hasattr(v, "item") else v, f"{name}[{i}]") for i, v in enumerate(arr))


@dataclass(frozen=True)
class State(Encoder):
    """Rate or step code of control observations ``[B, F]`` (or ``[F]``) to 0/1 spikes
    ``[steps, B, units]`` (or ``[steps, units]``); see the module for the unit order.

    low, high: the bounds of each feature (F numbers each, observation units, every
    ``high > low``); an observation outside them is clipped to the nearer bound (the
    seed's scaler does not clip, but a rate above 1 spikes at every step there and one
    below 0 never, which is the same).
    steps: time steps per observation.
    coder: ``"deterministic"``: evenly spaced spikes, ``floor(steps * r)`` of them for
    rate r (``rate.even_spikes``); ``"poisson"``: a spike with probability r at every step
    (``rate.poisson``, seeded by ``seed``); ``"step"``: the change since the previous
    observation, ``(x - previous) / threshold`` clipped to [-1, 1], coded as
    ``r = 0.5 + change / 2`` (0.5: no change) before the split, evenly spaced.
    threshold (step coder): the change per observation, in observation units, that
    gives the full rate; a number or one per feature; None is ``high - low`` (the seed
    converter's default threshold 1 on the scaled values). ``fit_threshold`` sets it
    from recorded episodes, as the seed's ``ConverterFactory`` does.
    split_exc_inh: two populations per feature (positive and negative part of the
    signed value); inverted: also every train's complement ``1 - r``.
    seed (poisson): an integer in ``[0, 2**32 - 1]``, the same spikes on every call; None
    draws fresh ones. Defaults as the seed's GymnasiumEncoder (deterministic, split).
    """

    name = "state"
    description = "control observations [B, F]: scaled by low/high, rate or step coded, split, inverted"
    static = True

    low: tuple | None = None
    high: tuple | None = None
    steps: int = 10
    coder: str = "deterministic"
    split_exc_inh: bool = True
    inverted: bool = False
    threshold: float | tuple | None = None
    seed: int | None = None

    def __post_init__(self):
        if self.low is None or self.high is None:
            raise ValueError("the state encoder needs low and high, the bounds of every observation feature "
                             "(or build it from a Gymnasium Box space with encoders.state.from_space)")
        low, high = _bounds(self.low, "low"), _bounds(self.high, "high")
        if len(low) != len(high):
            raise ValueError(f"low and high must have one value per feature each, got {len(low)} and {len(high)}")
        bad = [i for i in range(len(low)) if not high[i] > low[i]]
        if bad:
            i = bad[0]
            raise ValueError(f"high must be > low for every feature, got low[{i}]={low[i]:g} >= high[{i}]={high[i]:g}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        check_int(self.steps, "steps")
        check_choice(self.coder, "coder", CODERS)
        check_bool(self.split_exc_inh, "split_exc_inh")
        check_bool(self.inverted, "inverted")
        if self.threshold is not None:
            if isinstance(self.threshold, (list, tuple, np.ndarray, torch.Tensor)):
                th = _bounds(self.threshold, "threshold")
                if len(th) != len(low):
                    raise ValueError(f"threshold must be a number or one per feature ({len(low)}), got {len(th)} values")
                th = tuple(check_number(v, f"threshold[{i}]", 0.0, lo_open=True) for i, v in enumerate(th))
            else:
                th = check_number(self.threshold, "threshold", 0.0, lo_open=True)
            object.__setattr__(self, "threshold", th)
        if self.seed is not None:
            check_seed(self.seed)

    # --- layout ------------------------------------------------------------------

    @property
    def features(self) -> int:
        """F, the number of observation features."""
        return len(self.low)

    @property
    def n_units(self) -> int:
        """Spike trains per observation: F, times 2 with split_exc_inh, times 2 with inverted."""
        return self.features * (2 if self.split_exc_inh else 1) * (2 if self.inverted else 1)

    def units(self, n: int | None = None) -> int:
        """The spike trains that ``n`` features (default: the encoder's F) encode to: ``n_units``;
        ValueError for another ``n`` (the bounds fix the number of features)."""
        if n is not None and n != self.features:
            raise ValueError(f"this state encoder has {self.features} features (its bounds), got {n} values per item")
        return self.n_units

    def unit_labels(self) -> list[str]:
        """A name per unit in order, e.g. ``"f2+"`` (feature 2, positive part), ``"f2-"``
        (negative part), ``"f2"`` (unsplit), with ``"~"`` in front for an inverse."""
        f = range(self.features)
        base = [f"f{i}+" for i in f] + [f"f{i}-" for i in f] if self.split_exc_inh else [f"f{i}" for i in f]
        return base + ["~" + b for b in base] if self.inverted else base

    # --- observations to rates ----------------------------------------------------

    def _observations(self, obs, name: str) -> tuple[np.ndarray, object, bool]:
        """``obs`` as float64 ``[B, F]``, its ``like`` for ``wrap``, and whether it was ``[F]``;
        ValueError for another shape or a value that is not finite."""
        arr, like = to_numpy(obs, name)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.features:
            raise ValueError(f"{name} must have shape [F] or [B, F] with F = {self.features} features, "
                             f"got {list(arr.shape)}")
        single = arr.ndim == 1
        arr = np.atleast_2d(arr.astype(np.float64))
        if not np.isfinite(arr).all():
            b, i = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(f"{name} must be finite, got {arr[b, i]} (row {b}, feature {i})")
        return arr, like, single

    def _scale(self, arr: np.ndarray) -> np.ndarray:
        low, high = np.asarray(self.low), np.asarray(self.high)
        return (np.clip(arr, low, high) - low) / (high - low)

    def scale(self, obs) -> np.ndarray:
        """Observations ``[B, F]`` (or ``[F]``) to values in [0, 1]: clipped to
        ``[low, high]``, then ``(x - low) / (high - low)``; float64, same shape."""
        arr, _, single = self._observations(obs, "observation")
        out = self._scale(arr)
        return out[0] if single else out

    def _threshold_scaled(self) -> np.ndarray:
        """The step coder's threshold per feature in scaled units, ``[F]``."""
        span = np.asarray(self.high) - np.asarray(self.low)
        th = span if self.threshold is None else np.broadcast_to(np.asarray(self.threshold, np.float64), span.shape)
        return th / span

    def _previous(self, previous, batch: int) -> np.ndarray:
        """The step coder's previous observation as scaled ``[batch, F]``."""
        prev, _, _ = self._observations(previous, "previous")
        if prev.shape[0] != batch:
            raise ValueError(f"previous must hold one observation per encoded one ({batch}), got "
                             f"{list(np.shape(to_numpy(previous, 'previous')[0]))}")
        return self._scale(prev)

    def _rates(self, x: np.ndarray, previous) -> np.ndarray:
        """Scaled observations ``[B, F]`` -> rates ``[B, units]``."""
        if self.coder == "step":
            change = np.zeros_like(x) if previous is None else np.clip(
                (x - self._previous(previous, x.shape[0])) / self._threshold_scaled(), -1.0, 1.0)
            x = 0.5 + change / 2
        elif previous is not None:
            raise ValueError(f"previous is only used by coder 'step', not by coder {self.coder!r}")
        if self.split_exc_inh:
            signed = 2 * x - 1
            x = np.concatenate([np.maximum(signed, 0.0), np.maximum(-signed, 0.0)], axis=1)
        if self.inverted:
            x = np.concatenate([x, 1.0 - x], axis=1)
        return x

    def rates(self, obs, previous=None) -> np.ndarray:
        """The rate (spikes per step, in [0, 1]) of every unit: float64 ``[B, units]``
        (``[units]`` for ``[F]`` input). ``previous``: the step coder's previous
        observation (``[F]`` or ``[B, F]``); None (an episode's start) is no change."""
        arr, _, single = self._observations(obs, "observation")
        r = self._rates(self._scale(arr), previous)
        return r[0] if single else r

    # --- encode / decode --------------------------------------------------------------

    def encode(self, obs, previous=None, generator: torch.Generator | None = None):
        """Observations ``[B, F]`` (or ``[F]``) -> 0/1 spikes ``[steps, B, units]`` (or
        ``[steps, units]``) of obs's kind (float dtype of obs, else float32). previous:
        the step coder's previous observation (see ``rates``); generator (poisson):
        overrides ``seed``, e.g. one ``make_generator(seed)`` for a whole episode, so
        that each observation draws fresh spikes."""
        arr, like, single = self._observations(obs, "observation")
        r = self._rates(self._scale(arr), previous)
        if self.coder == "poisson":
            out = poisson(r, self.steps, max_rate=1.0, dt=1.0, seed=self.seed, generator=generator)
        else:
            out = even_spikes(r.reshape(-1), self.steps, np.float64).reshape(self.steps, *r.shape)
        return wrap(out[:, 0] if single else out, like)

    def decode(self, spikes, previous=None):
        """Spikes ``[steps, B, units]`` (or ``[steps, units]``) -> observations ``[B, F]``
        (or ``[F]``) within ``[low, high]``, of the spikes' kind. Each unit's rate is its
        count / steps; with ``inverted`` averaged with 1 minus its inverse's rate (for the
        deterministic coder the middle of the rates that give both counts); the split
        populations give ``x = (1 + up - down) / 2``. Resolution (deterministic): within
        ``(high - low) / steps``, halved by the split and again by the inverses. The step
        coder needs ``previous`` (the observation before) and returns ``previous + change``
        (clipped to the bounds); without it, ValueError."""
        arr, like = to_numpy(spikes, "spikes")
        if arr.ndim not in (2, 3) or arr.shape[0] != self.steps or arr.shape[-1] != self.n_units:
            raise ValueError(f"spikes must have shape [steps={self.steps}, B, units={self.n_units}] or "
                             f"[steps, units], got {list(arr.shape)}")
        check_binary(arr)
        if self.coder == "step" and previous is None:
            raise ValueError("coder 'step' codes the change since the previous observation: decode needs "
                             "previous=, the observation before the encoded one")
        r = np.atleast_2d(arr.sum(axis=0, dtype=np.float64) / self.steps)
        if self.inverted:
            half = self.n_units // 2
            r = (r[:, :half] + 1.0 - r[:, half:]) / 2
        if self.split_exc_inh:
            f = self.features
            r = (1.0 + r[:, :f] - r[:, f:]) / 2
        if self.coder == "step":
            r = np.clip(self._previous(previous, r.shape[0]) + (2 * r - 1) * self._threshold_scaled(), 0.0, 1.0)
        low, high = np.asarray(self.low), np.asarray(self.high)
        out = low + r * (high - low)
        return wrap(out[0] if arr.ndim == 2 else out, like)

    # --- the seed's ConverterFactory ------------------------------------------------

    def fit_threshold(self, observations) -> "State":
        """A copy with the step coder's per-feature threshold set from recorded
        observations ``[S, F]`` or ``[S, B, F]`` (S consecutive steps of B episodes): the
        largest change of each feature between consecutive steps (after clipping to the
        bounds), as the seed's ``ConverterFactory`` fits its converter. ValueError if a
        feature never changes."""
        arr, _ = to_numpy(observations, "observations")
        if arr.ndim not in (2, 3) or arr.shape[-1] != self.features or arr.shape[0] < 2:
            raise ValueError(f"observations must have shape [S, F] or [S, B, F] with S >= 2 steps and "
                             f"F = {self.features}, got {list(arr.shape)}")
        scaled = self.scale(arr.reshape(-1, self.features))
        scaled = scaled.reshape(arr.shape[0], -1, self.features)
        largest = np.abs(np.diff(scaled, axis=0)).max(axis=(0, 1))
        if not (largest > 0).all():
            raise ValueError(f"feature(s) {np.flatnonzero(largest <= 0).tolist()} never change in observations: "
                             f"no threshold fits them")
        span = np.asarray(self.high) - np.asarray(self.low)
        return dataclasses.replace(self, threshold=tuple(float(v) for v in largest * span))


def from_space(space, steps: int = 10, low=None, high=None, **params) -> State:
    """A ``State`` encoder for a Gymnasium ``Box`` observation space of shape ``[F]``:
    its bounds, or ``low``/``high`` where given (each replaces the space's bounds for
    every feature). ValueError for a space that is not a 1-D Box, or for infinite
    bounds without explicit ones (CartPole's velocities are unbounded): a scaler needs
    finite bounds. ``params``: the other State parameters (coder, split_exc_inh, ...).
    gymnasium is imported here only."""
    try:
        from gymnasium.spaces import Box
    except ImportError as exc:                                     # pragma: no cover - gymnasium is a dependency
        raise ImportError("from_space needs gymnasium (pip install gymnasium)") from exc
    if not isinstance(space, Box):
        raise ValueError(f"space must be a gymnasium.spaces.Box of observations, got {space!r}")
    if len(space.shape) != 1:
        raise ValueError(f"space must be a 1-D Box (F features), got shape {space.shape}")
    bounds = {}
    for name, given, default in (("low", low, space.low), ("high", high, space.high)):
        values = np.asarray(default if given is None else given, np.float64)
        if values.shape != space.shape:
            raise ValueError(f"{name} must have one value per feature of the space ({space.shape[0]}), got "
                             f"{list(values.shape)}")
        infinite = np.flatnonzero(~np.isfinite(values))
        if infinite.size:
            source = "the space's" if given is None else "the given"
            raise ValueError(f"{source} {name} is infinite for feature(s) {infinite.tolist()} "
                             f"({name}={values.tolist()}): pass finite {name}=[...] for every feature")
        bounds[name] = tuple(float(v) for v in values)
    return State(low=bounds["low"], high=bounds["high"], steps=steps, **params)

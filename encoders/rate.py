"""Rate codes of static values in [0, 1] (e.g. pixels): random (``poisson``) and
deterministic (``regular``). Spikes are ``[steps, ..., N]``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .base import Encoder, check_extremes, check_static_shape, encode_static, to_numpy, wrap
from .checks import check_binary, check_bool, check_int, check_number


#: The largest seed: torch's CPU generator (mt19937) keeps only a seed's low 32 bits, so
#: ``2**32 + k`` would silently draw what ``k`` draws.
SEED_MAX = 2**32 - 1


def check_seed(seed) -> int:
    """``seed`` as an int; ValueError naming ``seed`` unless it is an integer in
    ``[0, SEED_MAX]`` (the seeds that give distinct torch CPU streams)."""
    return check_int(seed, "seed", lo=0, hi=SEED_MAX)


def make_generator(seed: int | None = None, generator: torch.Generator | None = None) -> torch.Generator:
    """A CPU ``torch.Generator`` from a seed (an integer in ``[0, 2**32 - 1]``, see
    ``SEED_MAX``; None: fresh entropy) or the one given. Random draws are made on the CPU
    so one seed gives the same spikes on every device."""
    if generator is not None:
        return generator
    g = torch.Generator(device="cpu")
    if seed is None:
        g.seed()
    else:
        g.manual_seed(check_seed(seed))
    return g


def _check_rate(steps, max_rate, dt) -> None:
    """ValueError unless steps is an integer >= 1, max_rate (Hz) >= 0, dt (s) > 0
    and max_rate * dt <= 1 (all finite)."""
    check_int(steps, "steps")
    check_number(max_rate, "max_rate (Hz)", 0.0)
    check_number(dt, "dt (s)", 0.0, lo_open=True)
    if max_rate * dt > 1:
        raise ValueError(f"max_rate * dt must be <= 1 (a spike probability per step), got {max_rate * dt:g}")


def full_rate(dt: float) -> float:
    """The largest rate (Hz) whose spike probability per step ``rate * dt`` is not above 1 in
    floating point: ``1 / dt`` or the float just below it (a spike at every step for a value of 1)."""
    dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    rate = 1.0 / dt
    while rate * dt > 1.0:
        rate = math.nextafter(rate, 0.0)
    return rate


def poisson(x, steps: int, max_rate: float, dt: float = 1e-3, seed: int | None = None,
            generator: torch.Generator | None = None, normalize: bool = False):
    """Bernoulli rate code (the paper's "Poisson" input).

    x: values in [0, 1], any shape ``[..., N]`` (torch tensor or numpy array); with
    ``normalize=True`` any finite values, min-max scaled over the whole input first.
    Returns 0/1 spikes ``[steps, ..., N]`` of x's kind (dtype of ``x`` if floating,
    else float32; on ``x``'s device): at each step a unit spikes with probability
    ``x * max_rate * dt`` (max_rate in Hz, dt in seconds). The uniforms are drawn on
    the CPU as float32 from ``make_generator(seed, generator)``: for each entry with a
    positive probability in turn (row-major order of ``x``; none for the others), its
    ``steps`` uniforms. So a seed gives the same spikes for numpy and torch input on every
    device, and (without ``normalize``) encoding the rows of ``x`` in consecutive slices
    with one generator gives the same spikes as encoding them at once.
    """
    is_numpy = not isinstance(x, torch.Tensor)
    if is_numpy:
        arr, _ = to_numpy(x)
        x = torch.as_tensor(arr)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    _check_rate(steps, max_rate, dt)
    check_static_shape(x.shape)
    check_bool(normalize, "normalize")
    if x.numel():
        lo, hi = (float(v) for v in torch.aminmax(x))           # one pass; NaN and inf show up here
        bounds = (-math.inf, math.inf) if normalize else (0.0, 1.0)
        check_extremes(lo, hi, "x", "poisson", *bounds, fix="normalise it first or pass normalize=True")
        if normalize:
            x = (x - lo) / (hi - lo) if hi > lo else torch.zeros_like(x)
    g = make_generator(seed, generator)
    p = (x.detach().to("cpu", torch.float32) * (max_rate * dt)).reshape(-1)
    # Uniforms only where a spike can happen (p > 0; on MNIST a fifth of the pixels; the
    # draw is the bulk of the encoder's time), entry by entry so that slices draw alike.
    possible = p.nonzero().squeeze(1)
    u = torch.rand((len(possible), int(steps)), generator=g, dtype=torch.float32)
    spikes = torch.zeros((int(steps), p.numel()), dtype=torch.float32)
    spikes.index_copy_(1, possible, torch.lt(u, p[possible, None], out=u).T)  # 0/1 written over u
    out = spikes.view(int(steps), *x.shape).to(device=x.device, dtype=x.dtype)
    return out.numpy() if is_numpy else out


def even_spikes(r: np.ndarray, steps: int, dtype=np.float32) -> np.ndarray:
    """Evenly spaced spikes at ``r`` spikes per step (``r [M]`` in [0, 1], float32 or
    float64): the running count after step t is ``floor((t + 1) * r + tol)``, so the
    total is ``floor(steps * r)`` and inter-spike intervals differ by at most one
    step. ``tol = 8 * steps * eps(r.dtype)`` absorbs the rounding of ``r`` itself, so
    e.g. 10 * 0.7 counts as 7 in float32 as in float64. Returns 0/1 ``[steps, M]``."""
    r = np.asarray(r)
    tol = 8 * steps * np.finfo(r.dtype if r.dtype == np.float32 else np.float64).eps
    count = np.arange(1, steps + 1, dtype=np.float64)[:, None] * r.astype(np.float64)[None, :]
    count += tol
    np.floor(count, out=count)
    out = np.empty(count.shape, dtype)
    out[0] = count[0]
    np.subtract(count[1:], count[:-1], out=out[1:], casting="unsafe")
    return out


def regular(x, steps: int, max_rate: float, dt: float = 1e-3):
    """Deterministic rate code: evenly spaced spikes (see ``even_spikes``) at
    ``x * max_rate * dt`` spikes per step, ``floor(steps * x * max_rate * dt)`` in all.
    x: values in [0, 1], ``[..., N]`` (numpy or torch). Returns 0/1 spikes
    ``[steps, ..., N]`` of x's kind."""
    _check_rate(steps, max_rate, dt)
    return encode_static("regular", x, lambda flat: even_spikes(flat * (max_rate * dt), steps, flat.dtype))


def rate_decode(spikes, steps: int, max_rate: float, dt: float):
    """Spike counts back to values: ``[steps, ..., N]`` 0/1 -> ``[..., N]``,
    ``count / (steps * max_rate * dt)`` (the unbiased estimate for both rate codes)."""
    arr, like = to_numpy(spikes, "spikes")
    if arr.ndim < 2 or arr.shape[0] != steps:
        raise ValueError(f"spikes must have shape [steps={steps}, ..., N], got {list(arr.shape)}")
    check_binary(arr)
    if max_rate == 0:
        raise ValueError("max_rate must be > 0 Hz to decode a rate code")
    return wrap(arr.sum(axis=0, dtype=np.float64) / (steps * max_rate * dt), like)


@dataclass(frozen=True)
class Poisson(Encoder):
    """Bernoulli/Poisson rate code of values in [0, 1] (see ``poisson``).
    max_rate in Hz, dt in seconds; the paper: 300 Hz (MNIST) / 500 Hz
    (Fashion-MNIST), dt = 1 ms. ``seed=None`` draws fresh spikes on every call."""

    name = "poisson"
    description = "random rate code: spike with probability x * max_rate * dt each step"
    static = True

    max_rate: float = 300.0
    steps: int = 15
    dt: float = 1e-3
    seed: int | None = None
    normalize: bool = False

    def __post_init__(self):
        _check_rate(self.steps, self.max_rate, self.dt)
        if self.seed is not None:
            check_seed(self.seed)
        check_bool(self.normalize, "normalize")

    def encode(self, x, generator: torch.Generator | None = None):
        """``[..., N]`` values -> 0/1 spikes ``[steps, ..., N]``; a ``generator``
        overrides the encoder's seed."""
        return poisson(x, self.steps, self.max_rate, self.dt, seed=self.seed, generator=generator,
                       normalize=self.normalize)

    def decode(self, spikes):
        """``[steps, ..., N]`` -> ``[..., N]`` via ``rate_decode``."""
        return rate_decode(spikes, self.steps, self.max_rate, self.dt)


@dataclass(frozen=True)
class Regular(Encoder):
    """Deterministic rate code of values in [0, 1] (see ``regular``)."""

    name = "regular"
    description = "deterministic rate code: evenly spaced spikes, count floor(steps * x * max_rate * dt)"
    static = True

    max_rate: float = 300.0
    steps: int = 15
    dt: float = 1e-3

    def __post_init__(self):
        _check_rate(self.steps, self.max_rate, self.dt)

    def encode(self, x):
        """``[..., N]`` values -> 0/1 spikes ``[steps, ..., N]``."""
        return regular(x, self.steps, self.max_rate, self.dt)

    def decode(self, spikes):
        """``[steps, ..., N]`` -> ``[..., N]`` via ``rate_decode``."""
        return rate_decode(spikes, self.steps, self.max_rate, self.dt)

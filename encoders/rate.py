"""Rate codes of static values in [0, 1] (e.g. pixels)."""

from __future__ import annotations

import math

import torch


def make_generator(seed: int | None = None, generator: torch.Generator | None = None) -> torch.Generator:
    """A CPU ``torch.Generator`` from a seed (or the one given). Random draws are
    made on the CPU so one seed gives the same spikes on every device."""
    if generator is not None:
        return generator
    g = torch.Generator(device="cpu")
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed))
    return g


def poisson(x: torch.Tensor, steps: int, max_rate: float, dt: float = 1e-3, seed: int | None = None,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Bernoulli rate code (the paper's "Poisson" input).

    x: values in [0, 1], any shape ``[..., N]``.
    Returns 0/1 spikes ``[steps, ..., N]`` (dtype of ``x`` if floating, else float32, on
    ``x``'s device): at each step a unit spikes with probability ``x * max_rate * dt``
    (max_rate in Hz, dt in seconds).
    """
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if not (isinstance(steps, int) and steps > 0):
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not (math.isfinite(max_rate) and max_rate >= 0):
        raise ValueError(f"max_rate must be a finite rate >= 0 Hz, got {max_rate!r}")
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number of seconds, got {dt!r}")
    if max_rate * dt > 1:
        raise ValueError(f"max_rate * dt must be <= 1 (a spike probability per step), got {max_rate * dt:g}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or infinite values")
    if x.numel() and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(f"x must lie in [0, 1] for the poisson encoder, got range "
                         f"[{float(x.min()):g}, {float(x.max()):g}]")
    g = make_generator(seed, generator)
    u = torch.rand((steps, *x.shape), generator=g, dtype=torch.float32)
    p = (x.detach().to("cpu", torch.float32) * (max_rate * dt))
    return (u < p).to(device=x.device, dtype=x.dtype)

"""Spike encoders: values and signals to spike trains ``[T, ...]`` and back.

``get(name, **params)`` builds an encoder, ``available()`` lists them. Every encoder
has ``encode`` and ``decode`` (numpy in, numpy out; torch in, torch out); the signal
encoders step_forward, bsa, pwm and lif also have ``optimize(signal) -> params``.
Spikes go to Brian2 through ``encoders.brian``.
"""

from __future__ import annotations

from .base import Encoder
from .bsa import BSA
from .delta import StepForward
from .fields import ReceptiveFields
from .latency import Latency
from .lif import LIF
from .pwm import PWM
from .rate import Poisson, Regular, make_generator, poisson, regular

_ENCODERS: dict[str, type[Encoder]] = {
    cls.name: cls for cls in (Poisson, Regular, Latency, StepForward, BSA, PWM, LIF, ReceptiveFields)
}


def available() -> dict[str, str]:
    """Encoder name -> one-line description, in a fixed order."""
    return {name: cls.description for name, cls in _ENCODERS.items()}


def get(name: str, **params) -> Encoder:
    """The encoder ``name`` (see ``available()``) built with ``params``; unknown names
    or parameters raise ValueError listing the allowed ones."""
    if name not in _ENCODERS:
        raise ValueError(f"encoder must be one of {list(_ENCODERS)}, got {name!r}")
    cls = _ENCODERS[name]
    allowed = list(cls.__dataclass_fields__)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for encoder {name!r}; allowed: {allowed}")
    return cls(**params)


__all__ = ["Encoder", "available", "get", "make_generator", "poisson", "regular",
           "Poisson", "Regular", "Latency", "StepForward", "BSA", "PWM", "LIF", "ReceptiveFields"]

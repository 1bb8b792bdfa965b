"""Spike encoders: values and signals to spike trains ``[T, ...]`` and back.

``get(name, **params)`` builds an encoder, ``available()`` lists them. Every encoder
has ``encode`` and ``decode`` (numpy in, numpy out; torch in, torch out); the signal
encoders step_forward, bsa, pwm and lif also have ``optimize(signal) -> params`` and
``normalize`` (per-channel min-max scaling, as spike-encoding does it). ``state`` encodes
control observations (e.g. Gymnasium's; ``encoders.state.from_space``). Spikes go to
Brian2 through ``encoders.brian``.

The encoder modules (and torch, scipy) are imported on first use, so importing this
package (e.g. for ``spikesynth --help``) stays fast.
"""

from __future__ import annotations

import dataclasses
import importlib

# encoder name -> (module, class), in the order ``available()`` lists them
_ENCODERS = {
    "poisson": ("rate", "Poisson"),
    "regular": ("rate", "Regular"),
    "latency": ("latency", "Latency"),
    "step_forward": ("delta", "StepForward"),
    "bsa": ("bsa", "BSA"),
    "pwm": ("pwm", "PWM"),
    "lif": ("lif", "LIF"),
    "receptive_fields": ("fields", "ReceptiveFields"),
    "state": ("state", "State"),
}
# other public names -> module
_EXPORTS = {"Encoder": "base", "make_generator": "rate", "poisson": "rate", "regular": "rate",
            **{cls: module for module, cls in _ENCODERS.values()}}


def _load(module: str, attr: str):
    return getattr(importlib.import_module(f".{module}", __name__), attr)


def __getattr__(attr: str):
    if attr in _EXPORTS:
        return _load(_EXPORTS[attr], attr)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def encoder_class(name: str):
    """The Encoder subclass registered as ``name``; ValueError listing the names otherwise."""
    if name not in _ENCODERS:
        raise ValueError(f"encoder must be one of {list(_ENCODERS)}, got {name!r}")
    return _load(*_ENCODERS[name])


def available() -> dict[str, str]:
    """Encoder name -> one-line description, in a fixed order."""
    return {name: encoder_class(name).description for name in _ENCODERS}


def get(name: str, /, **params):
    """The encoder ``name`` (see ``available()``) built with ``params``; unknown names
    or parameters raise ValueError listing the allowed ones."""
    cls = encoder_class(name)
    allowed = [f.name for f in dataclasses.fields(cls)]   # the parameters, not the ClassVars
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for encoder {name!r}; allowed: {allowed}")
    return cls(**params)


__all__ = ["available", "get", "encoder_class", *_EXPORTS]

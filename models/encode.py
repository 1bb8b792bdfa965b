"""Spikes from a spec: the one function from input values to a network's input spikes.

Every trainer, the evaluation (mirror and Brian2 alike), the audio path (its targets and its
inputs) and the figures encode through ``encode``: the spec's encoder (``spec.encoder``), built
through the ``encoders`` registry with the spec's ``steps`` and ``dt``.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

import encoders
from encoders.rate import make_generator

from .spec import NetworkSpec

#: Values encoded per draw (memory only: a random encoder draws entry by entry, so the spikes
#: of the first k values are the same whatever the batch and however they are sliced).
ENCODE_BATCH = 100


def spec_encoder(spec: NetworkSpec):
    """The spec's encoder: ``encoders.get(spec.encoder.name, steps=spec.steps, [dt=spec.dt,]
    **spec.encoder.params)`` (``dt`` only for encoders that take one). ValueError for an
    encoder that does not encode static values (a signal encoder has its own time axis), or
    for params that set what the spec itself holds (``steps``, ``dt``) or a ``seed`` (seeds are
    given to ``encode``)."""
    cls = encoders.encoder_class(spec.encoder.name)
    if not cls.static:
        raise ValueError(f"the spec's encoder {spec.encoder.name!r} encodes signals [T, ...], not static values; "
                         f"a network input needs a static encoder (poisson, regular, latency, receptive_fields, ...)")
    params = dict(spec.encoder.params)
    clash = sorted({"steps", "dt", "seed"} & set(params))
    if clash:
        raise ValueError(f"the spec's encoder params must not set {clash}: steps and dt come from the network spec, "
                         f"the seed from the caller")
    fields = cls.__dataclass_fields__
    if "steps" in fields:
        params["steps"] = spec.steps
    if "dt" in fields:
        params["dt"] = spec.dt
    return encoders.get(spec.encoder.name, **params)


def is_random(encoder) -> bool:
    """True when ``encoder.encode`` draws random spikes (it takes a ``generator``)."""
    return "generator" in inspect.signature(encoder.encode).parameters


def encode(values, spec: NetworkSpec, seed: int | None = 0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Encode ``values`` ``[n, ...]`` (one item per leading index, e.g. images ``[n, H, W]``;
    numpy or torch) with the spec's encoder (``spec_encoder``) into the network's input
    spikes: uint8 0/1 ``[spec.steps, n, spec.sizes[0]]``.

    A random encoder draws from ``generator`` (else one seeded with ``seed``), ``ENCODE_BATCH``
    items at a time; the spikes of an item depend only on the generator's state and the items
    before it, so a trainer's batches, ``evaluate``, ``simulate`` and a plot of a few items see
    the same spikes for one seed. A deterministic encoder ignores ``seed`` and ``generator``.
    ValueError (naming the sizes) when the encoder's output does not fit the input layer.
    """
    x = values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))
    if x.dim() < 1 or len(x) == 0:
        raise ValueError(f"values must hold at least one item [n, ...], got shape {list(x.shape)}")
    x = x.reshape(len(x), -1)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    encoder = spec_encoder(spec)
    draw = is_random(encoder)
    g = make_generator(seed, generator) if draw else None
    parts = []
    for start in range(0, len(x), ENCODE_BATCH):
        chunk = x[start:start + ENCODE_BATCH]
        spikes = encoder.encode(chunk, generator=g) if draw else encoder.encode(chunk)
        parts.append(torch.as_tensor(spikes).reshape(spec.steps, len(chunk), -1).to(torch.uint8))
    out = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
    if out.shape[2] != spec.sizes[0]:
        raise ValueError(f"the spec's encoder {spec.encoder.name!r} turns {x.shape[1]} values per item into "
                         f"{out.shape[2]} input units, but the spec's input layer has {spec.sizes[0]}")
    return out

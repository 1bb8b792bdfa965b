"""Spikes from a spec: the one function from input values to a network's input spikes.

Every trainer, the evaluation (mirror and Brian2 alike), the audio path (its targets and its
inputs) and the figures encode through ``encode``: the spec's encoder (``spec.encoder``), built
through the ``encoders`` registry with the spec's ``steps`` and ``dt``.

Two definitions live here too, so that every caller reads them from the spec alone:

- ``SPIKES``: a spec whose encoder is named ``spikes`` takes its input as spikes already (the
  inner autoencoder of a stack, ``models.stacking``): ``encode`` passes 0/1 spike trains
  ``[n, T, N]`` through as ``[T, n, N]``.
- ``target_spikes``: an autoencoder's target. The input spikes themselves when the output layer
  has the input layer's size (the paper: the network reproduces its input spikes); for an encoder
  that does not keep one unit per value (``receptive_fields``: ``N`` values, ``N * n_bins``
  units) and an output layer of one neuron per value, the ``regular`` rate code of the values at
  ``1 / dt`` (``TARGET_ENCODER``) of the values scaled as the input encoder scales them (by
  ``receptive_fields``' ``min_values``/``max_values`` into [0, 1]): ``floor(T * u)`` evenly spaced
  spikes, a spike at every step for a value at the top of its range, the peak rate of a bin.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import torch

import encoders
from encoders.checks import check_binary
from encoders.rate import full_rate, make_generator

from .spec import EncoderSpec, NetworkSpec

#: Values encoded per draw (memory only: a random encoder draws entry by entry, so the spikes
#: of the first k values are the same whatever the batch and however they are sliced).
ENCODE_BATCH = 100
#: The encoder name of a spec whose input is already spikes (see the module docstring).
SPIKES = "spikes"
#: The encoder of the target of an autoencoder whose input layer is not one unit per value.
TARGET_ENCODER = "regular"


def build_encoder(encoder: EncoderSpec, steps: int, dt: float):
    """The encoder of an ``EncoderSpec`` at ``steps`` and ``dt``: ``encoders.get(encoder.name,
    steps=steps, [dt=dt,] **encoder.params)`` (``dt`` only for encoders that take one). ValueError
    for an encoder that does not encode static values (a signal encoder has its own time axis),
    for ``spikes`` (no encoder: the input is given as spikes), for unknown or out-of-range
    params, or for params that set ``steps``, ``dt`` or a ``seed`` (seeds are given to ``encode``)."""
    if encoder.name == SPIKES:
        raise ValueError(f"encoder {SPIKES!r} is no encoder: the input is given as spikes [n, T, N]")
    cls = encoders.encoder_class(encoder.name)
    if not cls.static:
        raise ValueError(f"the spec's encoder {encoder.name!r} encodes signals [T, ...], not static values; "
                         f"a network input needs a static encoder (poisson, regular, latency, receptive_fields, ...)")
    params = dict(encoder.params)
    clash = sorted({"steps", "dt", "seed"} & set(params))
    if clash:
        raise ValueError(f"the spec's encoder params must not set {clash}: steps and dt come from the network spec, "
                         f"the seed from the caller")
    if params.get("normalize"):
        raise ValueError("the spec's encoder params must not set normalize: it scales by the extremes of each batch "
                         "it is given, so an item's spikes would depend on the items beside it; scale the values "
                         "into the encoder's domain before encoding")
    fields = {f.name for f in dataclasses.fields(cls)}
    if "steps" in fields:
        params["steps"] = steps
    if "dt" in fields:
        params["dt"] = dt
    return encoders.get(encoder.name, **params)


def spec_encoder(spec: NetworkSpec):
    """The spec's encoder: ``build_encoder(spec.encoder, spec.steps, spec.dt)``."""
    return build_encoder(spec.encoder, spec.steps, spec.dt)


def input_units(encoder: EncoderSpec, n_values: int, steps: int = 15, dt: float = 1e-3) -> int:
    """The input layer size that ``encoder`` gives for ``n_values`` values per item (``n_values``,
    ``n_values * n_bins`` for ``receptive_fields``); the encoder is built (and so checked)."""
    return build_encoder(encoder, steps, dt).units(n_values)


def is_random(encoder) -> bool:
    """True when ``encoder.encode`` draws random spikes (it takes a ``generator``)."""
    return "generator" in inspect.signature(encoder.encode).parameters


def as_items(values) -> torch.Tensor:
    """``values`` (numpy, torch or a sequence) as a tensor of items ``[n, ...]``; ValueError for no items."""
    x = values if isinstance(values, torch.Tensor) else torch.as_tensor(np.asarray(values))
    if x.dim() < 1 or len(x) == 0:
        raise ValueError(f"values must hold at least one item [n, ...], got shape {list(x.shape)}")
    return x


def encode(values, spec: NetworkSpec, seed: int | None = 0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Encode ``values`` ``[n, ...]`` (one item per leading index, e.g. images ``[n, H, W]``;
    numpy or torch) with the spec's encoder (``spec_encoder``) into the network's input
    spikes: uint8 0/1 ``[spec.steps, n, spec.sizes[0]]``.

    A random encoder draws from ``generator`` (else one seeded with ``seed``), ``ENCODE_BATCH``
    items at a time; the spikes of an item depend only on the generator's state and the items
    before it, so a trainer's batches, ``evaluate``, ``simulate`` and a plot of a few items see
    the same spikes for one seed. A deterministic encoder ignores ``seed`` and ``generator``.
    A ``spikes`` spec (``SPIKES``) takes 0/1 spike trains ``[n, T, N]`` (or flat ``[n, T * N]``)
    and returns them as ``[T, n, N]``.
    ValueError (naming the sizes) when the encoder's output does not fit the input layer.
    """
    x = as_items(values)
    if spec.encoder.name == SPIKES:
        return _given_spikes(x, spec)
    x = x.reshape(len(x), -1)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    encoder = spec_encoder(spec)
    units = encoder.units(x.shape[1])
    if units != spec.sizes[0]:
        raise ValueError(f"the spec's encoder {spec.encoder.name!r} turns {x.shape[1]} values per item into "
                         f"{units} input units, but the spec's input layer has {spec.sizes[0]} (items of "
                         f"another size than the model's?)")
    draw = is_random(encoder)
    g = make_generator(seed, generator) if draw else None
    parts = []
    for start in range(0, len(x), ENCODE_BATCH):
        chunk = x[start:start + ENCODE_BATCH]
        spikes = encoder.encode(chunk, generator=g) if draw else encoder.encode(chunk)
        parts.append(torch.as_tensor(spikes).reshape(spec.steps, len(chunk), -1).to(torch.uint8))
    return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]


def _given_spikes(x: torch.Tensor, spec: NetworkSpec) -> torch.Tensor:
    """The input spikes of a ``spikes`` spec: items ``[n, T, N]`` (or ``[n, T * N]``) of 0/1 as
    uint8 ``[T, n, N]``."""
    steps, n_in = spec.steps, spec.sizes[0]
    if x[0].numel() != steps * n_in:
        raise ValueError(f"this network's input is given as spikes (encoder {SPIKES!r}, e.g. the inner autoencoder "
                         f"of a stack): values must be 0/1 spike trains [n, T={steps}, N={n_in}], got shape "
                         f"{list(x.shape)}; run images through the stacked model (spikesynth stack), or pass the "
                         f"outer model's hidden spikes (models.stacking.source_spikes)")
    check_binary(x, message=f"this network's input is given as spikes (encoder {SPIKES!r}): values must be 0 or 1")
    return x.reshape(len(x), steps, n_in).transpose(0, 1).to(torch.uint8).contiguous()


def check_values_fit(values, spec: NetworkSpec, what: str = "values") -> None:
    """ValueError (starting with ``what``) unless the spec's encoder takes every item of ``values``
    ``[n, ...]``: their size fits the input layer and every value lies in the encoder's domain
    (e.g. ``receptive_fields``' ``min_values``/``max_values``). Checked on the per-feature
    minimum and maximum over the items (two items encoded), so before any long work and at the
    memory of two items. Nothing to check for a ``spikes`` spec."""
    if spec.encoder.name == SPIKES:
        return
    x = as_items(values)
    flat = x.reshape(len(x), -1)
    if not flat.is_floating_point():
        flat = flat.to(torch.float32)
    extremes = torch.stack([flat.amin(0), flat.amax(0)])
    try:
        encode(extremes, spec, seed=0)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def target_encoder(spec: NetworkSpec):
    """The encoder of the target of an autoencoder whose input layer is not one unit per value:
    ``regular`` at ``spec.steps`` and ``spec.dt`` with ``max_rate = 1 / dt`` (a spike at every
    step for a value of 1; the largest rate not above ``1 / dt`` in floating point)."""
    return build_encoder(EncoderSpec(TARGET_ENCODER, {"max_rate": full_rate(spec.dt)}), spec.steps, spec.dt)


def target_kind(spec: NetworkSpec, n_values: int) -> str | None:
    """What an autoencoder of ``spec`` on items of ``n_values`` values is trained to output
    (see ``target_spikes``): ``"input"`` (its input spikes), ``"rate"`` (the ``regular`` rate code
    of the values) or None (no spike target: the output layer fits neither)."""
    if spec.sizes[-1] == spec.sizes[0]:
        return "input"
    if spec.sizes[-1] == n_values and spec.encoder.name != SPIKES:
        return "rate"
    return None


def target_spikes(values, spec: NetworkSpec, input_spikes: torch.Tensor | None = None) -> torch.Tensor | None:
    """An autoencoder's target spikes ``[T, n, sizes[-1]]`` for ``values`` ``[n, ...]``
    (``target_kind``): ``input_spikes`` themselves (the object given; encoded from ``values`` with
    seed 0 when None) when the output layer has the input layer's size; the ``regular`` rate code
    of the values at ``1 / dt`` (``target_encoder``) when the output layer has one neuron per value
    but the input layer does not (``receptive_fields``); None otherwise."""
    x = as_items(values)
    kind = target_kind(spec, x[0].numel())
    if kind == "input":
        return encode(x, spec) if input_spikes is None else input_spikes
    if kind is None:
        return None
    x = x.reshape(len(x), -1)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    scaled = getattr(spec_encoder(spec), "scaled", None)
    if scaled is not None:   # the values as the input encoder sees them, in [0, 1] (receptive_fields' bounds)
        x = scaled(x)
    encoder = target_encoder(spec)
    parts = [torch.as_tensor(encoder.encode(x[a:a + ENCODE_BATCH])).to(torch.uint8) for a in range(0, len(x), ENCODE_BATCH)]
    return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]


def target_counts(values, spec: NetworkSpec, input_counts=None) -> np.ndarray | None:
    """The spike counts per item of ``target_spikes``, int64 ``[n, sizes[-1]]``: ``input_counts``
    (the input spikes' counts, ``[n, sizes[0]]``) when the target is the input, the rate code's
    counts, or None."""
    x = as_items(values)
    kind = target_kind(spec, x[0].numel())
    if kind == "input":
        return np.asarray(input_counts) if input_counts is not None else encode(x, spec).sum(0, dtype=torch.int64).numpy()
    if kind is None:
        return None
    return np.concatenate([target_spikes(x[a:a + ENCODE_BATCH], spec).sum(0, dtype=torch.int64).numpy()
                           for a in range(0, len(x), ENCODE_BATCH)])

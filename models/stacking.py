"""Stacked autoencoders (the paper's closing remark): an inner autoencoder B trained on the code
(middle) layer's spikes of an outer autoencoder A, and the two as one deeper network.

- The **code layer** of an autoencoder is its middle layer: ``sizes[len(sizes) // 2]`` of a spec
  with an odd number (>= 3) of layer sizes, e.g. 196 of 784-196-784, 196 of 784-400-196-400-784.
- B's spec says that its input is already spikes: encoder ``spikes`` (``models.encode.SPIKES``,
  no params), sizes ``(H_A, ..., H_A)``, A's neuron, steps and dt. Its input spikes are A's
  code-layer spikes ``[T, n, H_A]`` for A's input (``source_spikes``: A's encoder, then A's layers
  up to the code layer, in the float64 mirror, so exactly what Brian2 gives there).
- ``stack(A, B)`` is A's layers up to the code layer, all of B, then A's layers after it, as one
  network with A's spec (its encoder, neuron, steps, dt) and the joined sizes, e.g.
  784-196-64-196-784 from A 784-196-784 and B 196-64-196: an ordinary spec and model file that
  ``evaluate``, ``simulate`` and ``compare`` run like any other. Since the stacked network's first
  layers are A's, its code-layer spikes for a seed are the very spikes ``source_spikes`` gives B.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from encoders.rate import make_generator

from .backends import Network
from .encode import ENCODE_BATCH, SPIKES, as_items, encode
from .spec import EncoderSpec, NetworkSpec


def code_layer(spec: NetworkSpec, what: str = "the model") -> int:
    """The index into ``spec.sizes`` of an autoencoder's code (middle) layer; ValueError (naming
    ``what``) unless the spec has an odd number (>= 3) of layer sizes."""
    n = len(spec.sizes)
    if n < 3 or n % 2 == 0:
        raise ValueError(f"{what} has layer sizes {list(spec.sizes)}: stacking needs an autoencoder with a middle "
                         f"(code) layer, an odd number (>= 3) of layer sizes")
    return n // 2


def inner_spec(outer: NetworkSpec, hidden: tuple, what: str = "the outer model") -> NetworkSpec:
    """The spec of an inner autoencoder on ``outer``'s code layer: sizes ``(H, *hidden, H)``, the
    ``spikes`` encoder, ``outer``'s neuron, steps and dt, no biases (the trainers learn weights
    only; ``stack`` gives such a layer zero biases inside an outer model with biases)."""
    h = outer.sizes[code_layer(outer, what)]
    return NetworkSpec(sizes=(h, *hidden, h), neuron=outer.neuron, dt=outer.dt, steps=outer.steps,
                       encoder=EncoderSpec(SPIKES, {}))


def check_source(outer: NetworkSpec, what: str = "the outer model") -> int:
    """Check that ``outer`` can be stacked on (a code layer, an input that is not already
    spikes); returns the code layer's index."""
    k = code_layer(outer, what)
    if outer.encoder.name == SPIKES:
        raise ValueError(f"{what}'s input is already spikes (an inner autoencoder of a stack): stack on the "
                         f"stacked model instead (spikesynth stack OUTER INNER --out FILE)")
    return k


def encoder_part(net: Network, what: str = "the outer model") -> Network:
    """The layers of ``net`` up to its code layer, as a network of their own (the same spec
    otherwise, the same weights and biases)."""
    k = check_source(net.spec, what)
    return Network(net.spec.with_(sizes=net.spec.sizes[:k + 1]), list(net.weights[:k]),
                   None if net.biases is None else list(net.biases[:k]), net.fixed_point)


def source_spikes(outer: Network, values, seed: int | None = 0, generator: torch.Generator | None = None,
                  device: str = "cpu") -> torch.Tensor:
    """The input of an inner autoencoder stacked on ``outer``: ``outer``'s code-layer spikes for
    ``values`` ``[n, ...]``, uint8 0/1 ``[n, T, H]`` (items first, as ``models.encode.encode``
    takes them for a ``spikes`` spec). The values are encoded with ``outer``'s encoder from
    ``generator`` (else one seeded with ``seed``), ``ENCODE_BATCH`` items at a time (the same
    spikes as one encoding of all), and run through ``outer``'s layers up to the code layer in
    the float64 mirror on ``device``; ValueError for a fixed-point ``outer`` (stack the float model)."""
    if outer.fixed_point is not None:
        raise ValueError("the outer model is a fixed-point network: its code-layer spikes for stacking come from "
                         "the float64 network (Network.with_bits(None))")
    part = encoder_part(outer)
    g = make_generator(seed, generator)
    model = part.mirror(device)
    x = as_items(values)
    parts = []
    for a in range(0, len(x), ENCODE_BATCH):
        spikes = encode(x[a:a + ENCODE_BATCH], part.spec, generator=g)
        parts.append(model.forward(spikes.to(torch.float64)).spikes[-1].to(torch.uint8).transpose(0, 1).cpu())
    return torch.cat(parts).contiguous() if len(parts) > 1 else parts[0].contiguous()


def check_stack(outer: NetworkSpec, inner: NetworkSpec, names: tuple[str, str] = ("the outer model",
                                                                                    "the inner model")) -> int:
    """ValueError (naming both) unless ``inner`` fits into ``outer``'s code layer: an input of
    spikes (``spikes`` encoder), input and output sizes equal to the code layer's, the same neuron,
    steps and dt (biases on either side or both: ``stack`` gives the other side zero biases).
    Returns the code layer's index."""
    a, b = names
    k = check_source(outer, a)
    h = outer.sizes[k]
    if inner.encoder.name != SPIKES:
        raise ValueError(f"{b} takes its input through the {inner.encoder.name!r} encoder, not as spikes: only an "
                         f"autoencoder trained with --stack-on (encoder {SPIKES!r}) fits inside another")
    if inner.sizes[0] != h or inner.sizes[-1] != h:
        raise ValueError(f"{b} has layer sizes {list(inner.sizes)}, but {a} has a code layer of {h} neurons "
                         f"(sizes {list(outer.sizes)}): the inner model's input and output must both have {h}")
    for field in ("steps", "neuron", "dt"):
        if getattr(inner, field) != getattr(outer, field):
            raise ValueError(f"{b} has {field} {getattr(inner, field)!r} but {a} has {getattr(outer, field)!r}: "
                             f"a stacked network runs every layer with one {field}")
    return k


def stack(outer: Network, inner: Network, names: tuple[str, str] = ("the outer model", "the inner model")) -> Network:
    """The stacked network: ``outer``'s layers up to its code layer, ``inner``, ``outer``'s layers
    after it (see the module docstring); ``check_stack`` first. Float networks only."""
    k = check_stack(outer.spec, inner.spec, names)
    if outer.fixed_point is not None or inner.fixed_point is not None:
        raise ValueError("stack float networks (a fixed-point run is chosen when the stacked model is run)")
    sizes = outer.spec.sizes[:k + 1] + inner.spec.sizes[1:-1] + outer.spec.sizes[k:]
    weights = list(outer.weights[:k]) + list(inner.weights) + list(outer.weights[k:])
    bias = outer.spec.bias or inner.spec.bias
    if not bias:
        return Network(outer.spec.with_(sizes=sizes), weights)

    def biases_of(net: Network) -> list[torch.Tensor]:   # zeros for a network without biases
        if net.biases is not None:
            return list(net.biases)
        return [torch.zeros(w.shape[0], dtype=w.dtype) for w in net.weights]

    a, b = biases_of(outer), biases_of(inner)
    return Network(outer.spec.with_(sizes=sizes, bias=True), weights, a[:k] + b + a[k:])


def stack_files(outer: str | os.PathLike, inner: str | os.PathLike, out: str | os.PathLike) -> Network:
    """Write the stacked network of two model files (``stack``) to the model file ``out``
    (atomically), its ``extra`` naming both sources and their hashes. Everything is checked before
    the write; returns the stacked network."""
    from .files import check_model_output, file_key
    from .io import load_model, save_model

    out = check_model_output(out, (outer, inner))
    nets, metas = [], []
    for path in (outer, inner):
        spec, weights, meta = load_model(path, kind="snn")
        nets.append(Network(spec, weights, meta["biases"]))
        metas.append(meta)
    deep = stack(nets[0], nets[1], names=(f"{outer} (outer)", f"{inner} (inner)"))
    outer_key, trained_on = file_key(outer), metas[1].get("extra", {}).get("stacked_on_key")
    if trained_on != outer_key:
        said = ("records no file key of the outer model it was trained on, so it cannot be checked"
                if trained_on is None else f"was trained on the spikes of another model (file key {trained_on})")
        raise ValueError(f"{inner} (inner) {said}, not on {outer} (outer, file key {outer_key}): its weights fit "
                         f"only the code layer it was trained on; train it with --stack-on {outer}")
    extra = {"stacked": {"outer": str(outer), "inner": str(inner), "outer_key": outer_key,
                         "inner_key": file_key(inner), "code_layer": code_layer(nets[0].spec)}}
    save_model(Path(out), deep.spec, deep.weights, kind="snn", extra=extra, biases=deep.biases)
    return deep

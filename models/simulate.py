"""Run a dataset through a model in Brian2 or in the mirror and score the reconstruction."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from training.metrics import pixel_mse, spike_mse

from .brian_snn import TARGETS, run_brian
from .encode import encode as encode_images  # noqa: F401 (the one encode path, re-exported)
from .events import energy_report, synaptic_ops
from .quantized import FixedPoint, QuantizedNetwork
from .spec import NetworkSpec
from .torch_snn import SpikingNetwork

#: Images run through the mirror per batch (small enough for the CPU caches).
BATCH = 250
#: Weight bit widths of the fixed-point sweep (``bit_sweep``).
BITS = (8, 6, 4)


def build_model(spec: NetworkSpec, weights: list[torch.Tensor], weight_bits: int | None = None,
                biases: list[torch.Tensor] | None = None):
    """The float64 mirror of spec + weights (+ biases when the spec has them), or its
    fixed-point version with ``weight_bits``-bit weights (``FixedPoint`` defaults otherwise)."""
    if weight_bits is None:
        return SpikingNetwork(spec, [torch.as_tensor(w, dtype=torch.float64) for w in weights], dtype=torch.float64,
                              biases=biases)
    return QuantizedNetwork(spec, weights, FixedPoint(weight_bits=weight_bits), biases)


def brian_args(model) -> dict:
    """The arguments of ``models.brian_snn.run_brian`` that build ``model`` (a ``SpikingNetwork``
    or a ``QuantizedNetwork``) in Brian2: ``spec``, ``weights``, ``biases``, ``fixed_point``."""
    if isinstance(model, QuantizedNetwork):
        return {"spec": model.spec, "weights": model.float_weights, "biases": model.float_biases,
                "fixed_point": model.fmt}
    if isinstance(model, SpikingNetwork):
        return {"spec": model.spec, "weights": list(model.weights),
                "biases": None if model.biases is None else list(model.biases), "fixed_point": None}
    raise ValueError(f"model must be a SpikingNetwork or a QuantizedNetwork, got {type(model).__name__}")


def mirror_counts(model, spikes: torch.Tensor, progress: bool = True) -> list[np.ndarray]:
    """Spike counts per image of every weight layer from the mirror, ``BATCH`` images at a
    time: int64 ``[n, N_l]`` per layer."""
    parts = []
    for a in tqdm(range(0, spikes.shape[1], BATCH), desc="mirror", unit="batch", disable=not progress):
        rec = model.forward(spikes[:, a:a + BATCH])
        parts.append([s.sum(0).to(torch.int64).numpy() for s in rec.spikes])
    return [np.concatenate(layer) for layer in zip(*parts)]


def simulate(model, images, backend: str = "brian2", device: str = "cpp_standalone", seed: int = 0,
             progress: bool = True) -> dict:
    """Encode ``images`` ``[n, ...]`` (values in [0, 1]), run them through ``model`` (a
    ``SpikingNetwork`` or ``QuantizedNetwork``) in Brian2 (``device``: one of ``TARGETS``)
    or in the mirror (``backend='mirror'``), and report: ``n``, ``spike_mse`` and
    ``pixel_mse`` of the output spike counts, synaptic operations and the energy estimate
    (``models.events``), ``spikes_per_image`` (mean, input then every layer) and ``seconds``
    (the simulation only)."""
    if backend not in ("brian2", "mirror"):
        raise ValueError(f"backend must be 'brian2' or 'mirror', got {backend!r}")
    if backend == "brian2" and device not in TARGETS:
        raise ValueError(f"device must be one of {TARGETS}, got {device!r}")
    spec = model.spec
    spikes = encode_images(images, spec, seed)
    input_counts = spikes.sum(0, dtype=torch.int64).numpy()
    start = time.perf_counter()
    if backend == "mirror":
        counts = mirror_counts(model, spikes, progress)
        seconds = time.perf_counter() - start
    else:
        rec = run_brian(**brian_args(model), input_spikes=spikes, target=device, progress=progress)
        seconds = rec.seconds
        counts = [rec.counts(layer) for layer in range(spec.n_layers)]
    out = torch.as_tensor(counts[-1])[None]
    report = {
        "n": len(input_counts), "backend": backend, "device": device if backend == "brian2" else None,
        "fixed_point": model.describe() if isinstance(model, QuantizedNetwork) else None,
        "spike_mse": spike_mse(torch.as_tensor(input_counts)[None], out),
        "pixel_mse": pixel_mse(torch.as_tensor(np.asarray(images, dtype=np.float64)), out),
        "spikes_per_image": [float(input_counts.sum(1).mean())] + [float(c.sum(1).mean()) for c in counts],
        "seconds": seconds,
    }
    synops = synaptic_ops([input_counts.sum(1)] + [c.sum(1) for c in counts[:-1]], spec.sizes)
    report.update(energy_report(synops, spec.sizes))
    return report


def bit_sweep(spec: NetworkSpec, weights: list[torch.Tensor], images, bits: Sequence[int] = BITS, seed: int = 0,
              progress: bool = True, biases: list[torch.Tensor] | None = None) -> Iterator[tuple[str, object, dict]]:
    """The float64 mirror of spec + weights, then its fixed-point version for each of ``bits``
    (weight bit widths, ``FixedPoint`` defaults otherwise; ``biases`` when the spec has them), each run in
    the mirror on ``images``
    ``[n, ...]`` (values in [0, 1]) with the same input spikes (``seed``). Yields
    ``(name, model, report)``: name ``float64`` or ``"{bits}-bit"``, the model and its ``simulate`` report."""
    for b in (None, *bits):
        model = build_model(spec, weights, b, biases)
        report = simulate(model, images, backend="mirror", seed=seed, progress=progress)
        yield ("float64" if b is None else f"{b}-bit"), model, report

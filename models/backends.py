"""One run, two back-ends: the torch mirror and the Brian2 network, both built from the same
``Network`` (spec + weights, and the biases and fixed-point settings when there are any).

``layer_counts`` is the path every evaluation takes: values -> input spikes (``models.encode``,
the spec's encoder) -> the mirror or Brian2 -> spike counts per layer. ``run`` takes spikes
instead (your own, or encoded once and shared, as ``compare`` does).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from encoders.checks import check_choice
from encoders.rate import make_generator

from .brian_snn import TARGETS, BrianRecording, run_brian
from .encode import ENCODE_BATCH, as_items, encode
from .quantized import FixedPoint, QuantizedNetwork
from .spec import NetworkSpec
from .torch_snn import Recording, SpikingNetwork

#: The two back-ends of a run.
BACKENDS = ("mirror", "brian2")
#: Items run through the mirror per batch (small enough for the CPU caches; memory only: the
#: counts do not depend on it).
MIRROR_BATCH = 250


@dataclass(frozen=True)
class Network:
    """What a run needs: the spec, the weights ``[post, pre]`` per layer, the biases ``[post]``
    per layer when the spec has ``bias`` (else None), and ``fixed_point`` for the hardware-style
    integer network (``models.quantized``; None: float64)."""

    spec: NetworkSpec
    weights: list
    biases: list | None = None
    fixed_point: FixedPoint | None = None

    @classmethod
    def from_file(cls, path: str | os.PathLike, kind: str | None = "snn", weight_bits: int | None = None) -> "Network":
        """The network of a model file (``models.io.load_model``; ``kind`` checked), fixed point with
        ``weight_bits``-bit weights (``FixedPoint`` defaults otherwise) when given."""
        from .io import load_model

        spec, weights, meta = load_model(path, kind=kind)
        return cls(spec, weights, meta["biases"]).with_bits(weight_bits)

    def with_bits(self, weight_bits: int | None) -> "Network":
        """The same network, float64 (None) or fixed point with ``weight_bits``-bit weights."""
        return Network(self.spec, self.weights, self.biases,
                       None if weight_bits is None else FixedPoint(weight_bits=weight_bits))

    def mirror(self, device: str = "cpu"):
        """The torch mirror: a float64 ``SpikingNetwork`` on ``device`` (float64: it agrees with
        Brian2 spike for spike), or the ``QuantizedNetwork`` (CPU) with ``fixed_point``."""
        if self.fixed_point is not None:
            return QuantizedNetwork(self.spec, self.weights, self.fixed_point, self.biases)
        net = SpikingNetwork(self.spec, [torch.as_tensor(w, dtype=torch.float64) for w in self.weights],
                             dtype=torch.float64, biases=self.biases)
        return net.to(device)

    def describe(self) -> dict | None:
        """The fixed-point parameters as plain numbers (``QuantizedNetwork.describe``), None for float64."""
        return None if self.fixed_point is None else self.mirror().describe()

    def v_th(self) -> float:
        """The output layer's threshold in the units of its recorded membrane (integer units in
        fixed point): for plots."""
        return float(self.mirror().thresholds[-1]) if self.fixed_point is not None else self.spec.neuron.v_th


@dataclass
class Run:
    """What one run produced. counts: int64 ``[n, N_l]`` spike counts per item of every weight
    layer; seconds: the simulation's wall time (for Brian2 as ``run_brian`` measures it);
    recording: the mirror's ``Recording`` or Brian2's ``BrianRecording`` when asked for."""

    counts: list
    seconds: float
    backend: str
    target: str | None
    recording: Recording | BrianRecording | None = None


def check_backend(backend: str, target: str) -> None:
    """ValueError unless ``backend`` is one of ``BACKENDS`` and (for brian2) ``target`` one of
    ``TARGETS``."""
    check_choice(backend, "backend", BACKENDS)
    if backend == "brian2":
        check_choice(target, "target", TARGETS)


def run(net: Network, spikes: torch.Tensor, backend: str = "mirror", target: str = "cpp_standalone",
        device: str = "cpu", record: bool = False, record_v: bool = False, progress: bool = True,
        build_slot: int = 0) -> Run:
    """Run 0/1 input spikes ``[T, n, sizes[0]]`` through ``net`` in the mirror (on ``device``,
    ``MIRROR_BATCH`` items at a time) or in Brian2 (``target``), items back to back.

    record: keep the whole recording (the mirror's spikes and potentials ``[T, n, N]`` per layer,
    or Brian2's events; Brian2 records the potentials too when ``record_v``). build_slot: Brian2's
    cpp_standalone build folder (``run_brian``). Returns a ``Run``.
    """
    check_backend(backend, target)
    if backend == "brian2":
        rec = run_brian(net.spec, net.weights, spikes, target=target, fixed_point=net.fixed_point,
                        biases=net.biases, record_v=record_v, progress=progress, build_slot=build_slot)
        counts = [rec.counts(layer) for layer in range(net.spec.n_layers)]
        return Run(counts, rec.seconds, backend, target, rec if record else None)
    model = net.mirror(device)
    start = time.perf_counter()
    if record:
        rec = model.forward(spikes.to(torch.float64))
        counts = [s.sum(0).to(torch.int64).cpu().numpy() for s in rec.spikes]
        return Run(counts, time.perf_counter() - start, backend, None, rec)
    counts = _mirror_counts(model, spikes, progress)
    return Run(counts, time.perf_counter() - start, backend, None)


def _mirror_counts(model, spikes: torch.Tensor, progress: bool) -> list[np.ndarray]:
    """Spike counts per item of every layer of a built mirror, ``MIRROR_BATCH`` items at a time."""
    parts = []
    for a in tqdm(range(0, spikes.shape[1], MIRROR_BATCH), desc="mirror", unit="batch", disable=not progress):
        out = model.forward(spikes[:, a:a + MIRROR_BATCH].to(torch.float64))
        parts.append([s.sum(0).to(torch.int64).cpu().numpy() for s in out.spikes])
    return [np.concatenate(layer) for layer in zip(*parts)]


def layer_counts(net: Network, values, seed: int = 0, backend: str = "mirror", target: str = "cpp_standalone",
                 device: str = "cpu", progress: bool = True) -> tuple[np.ndarray, Run]:
    """Encode ``values`` ``[n, ...]`` with the spec's encoder (``models.encode.encode``, seeded with
    ``seed``) and run them through ``net`` (``run``). Returns ``(input_counts, run)``: int64
    ``[n, sizes[0]]`` input spike counts and the ``Run``. The mirror gets the items in slices
    encoded one after the other from one generator (the same spikes as one encoding of all of
    them, at a slice's memory); Brian2 gets all of them in one run."""
    check_backend(backend, target)
    x = as_items(values)
    if backend == "brian2":
        spikes = encode(x, net.spec, seed=seed)
        return spikes.sum(0, dtype=torch.int64).numpy(), run(net, spikes, backend, target, device, progress=progress)
    g = make_generator(seed)
    model, parts, inputs, seconds = net.mirror(device), [], [], 0.0
    step = max(MIRROR_BATCH, ENCODE_BATCH)
    for a in tqdm(range(0, len(x), step), desc="mirror", unit="batch", disable=not progress):
        spikes = encode(x[a:a + step], net.spec, generator=g)
        inputs.append(spikes.sum(0, dtype=torch.int64).numpy())
        start = time.perf_counter()
        parts.append(_mirror_counts(model, spikes, progress=False))
        seconds += time.perf_counter() - start
    counts = [np.concatenate(layer) for layer in zip(*parts)]
    return np.concatenate(inputs), Run(counts, seconds, "mirror", None)

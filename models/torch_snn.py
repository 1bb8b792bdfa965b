"""The PyTorch mirror of the spec's LIF network.

Time is the leading axis: input spikes are ``[T, batch, N_in]``; every layer
returns spikes and pre-reset membrane potentials ``[T, batch, N_layer]``.
The Brian2 network in ``models.brian_snn`` must give the same spikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch

from .io import check_weights
from .spec import NetworkSpec, NeuronSpec


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """Spike where ``x = v_pre - v_th >= 0``: 0/1 in the dtype of ``x``."""
    return (x >= 0).to(x.dtype)


def lif_step(v: torch.Tensor, current: torch.Tensor, neuron: NeuronSpec,
             spike_fn: Callable[[torch.Tensor], torch.Tensor] = heaviside):
    """One LIF step for a layer.

    v: membrane potential after the previous step's reset, ``[batch, N]``.
    current: summed synaptic input of this step, ``[batch, N]``.
    spike_fn: maps ``v_pre - v_th`` to 0/1 spikes; a surrogate-gradient function
    (same forward values) makes the step differentiable for BPTT.
    Returns ``(v_pre, spikes, v_next)``: the pre-reset potential (clipped at
    ``v_th`` when ``neuron.clip``), the 0/1 spikes (same dtype as ``v``), and the
    potential after the reset, all ``[batch, N]``.
    """
    v_pre = neuron.decay * v + current
    if neuron.clip:
        v_pre = torch.clamp(v_pre, max=neuron.v_th)
    spikes = spike_fn(v_pre - neuron.v_th)
    v_next = v_pre * (1.0 - spikes)
    return v_pre, spikes, v_next


class NeuronConstants(NamedTuple):
    """A neuron's ``decay`` and ``v_th`` as 0-d tensors, and ``clip``: see ``neuron_constants``."""

    decay: torch.Tensor
    v_th: torch.Tensor
    clip: bool


def neuron_constants(neuron: NeuronSpec, dtype: torch.dtype, device: torch.device | str = "cpu") -> NeuronConstants:
    """``neuron``'s decay and threshold as 0-d tensors of ``dtype`` on ``device``, for
    ``lif_step_``: a kernel given a Python number converts it on every call (a few
    microseconds, which add up over a trainer's thousands of steps). For float32 and float64
    (the dtypes the trainers use, and the ones tested) the values are the same; float16 or
    bfloat16 kernels may round a Python number differently from a tensor of that dtype."""
    return NeuronConstants(torch.tensor(neuron.decay, dtype=dtype, device=device),
                           torch.tensor(neuron.v_th, dtype=dtype, device=device), neuron.clip)


def lif_step_(v: torch.Tensor, current: torch.Tensor, neuron: NeuronSpec | NeuronConstants, v_pre: torch.Tensor,
              spikes: torch.Tensor) -> None:
    """``lif_step`` without autograd, writing into given buffers (bit for bit the same values;
    the fast path of the trainers, which run it thousands of times an epoch).

    v: ``[batch, N]``, the potential after the previous reset, overwritten with ``v_next``;
    current: ``[batch, N]``; neuron: a ``NeuronSpec`` or its ``neuron_constants`` (faster);
    v_pre, spikes: ``[batch, N]`` buffers (dtype of ``v``) that receive the pre-reset
    potential and the 0/1 spikes.
    """
    torch.mul(v, neuron.decay, out=v_pre).add_(current)
    if neuron.clip:
        v_pre.clamp_(max=neuron.v_th)
    torch.ge(v_pre, neuron.v_th, out=spikes)  # v_pre >= v_th  <=>  v_pre - v_th >= 0 (IEEE)
    torch.addcmul(v_pre, v_pre, spikes, value=-1.0, out=v)  # v_pre - v_pre * s: exact for s in {0, 1}


def check_spikes(spikes: torch.Tensor, n_in: int, name: str = "input spikes") -> None:
    """Raise ValueError unless ``spikes`` is a finite 0/1 tensor ``[T, batch, n_in]``."""
    if not isinstance(spikes, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor [T, batch, {n_in}], got {type(spikes).__name__}")
    if spikes.dim() != 3 or spikes.shape[-1] != n_in:
        raise ValueError(f"{name} must have shape [T, batch, {n_in}] for this spec, got {list(spikes.shape)}")
    if not bool(((spikes == 0) | (spikes == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1")


@dataclass
class Recording:
    """What a run of the network produced, per weight layer (input excluded).

    spikes[l], v[l]: ``[T, batch, sizes[l + 1]]``; ``v`` is the pre-reset potential.
    """

    spikes: list
    v: list


def init_weights(spec: NetworkSpec, generator: torch.Generator | None = None, scale: float = 0.1,
                 dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """Weights uniform in ``[-scale, scale]`` (the paper: 0.1), one ``[post, pre]`` matrix per layer.
    Drawn on the CPU so a seed gives the same weights on every device."""
    return [(torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).mul_(scale).to(dtype)
            for shape in spec.weight_shapes()]


class SpikingNetwork(torch.nn.Module):
    """Feed-forward LIF network of a spec; weights ``[post, pre]`` in ``self.weights``
    (given ones must match the spec's shapes and be finite, else ValueError)."""

    def __init__(self, spec: NetworkSpec, weights: list[torch.Tensor] | None = None,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.spec = spec
        if weights is None:
            weights = init_weights(spec, generator, dtype=dtype)
        check_weights(spec, weights, source="network weights")
        self.weights = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.as_tensor(w).to(dtype).clone(), requires_grad=False) for w in weights])

    @torch.no_grad()
    def forward(self, input_spikes: torch.Tensor) -> Recording:
        """Run ``[T, batch, sizes[0]]`` 0/1 input spikes through all layers, all
        layers updating within each step. Returns a ``Recording``."""
        check_spikes(input_spikes, self.spec.sizes[0])
        neuron = self.spec.neuron
        return run_feedforward(input_spikes, list(self.weights),
                               lambda layer, v, current: lif_step(v, current, neuron))


def spike_matmul(spikes: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Synaptic currents ``spikes @ weight.T`` of sparse 0/1 spikes ``[rows, pre]`` (any
    dtype) and weights ``[post, pre]``: ``[rows, post]`` in the weights' dtype, computed as a
    sparse product (only the rows of ``weight.T`` that spiked are summed)."""
    idx = spikes.nonzero().T
    sparse = torch.sparse_coo_tensor(idx, torch.ones(idx.shape[1], dtype=weight.dtype, device=weight.device),
                                     tuple(spikes.shape), check_invariants=False)
    return torch.sparse.mm(sparse, weight.T)


def run_feedforward(input_spikes: torch.Tensor, weights: list[torch.Tensor], step) -> Recording:
    """The shared time loop of the mirrors (float and fixed-point).

    input_spikes: 0/1 ``[T, batch, N_in]`` (already checked, any dtype); weights: ``[post, pre]``
    per layer, all of one dtype and device. ``step(layer, v, current)`` returns
    ``(v_pre, spikes, v_next)`` as ``lif_step`` does. Every layer starts at ``v = 0``.
    All layers update within each step; as nothing feeds back, this is computed layer by
    layer: each layer's input currents for all T steps in one product (sparse for the input
    spikes), then its time loop.
    """
    w0 = weights[0]
    steps, batch = input_spikes.shape[0], input_spikes.shape[1]
    spikes = input_spikes.to(device=w0.device).reshape(steps * batch, -1)
    out_s, out_v = [], []
    for layer, w in enumerate(weights):
        current = (spike_matmul(spikes, w) if layer == 0 else spikes @ w.T).reshape(steps, batch, -1)
        s_layer, v_layer = torch.empty_like(current), torch.empty_like(current)
        v = current.new_zeros(batch, w.shape[0])
        for t in range(steps):
            v_layer[t], s_layer[t], v = step(layer, v, current[t])
        out_s.append(s_layer)
        out_v.append(v_layer)
        spikes = s_layer.reshape(steps * batch, -1)
    return Recording(spikes=out_s, v=out_v)

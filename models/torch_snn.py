"""The PyTorch mirror of the spec's LIF network.

Time is the leading axis: input spikes are ``[T, batch, N_in]``; every layer
returns spikes and pre-reset membrane potentials ``[T, batch, N_layer]``.
The Brian2 network in ``models.brian_snn`` must give the same spikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch

from encoders.checks import check_binary

from .io import check_biases, check_weights
from .spec import NetworkSpec, NeuronSpec


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """Spike where ``x = v_pre - v_th >= 0``: 0/1 in the dtype of ``x``."""
    return (x >= 0).to(x.dtype)


def heaviside_strict(x: torch.Tensor) -> torch.Tensor:
    """Spike where ``x = v_pre - v_th > 0`` (``threshold_test='>'``): 0/1 in the dtype of ``x``."""
    return (x > 0).to(x.dtype)


def spike_function(neuron: NeuronSpec) -> Callable[[torch.Tensor], torch.Tensor]:
    """The spike function of ``neuron``'s threshold test: ``heaviside`` (``>=``) or
    ``heaviside_strict`` (``>``)."""
    return heaviside if neuron.threshold_test == ">=" else heaviside_strict


def lif_step(v: torch.Tensor, current: torch.Tensor, neuron: NeuronSpec,
             spike_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
             last_spikes: torch.Tensor | None = None):
    """One LIF step for a layer (the update rule of ``NeuronSpec``).

    v: membrane potential after the previous step (after its reset for ``reset_timing``
    ``'same'``; the pre-reset potential for ``'next'``), ``[batch, N]``.
    current: summed synaptic input of this step (bias included), ``[batch, N]``.
    spike_fn: maps ``v_pre - v_th`` to 0/1 spikes; default: the spec's threshold test
    (``spike_function``); a surrogate-gradient function (same forward values) makes the
    step differentiable for BPTT.
    last_spikes: the previous step's spikes ``[batch, N]``, read only for ``reset='subtract'``
    with ``reset_timing='next'`` (None: no spikes, the first step).
    Returns ``(v_pre, spikes, v_next)``: the pre-reset potential (clipped at ``v_th`` when
    ``neuron.clip``), the 0/1 spikes (same dtype as ``v``), and the potential to pass as ``v``
    to the next step, all ``[batch, N]``.
    """
    if spike_fn is None:
        spike_fn = spike_function(neuron)
    v_pre = neuron.decay * v + current
    pending = neuron.reset == "subtract" and neuron.reset_timing == "next"
    if pending and last_spikes is not None:
        v_pre = v_pre - last_spikes * neuron.v_th
    if neuron.clip:
        v_pre = torch.clamp(v_pre, max=neuron.v_th)
    spikes = spike_fn(v_pre - neuron.v_th)
    if neuron.reset == "zero":
        v_next = v_pre * (1.0 - spikes)
    elif not pending:
        v_next = v_pre - spikes * neuron.v_th
    else:
        v_next = v_pre
    return v_pre, spikes, v_next


class NeuronConstants(NamedTuple):
    """A neuron's ``decay`` and ``v_th`` as 0-d tensors, ``clip`` and its update rule:
    see ``neuron_constants``."""

    decay: torch.Tensor
    v_th: torch.Tensor
    clip: bool
    threshold_test: str = ">="
    reset: str = "zero"
    reset_timing: str = "same"


def neuron_constants(neuron: NeuronSpec, dtype: torch.dtype, device: torch.device | str = "cpu") -> NeuronConstants:
    """``neuron``'s decay and threshold as 0-d tensors of ``dtype`` on ``device``, for
    ``lif_step_``: a kernel given a Python number converts it on every call (a few
    microseconds, which add up over a trainer's thousands of steps). For float32 and float64
    (the dtypes the trainers use, and the ones tested) the values are the same; float16 or
    bfloat16 kernels may round a Python number differently from a tensor of that dtype."""
    return NeuronConstants(torch.tensor(neuron.decay, dtype=dtype, device=device),
                           torch.tensor(neuron.v_th, dtype=dtype, device=device), neuron.clip,
                           neuron.threshold_test, neuron.reset, neuron.reset_timing)


def lif_step_(v: torch.Tensor, current: torch.Tensor, neuron: NeuronSpec | NeuronConstants, v_pre: torch.Tensor,
              spikes: torch.Tensor, last_spikes: torch.Tensor | None = None) -> None:
    """``lif_step`` (with the spec's threshold test) without autograd, writing into given
    buffers (bit for bit the same values; the fast path of the trainers, which run it
    thousands of times an epoch).

    v: ``[batch, N]``, as ``lif_step``'s, overwritten with ``v_next``; current: ``[batch, N]``;
    neuron: a ``NeuronSpec`` or its ``neuron_constants`` (faster); v_pre, spikes: ``[batch, N]``
    buffers (dtype of ``v``) that receive the pre-reset potential and the 0/1 spikes;
    last_spikes: as ``lif_step``'s (it may be the ``spikes`` buffer itself).
    """
    torch.mul(v, neuron.decay, out=v_pre).add_(current)
    pending = neuron.reset == "subtract" and neuron.reset_timing == "next"
    if pending and last_spikes is not None:
        v_pre.sub_(last_spikes * neuron.v_th)
    if neuron.clip:
        v_pre.clamp_(max=neuron.v_th)
    if neuron.threshold_test == ">=":
        torch.ge(v_pre, neuron.v_th, out=spikes)  # v_pre >= v_th  <=>  v_pre - v_th >= 0 (IEEE)
    else:
        torch.gt(v_pre, neuron.v_th, out=spikes)
    if neuron.reset == "zero":
        torch.addcmul(v_pre, v_pre, spikes, value=-1.0, out=v)  # v_pre - v_pre * s: exact for s in {0, 1}
    elif not pending:
        torch.sub(v_pre, torch.mul(spikes, neuron.v_th, out=v), out=v)  # v_pre - s * v_th
    else:
        v.copy_(v_pre)


def check_spikes(spikes: torch.Tensor, n_in: int, name: str = "input spikes", values: bool = True) -> None:
    """Raise ValueError unless ``spikes`` is a tensor ``[T, batch, n_in]`` of 0/1
    (``encoders.checks.check_binary``, on the tensor's device); ``values=False`` checks the type
    and shape only (for a caller whose next step checks the values, e.g. ``SpikeBatch``)."""
    if not isinstance(spikes, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor [T, batch, {n_in}], got {type(spikes).__name__}")
    if spikes.dim() != 3 or spikes.shape[-1] != n_in:
        raise ValueError(f"{name} must have shape [T, batch, {n_in}] for this spec, got {list(spikes.shape)}")
    if values:
        check_binary(spikes, name, message=f"{name} must contain only 0 and 1")


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
    """Feed-forward LIF network of a spec; weights ``[post, pre]`` in ``self.weights`` and,
    when the spec has ``bias``, biases ``[post]`` in ``self.biases`` (else None). Given
    weights must match the spec's shapes and be finite, else ValueError; so must the biases,
    which a spec with ``bias`` requires when weights are given (zeros when they are drawn)."""

    def __init__(self, spec: NetworkSpec, weights: list[torch.Tensor] | None = None,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                 biases: list[torch.Tensor] | None = None):
        super().__init__()
        self.spec = spec
        if weights is None:
            weights = init_weights(spec, generator, dtype=dtype)
            if spec.bias and biases is None:
                biases = [torch.zeros(shape, dtype=dtype) for shape in spec.bias_shapes()]
        check_weights(spec, weights, source="network weights")
        check_biases(spec, biases, source="network biases")
        self.weights = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.as_tensor(w).to(dtype).clone(), requires_grad=False) for w in weights])
        self.biases = None if biases is None else torch.nn.ParameterList(
            [torch.nn.Parameter(torch.as_tensor(b).to(dtype).clone(), requires_grad=False) for b in biases])

    @torch.no_grad()
    def forward(self, input_spikes: torch.Tensor) -> Recording:
        """Run ``[T, batch, sizes[0]]`` 0/1 input spikes through all layers, all
        layers updating within each step. Returns a ``Recording``."""
        check_spikes(input_spikes, self.spec.sizes[0])
        neuron = self.spec.neuron
        return run_feedforward(input_spikes, list(self.weights),
                               lambda layer, v, current, last: lif_step(v, current, neuron, last_spikes=last),
                               None if self.biases is None else list(self.biases))


def spike_matmul(spikes: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Synaptic currents ``spikes @ weight.T`` of sparse 0/1 spikes ``[rows, pre]`` (any
    dtype) and weights ``[post, pre]``: ``[rows, post]`` in the weights' dtype, computed as a
    sparse product (only the rows of ``weight.T`` that spiked are summed)."""
    idx = spikes.nonzero().T
    sparse = torch.sparse_coo_tensor(idx, torch.ones(idx.shape[1], dtype=weight.dtype, device=weight.device),
                                     tuple(spikes.shape), check_invariants=False)
    return torch.sparse.mm(sparse, weight.T)


def run_feedforward(input_spikes: torch.Tensor, weights: list[torch.Tensor], step,
                    biases: list[torch.Tensor] | None = None) -> Recording:
    """The shared time loop of the mirrors (float and fixed-point).

    input_spikes: 0/1 ``[T, batch, N_in]`` (already checked, any dtype); weights: ``[post, pre]``
    per layer, all of one dtype and device; biases: None or ``[post]`` per layer (same dtype),
    added to every step's synaptic current. ``step(layer, v, current, last_spikes)`` returns
    ``(v_pre, spikes, v_next)`` as ``lif_step`` does (``last_spikes``: the layer's spikes of
    the previous step, None at the first). Every layer starts at ``v = 0``.
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
        if biases is not None:
            current.add_(biases[layer])
        s_layer, v_layer = torch.empty_like(current), torch.empty_like(current)
        v = current.new_zeros(batch, w.shape[0])
        for t in range(steps):
            v_layer[t], s_layer[t], v = step(layer, v, current[t], s_layer[t - 1] if t else None)
        out_s.append(s_layer)
        out_v.append(v_layer)
        spikes = s_layer.reshape(steps * batch, -1)
    return Recording(spikes=out_s, v=out_v)

"""Backpropagation through time over the unrolled T steps, same masked loss.

``bptt_loss`` defines the loss with autograd (the reference); ``bptt_grads`` computes the
same gradients by hand, with one matrix product per layer over all T steps instead of T
small ones and no autograd graph (several times faster; ``tests/test_bptt.py`` checks it
against autograd to 1e-12 in float64), and ``bptt_batch`` trains with it.

Every spike (hidden and output) is ``sigmoid_spike``: Heaviside forward, ``sigmoid'``
backward, so gradients also flow through earlier hidden spikes and, with
``detach_reset=False``, through the resets (the default, as ``BPTTConfig``'s, detaches them).
The step size of each batch follows ``cosine_lr`` in the autoencoder trainer.
The clip ``min(V, v_th)`` does not change spikes or resets (a clipped neuron spikes and
resets to 0 either way), so the dynamics run unclipped and the clip is applied to the
output potential entering the loss with a straight-through gradient; a true clip would
give no gradient to a wrongly spiking output neuron. One standard Adam update per batch,
moments kept across batches (``AdamState``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from models.spec import NeuronSpec
from models.torch_snn import lif_step, lif_step_, neuron_constants

from .losses import masked_error, mismatch_density
from .adam import AdamState, adam_step_
from .settings import BatchStats, TrainSettings, check_batch, check_bool, check_paper_neuron, checked
from .surrogate import sigmoid_grad, sigmoid_spike


@dataclass(frozen=True)
class BPTTConfig(TrainSettings):
    """Settings of the BPTT trainer: those of ``TrainSettings`` (Adam, weight decay, mask) and
    detach_reset: if true, the reset ``V * (1 - s)`` passes gradient only through ``V`` (the
    spikes still carry the surrogate gradient to the next layer and the loss)."""

    detach_reset: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        checked(self, detach_reset=check_bool)


def bptt_loss(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor,
              neuron: NeuronSpec, mask: bool = True, detach_reset: bool = True):
    """Unroll the network over T steps with surrogate spikes and sum the per-step masked loss.

    weights: ``[post, pre]`` tensors (may require grad); input_spikes ``[T, batch, N_in]``,
    target_spikes ``[T, batch, N_out]`` (0/1, already on the weights' device and dtype).
    Returns ``(loss, spikes)``: the 0-d loss ``sum_t 0.5 * sum(E_t ** 2) / batch`` and
    the spikes of every layer ``[T, batch, N_l]`` (detached).
    detach_reset: the reset carries no surrogate gradient (see ``BPTTConfig``).
    """
    check_paper_neuron(neuron, "bptt")
    dynamics = replace(neuron, clip=False)
    steps, batch = input_spikes.shape[0], input_spikes.shape[1]
    v = [input_spikes.new_zeros(batch, w.shape[0]) for w in weights]
    record = [input_spikes.new_empty(steps, batch, w.shape[0]) for w in weights]
    loss = input_spikes.new_zeros(())
    for t in range(steps):
        s = input_spikes[t]
        for layer, w in enumerate(weights):
            if detach_reset:  # same spikes; the surrogate only on the path to the next layer and the loss
                v_pre, _, v[layer] = lif_step(v[layer], s @ w.T, dynamics)
                s = sigmoid_spike(v_pre - neuron.v_th)
            else:
                v_pre, s, v[layer] = lif_step(v[layer], s @ w.T, dynamics, spike_fn=sigmoid_spike)
            record[layer][t] = s.detach()
        if neuron.clip:  # value min(V, v_th), gradient of V
            v_pre = v_pre - (v_pre - neuron.v_th).clamp(min=0).detach()
        error = masked_error(v_pre, s, target_spikes[t], neuron.v_th, mask)
        loss = loss + 0.5 * error.square().sum() / batch
    return loss, record


def bptt_grads(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor,
               neuron: NeuronSpec, mask: bool = True, detach_reset: bool = True):
    """The gradients of ``bptt_loss`` without autograd: the same numbers (up to summation
    order), computed layer by layer with one product over all T steps where autograd makes T.

    Forward, per layer: the input currents of all steps in one product, then the LIF time
    loop (unclipped, as ``bptt_loss``). Backward, with ``g_t = dL/dV_pre_t`` ``[batch, N]``:
    ``g_t = a_t + decay * g_{t+1} * dV_t/dV_pre_t`` (``dV_t/dV_pre_t = 1 - s_t``, minus
    ``V_pre_t * sigmoid'(V_pre_t - v_th)`` when the reset carries the surrogate), where ``a_t``
    is ``-E_t / batch`` at the output (straight-through clip) and
    ``(g^{l+1}_t W_{l+1}) * sigmoid'(V_pre_t - v_th)`` in a hidden layer; then
    ``grad W_l = sum_t g_t^T s^{l-1}_t``, again one product.

    Arguments as ``bptt_loss`` (weights need no grad). Returns ``(grads, loss, spikes)``: one
    gradient per weight, the 0-d loss, the spikes of every layer ``[T, batch, N_l]``.
    """
    check_paper_neuron(neuron, "bptt")
    dynamics = neuron_constants(replace(neuron, clip=False), weights[0].dtype, weights[0].device)
    steps, batch = input_spikes.shape[0], input_spikes.shape[1]
    v_pre, spikes, below = [], [], input_spikes
    with torch.no_grad():
        for w in weights:
            current = (below.reshape(steps * batch, -1) @ w.T).reshape(steps, batch, -1)
            pre, out, v = torch.empty_like(current), torch.empty_like(current), current.new_zeros(current.shape[1:])
            for t in range(steps):
                lif_step_(v, current[t], dynamics, pre[t], out[t])
            v_pre.append(pre)
            spikes.append(out)
            below = out

        top = v_pre[-1].clamp(max=neuron.v_th) if neuron.clip else v_pre[-1]
        error = masked_error(top, spikes[-1], target_spikes, neuron.v_th, mask)
        loss = 0.5 * error.square().sum() / batch
        drive = error.mul_(-1.0 / batch)      # a_t of the output layer
        grads, g_above = [None] * len(weights), None
        for layer in range(len(weights) - 1, -1, -1):
            pre, out = v_pre[layer], spikes[layer]
            # sigmoid' is needed below a layer above, and in the reset only when it is not detached
            surrogate = sigmoid_grad(pre - neuron.v_th) if g_above is not None or not detach_reset else None
            if g_above is not None:           # through the surrogate spikes into the layer above
                drive = (g_above.reshape(steps * batch, -1) @ weights[layer + 1]).reshape(pre.shape)
                drive.mul_(surrogate)
            carry = 1.0 - out                 # dV_t / dV_pre_t
            if not detach_reset:
                carry.sub_(pre * surrogate)
            g = torch.empty_like(pre)
            g[steps - 1] = drive[steps - 1]
            for t in range(steps - 2, -1, -1):
                torch.addcmul(drive[t], g[t + 1], carry[t], value=neuron.decay, out=g[t])
            below = spikes[layer - 1] if layer else input_spikes
            grads[layer] = g.reshape(steps * batch, -1).T @ below.reshape(steps * batch, -1)
            g_above = g
    return grads, loss, spikes


def cosine_lr(lr: float, index: int, total: int) -> float:
    """The step size of batch ``index`` (0-based) of ``total``: ``lr`` decayed on a half cosine,
    ``lr * (1 + cos(pi * index / total)) / 2`` (the BPTT trainer's schedule; with the online
    rule's 9,000 updates an epoch there is no need for one)."""
    return lr * 0.5 * (1.0 + math.cos(math.pi * index / total))


def bptt_batch(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor,
               neuron: NeuronSpec, cfg: BPTTConfig, state: AdamState, checked: bool = False) -> BatchStats:
    """Train ``weights`` in place on one batch: BPTT through the T steps (``bptt_grads``),
    one Adam update.

    weights: list of ``[post, pre]`` tensors (device and dtype as in ``online_batch``);
    input_spikes ``[T, batch, N_in]``, target_spikes ``[T, batch, N_out]``: 0/1.
    state: the Adam moments, updated in place (create with ``AdamState.zeros_like(weights)``).
    checked: skip every check of the batch (weights and spikes), as in ``online_batch``.
    Returns ``BatchStats`` (loss per sample and step, spike counts of every layer, error density).
    """
    if not checked:
        check_batch(weights, input_spikes, target_spikes)
    device, dtype = weights[0].device, weights[0].dtype
    x = input_spikes.to(device=device, dtype=dtype)
    y = x if target_spikes is input_spikes else target_spikes.to(device=device, dtype=dtype)
    grads, loss, record = bptt_grads(weights, x, y, neuron, cfg.mask, cfg.detach_reset)
    state.step += 1
    with torch.no_grad():
        adam_step_(weights, grads, state.m1, state.m2, state.step, cfg)
    return BatchStats(loss=float(loss) / x.shape[0], counts=[s.sum(0) for s in record],
                      error_density=mismatch_density(y, record[-1]))

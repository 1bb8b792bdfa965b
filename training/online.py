"""The paper's online membrane-potential rule, as in the authors' official MATLAB code.

Generic over the number of layers, the input and the target: the autoencoder
uses target = input spikes; the audiocoder uses cochleagram spikes as input and
a hidden-layer spike map as target.

Per step t of a batch (all layers update within the step, weights ``[post, pre]``):

1. forward, layer by layer: the presynaptic trace ``e_l = (1 - alpha) * e_l + s_pre``
   (``[batch, pre]``), then ``lif_step`` (``V = min((1 - alpha) V + s_pre W^T, v_th)``,
   spike, reset); the pre-reset ``V`` is kept;
2. the masked error of the output layer, ``E = mask * (target_scale * v_th * target[t] - V_out)``
   (``target_scale``: the official audiocoder code's ``opts.scale``, 1 by default);
3. gradients with the weights of this step: ``delta_out = -E / batch``,
   ``grad W_l = delta_l^T e_l``, ``delta_{l-1} = (delta_l W_l) * sigmoid'(V_{l-1} - v_th)``;
4. one Adam update of every layer (moments start at zero in every batch, the bias
   correction uses the step within the batch, as the official code);
5. the traces forget the contribution of neurons that spiked (``trace_reset``):
   ``fraction`` (official code) scales each sample's trace ``e_l`` by
   ``1 - (spikes of layer l in that sample) / reset_norm`` (the code's constant 784);
   ``exact`` (the paper's text) resets ``dV_m / dW_mn`` to 0 for each synapse whose
   postsynaptic neuron m spiked, computed from the history of the shared trace.

Where this differs from the true gradient of the summed loss by design (see
``tests/test_online.py``, which checks agreement where it must hold):
the clip ``min(., v_th)`` and the reset are treated as constants; the output potential's
dependence on *earlier* hidden spikes is dropped (only ``sigmoid'`` of the current step
is used); and the weights change within the batch, so step t's gradient is taken at
the weights after step t - 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from encoders.checks import check_choice, check_number
from models.spec import NeuronSpec
from models.torch_snn import lif_step_, neuron_constants

from .adam import AdamState, adam_step_
from .defaults import TRACE_RESETS
from .settings import BatchStats, TrainSettings, check_batch, check_paper_neuron
from .surrogate import sigmoid_grad


@dataclass(frozen=True)
class OnlineConfig(TrainSettings):
    """Settings of the online rule (defaults: the official MNIST autoencoder): those of
    ``TrainSettings`` plus trace_reset (``fraction`` or ``exact``, see the module docstring;
    ``exact`` keeps the trace history, ``batch x (T + 1) x N_pre`` values per layer, and costs
    up to T times the gradient matmul per step), reset_norm, the denominator of the
    ``fraction`` reset (> 0; official code: 784 for every layer), and target_scale (> 0): a
    missed target spike pulls the output potential towards ``target_scale * v_th`` (the
    official audiocoder code's ``opts.scale``; 1: ``v_th``)."""

    trace_reset: str = "fraction"
    reset_norm: float = 784.0
    target_scale: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.trace_reset, "trace_reset", TRACE_RESETS)
        object.__setattr__(self, "reset_norm", check_number(self.reset_norm, "reset_norm", 0.0, lo_open=True))
        object.__setattr__(self, "target_scale", check_number(self.target_scale, "target_scale", 0.0, lo_open=True))


def online_pass(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor,
                neuron: NeuronSpec, cfg: OnlineConfig, on_step: Callable[[list, int], None]) -> BatchStats:
    """Run the online rule over one batch, handing each step's gradients to ``on_step``.

    weights: ``[post, pre]`` tensors (their device and dtype set the compute device and
    precision); input_spikes ``[T, batch, N_in]`` and target_spikes ``[T, batch, N_out]``: 0/1.
    on_step(grads, step): called after every step with one gradient per layer (shapes of
    the weights; buffers reused between steps) and the 1-based step number; it may update
    the weights in place (``online_batch`` applies Adam there).
    """
    check_batch(weights, input_spikes, target_spikes)
    return _online_loop(weights, input_spikes, target_spikes, neuron, cfg, on_step)


def _online_loop(weights, input_spikes, target_spikes, neuron, cfg, on_step) -> BatchStats:
    """``online_pass`` on an already validated batch (the neuron is checked here)."""
    check_paper_neuron(neuron, "the online rule")
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    device, dtype = weights[0].device, weights[0].dtype
    x = input_spikes.to(device=device, dtype=dtype)
    y = target_spikes.to(device=device, dtype=dtype)
    steps, batch = x.shape[0], x.shape[1]
    n_layers, exact = len(weights), cfg.trace_reset == "exact"
    # The constants as 0-d tensors of the compute dtype: Python numbers cost a conversion
    # in every kernel call (about 5% of an epoch); the values are the same.
    const = neuron_constants(neuron, dtype, device)
    decay, v_th = const.decay, const.v_th
    v_target, error_scale, one, reset_norm = (torch.tensor(value, dtype=dtype, device=device) for value in
                                               (neuron.v_th * cfg.target_scale, -1.0 / batch, 1.0, cfg.reset_norm))

    v = [x.new_zeros(batch, n) for n in sizes[1:]]
    v_pre = [x.new_empty(batch, n) for n in sizes[1:]]
    current = [x.new_empty(batch, n) for n in sizes[1:]]
    traces = [x.new_zeros(batch, n) for n in sizes[:-1]]
    grads = [torch.empty_like(w) for w in weights]
    spikes = [x.new_empty(batch, n) for n in sizes[1:]]    # this step's, reused: stays in cache
    counts = [x.new_zeros(batch, n) for n in sizes[1:]]
    if exact:  # trace after each step (index 0: before the batch) and each neuron's last reset index
        history = [x.new_zeros(batch, steps + 1, n) for n in sizes[:-1]]
        last_reset = [torch.zeros(batch, n, dtype=torch.long, device=device) for n in sizes[1:]]
    error, mask = x.new_empty(batch, sizes[-1]), x.new_empty(batch, sizes[-1])
    square_error, mismatches = x.new_empty(steps), x.new_empty(steps)

    # The large per-step arrays are buffers allocated above (new each step: the small
    # [batch, hidden] ones of the backward pass and, with the exact reset, its correction); the values equal those of ``lif_step``
    # and ``masked_error``, and tests/test_online.py checks the rule against autograd.
    with torch.no_grad():
        for t in range(steps):
            s = x[t]
            for layer, w in enumerate(weights):
                traces[layer].mul_(decay).add_(s)
                torch.mm(s, w.T, out=current[layer])
                s = spikes[layer]
                lif_step_(v[layer], current[layer], const, v_pre[layer], s)
                counts[layer].add_(s)
            torch.mul(y[t], v_target, out=error).sub_(v_pre[-1])
            torch.ne(y[t], s, out=mask)  # target XOR spike, as 0/1
            torch.sum(mask.view(-1), 0, out=mismatches[t])
            if cfg.mask:
                error.mul_(mask)
            flat = error.view(-1)
            torch.dot(flat, flat, out=square_error[t])

            delta = error.mul_(error_scale)  # -E / batch: dL/dV_out of the batch-mean loss
            for layer in range(n_layers - 1, -1, -1):
                torch.mm(delta.T, traces[layer], out=grads[layer])
                if exact:
                    grads[layer].sub_(_reset_correction(delta, history[layer], last_reset[layer], t + 1, neuron.decay))
                if layer:
                    delta = (delta @ weights[layer]).mul_(sigmoid_grad(v_pre[layer - 1] - v_th))
            on_step(grads, t + 1)

            for layer in range(n_layers):
                spiked = spikes[layer]
                if exact:
                    history[layer][:, t + 1] = traces[layer]
                    last_reset[layer].masked_fill_(spiked.bool(), t + 1)
                else:
                    traces[layer].mul_(one - spiked.sum(1, keepdim=True) / reset_norm)

    return BatchStats(loss=float(square_error.sum()) * 0.5 / (batch * steps), counts=counts,
                      error_density=float(mismatches.sum()) / max(y.numel(), 1))


def _reset_correction(delta: torch.Tensor, history: torch.Tensor, last_reset: torch.Tensor, step: int,
                      decay: float) -> torch.Tensor:
    """``sum_b delta[b, m] * decay ** (step - r) * history[b, r, n]`` with ``r = last_reset[b, m]``:
    the part of the shared trace ``e[b, n]`` that predates neuron m's last reset, so
    ``delta^T e - correction`` is the gradient with exact per-synapse resets. ``[post, pre]``."""
    batch, post = delta.shape
    weight = delta * torch.pow(decay, (step - last_reset).to(delta.dtype))
    coeff = delta.new_zeros(batch, post, step)
    coeff.scatter_(2, last_reset.unsqueeze(-1), weight.unsqueeze(-1))
    past = history[:, :step]  # [batch, step, pre]
    return torch.einsum("bmk,bkn->mn", coeff, past)


def online_batch(weights: list[torch.Tensor], input_spikes: torch.Tensor, target_spikes: torch.Tensor,
                 neuron: NeuronSpec, cfg: OnlineConfig = OnlineConfig(), checked: bool = False) -> BatchStats:
    """Train ``weights`` in place on one batch with the online rule, one Adam update per step.

    weights: list of ``[post, pre]`` tensors, e.g. ``[W_hid [H, N_in], W_out [N_out, H]]``;
    their device (cpu or cuda) and dtype (float32, or float64 on request) are used throughout.
    input_spikes: 0/1 ``[T, batch, N_in]``; target_spikes: 0/1 ``[T, batch, N_out]``
    (the autoencoder passes the input spikes again). Adam's moments start at zero in
    every call. checked: the caller vouches for the batch (weights finite and chained, as
    ``check_weights_chain``; spikes 0/1 with the right shapes, from this project's encoders),
    which skips ``check_batch`` (a few ms a batch).
    Returns ``BatchStats`` (loss, spike counts of every layer, error density).
    """
    if not checked:
        check_batch(weights, input_spikes, target_spikes)
    trained, inputs, active = weights, input_spikes, None
    if cfg.weight_decay == 0:
        # An input that never spikes in this batch keeps a zero trace, so its weights get a
        # zero gradient at every step, and Adam, whose moments start at zero here, leaves
        # them unchanged: train only the columns of the inputs that spike (about 63% of
        # MNIST's pixels in a batch of 100), then write them back. The same result up to the
        # summation order of the shorter products (tests/test_online.py).
        active = input_spikes.sum((0, 1)).nonzero().squeeze(1)
        if len(active) < weights[0].shape[1]:
            trained = [take_columns(weights[0], active.to(weights[0].device)), *weights[1:]]
            inputs = take_columns(input_spikes, active)
        else:
            active = None
    adam = AdamState.zeros_like(trained)
    stats = _online_loop(trained, inputs, target_spikes, neuron, cfg,
                         lambda grads, step: adam_step_(trained, grads, adam.m1, adam.m2, step, cfg))
    if active is not None:
        weights[0][:, active.to(weights[0].device)] = trained[0]
    return stats


def take_columns(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[..., index]`` as a new contiguous tensor (numpy's ``take`` on the CPU, several
    times faster there than ``index_select`` along the last axis). index: 1-D int64."""
    if x.device.type == "cpu":
        return torch.from_numpy(np.take(x.numpy(), index.numpy(), axis=-1))
    return x.index_select(-1, index)

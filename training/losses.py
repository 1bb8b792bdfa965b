"""The paper's masked membrane-potential loss (official code: ``calculate_loss``).

At each step the output layer's pre-reset potential ``V`` is pulled towards
``v_th * target``, but only where the output spike is wrong:
``mask = target XOR spikes``, ``E = mask * (v_th * target - V)``,
``L = 0.5 * sum(E ** 2)``.
"""

from __future__ import annotations

import torch


def masked_error(v_pre: torch.Tensor, spikes: torch.Tensor, target: torch.Tensor, v_th: float,
                 mask: bool = True) -> torch.Tensor:
    """The error ``E = mask * (v_th * target - v_pre)``, same shape as the inputs.

    v_pre: pre-reset output potentials, any shape (e.g. ``[batch, N]`` or ``[T, batch, N]``).
    spikes, target: 0/1 output and target spikes of the same shape.
    mask: if true, ``E`` is zero where the output spike equals the target
    (``target XOR spikes``); if false, every neuron is pulled to 0 or ``v_th``.
    The mask carries no gradient; ``E`` is differentiable in ``v_pre``.
    """
    if v_pre.shape != spikes.shape or v_pre.shape != target.shape:
        raise ValueError(f"v_pre {list(v_pre.shape)}, spikes {list(spikes.shape)} and target "
                         f"{list(target.shape)} must have the same shape")
    error = target * v_th - v_pre
    if mask:
        error = error * (target != spikes.detach()).to(error.dtype)
    return error


def masked_vmem_loss(v_pre: torch.Tensor, spikes: torch.Tensor, target: torch.Tensor, v_th: float,
                     mask: bool = True) -> torch.Tensor:
    """``0.5 * sum(E ** 2) / batch`` (a 0-d tensor), ``E`` from ``masked_error``.

    Shapes ``[batch, N]`` (one step) or ``[T, batch, N]`` (summed over the steps);
    the batch is the second-to-last axis.
    """
    error = masked_error(v_pre, spikes, target, v_th, mask)
    return 0.5 * error.square().sum() / v_pre.shape[-2]


def mismatch_density(target: torch.Tensor, spikes: torch.Tensor) -> float:
    """Fraction of entries where 0/1 ``spikes`` differ from the 0/1 ``target`` (same shape,
    e.g. ``[T, batch, N]``): the density of the loss's XOR mask. Computed from two sums
    and a dot product (exact for 0/1 values), cheaper than comparing elementwise."""
    if target.shape != spikes.shape:
        raise ValueError(f"target {list(target.shape)} and spikes {list(spikes.shape)} must have the same shape")
    t, s = target.reshape(-1), spikes.reshape(-1).to(target.dtype)
    return float(t.sum() + s.sum() - 2 * torch.dot(t, s)) / max(t.numel(), 1)

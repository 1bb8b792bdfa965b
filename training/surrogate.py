"""Surrogate-gradient spike function for autograd (the paper's eqs. 3-4)."""

from __future__ import annotations

import torch


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of the logistic sigmoid, ``exp(-x) / (1 + exp(-x)) ** 2`` (the paper's eq. 4),
    elementwise, same shape as ``x``."""
    s = torch.sigmoid(x)
    return s * (1 - s)


class _SigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * sigmoid_grad(x)


def sigmoid_spike(x: torch.Tensor) -> torch.Tensor:
    """Spikes ``(x >= 0)`` (0/1, dtype of ``x``) whose gradient is ``sigmoid'(x)``;
    ``x = v_pre - v_th``. Pass as ``spike_fn`` to ``models.torch_snn.lif_step``."""
    return _SigmoidSpike.apply(x)

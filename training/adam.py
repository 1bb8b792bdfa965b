"""Adam as the official code applies it, shared by every trainer: the state (moments and
step count) and one in-place update of a list of weights."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class AdamState:
    """Adam moments (one per weight, same shapes) and the number of updates made so far."""

    m1: list = field(default_factory=list)
    m2: list = field(default_factory=list)
    step: int = 0

    @classmethod
    def zeros_like(cls, weights: list[torch.Tensor]) -> "AdamState":
        """Fresh state for these weights."""
        return cls([torch.zeros_like(w) for w in weights], [torch.zeros_like(w) for w in weights], 0)

    def reset_(self) -> None:
        """Moments back to zero (in place) and the step count to 0, as a fresh state."""
        for m in (*self.m1, *self.m2):
            m.zero_()
        self.step = 0


def adam_step_(weights: list[torch.Tensor], grads: list[torch.Tensor], m1: list[torch.Tensor],
               m2: list[torch.Tensor], step: int, cfg) -> None:
    """One in-place Adam update of every weight (the official code's formula), with the
    settings ``cfg.lr, beta1, beta2, eps, weight_decay`` (a ``TrainSettings`` or ``AnnConfig``):
    ``m1 = b1 m1 + (1 - b1) g``, ``m2 = b2 m2 + (1 - b2) g^2``,
    ``W -= lr * (m1 / (1 - b1^step)) / (sqrt(m2 / (1 - b2^step)) + eps)``,
    with ``g = grad + weight_decay * W``. ``step`` counts from 1. Uses PyTorch's fused
    Adam kernel (one pass over the weights; the same kernel as ``torch.optim.Adam(fused=True)``)."""
    steps = [torch.tensor(float(step), device=w.device) for w in weights]
    torch._fused_adam_(weights, grads, m1, m2, [], steps, lr=cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2,
                       weight_decay=cfg.weight_decay, eps=cfg.eps, amsgrad=False, maximize=False)

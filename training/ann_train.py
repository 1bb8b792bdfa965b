"""Training the ANN baselines (official ``auto_encoder_ann.m``): squared error against the
target, ``L = 0.5 * sum((target - out) ** 2) / batch``, plain SGD with decoupled weight
decay ``W = W * (1 - weight_decay) - lr * grad`` or Adam with moments kept across batches."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models.ann import relu_mlp

from .adam import AdamState, adam_step_
from .defaults import ANN_OPTIMIZERS, DEFAULT_LR, DEFAULT_WEIGHT_DECAY
from .settings import TrainSettings, check_choice, check_number


@dataclass(frozen=True)
class AnnConfig:
    """optimizer: ``sgd`` or ``adam``; lr > 0 (defaults: 0.1 for sgd, 5e-3 for adam);
    weight_decay in [0, 1) (sgd: decoupled, official 1e-4; adam: L2 in the gradient, default 0);
    beta1, beta2 in [0, 1) and eps > 0 for adam."""

    optimizer: str = "sgd"
    lr: float | None = None
    weight_decay: float | None = None
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7

    def __post_init__(self) -> None:
        check_choice(self.optimizer, "optimizer", ANN_OPTIMIZERS)
        if self.lr is None:
            object.__setattr__(self, "lr", DEFAULT_LR[f"ann-{self.optimizer}"])
        if self.weight_decay is None:
            object.__setattr__(self, "weight_decay", DEFAULT_WEIGHT_DECAY[f"ann-{self.optimizer}"])
        # the spiking trainers' checks of the shared settings, then SGD's decoupled decay < 1
        TrainSettings(lr=self.lr, beta1=self.beta1, beta2=self.beta2, eps=self.eps, weight_decay=self.weight_decay)
        check_number(self.weight_decay, "weight_decay", 0.0, 1.0, hi_open=True)


def ann_batch(weights: list[torch.Tensor], x: torch.Tensor, target: torch.Tensor, cfg: AnnConfig,
              state: AdamState) -> tuple[float, torch.Tensor]:
    """One update of ``weights`` (``[post, pre]``, in place) on a batch.

    x: ``[batch, N_in]``; target: ``[batch, N_out]`` (the autoencoder: the pixels again).
    state: Adam moments (used only by adam). Returns ``(loss, output)``: the loss
    ``0.5 * sum((target - out) ** 2) / batch`` before the update and the output ``[batch, N_out]``.
    """
    if not (bool(torch.isfinite(x).all()) and bool(torch.isfinite(target).all())):
        raise ValueError("ANN input and target must be finite")
    leaves = [w.detach().requires_grad_(True) for w in weights]
    with torch.enable_grad():
        out = relu_mlp(leaves, x)
        if out.shape != target.shape:
            raise ValueError(f"target must have shape {list(out.shape)}, got {list(target.shape)}")
        loss = 0.5 * (target - out).square().sum() / x.shape[0]
        grads = torch.autograd.grad(loss, leaves)
    with torch.no_grad():
        if cfg.optimizer == "sgd":
            for w, g in zip(weights, grads):
                w.mul_(1.0 - cfg.weight_decay).sub_(g, alpha=cfg.lr)
        else:
            state.step += 1
            adam_step_(weights, list(grads), state.m1, state.m2, state.step, cfg)
    return float(loss.detach()), out.detach()

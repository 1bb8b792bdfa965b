"""The AC-ANN baseline: a ReLU MLP ``n_inputs - H - hidden`` regressing the AE-ANN's hidden
state (quantised to ``2^Th`` levels) from the analog cochleagram features; its output
goes through the AE-ANN's decoder (W2) to give the image.

Quantisation: ``levels`` uniform values on ``[0, top]``, where ``top`` is the largest hidden
value over the training targets (the AE-ANN's hidden state is a ReLU output, so >= 0);
``Th = None`` keeps full precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from encoders.rate import make_generator
from models.ann import relu_mlp
from models.spec import NetworkSpec
from models.torch_snn import init_weights

from ..defaults import ANN_OPTIMIZERS
from ..settings import check_choice, check_int, check_number, checked, positive_int


@dataclass(frozen=True)
class AcAnnConfig:
    """hidden: H; optimizer: ``sgd`` or ``adam``; lr, weight_decay, batch, epochs: the paper's
    AC-ANN settings (1e-4, 1e-4, 50, 20)."""

    hidden: int = 2048
    optimizer: str = "adam"
    lr: float = 1e-4
    weight_decay: float = 1e-4
    batch: int = 50
    epochs: int = 20

    def __post_init__(self) -> None:
        checked(self, hidden=positive_int, batch=positive_int, epochs=positive_int,
                optimizer=lambda v, n: check_choice(v, n, ANN_OPTIMIZERS),
                lr=lambda v, n: check_number(v, n, 0.0, lo_open=True),
                weight_decay=lambda v, n: check_number(v, n, 0.0))


def quantize(h: torch.Tensor, levels: int, top: float) -> torch.Tensor:
    """``h`` (>= 0) rounded to ``levels`` uniform values on ``[0, top]`` (values above ``top`` are
    clipped to it; ``top`` comes from the training set, so test values may exceed it)."""
    check_int(levels, "levels", 2)
    check_number(top, "top", 0.0, lo_open=True)
    step = top / (levels - 1)
    return torch.round(torch.clamp(h, 0.0, top) / step) * step


def hidden_states(ae_weights: list, images) -> torch.Tensor:
    """The AE-ANN's hidden state ``relu(x W1^T)`` of ``images [n, 784]`` in [0, 1]: ``[n, hidden]``."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(len(images), -1)
    return relu_mlp([torch.as_tensor(ae_weights[0]).float()], x)


def ann_targets(ae_weights: list, images, th: int | None) -> torch.Tensor:
    """Training targets of the AC-ANN: the hidden states of ``images``, quantised to ``2^th``
    levels (``th=None``: unquantised). ``[n, hidden]``."""
    h = hidden_states(ae_weights, images)
    if th is None:
        return h
    top = float(h.max())
    return quantize(h, 2 ** th, top) if top > 0 else h


def train_ac_ann(features, targets: torch.Tensor, cfg: AcAnnConfig, seed: int = 0, device: str = "cpu",
                 progress: bool = True) -> tuple[list, list]:
    """Train the AC-ANN on ``features [n, n_inputs]`` -> ``targets [n, N_out]`` with the
    AE-ANN trainer's update (``training.ann_train.ann_batch``). Returns ``(weights, per-epoch loss)``."""
    from ..adam import AdamState
    from ..ann_train import AnnConfig, ann_batch
    from ..loop import batches, randperm_orders

    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    if x.dim() != 2 or len(x) != len(targets):
        raise ValueError(f"features [n, n_inputs] and targets [n, N_out] must have the same n, "
                         f"got {list(x.shape)} and {list(targets.shape)}")
    g = make_generator(seed)
    spec = NetworkSpec(sizes=(x.shape[1], cfg.hidden, targets.shape[1]))
    weights = [w.to(device) for w in init_weights(spec, g)]
    opt = AnnConfig(optimizer=cfg.optimizer, lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = AdamState.zeros_like(weights)
    history, losses = [], []
    for batch in batches(len(x), cfg.batch, cfg.epochs, randperm_orders(len(x), g), desc=f"AC-ANN ({cfg.optimizer})",
                         progress=progress):
        loss, _ = ann_batch(weights, x[batch.items].to(device), targets[batch.items].to(device), opt, state)
        losses.append(loss)
        if batch.last_in_epoch:
            history.append(float(np.mean(losses)))
            losses = []
    return [w.cpu() for w in weights], history


def synthesize_ann(ac_weights: list, ae_weights: list, features) -> torch.Tensor:
    """Images ``[n, 784]`` of the ANN pipeline: AC-ANN, then the AE-ANN's decoder ``relu(h W2^T)``."""
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    with torch.no_grad():
        return relu_mlp([*ac_weights, torch.as_tensor(ae_weights[1]).float()], x)

"""ReLU multilayer perceptrons without biases: the paper's AE-ANN (784-H-784) and AC-ANN baselines."""

from __future__ import annotations

import torch


def relu_mlp(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Forward pass ``a_l = relu(a_{l-1} W_l^T)`` through every layer (ReLU on the output too,
    as the official AE-ANN). weights: ``[post, pre]`` tensors; x: ``[batch, N_in]``.
    Returns ``[batch, N_out]``. Raises ValueError if x has the wrong width."""
    if x.dim() != 2 or x.shape[1] != weights[0].shape[1]:
        raise ValueError(f"input must have shape [batch, {weights[0].shape[1]}], got {list(x.shape)}")
    for w in weights:
        x = torch.relu(x @ w.T)
    return x

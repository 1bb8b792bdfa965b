import pytest
import torch

from models.ann import relu_mlp
from training.ann_train import AnnConfig, ann_batch
from training.adam import AdamState

F64 = torch.float64


def test_relu_mlp_hand_computed():
    w = [torch.tensor([[1.0, -1.0], [0.5, 0.5]], dtype=F64), torch.tensor([[2.0, -1.0]], dtype=F64)]
    # hidden: relu([1 - 3, 0.5 + 1.5]) = [0, 2]; output relu(0 - 2) = 0 ; second sample [3, 0] -> [3, 1.5] -> 4.5
    out = relu_mlp(w, torch.tensor([[1.0, 3.0], [3.0, 0.0]], dtype=F64))
    assert out[:, 0].tolist() == [0.0, 4.5]


def test_sgd_step_with_decoupled_weight_decay():
    # out = relu(0.5 * 2) = 1, target 2: loss 0.5, dL/dw = -(2 - 1) * 2 = -2
    # w = 0.5 * (1 - 0.1) - 0.1 * (-2) = 0.65
    w = [torch.tensor([[0.5]], dtype=F64)]
    x = torch.tensor([[2.0]], dtype=F64)
    loss, out = ann_batch(w, x, x, AnnConfig("sgd", lr=0.1, weight_decay=0.1), AdamState.zeros_like(w))
    assert loss == pytest.approx(0.5) and float(out) == 1.0
    assert float(w[0]) == pytest.approx(0.65)


def test_adam_keeps_moments_across_batches_and_learns():
    g = torch.Generator().manual_seed(0)
    w = [(torch.rand(8, 16, generator=g) * 2 - 1) * 0.01, (torch.rand(16, 8, generator=g) * 2 - 1) * 0.01]
    state = AdamState.zeros_like(w)
    x = torch.rand(32, 16, generator=g)
    losses = [ann_batch(w, x, x, AnnConfig("adam"), state)[0] for _ in range(100)]
    assert state.step == 100
    assert losses[-1] < 0.5 * losses[0]


def test_defaults_and_bad_settings():
    assert AnnConfig("sgd").lr == 0.1 and AnnConfig("sgd").weight_decay == 1e-4
    assert AnnConfig("adam").lr == 5e-3 and AnnConfig("adam").weight_decay == 0.0
    with pytest.raises(ValueError, match="optimizer"):
        AnnConfig("rmsprop")
    with pytest.raises(ValueError, match="lr"):
        AnnConfig("sgd", lr=0.0)
    with pytest.raises(ValueError, match=r"shape \[batch, 2\]"):
        relu_mlp([torch.zeros(3, 2)], torch.zeros(4, 5))

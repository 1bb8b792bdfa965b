import pytest
import torch

from training.losses import masked_error, masked_vmem_loss

F64 = torch.float64


def test_masked_error_hand_computed():
    # neurons: (target, spike, v_pre) = (1,0,0.3) (0,1,1.0) (1,1,1.0) (0,0,0.4)
    target = torch.tensor([[1.0, 0.0, 1.0, 0.0]], dtype=F64)
    spikes = torch.tensor([[0.0, 1.0, 1.0, 0.0]], dtype=F64)
    v_pre = torch.tensor([[0.3, 1.0, 1.0, 0.4]], dtype=F64)
    # mask = target XOR spikes = [1, 1, 0, 0]; E = mask * (2 * target - v_pre) with v_th = 2
    assert masked_error(v_pre, spikes, target, 2.0)[0].tolist() == pytest.approx([1.7, -1.0, 0.0, 0.0])
    # no mask: every neuron is pulled to 0 or v_th
    assert masked_error(v_pre, spikes, target, 2.0, mask=False)[0].tolist() == pytest.approx([1.7, -1.0, 1.0, -0.4])


def test_loss_is_half_sum_of_squares_per_sample():
    target = torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]]], dtype=F64).expand(2, 2, 2)   # [T=2, batch=2, 2]
    spikes = torch.zeros(2, 2, 2, dtype=F64)
    v_pre = torch.full((2, 2, 2), 0.5, dtype=F64)
    # errors: t0 -> [0.5, 0] per sample, t1 -> [0.5, 0.5]; sum of squares = 2 * (0.25 + 0.5) = 1.5
    assert float(masked_vmem_loss(v_pre, spikes, target, 1.0)) == pytest.approx(0.5 * 1.5 / 2)


def test_error_is_differentiable_in_v_pre_only_where_masked():
    v_pre = torch.tensor([[0.2, 0.9]], dtype=F64, requires_grad=True)
    loss = masked_vmem_loss(v_pre, torch.tensor([[0.0, 1.0]], dtype=F64), torch.tensor([[1.0, 1.0]], dtype=F64), 1.0)
    loss.backward()
    assert v_pre.grad[0].tolist() == pytest.approx([-0.8, 0.0])   # dL/dV = -E


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        masked_error(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 4), 1.0)


def test_mismatch_density_counts_the_xor_mask():
    from training.losses import mismatch_density
    g = torch.Generator().manual_seed(0)
    target = (torch.rand(5, 7, 11, generator=g) < 0.3).float()
    spikes = (torch.rand(5, 7, 11, generator=g) < 0.2).float()
    expected = int((target != spikes).sum()) / target.numel()
    assert mismatch_density(target, spikes) == pytest.approx(expected, abs=1e-12)
    assert mismatch_density(target, target) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        mismatch_density(target, spikes[:4])

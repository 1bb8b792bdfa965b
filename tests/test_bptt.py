import pytest
import torch

from models.spec import NetworkSpec, NeuronSpec
from models.torch_snn import SpikingNetwork
from training.adam import AdamState
from training.bptt import BPTTConfig, bptt_batch, bptt_grads, bptt_loss
from training.online import OnlineConfig, online_pass
from training.surrogate import sigmoid_grad

F64 = torch.float64


def grad_of(weights, x, y, neuron, mask=True, detach_reset=False):
    leaves = [w.clone().requires_grad_(True) for w in weights]
    loss, _ = bptt_loss(leaves, x, y, neuron, mask, detach_reset)
    return torch.autograd.grad(loss, leaves)


@pytest.mark.parametrize("clip, e2, detach", [(False, 1.14, False), (True, 1.0, False), (True, 1.0, True)])
def test_hand_computed_gradient_through_the_reset(clip, e2, detach):
    # one neuron, w = 0.6, input spikes at both steps, target [1, 0], alpha = 0.1:
    # step 1: V1 = 0.6, no spike, E1 = 0.4, dV1/dw = 1 -> dL1/dw = -0.4
    # step 2: V2 = 0.9 * V1 * (1 - s1) + 0.6 = 1.14 (clipped 1 with straight-through gradient),
    #         spikes against target 0, E2 = -V2;
    #         dV2/dw = 0.9 * (1 - V1 * sig'(V1 - 1)) + 1 (the surrogate path through s1 in the reset),
    #         or 0.9 * 1 + 1 with the reset detached
    neuron = NeuronSpec(alpha=0.1, clip=clip)
    x = torch.ones(2, 1, 1, dtype=F64)
    y = torch.tensor([1.0, 0.0], dtype=F64).reshape(2, 1, 1)
    (g,) = grad_of([torch.tensor([[0.6]], dtype=F64)], x, y, neuron, detach_reset=detach)
    dv2 = 0.9 * (1 - (0 if detach else 0.6 * float(sigmoid_grad(torch.tensor(-0.4, dtype=F64))))) + 1
    assert float(g) == pytest.approx(-0.4 + e2 * dv2, abs=1e-12)


def test_forward_spikes_equal_the_mirror():
    g = torch.Generator().manual_seed(2)
    spec = NetworkSpec(sizes=(30, 12, 30), steps=10)
    net = SpikingNetwork(spec, [torch.rand(12, 30, generator=g) * 0.5, torch.rand(30, 12, generator=g) * 0.6])
    x = (torch.rand(10, 4, 30, generator=g) < 0.4).float()
    _, spikes = bptt_loss(list(net.weights), x, x, spec.neuron)
    rec = net(x)
    assert rec.spikes[1].sum() > 0
    assert all(torch.equal(a, b) for a, b in zip(spikes, rec.spikes))


@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("detach_reset", [True, False])
@pytest.mark.parametrize("mask", [True, False])
def test_hand_written_backward_equals_autograd(clip, detach_reset, mask):
    # three weight layers over 12 steps, weights large enough that every layer spikes often
    g = torch.Generator().manual_seed(5)
    neuron = NeuronSpec(alpha=0.1, clip=clip)
    weights = [torch.rand(9, 14, generator=g, dtype=F64) * 0.7, torch.rand(8, 9, generator=g, dtype=F64) - 0.2,
               torch.rand(14, 8, generator=g, dtype=F64) * 0.9 - 0.2]
    x = (torch.rand(12, 6, 14, generator=g) < 0.5).to(F64)
    leaves = [w.clone().requires_grad_(True) for w in weights]
    loss, spikes = bptt_loss(leaves, x, x, neuron, mask, detach_reset)
    expected = torch.autograd.grad(loss, leaves)
    grads, fast_loss, fast_spikes = bptt_grads(weights, x, x, neuron, mask, detach_reset)
    assert all(torch.equal(a, b) for a, b in zip(spikes, fast_spikes)) and all(s.sum() > 0 for s in spikes)
    assert float(fast_loss) == pytest.approx(float(loss.detach()), rel=1e-12)
    for a, b in zip(grads, expected):
        assert b.abs().max() > 1e-3
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_one_step_gradient_equals_the_online_rule():
    # T = 1 and no clip: nothing in the past, so BPTT and the online rule agree
    g = torch.Generator().manual_seed(4)
    neuron = NeuronSpec(alpha=0.1, clip=False)
    weights = [torch.rand(7, 9, generator=g, dtype=F64) * 0.6, torch.rand(5, 7, generator=g, dtype=F64) - 0.3]
    x = (torch.rand(1, 4, 9, generator=g) < 0.6).to(F64)
    y = (torch.rand(1, 4, 5, generator=g) < 0.5).to(F64)
    online = []
    online_pass(weights, x, y, neuron, OnlineConfig(), lambda grads, step: online.extend(gr.clone() for gr in grads))
    for a, b in zip(grad_of(weights, x, y, neuron), online):
        assert torch.allclose(a, b, atol=1e-12)


def test_bptt_batch_learns_and_keeps_adam_state():
    g = torch.Generator().manual_seed(0)
    neuron = NeuronSpec(alpha=0.1)
    weights = [(torch.rand(12, 20, generator=g) * 2 - 1) * 0.1, (torch.rand(20, 12, generator=g) * 2 - 1) * 0.1]
    state = AdamState.zeros_like(weights)
    pixels = torch.rand(8, 20, generator=g)
    losses = []
    for _ in range(40):
        x = (torch.rand(10, 8, 20, generator=g) < pixels * 0.5).float()
        stats = bptt_batch(weights, x, x, neuron, BPTTConfig(lr=2e-2), state)
        losses.append(stats.loss)
    assert state.step == 40 and state.m1[0].abs().sum() > 0
    assert stats.counts[1].shape == (8, 20) and stats.counts[1].sum() > 0
    assert sum(losses[-5:]) / 5 < 0.6 * losses[0]


def test_bad_input_is_rejected():
    weights = [torch.zeros(3, 4), torch.zeros(4, 3)]
    with pytest.raises(ValueError, match=r"\[T, batch, 4\]"):
        bptt_batch(weights, torch.zeros(2, 1, 3), torch.zeros(2, 1, 4), NeuronSpec(), BPTTConfig(),
                   AdamState.zeros_like(weights))
    with pytest.raises(ValueError, match="lr"):
        BPTTConfig(lr=-1.0)


def test_cosine_schedule_and_trainer_defaults():
    import math

    from training.autoencoder import TrainConfig
    from training.bptt import cosine_lr
    assert cosine_lr(2e-3, 0, 2400) == 2e-3
    assert cosine_lr(2e-3, 1200, 2400) == pytest.approx(1e-3)
    assert cosine_lr(2e-3, 2399, 2400) == pytest.approx(2e-3 * 0.5 * (1 + math.cos(math.pi * 2399 / 2400)))
    assert TrainConfig(trainer="bptt").batch_size == 16 and TrainConfig(trainer="paper").batch_size == 100
    assert TrainConfig(trainer="bptt", batch_size=100).batch_size == 100
    assert TrainConfig(trainer="bptt").optimizer_config().lr == 2e-3

import pytest
import torch

from models.spec import NetworkSpec, NeuronSpec
from models.torch_snn import SpikingNetwork, lif_step

F64 = torch.float64


def tiny(clip=True):
    """1-1-1 chain: w0 = 0.6, w1 = 0.7, alpha = 0.1, Vth = 1."""
    spec = NetworkSpec(sizes=(1, 1, 1), neuron=NeuronSpec(alpha=0.1, v_th=1.0, clip=clip), steps=5)
    return SpikingNetwork(spec, [torch.tensor([[0.6]], dtype=F64), torch.tensor([[0.7]], dtype=F64)], dtype=F64)


def run(net, train):
    x = torch.tensor(train, dtype=F64).reshape(-1, 1, 1)
    rec = net(x)
    return [s[:, 0, 0].tolist() for s in rec.spikes], [v[:, 0, 0].tolist() for v in rec.v]


def test_hand_computed_chain_with_clip():
    # layer 1: 0.6, 0.9*0.6+0.6=1.14 -> clip 1 spike, 0, 0.6, 1.14 -> clip 1 spike
    # layer 2 (same step): 0, 0.7, 0.63, 0.567, 0.5103+0.7=1.2103 -> clip 1 spike
    spikes, v = run(tiny(), [1, 1, 0, 1, 1])
    assert spikes[0] == [0, 1, 0, 0, 1]
    assert spikes[1] == [0, 0, 0, 0, 1]
    assert v[0] == pytest.approx([0.6, 1.0, 0.0, 0.6, 1.0], abs=1e-12)
    assert v[1] == pytest.approx([0.0, 0.7, 0.63, 0.567, 1.0], abs=1e-12)


def test_hand_computed_chain_without_clip():
    spikes, v = run(tiny(clip=False), [1, 1, 0, 1, 1])
    assert spikes[0] == [0, 1, 0, 0, 1]
    assert v[0] == pytest.approx([0.6, 1.14, 0.0, 0.6, 1.14], abs=1e-12)
    assert v[1] == pytest.approx([0.0, 0.7, 0.63, 0.567, 1.2103], abs=1e-12)


def test_lif_step_reset_and_threshold_equality():
    neuron = NeuronSpec(alpha=0.5, v_th=1.0)
    v = torch.tensor([[0.0, 1.0, 0.4]], dtype=F64)
    v_pre, s, v_next = lif_step(v, torch.tensor([[1.0, 0.5, 0.0]], dtype=F64), neuron)
    assert v_pre.tolist() == [[1.0, 1.0, 0.2]]   # exactly at threshold spikes; 1.0 clipped
    assert s.tolist() == [[1.0, 1.0, 0.0]]
    assert v_next.tolist() == [[0.0, 0.0, 0.2]]


def test_rejects_wrong_input():
    net = tiny()
    with pytest.raises(ValueError, match=r"\[T, batch, 1\]"):
        net(torch.zeros(5, 1, 3, dtype=F64))
    with pytest.raises(ValueError, match="0 and 1"):
        net(torch.full((5, 1, 1), 0.5, dtype=F64))


def test_rejects_wrong_weight_shapes():
    spec = NetworkSpec(sizes=(4, 3, 2))
    with pytest.raises(ValueError, match=r"W0 has shape \[4, 3\]"):
        SpikingNetwork(spec, [torch.zeros(4, 3), torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="needs 2 weight matrices"):
        SpikingNetwork(spec, [torch.zeros(3, 4)])


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_rejects_non_finite_weights(bad):
    spec = NetworkSpec(sizes=(4, 3, 2))
    w1 = torch.zeros(2, 3)
    w1[1, 2] = bad
    with pytest.raises(ValueError, match="W1 contains NaN or infinite values"):
        SpikingNetwork(spec, [torch.zeros(3, 4), w1])


def test_seeded_init_is_uniform_and_reproducible():
    spec = NetworkSpec(sizes=(784, 196, 784))
    a = SpikingNetwork(spec, generator=torch.Generator().manual_seed(1))
    b = SpikingNetwork(spec, generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a.weights, b.weights))
    w = a.weights[0]
    assert float(w.min()) >= -0.1 and float(w.max()) <= 0.1 and abs(float(w.mean())) < 0.005


@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_in_place_lif_step_equals_lif_step_bit_for_bit(clip, dtype):
    from models.torch_snn import lif_step_, neuron_constants
    g = torch.Generator().manual_seed(3)
    neuron = NeuronSpec(alpha=0.1, v_th=1.0, clip=clip)
    v = torch.rand(50, 40, generator=g, dtype=dtype) * 1.2
    current = torch.rand(50, 40, generator=g, dtype=dtype) - 0.3
    current[0, :5] = 1.0 - neuron.decay * v[0, :5]          # lands on the threshold (up to rounding)
    v_pre, spikes, v_next = lif_step(v, current, neuron)
    for given in (neuron, neuron_constants(neuron, dtype)):   # Python numbers or 0-d tensors
        v_in_place, pre_buf, spike_buf = v.clone(), torch.empty_like(v), torch.empty_like(v)
        lif_step_(v_in_place, current, given, pre_buf, spike_buf)
        assert torch.equal(pre_buf, v_pre) and torch.equal(spike_buf, spikes) and torch.equal(v_in_place, v_next)
    assert 0 < spikes.sum() < spikes.numel()

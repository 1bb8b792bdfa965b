"""The mirror's inference path used as the reference for Brian2 (models.torch_snn.run_feedforward)."""

import torch

from models.torch_snn import lif_step, spike_matmul
from tests.test_brian import random_input, random_net


def test_spike_matmul_equals_the_dense_product():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(7, 11, generator=g, dtype=torch.float64)
    s = (torch.rand(5, 11, generator=g) < 0.3).to(torch.uint8)
    s[2] = 0   # a row without spikes
    assert torch.allclose(spike_matmul(s, w), s.double() @ w.T, rtol=0, atol=1e-14)


def test_forward_equals_a_plain_lif_step_loop():
    net, x = random_net(sizes=(100, 40, 30)), random_input(8, n_in=100)
    rec = net(x.to(torch.uint8))
    v = [torch.zeros(8, 40, dtype=torch.float64), torch.zeros(8, 30, dtype=torch.float64)]
    for t in range(x.shape[0]):
        s = x[t]
        for layer, w in enumerate(net.weights):
            v_pre, s, v[layer] = lif_step(v[layer], s @ w.T, net.spec.neuron)
            assert torch.equal(s, rec.spikes[layer][t])
            assert torch.allclose(v_pre, rec.v[layer][t], rtol=0, atol=1e-12)

"""Fixed-point (hardware-style) mode: the integer mirror, and Brian2 agreeing with it exactly."""

import pytest
import torch

from models.brian_snn import run_brian
from models.compare import compare_recordings
from models.quantized import FixedPoint, QuantizedNetwork, quantize_weights
from models.backends import Network
from models.spec import NetworkSpec, NeuronSpec
from tests.test_brian import random_input, random_net
from training.evaluate import bit_sweep, evaluate

F64 = torch.float64


def test_quantize_weights_is_symmetric_and_uses_the_full_range():
    w = torch.tensor([[0.5, -0.25], [0.1, 0.0]], dtype=F64)
    q, scale = quantize_weights(w, 4)
    assert scale == pytest.approx(0.5 / 7)
    assert q.tolist() == [[7.0, -4.0], [1.0, 0.0]]   # 0.25/scale = 3.5 rounds to even 4, 0.1/scale = 1.4
    assert float((q * scale - w).abs().max()) <= scale / 2


def test_hand_computed_fixed_point_step():
    spec = NetworkSpec(sizes=(2, 3), neuron=NeuronSpec(alpha=0.1, v_th=1.0))
    # scale = 0.5 / 127, threshold = round(1 / scale) = 254; membrane register 10 bits: [-512, 511]
    qn = QuantizedNetwork(spec, [torch.tensor([[0.5, 0.0], [0.0, -0.5], [0.25, 0.25]], dtype=F64)],
                          FixedPoint(weight_bits=8, membrane_bits=10, leak_bits=8))
    assert qn.decay == 230 and qn.thresholds == [254]           # round(0.9 * 256) = 230
    v = torch.tensor([[100.0, -100.0, 300.0]], dtype=F64)
    current = torch.tensor([[0.0, -600.0, 0.0]], dtype=F64)
    v_pre, s, v_next = qn.step(0, v, current)
    # leak: floor((100*230 + 128)/256) = 90; floor((-23000 + 128)/256) = -90 - 600 -> saturates at -512;
    # floor((69000 + 128)/256) = 270 -> clipped at the threshold 254 and spikes
    assert v_pre.tolist() == [[90.0, -512.0, 254.0]]
    assert s.tolist() == [[0.0, 0.0, 1.0]]
    assert v_next.tolist() == [[90.0, -512.0, 0.0]]


def test_bad_formats_are_refused():
    with pytest.raises(ValueError, match="weight_bits"):
        FixedPoint(weight_bits=1)
    with pytest.raises(ValueError, match="membrane_bits"):
        FixedPoint(weight_bits=8, membrane_bits=8)
    spec = NetworkSpec(sizes=(2, 1))
    with pytest.raises(ValueError, match="does not fit"):   # threshold 1 / (1e-3 / 127) needs > 16 bits
        QuantizedNetwork(spec, [torch.tensor([[1e-3, 0.0]], dtype=F64)], FixedPoint())


# cython compiles a dozen fixed-point code objects on first use (15-100 s here), hence slow
@pytest.mark.parametrize("backend", ["numpy", pytest.param("cython", marks=pytest.mark.slow)])
@pytest.mark.parametrize("bits, membrane_bits, clip", [(8, 16, True), (4, 8, False)])
def test_brian2_fixed_point_agrees_exactly(bits, membrane_bits, clip, backend):
    net = random_net()
    spec = net.spec.with_(neuron=NeuronSpec(alpha=0.1, v_th=1.0, clip=clip))
    fmt = FixedPoint(weight_bits=bits, membrane_bits=membrane_bits)
    qn = QuantizedNetwork(spec, list(net.weights), fmt)
    x = random_input(30)
    ref = qn(x)
    rec = run_brian(spec, list(net.weights), x, target=backend, fixed_point=fmt, record_v=True, progress=False)
    assert all(float(s.mean()) > 0.01 for s in ref.spikes)
    if membrane_bits == 8:   # the saturation is exercised
        assert any(bool((v == FixedPoint(bits, membrane_bits).v_min).any()) for v in ref.v)
    for row in compare_recordings(ref, rec):
        assert row["mismatches"] == 0 and row["max_abs_dv"] == 0.0, row
    # without recording the potentials (the path of `simulate --weight-bits`): the same spikes
    fast = run_brian(spec, list(net.weights), x, target=backend, fixed_point=fmt, record_v=False, progress=False)
    assert all(torch.equal(fast.dense(layer), s.to(torch.float64)) for layer, s in enumerate(ref.spikes))


def test_saturation_at_the_lower_bound_is_kept_without_recording():
    # 5-bit membrane (-16..15 LSB): three inhibitory spikes would reach -23 LSB unsaturated and
    # delay the later spikes by a step; Brian2 must saturate even when v is not recorded
    spec = NetworkSpec(sizes=(2, 1, 1), neuron=NeuronSpec(alpha=0.1, v_th=1.0, clip=False), steps=12)
    weights = [torch.tensor([[-0.7, 0.5]], dtype=F64), torch.tensor([[1.0]], dtype=F64)]
    fmt = FixedPoint(weight_bits=4, membrane_bits=5)
    qn = QuantizedNetwork(spec, weights, fmt)
    x = torch.zeros(12, 1, 2, dtype=F64)
    x[:3, 0, 0], x[3:, 0, 1] = 1.0, 1.0
    ref = qn(x)
    assert ref.v[0][2, 0, 0] == FixedPoint(4, 5).v_min and ref.spikes[0][:, 0, 0].nonzero().ravel().tolist() == [7, 10]
    for record_v in (True, False):
        rec = run_brian(spec, weights, x, target="numpy", fixed_point=fmt, record_v=record_v, progress=False)
        assert torch.equal(rec.dense(0), ref.spikes[0].to(F64)), record_v


def test_bit_sweep_runs_the_float_mirror_then_each_bit_width_on_the_same_spikes():
    net = random_net(sizes=(100, 30, 100))
    images = torch.rand(6, 100, generator=torch.Generator().manual_seed(2), dtype=F64)
    sweep = list(bit_sweep(Network(net.spec, list(net.weights)), images, bits=(8, 3), seed=4, progress=False))
    assert [name for name, _, _ in sweep] == ["float64", "8-bit", "3-bit"]
    assert sweep[0][1].fixed_point is None and [n.fixed_point.weight_bits for _, n, _ in sweep[1:]] == [8, 3]
    assert isinstance(sweep[1][1].mirror(), QuantizedNetwork) and sweep[1][2]["fixed_point"]["weight_bits"] == 8
    assert len({report["spikes_per_image"][0] for _, _, report in sweep}) == 1       # the same input spikes
    assert all(report["spikes_per_image"][-1] > 0 for _, _, report in sweep)
    for _, sweep_net, report in sweep:
        assert report == {**evaluate(sweep_net, images, seed=4)[0], "seconds": report["seconds"]}
    with pytest.raises(ValueError, match="weight_bits"):
        list(bit_sweep(Network(net.spec, list(net.weights)), images, bits=(1,), progress=False))


def _rule_network(**neuron):
    """The 2-3 network of test_hand_computed_fixed_point_step with another update rule."""
    spec = NetworkSpec(sizes=(2, 3), neuron=NeuronSpec(alpha=0.5, v_th=1.0, clip=False, **neuron))
    # scale 0.5 / 127, threshold 254, q = [[127, 0], [0, -127], [64, 64]]; decay round(0.5 * 256) = 128
    return spec, [torch.tensor([[0.5, 0.0], [0.0, -0.5], [0.25, 0.25]], dtype=F64)]


def test_hand_computed_fixed_point_rules():
    fmt = FixedPoint(weight_bits=8, membrane_bits=10, leak_bits=8)
    v, current = torch.tensor([[100.0, 300.0, 254.0]], dtype=F64), torch.tensor([[300.0, 0.0, 0.0]], dtype=F64)
    # leak floor((V * 128 + 128) / 256): 100 -> 50, 300 -> 150, 254 -> 127
    spec, w = _rule_network(reset="subtract")
    qn = QuantizedNetwork(spec, w, fmt)
    assert (qn.decay, qn.thresholds) == (128, [254])
    v_pre, s, v_next = qn.step(0, v, current)
    assert v_pre.tolist() == [[350.0, 150.0, 127.0]] and s.tolist() == [[1.0, 0.0, 0.0]]
    assert v_next.tolist() == [[96.0, 150.0, 127.0]]                      # 350 - 254
    # the reset at the next step: 350 -> 175 - 254 = -79, 150 -> 75, 127 -> 64 + 200 = 264 spikes
    spec, w = _rule_network(reset="subtract", reset_timing="next")
    qn = QuantizedNetwork(spec, w, fmt)
    v_pre, s, v_next = qn.step(0, v_pre, torch.tensor([[0.0, 0.0, 200.0]], dtype=F64), last_spikes=s)
    assert v_pre.tolist() == [[-79.0, 75.0, 264.0]] and s.tolist() == [[0.0, 0.0, 1.0]]
    assert torch.equal(v_next, v_pre)                                        # reset pending
    # '>' against '>=' at exactly the threshold
    for test, spiked in ((">=", 1.0), (">", 0.0)):
        spec, w = _rule_network(threshold_test=test)
        _, s, _ = QuantizedNetwork(spec, w, fmt).step(0, torch.zeros(1, 3, dtype=F64),
                                                      torch.full((1, 3), 254.0, dtype=F64))
        assert s.tolist() == [[spiked] * 3], test


def test_hand_computed_fixed_point_biases():
    fmt = FixedPoint(weight_bits=8, membrane_bits=10, leak_bits=8)
    spec, w = _rule_network()
    spec = spec.with_(bias=True)
    # b / scale: 0.25 * 254 = 63.5 -> 64 (half to even), -0.5 -> -127, 1.0 -> 254
    qn = QuantizedNetwork(spec, w, fmt, [torch.tensor([0.25, -0.5, 1.0], dtype=F64)])
    assert [q.tolist() for q in qn.biases] == [[64.0, -127.0, 254.0]] and qn.describe()["max_abs_bias"] == [254]
    rec = qn(torch.zeros(2, 1, 2, dtype=F64))          # no input spike: the bias alone
    # leak: 64 -> floor(32.5) = 32, -127 -> floor(-63.5 + 0.5) = -63 (half up); 254 spiked and restarts at 0
    assert rec.v[0][:, 0].tolist() == [[64.0, -127.0, 254.0], [96.0, -190.0, 254.0]]
    assert rec.spikes[0][:, 0].tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match=r"bias 762 \(b / scale\) does not fit the 10-bit membrane"):
        QuantizedNetwork(spec, w, fmt, [torch.tensor([0.0, 0.0, 3.0], dtype=F64)])
    with pytest.raises(ValueError, match="bias=true, so biases must list 1 vectors"):
        QuantizedNetwork(spec, w, fmt)
    with pytest.raises(ValueError, match="fixed_point must be a FixedPoint"):
        QuantizedNetwork(spec.with_(bias=False), w, 8)

"""Every update rule the spec admits (threshold test x reset x timing x clip x bias) in Brian2:
the hand-computed traces of tests/test_torch_snn.py, and spike-for-spike agreement with the
float64 and the fixed-point mirrors on near-threshold and random networks, per target."""

import pytest
import torch

from encoders.rate import poisson
from models.brian_snn import run_brian
from models.compare import compare_recordings
from models.quantized import FixedPoint, QuantizedNetwork
from models.spec import NetworkSpec
from models.torch_snn import SpikingNetwork
from tests.test_brian import assert_agree
from tests.test_torch_snn import BIAS, CURRENTS, HAND, RULES, rule_neuron

F64 = torch.float64
SLOW = pytest.mark.slow
# Every Brian2 run builds its network (about 0.3 s with numpy); cython compiles each new code
# object once (a few seconds, then cached by Brian2); cpp_standalone builds a project per rule
# (about 10 s each here). The default run: every combination with numpy (fixed point: with biases,
# every operation there is), the hand cases with biases with cython too; the rest is marked slow.
TARGETS = ["numpy", pytest.param("cython", marks=SLOW), pytest.param("cpp_standalone", marks=SLOW)]
RULE_IDS = ["/".join(map(str, r)) for r in RULES]
BIASES = pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])


def _hand_params():
    """(bias, target) pairs: numpy always, cython with biases in the default run, the rest slow."""
    for target in ("numpy", "cython", "cpp_standalone"):
        for bias in (False, True):
            slow = target == "cpp_standalone" or (target == "cython" and not bias)
            yield pytest.param(bias, target, marks=[SLOW] if slow else [],
                               id=f"{'bias' if bias else 'no-bias'}-{target}")


@pytest.mark.parametrize("bias, target", list(_hand_params()))
@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_every_update_rule_by_hand(rule, bias, target):
    # input t spikes at step t only, through weight I_t - b (see tests/test_torch_snn.py)
    steps = len(CURRENTS)
    spec = NetworkSpec(sizes=(steps, 1), neuron=rule_neuron(rule), steps=steps, bias=bias)
    weights = [torch.tensor([[c - BIAS * bias for c in CURRENTS]], dtype=F64)]
    biases = [torch.tensor([BIAS], dtype=F64)] if bias else None
    x = torch.eye(steps, dtype=F64).reshape(steps, 1, steps)
    rec = run_brian(spec, weights, x, target=target, biases=biases, record_v=True, progress=False)
    expected_v, expected_s = HAND[rule]
    assert rec.v[0][:, 0, 0].tolist() == expected_v
    assert rec.dense(0)[:, 0, 0].tolist() == expected_s


def dyadic_network(rule, bias, seed=5, images=12):
    """alpha = 1/4, weights and biases k/16: every membrane value is exact in float64 whatever
    the summation order, and many sums land exactly on v_th = 1. Returns spec, weights, biases, x."""
    spec = NetworkSpec(sizes=(64, 32, 24), neuron=rule_neuron(rule, alpha=0.25), steps=12, bias=bias)
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randint(-3, 6, shape, generator=g).to(F64) / 16 for shape in spec.weight_shapes()]
    biases = [torch.randint(-2, 3, shape, generator=g).to(F64) / 16 for shape in spec.bias_shapes()] or None
    x = poisson(torch.full((images, 64), 0.5, dtype=F64), 12, 300.0, seed=seed + 1)
    return spec, weights, biases, x


@pytest.mark.parametrize("target", TARGETS)
@BIASES
@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_near_threshold_dyadic_networks_agree(rule, bias, target):
    spec, weights, biases, x = dyadic_network(rule, bias)
    ref = SpikingNetwork(spec, weights, dtype=F64, biases=biases)(x)
    rec = run_brian(spec, weights, x, target=target, biases=biases, record_v=True, chunk_images=6, progress=False)
    assert sum(int((v == 1.0).sum()) for v in ref.v) > 10               # ties with the threshold
    assert all(0.02 < float(s.mean()) < 0.8 for s in ref.spikes)
    assert_agree(ref, rec, tol=0.0)
    if rule[1] == "zero":
        # without membrane recording the clip is skipped (simulate's path): the same spikes
        fast = run_brian(spec, weights, x, target=target, biases=biases, chunk_images=6, progress=False)
        assert all(torch.equal(fast.dense(layer), s) for layer, s in enumerate(ref.spikes))


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_random_networks_agree(rule):
    # weights, biases and inputs of no special form (float rounding differs between the two;
    # no tie is likely): the same spikes, membranes within 1e-9
    spec = NetworkSpec(sizes=(100, 40, 30), neuron=rule_neuron(rule, alpha=0.1), steps=15, bias=True)
    g = torch.Generator().manual_seed(7)
    weights = [torch.rand(spec.weight_shapes()[0], generator=g, dtype=F64) * 0.35 - 0.15,
               torch.rand(spec.weight_shapes()[1], generator=g, dtype=F64) * 0.3 - 0.12]
    biases = [torch.rand(shape, generator=g, dtype=F64) * 0.2 - 0.1 for shape in spec.bias_shapes()]
    x = poisson(torch.rand(10, 100, generator=g, dtype=F64) * 0.3, 15, 300.0, seed=8)
    ref = SpikingNetwork(spec, weights, dtype=F64, biases=biases)(x)
    assert all(0.02 < float(s.mean()) < 0.8 for s in ref.spikes)
    assert_agree(ref, run_brian(spec, weights, x, target="numpy", biases=biases, record_v=True, progress=False))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("bias", [pytest.param(False, marks=SLOW), True], ids=["no-bias", "bias"])
@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_fixed_point_agrees_exactly_for_every_rule(rule, bias, target):
    spec, weights, biases, x = dyadic_network(rule, bias, seed=9)
    fmt = FixedPoint(weight_bits=5, membrane_bits=7, leak_bits=6)   # a 7-bit membrane [-64, 63], threshold 48
    qn = QuantizedNetwork(spec, weights, fmt, biases)
    ref = qn(x)
    assert all(0.02 < float(s.mean()) < 0.8 for s in ref.spikes)
    assert any(bool((v == fmt.v_min).any()) for v in ref.v)        # the saturation is exercised
    assert sum(int((v == theta).sum()) for v, theta in zip(ref.v, qn.thresholds)) > 50   # and ties
    rec = run_brian(spec, weights, x, target=target, fixed_point=fmt, biases=biases, record_v=True, progress=False)
    for row in compare_recordings(ref, rec):
        assert row["mismatches"] == 0 and row["max_abs_dv"] == 0.0, row
    if rule_neuron(rule).is_paper:   # without recording the potentials (the path of simulate --weight-bits)
        fast = run_brian(spec, weights, x, target=target, fixed_point=fmt, biases=biases, progress=False)
        assert all(torch.equal(fast.dense(layer), s.to(F64)) for layer, s in enumerate(ref.spikes))

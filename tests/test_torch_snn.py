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


# --- every update rule of the spec, pinned by hand --------------------------------------------
# One neuron, alpha = 0.5 (decay 0.5), v_th = 1, synaptic input I = 1, 0.5, 3.5, 0, 0.75, 0.25:
# every value is dyadic, so exact in any float order. Per step, the pre-reset V and the spike.
# x = 0.5 * V + I (minus the previous spike's v_th for subtract/next), clipped, tested, reset.
CURRENTS = [1.0, 0.5, 3.5, 0.0, 0.75, 0.25]
HAND = {
    # (threshold_test, reset, reset_timing, clip): (v_pre, spikes)
    # zero reset: V = 0 after a spike (the two timings are the same rule, see NeuronSpec)
    (">=", "zero", "same", True): ([1, .5, 1, 0, .75, .625], [1, 0, 1, 0, 0, 0]),
    (">=", "zero", "same", False): ([1, .5, 3.75, 0, .75, .625], [1, 0, 1, 0, 0, 0]),
    (">", "zero", "same", False): ([1, 1, 4, 0, .75, .625], [0, 0, 1, 0, 0, 0]),     # 1.0 is not > 1
    # subtract now: V = V - 1 after a spike (clipped: 1 - 1 = 0, as the zero reset)
    (">=", "subtract", "same", True): ([1, .5, 1, 0, .75, .625], [1, 0, 1, 0, 0, 0]),
    # 3.75 -> 2.75 -> 0.5 * 2.75 = 1.375 spikes again -> .375 -> .1875 + .75 = .9375
    (">=", "subtract", "same", False): ([1, .5, 3.75, 1.375, .9375, .71875], [1, 0, 1, 1, 0, 0]),
    # 1, 1 (no spike), 4 -> 3 -> 1.5 -> .5 -> .25 + .75 = 1.0 (no spike) -> .5 + .25
    (">", "subtract", "same", False): ([1, 1, 4, 1.5, 1, .75], [0, 0, 1, 1, 0, 0]),
    # subtract at the next step, after the leak: x = 0.5 * x_prev + I - s_prev
    # 1 -> .5 + .5 - 1 = 0 -> 3.5 (clip 1) -> .5 + 0 - 1 = -.5 -> -.25 + .75 = .5 -> .25 + .25
    (">=", "subtract", "next", True): ([1, 0, 1, -.5, .5, .5], [1, 0, 1, 0, 0, 0]),
    # 1 -> 0 -> 3.5 -> 1.75 - 1 = .75 -> .375 + .75 = 1.125 -> .5625 + .25 - 1 = -.1875
    (">=", "subtract", "next", False): ([1, 0, 3.5, .75, 1.125, -.1875], [1, 0, 1, 0, 1, 0]),
    # 1, 1 -> 4 -> 2 - 1 = 1 (no spike) -> .5 + .75 = 1.25 -> .625 + .25 - 1 = -.125 (snntorch's Leaky)
    (">", "subtract", "next", False): ([1, 1, 4, 1, 1.25, -.125], [0, 0, 1, 0, 1, 0]),
}
HAND[(">=", "zero", "next", True)] = HAND[(">=", "zero", "same", True)]
HAND[(">=", "zero", "next", False)] = HAND[(">=", "zero", "same", False)]
HAND[(">", "zero", "next", False)] = HAND[(">", "zero", "same", False)]
RULES = sorted(HAND)
BIAS = 0.25


def rule_neuron(rule, alpha=0.5):
    threshold_test, reset, reset_timing, clip = rule
    return NeuronSpec(alpha=alpha, v_th=1.0, reset=reset, clip=clip, threshold_test=threshold_test,
                      reset_timing=reset_timing)


def test_the_table_covers_every_rule_the_spec_admits():
    import itertools

    from models.spec import RESET_TIMINGS, RESETS, THRESHOLD_TESTS
    admitted = set()
    for test, reset, timing, clip in itertools.product(THRESHOLD_TESTS, RESETS, RESET_TIMINGS, (True, False)):
        try:
            rule_neuron((test, reset, timing, clip))
        except ValueError:
            continue
        admitted.add((test, reset, timing, clip))
    assert admitted == set(HAND) and len(HAND) == 12   # x bias: the 24 combinations


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("rule", RULES)
def test_every_update_rule_by_hand(rule, bias):
    # with a bias b the synaptic input is I - b: the total, and so the trace, is the same
    spec = NetworkSpec(sizes=(1, 1), neuron=rule_neuron(rule), steps=len(CURRENTS), bias=bias)
    steps = len(CURRENTS)
    expected_v, expected_s = HAND[rule]
    # lif_step, one step at a time
    v, last = torch.zeros(1, 1, dtype=F64), None
    for t, current in enumerate(CURRENTS):
        v_pre, s, v = lif_step(v, torch.tensor([[current]], dtype=F64), spec.neuron, last_spikes=last)
        assert (float(v_pre), float(s)) == (expected_v[t], expected_s[t]), t
        last = s
    # the network: input t spikes at step t only, through weight I_t - b
    weights = [torch.tensor([[c - BIAS * bias for c in CURRENTS]], dtype=F64)]
    x = torch.eye(steps, dtype=F64).reshape(steps, 1, steps)
    spec = spec.with_(sizes=(steps, 1))
    biases = [torch.tensor([BIAS], dtype=F64)] if bias else None
    rec = SpikingNetwork(spec, weights, dtype=F64, biases=biases)(x)
    assert rec.v[0][:, 0, 0].tolist() == expected_v and rec.spikes[0][:, 0, 0].tolist() == expected_s


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_in_place_lif_step_equals_lif_step_for_every_rule(rule, dtype):
    from models.torch_snn import lif_step_, neuron_constants
    neuron = rule_neuron(rule, alpha=0.1)
    g = torch.Generator().manual_seed(4)
    v, last = torch.zeros(30, 20, dtype=dtype), None
    v_in_place, pre_buf, spike_buf = v.clone(), torch.empty_like(v), torch.zeros_like(v)
    constants = neuron_constants(neuron, dtype)
    for t in range(12):
        current = torch.rand(30, 20, generator=g, dtype=dtype) * 0.8 - 0.1
        current[t, :3] = 1.0   # some land on the threshold from 0
        v_pre, spikes, v = lif_step(v, current, neuron, last_spikes=last)
        lif_step_(v_in_place, current, constants, pre_buf, spike_buf, last_spikes=spike_buf)   # buffer reused
        assert torch.equal(pre_buf, v_pre) and torch.equal(spike_buf, spikes) and torch.equal(v_in_place, v)
        last = spikes
    assert 0 < spikes.sum() < spikes.numel()


def test_biases_are_checked_and_drawn_as_zeros():
    spec = NetworkSpec(sizes=(4, 3, 2), bias=True)
    weights = [torch.zeros(3, 4), torch.zeros(2, 3)]
    with pytest.raises(ValueError, match="bias=true, so biases must list 2 vectors"):
        SpikingNetwork(spec, weights)
    with pytest.raises(ValueError, match=r"b1 has shape \[3\] but spec \[4, 3, 2\] needs \[2\]"):
        SpikingNetwork(spec, weights, biases=[torch.zeros(3), torch.zeros(3)])
    with pytest.raises(ValueError, match="b0 contains NaN"):
        SpikingNetwork(spec, weights, biases=[torch.full((3,), float("nan")), torch.zeros(2)])
    with pytest.raises(ValueError, match="biases given but the spec has bias=false"):
        SpikingNetwork(spec.with_(bias=False), weights, biases=[torch.zeros(3), torch.zeros(2)])
    drawn = SpikingNetwork(spec, generator=torch.Generator().manual_seed(0))
    assert [b.tolist() for b in drawn.biases] == [[0.0] * 3, [0.0] * 2]
    # a bias alone drives a layer: 0.6 a step, alpha 0.1: 0.6, 1.14 -> clip 1 spikes, 0.6, ...
    net = SpikingNetwork(spec, weights, dtype=F64, biases=[torch.full((3,), 0.6, dtype=F64), torch.zeros(2, dtype=F64)])
    rec = net(torch.zeros(4, 1, 4, dtype=F64))
    assert rec.spikes[0][:, 0, 0].tolist() == [0, 1, 0, 1]

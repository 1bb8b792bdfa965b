import math

import pytest
import torch

from models.spec import NeuronSpec
from models.torch_snn import heaviside, lif_step
from training.losses import masked_vmem_loss
from training.metrics import per_image_mse
from training.adam import adam_step_
from training.online import OnlineConfig, online_batch, online_pass
from training.surrogate import sigmoid_grad, sigmoid_spike

F64 = torch.float64


def record_grads(weights, x, y, neuron, cfg):
    """Run online_pass with fixed weights; return the per-step gradients."""
    per_step = []
    online_pass(weights, x, y, neuron, cfg, lambda grads, step: per_step.append([g.clone() for g in grads]))
    return per_step


def chain_case():
    """1-1-1 chain: w0 = 0.6, w1 = 0.7, alpha = 0.1, input and target spike at every step."""
    weights = [torch.tensor([[0.6]], dtype=F64), torch.tensor([[0.7]], dtype=F64)]
    ones = torch.ones(3, 1, 1, dtype=F64)
    return weights, ones, ones, NeuronSpec(alpha=0.1, v_th=1.0)


@pytest.mark.parametrize("reset, e0_step3", [("fraction", 0.9 * 1.9 * 0.5 + 1), ("exact", 1.0)])
def test_hand_computed_gradients_of_a_chain(reset, e0_step3):
    # step 1: hidden V 0.6 (no spike), output V 0, E = 1; output trace 0 -> gW1 = 0;
    #         delta_h = -1 * 0.7 * sig'(-0.4), input trace 1.
    # step 2: input trace 1.9, hidden V 1.14 -> clip 1, spikes; output V 0.7, E = 0.3, hidden trace 1
    #         -> gW1 = -0.3, gW0 = -0.3 * 0.7 * sig'(0) * 1.9.
    #         after the step the hidden spike resets the input trace: fraction (norm 2) halves it,
    #         exact drops everything before step 3.
    # step 3: hidden V 0.6; output V 0.63, E = 0.37, hidden trace 0.9 -> gW1 = -0.333;
    #         gW0 = -0.37 * 0.7 * sig'(-0.4) * e0 with e0 = 0.9 * 1.9 * 0.5 + 1 or 1.
    weights, x, y, neuron = chain_case()
    grads = record_grads(weights, x, y, neuron, OnlineConfig(trace_reset=reset, reset_norm=2.0))
    sp = float(sigmoid_grad(torch.tensor(-0.4, dtype=F64)))
    got_w1 = [float(g[1]) for g in grads]
    got_w0 = [float(g[0]) for g in grads]
    assert got_w1 == pytest.approx([0.0, -0.3, -0.37 * 0.9], abs=1e-12)
    assert got_w0 == pytest.approx([-0.7 * sp, -0.3 * 0.7 * 0.25 * 1.9, -0.37 * 0.7 * sp * e0_step3], abs=1e-12)


def test_mask_silences_correct_outputs_and_no_mask_does_not():
    # a correctly silent output (target 0, V > 0) has no error with the mask, E = -V without
    weights = [torch.tensor([[0.5]], dtype=F64)]
    x, y = torch.ones(1, 1, 1, dtype=F64), torch.zeros(1, 1, 1, dtype=F64)
    neuron = NeuronSpec(alpha=0.1)
    assert float(record_grads(weights, x, y, neuron, OnlineConfig())[0][0]) == 0.0
    assert float(record_grads(weights, x, y, neuron, OnlineConfig(mask=False))[0][0]) == pytest.approx(0.5)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_target_scale_pulls_missed_spikes_further(scale):
    # one neuron, w = 0.5, input spike, target spike: V = 0.5 < v_th, missed;
    # E = scale * v_th - 0.5, gradient -E * trace (1). A wrong spike (target 0, V clipped
    # at v_th) keeps E = -v_th whatever the scale.
    weights = [torch.tensor([[0.5]], dtype=F64)]
    x, ones, zeros = torch.ones(1, 1, 1, dtype=F64), torch.ones(1, 1, 1, dtype=F64), torch.zeros(1, 1, 1, dtype=F64)
    neuron = NeuronSpec(alpha=0.1)
    cfg = OnlineConfig(target_scale=scale)
    assert float(record_grads(weights, x, ones, neuron, cfg)[0][0]) == pytest.approx(-(scale - 0.5))
    strong = [torch.tensor([[1.5]], dtype=F64)]
    assert float(record_grads(strong, x, zeros, neuron, cfg)[0][0]) == pytest.approx(1.0)


def autograd_grads(weights, x, y, neuron, mask=True):
    """True gradient of sum_t masked loss with sigmoid-surrogate spikes (the reset through
    heaviside spikes of the last layer carries no gradient)."""
    ws = [w.clone().requires_grad_(True) for w in weights]
    v = [x.new_zeros(x.shape[1], w.shape[0]) for w in ws]
    loss = 0
    for t in range(x.shape[0]):
        s = x[t]
        for layer, w in enumerate(ws):
            spike_fn = heaviside if layer == len(ws) - 1 else sigmoid_spike
            v_pre, s, v[layer] = lif_step(v[layer], s @ w.T, neuron, spike_fn=spike_fn)
        loss = loss + masked_vmem_loss(v_pre, s, y[t], neuron.v_th, mask)
    return torch.autograd.grad(loss, ws)


def test_one_step_two_layers_matches_autograd():
    # With T = 1 there is no history: the online rule is the exact surrogate gradient
    # (no clip, since the rule treats the clip as a constant).
    g = torch.Generator().manual_seed(3)
    neuron = NeuronSpec(alpha=0.1, clip=False)
    weights = [torch.rand(7, 9, generator=g, dtype=F64) * 0.6, (torch.rand(5, 7, generator=g, dtype=F64) - 0.3)]
    x = (torch.rand(1, 4, 9, generator=g) < 0.6).to(F64)
    y = (torch.rand(1, 4, 5, generator=g) < 0.5).to(F64)
    online = record_grads(weights, x, y, neuron, OnlineConfig())[0]
    hidden_spikes = (x[0] @ weights[0].T >= 1).sum()
    assert 0 < hidden_spikes < 28  # the surrogate path is exercised on both sides of threshold
    for a, b in zip(online, autograd_grads(weights, x, y, neuron)):
        assert torch.allclose(a, b, atol=1e-12)


def test_exact_trace_reset_matches_autograd_over_many_steps_and_fraction_does_not():
    # One layer, many steps: the trace with exact per-synapse resets is the true dV/dW
    # (reset treated as a constant, no clip), so the summed online gradients equal autograd.
    g = torch.Generator().manual_seed(5)
    neuron = NeuronSpec(alpha=0.2, clip=False)
    weights = [torch.rand(6, 10, generator=g, dtype=F64) * 0.5]
    x = (torch.rand(8, 3, 10, generator=g) < 0.5).to(F64)
    y = (torch.rand(8, 3, 6, generator=g) < 0.4).to(F64)
    truth = autograd_grads(weights, x, y, neuron)[0]
    exact = sum(s[0] for s in record_grads(weights, x, y, neuron, OnlineConfig(trace_reset="exact")))
    fraction = sum(s[0] for s in record_grads(weights, x, y, neuron, OnlineConfig(trace_reset="fraction")))
    assert torch.allclose(exact, truth, atol=1e-12)
    assert not torch.allclose(fraction, truth, atol=1e-3)   # the official code's stand-in differs by design


def test_adam_step_matches_the_textbook_formula_over_several_steps():
    g = torch.Generator().manual_seed(0)
    w = torch.rand(4, 3, generator=g, dtype=F64)
    ref, m_ref, v_ref = w.clone(), torch.zeros_like(w), torch.zeros_like(w)
    cfg = OnlineConfig(lr=1e-2, eps=1e-7, weight_decay=1e-3)
    m1, m2 = [torch.zeros_like(w)], [torch.zeros_like(w)]
    for step in range(1, 6):
        grad = torch.randn(4, 3, generator=g, dtype=F64)
        adam_step_([w], [grad], m1, m2, step, cfg)
        gd = grad + cfg.weight_decay * ref
        m_ref = cfg.beta1 * m_ref + (1 - cfg.beta1) * gd
        v_ref = cfg.beta2 * v_ref + (1 - cfg.beta2) * gd ** 2
        ref = ref - cfg.lr * (m_ref / (1 - cfg.beta1 ** step)) / ((v_ref / (1 - cfg.beta2 ** step)).sqrt() + cfg.eps)
    assert torch.allclose(w, ref, atol=1e-14)


def test_first_adam_step_moves_each_weight_by_lr():
    w = torch.zeros(1, 2, dtype=F64)
    adam_step_([w], [torch.tensor([[2.0, -0.5]], dtype=F64)], [torch.zeros_like(w)], [torch.zeros_like(w)], 1,
               OnlineConfig(lr=0.1, eps=1e-7))
    assert w.tolist()[0] == pytest.approx([-0.1 * 2 / (2 + 1e-7), 0.1 * 0.5 / (0.5 + 1e-7)], abs=1e-15)


def test_online_batch_updates_every_step_and_learns():
    g = torch.Generator().manual_seed(0)
    neuron = NeuronSpec(alpha=0.1)
    weights = [(torch.rand(12, 20, generator=g) * 2 - 1) * 0.1, (torch.rand(20, 12, generator=g) * 2 - 1) * 0.1]
    pixels = torch.rand(8, 20, generator=g)
    scores = []
    for _ in range(40):
        x = (torch.rand(10, 8, 20, generator=g) < pixels * 0.5).float()
        stats = online_batch(weights, x, x, neuron, OnlineConfig(lr=5e-3))
        scores.append(float(per_image_mse(x.sum(0), stats.counts[1]).mean()))
    assert stats.counts[0].shape == (8, 12) and stats.counts[1].shape == (8, 20)
    assert 0 < stats.error_density < 1
    assert scores[0] > 0.9                          # starts silent
    assert sum(scores[-5:]) / 5 < 0.8 * scores[0]   # and learns to reproduce its input


def test_weights_change_within_a_batch():
    # step 1: hidden V = 0.3, output silent but targeted -> the first Adam step raises w0 by
    # ~lr = 0.5 to 0.8, so at step 2 the hidden V is 0.27 + 0.8 >= 1 and it spikes
    # (with the old weight it would be 0.57, silent).
    weights = [torch.tensor([[0.3]], dtype=F64), torch.tensor([[0.7]], dtype=F64)]
    x = torch.ones(2, 1, 1, dtype=F64)
    stats = online_batch(weights, x, x, NeuronSpec(alpha=0.1), OnlineConfig(lr=0.5))
    assert stats.counts[0].tolist() == [[1.0]]   # step 1 cannot spike (V = 0.3): step 2 did


def test_float32_and_float64_agree():
    g = torch.Generator().manual_seed(1)
    w64 = [torch.rand(5, 8, generator=g, dtype=F64) * 0.4, torch.rand(8, 5, generator=g, dtype=F64) * 0.4]
    w32 = [w.float() for w in w64]
    x = (torch.rand(4, 2, 8, generator=g) < 0.5).float()
    s64 = online_batch(w64, x, x, NeuronSpec(), OnlineConfig())
    s32 = online_batch(w32, x, x, NeuronSpec(), OnlineConfig())
    assert w32[0].dtype == torch.float32 and s32.counts[1].dtype == torch.float32
    assert s32.loss == pytest.approx(s64.loss, rel=1e-4)
    assert torch.allclose(w32[1].double(), w64[1], atol=1e-5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0), "lr"), (dict(beta1=1.0), "beta1"), (dict(beta2=-0.1), "beta2"), (dict(eps=0), "eps"),
    (dict(weight_decay=-1e-4), "weight_decay"), (dict(trace_reset="none"), "trace_reset"),
    (dict(reset_norm=0), "reset_norm"), (dict(lr=math.nan), "lr"), (dict(mask=1), "mask"),
    (dict(target_scale=0), "target_scale"), (dict(target_scale=math.inf), "target_scale"),
])
def test_config_rejects_out_of_range(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OnlineConfig(**kwargs)


def test_bad_inputs_are_rejected():
    neuron = NeuronSpec()
    weights = [torch.zeros(3, 4), torch.zeros(4, 3)]
    x = torch.zeros(5, 2, 4)
    with pytest.raises(ValueError, match=r"input spikes must have shape \[T, batch, 4\]"):
        online_batch(weights, torch.zeros(5, 2, 5), x, neuron)
    with pytest.raises(ValueError, match="target spikes"):
        online_batch(weights, x, torch.zeros(5, 2, 3), neuron)
    with pytest.raises(ValueError, match="same steps and batch"):
        online_batch(weights, x, torch.zeros(4, 2, 4), neuron)
    with pytest.raises(ValueError, match="0 and 1"):
        online_batch(weights, torch.full((5, 2, 4), 0.5), x, neuron)
    with pytest.raises(ValueError, match="weight 1 has 5 inputs"):
        online_batch([torch.zeros(3, 4), torch.zeros(4, 5)], x, x, neuron)
    with pytest.raises(ValueError, match="NaN"):
        online_batch([torch.full((3, 4), math.nan), torch.zeros(4, 3)], x, x, neuron)


def _sparse_batch():
    """Inputs 0..5 of 12 never spike: online_batch trains only the other columns of W_hid."""
    g = torch.Generator().manual_seed(1)
    weights = [(torch.rand(6, 12, generator=g, dtype=F64) * 2 - 1) * 0.5,
               (torch.rand(12, 6, generator=g, dtype=F64) * 2 - 1) * 0.5]
    x = (torch.rand(8, 5, 12, generator=g) < 0.4).to(F64)
    x[:, :, :6] = 0
    return weights, x


@pytest.mark.parametrize("trace_reset", ["fraction", "exact"])
def test_inputs_silent_in_a_batch_keep_their_weights_and_the_rest_match_the_full_computation(trace_reset):
    neuron = NeuronSpec(alpha=0.1)
    cfg = OnlineConfig(lr=1e-2, trace_reset=trace_reset)
    weights, x = _sparse_batch()
    before = [w.clone() for w in weights]
    online_batch(weights, x, x, neuron, cfg)
    assert torch.equal(weights[0][:, :6], before[0][:, :6])        # silent columns untouched
    assert not torch.equal(weights[0][:, 6:], before[0][:, 6:])    # the others trained
    # the same batch through online_pass with Adam on the full matrices (no compaction)
    full = [w.clone() for w in before]
    m1, m2 = [torch.zeros_like(w) for w in full], [torch.zeros_like(w) for w in full]
    online_pass(full, x, x, neuron, cfg, lambda grads, step: adam_step_(full, grads, m1, m2, step, cfg))
    for a, b in zip(weights, full):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_weight_decay_trains_every_column():
    neuron = NeuronSpec(alpha=0.1)
    weights, x = _sparse_batch()
    before = weights[0].clone()
    online_batch(weights, x, x, neuron, OnlineConfig(lr=1e-2, weight_decay=1e-2))
    assert (weights[0][:, :6] != before[:, :6]).all()              # decay moves the silent columns too


@pytest.mark.parametrize("mask", [True, False])
def test_counts_and_error_density_are_those_of_the_forward_pass(mask):
    # with no weight update, the online pass runs the mirror's forward pass: its counts and
    # XOR density must be those of the recorded spikes
    from models.torch_snn import run_feedforward
    from training.losses import mismatch_density
    g = torch.Generator().manual_seed(4)
    neuron = NeuronSpec(alpha=0.1)
    weights = [torch.rand(12, 20, generator=g, dtype=F64) * 0.5, torch.rand(20, 12, generator=g, dtype=F64) * 0.5]
    x = (torch.rand(6, 5, 20, generator=g, dtype=F64) < 0.4).to(F64)
    stats = online_pass(weights, x, x, neuron, OnlineConfig(mask=mask), lambda grads, step: None)
    rec = run_feedforward(x, weights, lambda layer, v, current, last: lif_step(v, current, neuron))
    assert all(torch.equal(c, s.sum(0)) for c, s in zip(stats.counts, rec.spikes))
    assert stats.error_density == pytest.approx(mismatch_density(x, rec.spikes[-1]), abs=1e-15)
    assert 0 < stats.error_density < 1 and rec.spikes[0].sum() > 0


@pytest.mark.parametrize("field, value", [("threshold_test", ">"), ("reset", "subtract"), ("reset_timing", "next")])
def test_the_trainers_refuse_a_neuron_they_do_not_implement(field, value):
    from training.bptt import BPTTConfig, bptt_batch, bptt_grads, bptt_loss
    from training.adam import AdamState

    clip = {"clip": False} if field == "threshold_test" else {}
    neuron = NeuronSpec(alpha=0.1, **clip, **{field: value})
    g = torch.Generator().manual_seed(0)
    weights = [torch.rand(4, 6, generator=g), torch.rand(6, 4, generator=g)]
    x = (torch.rand(5, 2, 6, generator=g) < 0.5).float()
    message = f"trains the paper's neuron only \\({field} .*this spec has {field} '{value}'"
    for call in (lambda: online_batch([w.clone() for w in weights], x, x, neuron, OnlineConfig()),
                 lambda: online_batch([w.clone() for w in weights], x, x, neuron, OnlineConfig(), checked=True),
                 lambda: bptt_batch([w.clone() for w in weights], x, x, neuron, BPTTConfig(),
                                    AdamState.zeros_like(weights)),
                 lambda: bptt_grads(weights, x, x, neuron),
                 lambda: bptt_loss(weights, x, x, neuron)):
        with pytest.raises(ValueError, match=message):
            call()

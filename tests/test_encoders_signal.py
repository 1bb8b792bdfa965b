"""Signal encoders (time series [T, ...]): step_forward, bsa, pwm, lif, and optimize."""

import math

import numpy as np
import pytest
import torch

import encoders
from encoders.base import nearest_spikes
from encoders.bsa import bsa_decode, bsa_filter, bsa_spikes
from encoders.lif import lif_decode, lif_spikes
from encoders.pwm import pwm_decode, pwm_spikes, sawtooth


def smooth(steps=400, channels=3):
    """Sines of different periods in [0.1, 0.9], ``[steps, channels]``."""
    t = np.arange(steps)[:, None]
    return 0.5 + 0.4 * np.sin(2 * np.pi * t / np.array([80.0, 150.0, 300.0])[:channels])


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


# --- step forward ---------------------------------------------------------------

def test_step_forward_reproduces_the_spike_encoding_documentation():
    signal = torch.tensor([0.1, 0.3, 0.2, 0.4, 0.8, 0.6, 0.7, 0.9, 0.5, 0.3, 0.2])
    sf = encoders.get("step_forward", threshold=0.1)
    spikes = sf.encode(signal)
    # documented up: [0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0], down: [0, ..., 0, -1, -1, -1]
    assert spikes.tolist() == [0, 1, 0, 1, 1, 1, 1, 1, -1, -1, -1]
    rec = sf.decode(spikes)
    np.testing.assert_allclose(rec.numpy(), [0.0, 0.1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.5, 0.4, 0.3], atol=1e-6)


def test_step_forward_hand_computed_and_decode_is_the_baseline():
    # column 0, base 1.0: 1.6 > 1.5 up (base 1.5); 1.0 is within 1.5 +- 0.5; 0.4 < 1.0 down (base 1.0)
    x = np.array([[1.0, 0.0], [1.6, 0.6], [1.0, 0.6], [0.4, -0.6]])
    sf = encoders.get("step_forward", threshold=0.5)
    s = sf.encode(x)
    np.testing.assert_array_equal(s, [[0, 0], [1, 1], [0, 0], [-1, -1]])
    np.testing.assert_allclose(sf.decode(s, initial=x[0]), [[1.0, 0.0], [1.5, 0.5], [1.5, 0.5], [1.0, 0.0]])


def test_step_forward_error_bounded_by_threshold_on_slow_signals():
    x = smooth()                                               # largest step change 0.4 * 2 pi / 80 = 0.031
    sf = encoders.get("step_forward", threshold=0.05)
    rec = sf.decode(sf.encode(x), initial=x[0])
    assert np.abs(rec - x).max() <= np.float32(0.05) + 1e-12            # the threshold as float32
    sf = encoders.get("step_forward", threshold=0.01)          # slower than the signal: the baseline lags
    assert np.abs(sf.decode(sf.encode(x), initial=x[0]) - x).max() > 0.01


# --- BSA ------------------------------------------------------------------------

def test_bsa_reproduces_the_spike_encoding_documentation():
    signal = torch.tensor([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    norm = (signal - 0.5) / 0.5                                 # the package min-max normalises internally
    bsa = encoders.get("bsa")                                   # threshold 0.5, order 10, cutoff 0.2
    spikes = bsa.encode(norm)
    assert spikes.tolist() == [0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0]
    rec = bsa.decode(spikes) * 0.5 + 0.5
    # documented (rounded): [0.5] * 5 + [0.82, 0.87, 0.80, 0.72, 0.62, 0.53]; the package zeroes the
    # first filter_order // 2 samples of its decode, this decode keeps them
    np.testing.assert_allclose(rec[5:].numpy(), [0.82, 0.87, 0.80, 0.72, 0.62, 0.53], atol=0.0075)


def test_bsa_kernel_hand_computed():
    # filter [0, 0.5, 0.5], threshold 0: t=1 window [0.5, 1] err 0.5 <= 1.5 -> spike, residual [0, 0.5];
    # t=2 window [0.5, 0.5] err 0 <= 1 -> spike, residual 0; t=3, 4: the residual is 0 -> no spike
    x = np.array([[0.0], [0.5], [1.0], [0.5], [0.0]])
    h = np.array([[0.0], [0.5], [0.5]])
    s = bsa_spikes(x, h, 0.0)
    np.testing.assert_array_equal(s[:, 0], [0, 1, 1, 0, 0])
    np.testing.assert_allclose(bsa_decode(s, h)[:, 0], x[:, 0])
    assert bsa_spikes(x, h, 1.5)[:, 0].tolist() == [0, 0, 0, 0, 0]


def test_bsa_tracks_a_slow_signal():
    x = smooth()
    bsa = encoders.get("bsa", threshold=0.8, filter_order=12, filter_cutoff=0.01)
    assert rmse(bsa.decode(bsa.encode(x)), x) < 0.08


@pytest.mark.parametrize("steps", range(1, 13))
def test_bsa_decodes_its_own_encoding_of_short_signals(steps):
    # 3 to 8 steps (shorter than the default filter's 10 taps) used to fail with a broadcast error
    x = np.linspace(0.2, 0.9, steps)
    bsa = encoders.get("bsa", threshold=0.0)
    s = bsa.encode(x)
    rec = bsa.decode(s)
    assert rec.shape == (steps,) and np.isfinite(rec).all()
    h = bsa_filter(10, 0.2)[:, None]
    # the decode is the part the encoder took out: x minus the residual, tap by tap
    np.testing.assert_allclose(rec, bsa_decode(bsa_spikes(x[:, None], h, 0.0), h)[:, 0])
    if steps >= 2:
        manual = [sum(h[1 + j, 0] * s[n - j] for j in range(min(n + 1, 10))) for n in range(steps)]
        np.testing.assert_allclose(rec, manual, atol=1e-12)


# --- PWM and LIF decoding: the spikes around each step ------------------------------

def test_nearest_spikes_hand_computed():
    # column 0 spikes at t = 1, 3; column 1 only at t = 0; column 2 never
    hit = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]], dtype=bool)
    prev, nxt = nearest_spikes(hit)
    np.testing.assert_array_equal(prev, [[-1, 0, -1], [1, 0, -1], [1, 0, -1], [3, 0, -1]])
    np.testing.assert_array_equal(nxt, [[1, 0, 4], [1, 4, 4], [3, 4, 4], [3, 4, 4]])


# --- PWM ------------------------------------------------------------------------

def test_pwm_hand_computed():
    # 0.25 cycles per step: carrier 0, .25, .5, .75, 0, ...; x = 0.3
    x = np.full((8, 1), 0.3)
    up = pwm_spikes(x, 0.25, down_spike=False)
    np.testing.assert_array_equal(up[:, 0], [0, 0, 1, 0, 0, 0, 1, 0])
    both = pwm_spikes(x, 0.25, down_spike=True)                 # falling carrier 1 - c passes 0.3 at t = 3, 7
    np.testing.assert_array_equal(both[:, 0], [0, 0, 1, -1, 0, 0, 1, -1])
    # samples: up 0.5 - 0.125, down 1 - 0.75 + 0.125: both 0.375, held at the ends
    np.testing.assert_allclose(pwm_decode(both, 0.25)[:, 0], np.full(8, 0.375))
    np.testing.assert_allclose(pwm_decode(up, 0.25)[:, 0], np.full(8, 0.375))
    # the signal's first value as a sample at step 0: 0.3 -> 0.375 between steps 0 and 2
    rec = encoders.get("pwm", frequency=250.0).decode(both, initial=x[0])
    np.testing.assert_allclose(rec[:3, 0], [0.3, 0.3375, 0.375])


def test_pwm_interpolates_between_samples():
    s = np.array([[0], [0], [1], [0], [0], [1]], dtype=float)    # carrier 0, .2, .4, .6, .8, 0 (0.2 cycles/step)
    rec = pwm_decode(s, 0.2)[:, 0]
    # samples 0.4 - 0.1 = 0.3 at t=2 and 0 (c[5] = 0 -> d = 0) at t=5
    np.testing.assert_allclose(rec, [0.3, 0.3, 0.3, 0.2, 0.1, 0.0])


@pytest.mark.parametrize("f", [0.5, 0.37, 0.25, 0.13, 0.05])
@pytest.mark.parametrize("down_spike", [True, False])
def test_pwm_decodes_a_constant_to_within_half_a_carrier_step(f, down_spike):
    # each sample is the middle of the carrier step (f wide) the crossing fell in: a constant
    # decodes to within f / 2, and values at a step's edge reach it (taking the step's end
    # instead of its middle would be off by up to f). Silent: x above every carrier level
    # (and, bipolar, below every falling one: only x = 0.5 at f = 0.5), decoding to 0.
    x = np.linspace(0.0, 1.0, 2001)[None, :] * np.ones((40, 1))
    s = pwm_spikes(x, f, down_spike)
    top = sawtooth(40, f).max()
    silent = (x[0] >= top) & ((x[0] <= 1.0 - top) if down_spike else True)
    np.testing.assert_array_equal((s != 0).any(axis=0), ~silent)
    assert silent.any() == (not down_spike or f == 0.5)
    err = np.abs(pwm_decode(s, f) - x)[:, ~silent]
    assert err.max() <= f / 2 + 1e-12
    assert err.max() > 0.999 * f / 2
    np.testing.assert_array_equal(pwm_decode(s, f)[:, silent], 0.0)


def test_pwm_error_shrinks_with_resolution_and_unipolar_works():
    x = smooth(800)
    errs = [rmse(encoders.get("pwm", frequency=f).decode(encoders.get("pwm", frequency=f).encode(x)), x)
            for f in (10.0, 40.0, 100.0)]
    assert errs[0] > errs[1] > errs[2]
    uni = encoders.get("pwm", frequency=100.0, down_spike=False)
    s = uni.encode(x)
    assert set(np.unique(s)) <= {0.0, 1.0} and rmse(uni.decode(s), x) < 0.05


# --- LIF ------------------------------------------------------------------------

def test_lif_hand_computed():
    # th 0.5, kept 0.5: v 0.3 -> 0.15 + 0.3 = 0.45 -> 0.225 + 0.3 = 0.525 up (reset);
    # then -0.6 < -0.5 down (reset); then nothing
    x = np.array([[0.3], [0.3], [0.3], [-0.6], [0.0], [0.0]])
    s = lif_spikes(x, 0.5, 0.5, down_spike=True)
    np.testing.assert_array_equal(s[:, 0], [0, 0, 1, -1, 0, 0])
    assert lif_spikes(x, 0.5, 0.5, down_spike=False)[:, 0].tolist() == [0, 0, 1, 0, 0, 0]
    # an interval of 3 steps: 0.5 * 0.5 / (1 - 0.5 ** 2.5), then one of 1 step: -2 * 0.5, each over
    # the last ceil(1 / (1 - 0.5)) = 2 steps before its spike; earlier and after the last spike: 0
    a, b = 0.25 / (1 - 0.5 ** 2.5), 1.0
    np.testing.assert_allclose(lif_decode(s, 0.5, 0.5)[:, 0], [0, a, a, -b, 0, 0])


def test_lif_decode_without_leak():
    s = np.array([[0], [0], [0], [1]], dtype=float)
    np.testing.assert_allclose(lif_decode(s, 1.0, 1.0)[:, 0], [1 / 3.5] * 4)


def test_lif_tracks_a_slow_signal():
    x = smooth()
    lif = encoders.get("lif", threshold=2.0, membrane_constant=0.95)
    assert rmse(lif.decode(lif.encode(x)), x) < 0.07


# --- shared: shapes, kinds, optimize, bad input -----------------------------------

SIGNAL = ["step_forward", "bsa", "pwm", "lif"]


@pytest.mark.parametrize("name", SIGNAL)
def test_signal_shapes_and_kinds(name):
    enc = encoders.get(name)
    x = np.random.default_rng(0).random((50, 2, 3)).astype(np.float32)
    s = enc.encode(x)
    assert isinstance(s, np.ndarray) and s.shape == x.shape and s.dtype == np.float32
    assert set(np.unique(s)) <= ({-1.0, 0.0, 1.0} if enc.bipolar else {0.0, 1.0})
    assert enc.decode(s).shape == x.shape
    st = enc.encode(torch.from_numpy(x))
    assert isinstance(st, torch.Tensor) and torch.equal(st, torch.from_numpy(s))
    # each channel is encoded on its own: the batch does not change a channel's spikes
    np.testing.assert_array_equal(enc.encode(x[:, 1, 2]), s[:, 1, 2])


@pytest.mark.parametrize("name", SIGNAL)
def test_optimize_is_deterministic_and_beats_the_defaults(name):
    x = smooth(300, 2)
    enc = encoders.get(name)
    p1, p2 = enc.optimize(x), enc.optimize(torch.from_numpy(x))
    assert p1 == p2
    best = encoders.get(name, **{**enc.params(), **p1})
    kw = {"initial": x[0]} if name == "step_forward" else {}
    assert rmse(best.decode(best.encode(x), **kw), x) < rmse(enc.decode(enc.encode(x), **kw), x)


@pytest.mark.parametrize("name, bad, match", [
    ("step_forward", np.array([0.1, np.nan]), "NaN"),
    ("bsa", np.array([0.1, 1.2]), r"x must lie in \[0, 1\] for the bsa encoder"),
    ("pwm", np.array([-0.1, 0.5]), r"x must lie in \[0, 1\] for the pwm encoder"),
    ("lif", np.array([0.1, np.inf]), "NaN or infinite"),
    ("lif", np.float64(0.3), r"shape \[T, \.\.\.\]"),
])
def test_signal_bad_input(name, bad, match):
    with pytest.raises(ValueError, match=match):
        encoders.get(name).encode(bad)


@pytest.mark.parametrize("name, params, match", [
    ("step_forward", dict(threshold=0.0), "threshold must be a finite number > 0, got 0.0"),
    ("bsa", dict(filter_cutoff=0.5), r"filter_cutoff must be a finite number in \(0, 0.5\)"),
    ("bsa", dict(filter_order=0), "filter_order must be an integer >= 1"),
    ("pwm", dict(frequency=600.0), r"frequency \* dt must be in \(0, 0.5\]"),
    ("lif", dict(membrane_constant=1.5), r"membrane_constant must be a finite number in \[0, 1\]"),
    ("lif", dict(down_spike="yes"), "down_spike must be true or false"),
])
def test_signal_bad_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        encoders.get(name, **params)


def test_decode_rejects_foreign_spikes():
    with pytest.raises(ValueError, match=r"spikes must contain only values in \(0, 1\)"):
        encoders.get("bsa").decode(np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"spikes must contain only values in \(-1, 0, 1\)"):
        encoders.get("lif").decode(np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="initial must be a number"):
        encoders.get("step_forward").decode(np.zeros((4, 3)), initial=np.zeros(2))
    with pytest.raises(ValueError, match="must change over time"):
        encoders.get("step_forward").optimize(np.ones(10))
    assert math.isfinite(encoders.get("lif").optimize(np.array([0.0, 1.0, 0.0]))["threshold"])

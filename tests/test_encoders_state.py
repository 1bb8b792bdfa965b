"""The state encoder for control observations (spike-encoding's GymnasiumEncoder role):
hand-computed rates and spikes, the unit order, decoding, CartPole, the seed's encoder."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import encoders
from encoders.rate import make_generator
from encoders.state import from_space

ROOT = Path(__file__).resolve().parents[1]
# CartPole-v1: cart position and pole angle are bounded by the space, the velocities are not
CARTPOLE_LOW = [-4.8, -3.0, -0.42, -3.5]
CARTPOLE_HIGH = [4.8, 3.0, 0.42, 3.5]
LAYOUTS = [(False, False), (False, True), (True, False), (True, True)]


def expected_rates(obs, low, high, split, inverted):
    """The documented rates, computed here from scratch: ``[B, units]``."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    x = (np.clip(obs, low, high) - low) / (high - low)
    if split:
        x = np.concatenate([np.maximum(2 * x - 1, 0), np.maximum(1 - 2 * x, 0)], axis=-1)
    if inverted:
        x = np.concatenate([x, 1 - x], axis=-1)
    return x


def resolution(enc):
    """The documented deterministic decode bound in observation units, per feature."""
    span = np.asarray(enc.high) - np.asarray(enc.low)
    return span / enc.steps / (2 if enc.split_exc_inh else 1) / (2 if enc.inverted else 1)


# --- hand-computed ------------------------------------------------------------------

def test_deterministic_hand_computed():
    enc = encoders.get("state", low=[0.0, -1.0], high=[1.0, 1.0], steps=10, split_exc_inh=False)
    # scaled 0.3 and 0.75: counts floor(0.3 (t + 1)) step up at t = 3, 6, 9;
    # floor(0.75 (t + 1)) = 0 1 2 3 3 4 5 6 6 7
    s = enc.encode(np.array([0.3, 0.5]))
    assert s.shape == (10, 2) and s.dtype == np.float64
    np.testing.assert_array_equal(s[:, 0], [0, 0, 0, 1, 0, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(s[:, 1], [0, 1, 1, 1, 0, 1, 1, 1, 0, 1])
    # decode: counts 3 and 7 of 10 -> 0.3 and -1 + 0.7 * 2 = 0.4 (floored rates: within 2 / 10 below)
    np.testing.assert_allclose(enc.decode(s), [0.3, 0.4])


def test_split_and_inverted_units_in_the_seeds_order():
    enc = encoders.get("state", low=[-1.0, -1.0], high=[1.0, 1.0], steps=4, inverted=True)
    assert enc.n_units == enc.units() == 8 and enc.unit_labels() == ["f0+", "f1+", "f0-", "f1-", "~f0+", "~f1+", "~f0-", "~f1-"]
    # 0.5 -> scaled 0.75 -> signed 0.5: up 0.5; -0.25 -> scaled 0.375 -> signed -0.25: down 0.25
    np.testing.assert_allclose(enc.rates(np.array([0.5, -0.25])), [0.5, 0, 0, 0.25, 0.5, 1, 1, 0.75])
    s = enc.encode(np.array([[0.5, -0.25]]))
    assert s.shape == (4, 1, 8)
    np.testing.assert_array_equal(s.sum(axis=0)[0], [2, 0, 0, 1, 2, 4, 4, 3])
    np.testing.assert_allclose(enc.decode(s), [[0.5, -0.25]])
    plain = encoders.get("state", low=[0.0], high=[2.0], steps=4, split_exc_inh=False, inverted=True)
    assert plain.unit_labels() == ["f0", "~f0"] and plain.rates(np.array([0.5])).tolist() == [0.25, 0.75]


def test_observations_outside_the_bounds_are_clipped():
    enc = encoders.get("state", low=[-1.0], high=[1.0], steps=5, inverted=True)
    np.testing.assert_array_equal(enc.rates(np.array([[7.0], [-3.0]])), enc.rates(np.array([[1.0], [-1.0]])))
    np.testing.assert_array_equal(enc.rates(np.array([7.0])), [1, 0, 0, 1])
    np.testing.assert_array_equal(enc.decode(enc.encode(np.array([7.0]))), [1.0])


def test_step_coder_hand_computed():
    enc = encoders.get("state", low=[0.0, 0.0], high=[10.0, 10.0], steps=10, coder="step", threshold=2.0)
    prev = np.array([4.0, 4.0])
    # changes (5 - 4) / 2 = 0.5 and (1 - 4) / 2 = -1.5, clipped to -1: up 0.5 and down 1
    np.testing.assert_allclose(enc.rates(np.array([5.0, 1.0]), previous=prev), [0.5, 0, 0, 1])
    np.testing.assert_allclose(enc.rates(np.array([5.0, 1.0])), [0, 0, 0, 0])    # no previous: no change
    s = enc.encode(np.array([5.0, 1.0]), previous=prev)
    np.testing.assert_array_equal(s.sum(axis=0), [5, 0, 0, 10])
    # decode: 4 + 0.5 * 2 = 5 and 4 - 1 * 2 = 2 (the clipped change)
    np.testing.assert_allclose(enc.decode(s, previous=prev), [5.0, 2.0])
    unsplit = encoders.get("state", low=[0.0], high=[10.0], steps=4, coder="step", split_exc_inh=False)
    # threshold None: high - low = 10; change 2.5 / 10 -> rate 0.5 + 0.125
    np.testing.assert_allclose(unsplit.rates(np.array([6.5]), previous=np.array([4.0])), [0.625])
    with pytest.raises(ValueError, match="decode needs previous="):
        enc.decode(s)


def test_poisson_rates_seed_and_generator():
    enc = encoders.get("state", low=[0.0] * 4, high=[1.0] * 4, steps=20000, coder="poisson", split_exc_inh=False,
                       seed=3)
    x = np.array([0.05, 0.3, 0.7, 1.0])
    s = enc.encode(x)
    rate = s.mean(axis=0)
    assert np.all(np.abs(rate - x) <= 4 * np.sqrt(x * (1 - x) / 20000) + 1e-12)
    np.testing.assert_array_equal(enc.encode(x), s)                       # a seed: the same spikes
    np.testing.assert_allclose(enc.decode(s), rate)
    g = make_generator(3)
    first, second = enc.encode(x, generator=g), enc.encode(x, generator=g)
    np.testing.assert_array_equal(first, s)                               # the generator continues...
    assert not np.array_equal(second, s)                                  # ...so the next draw is fresh
    small = encoders.get("state", low=[0.0], high=[1.0], steps=50, coder="poisson")
    assert not np.array_equal(small.encode(np.array([0.75])), small.encode(np.array([0.75])))   # seed None


@pytest.mark.parametrize("split, inverted", LAYOUTS)
def test_deterministic_decode_within_its_resolution(split, inverted):
    enc = encoders.get("state", low=[-2.0, 0.0], high=[2.0, 0.5], steps=16, split_exc_inh=split, inverted=inverted)
    obs = np.random.default_rng(0).uniform([-2.0, 0.0], [2.0, 0.5], (4000, 2))
    err = np.abs(enc.decode(enc.encode(obs)) - obs)
    bound = resolution(enc)
    assert np.all(err.max(axis=0) <= bound + 1e-12)
    assert np.all(err.max(axis=0) > 0.95 * bound)                         # and the bound is reached


def test_torch_in_torch_out():
    enc = encoders.get("state", low=[0.0, 0.0], high=[1.0, 1.0], steps=6, inverted=True)
    x = torch.tensor([[0.2, 0.9], [0.6, 0.1]], dtype=torch.float32)
    s = enc.encode(x)
    assert isinstance(s, torch.Tensor) and s.dtype == torch.float32 and s.shape == (6, 2, 8)
    np.testing.assert_array_equal(s.numpy(), enc.encode(x.numpy()))
    dec = enc.decode(s)
    assert isinstance(dec, torch.Tensor) and dec.shape == (2, 2)
    assert enc.encode(np.array([[0, 1]])).dtype == np.float32            # integer input: float32 spikes


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("params, match", [
    (dict(), "needs low and high"),
    (dict(low=[0.0, 0.0], high=[1.0]), "one value per feature each, got 2 and 1"),
    (dict(low=[0.0, 1.0], high=[1.0, 1.0]), r"high must be > low for every feature, got low\[1\]=1 >= high\[1\]=1"),
    (dict(low=[0.0, float("nan")], high=[1.0, 1.0]), r"low\[1\] must be a finite number"),
    (dict(low=[0.0], high=[float("inf")]), r"high\[0\] must be a finite number"),
    (dict(low=0.0, high=1.0), "low must be a non-empty sequence"),
    (dict(low=[0.0], high=[1.0], steps=0), "steps must be an integer >= 1"),
    (dict(low=[0.0], high=[1.0], coder="rate"), r"coder must be one of \('deterministic', 'poisson', 'step'\)"),
    (dict(low=[0.0], high=[1.0], split_exc_inh=1), "split_exc_inh must be true or false"),
    (dict(low=[0.0], high=[1.0], inverted="no"), "inverted must be true or false"),
    (dict(low=[0.0], high=[1.0], threshold=0.0), "threshold must be a finite number > 0"),
    (dict(low=[0.0, 0.0], high=[1.0, 1.0], threshold=[0.1]), "threshold must be a number or one per feature"),
    (dict(low=[0.0], high=[1.0], seed=2**32), r"seed must be an integer in \[0, 4294967295\]"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        encoders.get("state", **params)


def test_bad_observations_and_spikes():
    enc = encoders.get("state", low=[0.0] * 4, high=[1.0] * 4, steps=5)
    for bad in (np.zeros(3), np.zeros((2, 5)), np.zeros((2, 3, 4)), np.float64(0.5)):
        with pytest.raises(ValueError, match=r"observation must have shape \[F\] or \[B, F\] with F = 4"):
            enc.encode(bad)
    with pytest.raises(ValueError, match=r"observation must be finite, got nan \(row 1, feature 2\)"):
        enc.encode(np.array([[0.1] * 4, [0.1, 0.1, np.nan, 0.1]]))
    with pytest.raises(ValueError, match="previous is only used by coder 'step'"):
        enc.encode(np.zeros(4), previous=np.zeros(4))
    with pytest.raises(ValueError, match=r"spikes must have shape \[steps=5, B, units=8\]"):
        enc.decode(np.zeros((4, 8)))
    with pytest.raises(ValueError, match=r"spikes must contain only values in \(0, 1\)"):
        enc.decode(np.full((5, 8), 2.0))
    step = encoders.get("state", low=[0.0] * 4, high=[1.0] * 4, coder="step")
    with pytest.raises(ValueError, match=r"previous must hold one observation per encoded one \(2\)"):
        step.encode(np.zeros((2, 4)), previous=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\] never change"):
        step.fit_threshold(np.array([[0.1, 0.5, 0.1, 0.2], [0.2, 0.5, 0.3, 0.1]]))
    with pytest.raises(ValueError, match="S >= 2 steps"):
        step.fit_threshold(np.zeros((1, 4)))


def test_registry_lists_the_state_encoder():
    assert "state" in encoders.available()
    enc = encoders.get("state", low=[0.0], high=[1.0])
    assert enc.static and encoders.get("state", **enc.params()) == enc
    assert enc.params()["low"] == (0.0,)


# --- Gymnasium ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cartpole():
    """300 CartPole-v1 observations under a seeded random policy: ``(space, obs [300, 4],
    previous [300, 4])``, where previous is the observation before (itself at an episode's start)."""
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CartPole-v1")
    env.action_space.seed(0)
    obs, prev = [], []
    o, _ = env.reset(seed=0)
    p = o
    for _ in range(300):
        obs.append(o)
        prev.append(p)
        p = o
        o, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            o, _ = env.reset()
            p = o
    env.close()
    return env.observation_space, np.array(obs), np.array(prev)


def test_from_space_bounds(cartpole):
    space, _, _ = cartpole
    with pytest.raises(ValueError, match=r"the space's low is infinite for feature\(s\) \[1, 3\]"):
        from_space(space)
    enc = from_space(space, steps=12, low=CARTPOLE_LOW, high=CARTPOLE_HIGH, inverted=True)
    assert enc.n_units == enc.units(4) == 16 and enc.steps == 12 and enc.inverted and enc.low == tuple(CARTPOLE_LOW)
    with pytest.raises(ValueError, match=r"the given high is infinite for feature\(s\) \[0\]"):
        from_space(space, low=CARTPOLE_LOW, high=[np.inf, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"low must have one value per feature of the space \(4\)"):
        from_space(space, low=[0.0], high=CARTPOLE_HIGH)
    gym = pytest.importorskip("gymnasium")
    with pytest.raises(ValueError, match=r"space must be a gymnasium.spaces.Box of observations, got Discrete\(2\)"):
        from_space(gym.spaces.Discrete(2))
    with pytest.raises(ValueError, match="space must be a 1-D Box"):
        from_space(gym.spaces.Box(0.0, 1.0, (2, 2)))
    bounded = from_space(gym.spaces.Box(-1.0, 2.0, (3,)), coder="poisson", seed=1)
    assert bounded.low == (-1.0,) * 3 and bounded.high == (2.0,) * 3 and bounded.coder == "poisson"


@pytest.mark.parametrize("split, inverted", LAYOUTS)
def test_cartpole_deterministic_counts_and_decode(cartpole, split, inverted):
    space, obs, _ = cartpole
    steps = 25
    enc = from_space(space, steps=steps, low=CARTPOLE_LOW, high=CARTPOLE_HIGH, split_exc_inh=split, inverted=inverted)
    s = enc.encode(obs)
    assert s.shape == (steps, 300, 4 * (2 if split else 1) * (2 if inverted else 1)) and s.dtype == np.float32
    r = expected_rates(obs.astype(np.float64), CARTPOLE_LOW, CARTPOLE_HIGH, split, inverted)
    np.testing.assert_array_equal(s.sum(axis=0), np.floor(steps * r + 1e-9))
    if split:                                    # a feature's positive and negative parts never both spike
        f = s.sum(axis=0)
        assert not (f[:, 0:4] * f[:, 4:8]).any()
    err = np.abs(enc.decode(s) - obs)
    assert np.all(err <= resolution(enc) + 1e-6)


def test_cartpole_poisson_rates(cartpole):
    space, obs, _ = cartpole
    steps = 400
    enc = from_space(space, steps=steps, low=CARTPOLE_LOW, high=CARTPOLE_HIGH, coder="poisson", inverted=True, seed=0)
    counts = enc.encode(obs).sum(axis=0).astype(np.float64)
    p = expected_rates(obs.astype(np.float64), CARTPOLE_LOW, CARTPOLE_HIGH, True, True)
    z = (counts - steps * p) / np.sqrt(np.maximum(steps * p * (1 - p), 1e-12))
    assert np.abs(z[p * (1 - p) > 0]).max() < 5.5                     # 300 x 16 draws: a few sigma
    np.testing.assert_array_equal(counts[p == 0], 0)
    np.testing.assert_array_equal(counts[p == 1], steps)


def test_cartpole_step_coder(cartpole):
    space, obs, prev = cartpole
    enc = from_space(space, steps=40, low=CARTPOLE_LOW, high=CARTPOLE_HIGH, coder="step").fit_threshold(obs)
    th = np.asarray(enc.threshold)
    assert th.shape == (4,) and np.all(th > 0)
    span = np.asarray(CARTPOLE_HIGH) - np.asarray(CARTPOLE_LOW)
    scaled = (np.clip(obs, CARTPOLE_LOW, CARTPOLE_HIGH) - CARTPOLE_LOW) / span
    np.testing.assert_allclose(th, np.abs(np.diff(scaled, axis=0)).max(axis=0) * span)
    r = enc.rates(obs, previous=prev)
    change = (np.clip(obs, CARTPOLE_LOW, CARTPOLE_HIGH) - np.clip(prev, CARTPOLE_LOW, CARTPOLE_HIGH)) / th
    assert np.abs(change).max() <= 1 + 1e-12                          # the fitted threshold: no clipping
    np.testing.assert_allclose(r, np.concatenate([np.maximum(change, 0), np.maximum(-change, 0)], axis=1), atol=1e-12)
    s = enc.encode(obs, previous=prev)
    err = np.abs(enc.decode(s, previous=prev) - obs)
    assert np.all(err <= th / 40 + 1e-6)                             # a change resolves to threshold / steps


# --- the seed: spike-encoding's GymnasiumEncoder --------------------------------------

@pytest.fixture(scope="module")
def seed_encoder():
    pytest.importorskip("gymnasium")
    pytest.importorskip("sklearn")
    mod = pytest.importorskip("spike_encoding.gymnasium_encoder",
                              reason="spike-encoding's GymnasiumEncoder is not importable")
    from spike_encoding.gymnasium_bounds_finder import ScalerFactory
    from spike_encoding.rate_step_forward_converter import RateStepForwardConverter
    state = np.random.get_state()                 # the seed's encoder reseeds numpy's global generator
    yield mod.GymnasiumEncoder, ScalerFactory().from_known_values(CARTPOLE_LOW, CARTPOLE_HIGH), RateStepForwardConverter
    np.random.set_state(state)


@pytest.mark.parametrize("split, inverted", LAYOUTS)
def test_rates_and_order_match_the_seed(cartpole, seed_encoder, split, inverted):
    gym_encoder, scaler, _ = seed_encoder
    _, obs, _ = cartpole
    obs = np.concatenate([obs, [[6.0, -9.0, 0.5, 0.0]]])              # one outside the bounds
    theirs_enc = gym_encoder(4, len(obs), 10, scaler, split_exc_inh=split, add_inverted_inputs=inverted)
    spikes, p = theirs_enc.encode(obs, return_norm=True)
    ours = from_space_like(split, inverted, steps=10)
    # the same rates in the same unit order; the seed's scaler does not clip, its rates saturate
    np.testing.assert_allclose(ours.rates(obs), np.clip(p, 0.0, 1.0), rtol=0, atol=1e-12)
    # deterministic spikes: the seed places ceil(steps * r) spikes counting back from the last
    # step; we place floor(steps * r) evenly from the first (the same where steps * r is whole)
    mine = ours.encode(obs).sum(axis=0)
    diff = spikes.sum(axis=0) - mine
    assert set(np.unique(diff)) <= {0, 1} and (diff == 1).any()
    whole = np.isclose(10 * p, np.round(10 * p), rtol=0, atol=1e-9) | (p <= 0) | (p >= 1)
    assert not diff[whole].any()


def test_step_rates_match_the_seeds_step_coder(cartpole, seed_encoder):
    gym_encoder, scaler, converter_cls = seed_encoder
    _, obs, prev = cartpole
    obs, prev = obs.astype(np.float64), prev.astype(np.float64)    # sklearn would scale float32 in float32
    ours = from_space_like(True, True, steps=10, coder="step").fit_threshold(obs)
    th_scaled = np.asarray(ours.threshold) / (np.asarray(CARTPOLE_HIGH) - np.asarray(CARTPOLE_LOW))
    conv = converter_cls(4, torch.tensor(th_scaled))
    kw = dict(converter_th=th_scaled, rate_coder=False, step_coder=True, split_exc_inh=True, add_inverted_inputs=True)
    # spike-encoding 1.8.2 cannot build its step coder: GymnasiumEncoder is a torch Module that never
    # runs Module.__init__, so assigning the converter module fails
    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        gym_encoder(4, len(obs), 10, scaler, converter=conv, **kw)
    theirs_enc = gym_encoder(4, len(obs), 10, scaler, **kw)
    object.__setattr__(theirs_enc, "converter", conv)                 # what the constructor meant to do
    theirs_enc.reset(prev)
    _, p = theirs_enc.encode(obs, return_norm=True)
    np.testing.assert_allclose(ours.rates(obs, previous=prev), p, rtol=0, atol=1e-9)


def from_space_like(split, inverted, steps, **kw):
    return encoders.get("state", low=CARTPOLE_LOW, high=CARTPOLE_HIGH, steps=steps, split_exc_inh=split,
                        inverted=inverted, **kw)


# --- the example ------------------------------------------------------------------------

def test_cartpole_brian2_example_runs():
    pytest.importorskip("gymnasium")
    pytest.importorskip("brian2")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "cartpole_brian2.py"), "--observations", "20"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "Brian2 and the mirror agree spike for spike" in out.stdout
    assert math.isfinite(float(out.stdout.split("output spikes per observation:")[1].split()[0]))

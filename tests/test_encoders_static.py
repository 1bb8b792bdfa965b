"""Static encoders (images, feature vectors): poisson, regular, latency, receptive_fields."""

import math

import numpy as np
import pytest
import torch

import encoders
from encoders.rate import make_generator, poisson, regular


# --- poisson --------------------------------------------------------------------

def test_poisson_is_the_documented_draw():
    # For each entry that can spike (x > 0) in turn, its 6 uniforms; the zero entries draw
    # nothing and never spike.
    x = torch.tensor([[0.0, 0.5, 1.0], [0.2, 0.0, 0.4]])
    possible = x.reshape(-1) > 0
    u = torch.rand((int(possible.sum()), 6), generator=make_generator(7), dtype=torch.float32)
    expected = torch.zeros(6, 6)
    expected[:, possible] = (u.T < x.reshape(-1)[possible] * 0.5).float()
    assert torch.equal(poisson(x, 6, max_rate=500.0, dt=1e-3, seed=7), expected.view(6, 2, 3))


def test_poisson_in_slices_draws_the_same_spikes_as_at_once():
    x = torch.rand(7, 30, generator=torch.Generator().manual_seed(1)) * (torch.arange(30) % 3 > 0)
    whole = poisson(x, 9, 400.0, seed=4)
    g = make_generator(4)
    parts = torch.cat([poisson(x[a:b], 9, 400.0, generator=g) for a, b in ((0, 2), (2, 3), (3, 7))], dim=1)
    assert torch.equal(parts, whole) and 0 < whole.sum() < whole.numel()


def test_poisson_same_seed_same_spikes_for_numpy_and_torch_and_calls():
    x = np.random.default_rng(0).random((4, 10))
    enc = encoders.get("poisson", max_rate=800.0, steps=9, seed=3)
    a, b = enc.encode(x), enc.encode(x)
    t32 = enc.encode(torch.tensor(x, dtype=torch.float32))
    assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (9, 4, 10)
    assert isinstance(t32, torch.Tensor) and t32.dtype == torch.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, t32.numpy())
    g1, g2 = make_generator(5), make_generator(5)
    np.testing.assert_array_equal(enc.encode(x, generator=g1), enc.encode(x, generator=g2))
    assert not np.array_equal(enc.encode(x, generator=make_generator(6)), a)


def test_poisson_rate_converges_to_x_max_rate_dt():
    x = np.array([0.1, 0.4, 0.8, 1.0])
    spikes = poisson(x, 40000, max_rate=500.0, dt=1e-3, seed=0)
    p = x * 0.5
    rate = spikes.mean(axis=0)
    assert np.all(np.abs(rate - p) < 4 * np.sqrt(p * (1 - p) / 40000) + 1e-12)
    dec = encoders.get("poisson", max_rate=500.0, steps=40000).decode(spikes)
    np.testing.assert_allclose(dec, rate / 0.5, rtol=1e-12)     # count / (steps max_rate dt)


def test_poisson_normalize_and_domain():
    x = np.array([[0.0, 1.7, 3.4]])
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\].*normalize=True"):
        poisson(x, 3, 300.0, seed=0)
    a = poisson(x, 50, 1000.0, seed=0, normalize=True)
    b = poisson(x / 3.4, 50, 1000.0, seed=0)
    np.testing.assert_array_equal(a, b)
    assert a[:, 0, 0].sum() == 0 and a[:, 0, 2].sum() == 50


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_rate=-1.0), r"max_rate \(Hz\) must be a finite number >= 0, got -1.0"),
    (dict(max_rate=float("inf")), r"max_rate \(Hz\) must be a finite number >= 0, got inf"),
    (dict(max_rate=2000.0), r"max_rate \* dt must be <= 1"),
    (dict(steps=0), "steps must be an integer >= 1, got 0"),
    (dict(steps=2.0), "steps must be an integer >= 1, got 2.0"),
    (dict(dt=0.0), r"dt \(s\) must be a finite number > 0, got 0.0"),
    (dict(seed=-1), r"seed must be an integer in \[0, 4294967295\], got -1"),
    (dict(seed=2**32), r"seed must be an integer in \[0, 4294967295\], got 4294967296"),
    (dict(normalize=1), "normalize must be true or false, got 1"),
])
def test_poisson_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        encoders.get("poisson", **kwargs)


def test_poisson_nan_and_inf():
    with pytest.raises(ValueError, match="NaN"):
        encoders.get("poisson", seed=0).encode(np.array([0.2, np.nan]))
    with pytest.raises(ValueError, match="x contains NaN or infinite values"):
        poisson(torch.tensor([0.2, -math.inf]), 3, 300.0, seed=0, normalize=True)


# --- regular --------------------------------------------------------------------

def test_regular_hand_computed():
    # r = 0.5 * 500 Hz * 1 ms = 0.25 per step: counts floor(0.25 (t + 1)) step up at t = 3, 7
    s = regular(np.array([0.5, 1.0, 0.0]), 8, max_rate=500.0)
    np.testing.assert_array_equal(s[:, 0], [0, 0, 0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(s[:, 1], [0, 1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal(s[:, 2], np.zeros(8))
    # r = 0.3: counts floor(0.3, 0.6, ..., 3.0) -> spikes at t = 3, 6, 9 (10 * 0.3 counts as exactly 3)
    s = regular(torch.tensor([0.3], dtype=torch.float64), 10, max_rate=1000.0)
    assert torch.equal(s[:, 0], torch.tensor([0, 0, 0, 1, 0, 0, 1, 0, 0, 1], dtype=torch.float64))
    # 0.7 is 0.69999999 in float32: still 7 spikes in 10 steps, as in float64
    for dtype in (np.float32, np.float64):
        assert regular(np.array([0.7, 0.57], dtype), 100, max_rate=1000.0).sum(axis=0).tolist() == [70, 57]


def test_regular_is_exact_and_evenly_spaced():
    x = np.random.default_rng(1).random(500)
    enc = encoders.get("regular", max_rate=1000.0, steps=64)
    s = enc.encode(x)
    np.testing.assert_array_equal(s.sum(axis=0), np.floor(64 * x))
    for col in s.T[:50]:
        gaps = np.diff(np.flatnonzero(col))
        assert gaps.size == 0 or gaps.max() - gaps.min() <= 1
    err = np.abs(enc.decode(s) - x)
    assert err.max() < 1 / 64


# --- latency --------------------------------------------------------------------

def test_latency_linear_hand_computed():
    enc = encoders.get("latency", steps=5)
    s = enc.encode(np.array([1.0, 0.5, 0.25, 0.0]))
    np.testing.assert_array_equal(s.argmax(axis=0)[:3], [0, 2, 3])
    np.testing.assert_array_equal(s.sum(axis=0), [1, 1, 1, 0])
    np.testing.assert_allclose(enc.decode(s), [1.0, 0.5, 0.25, 0.0])


def test_latency_rc_hand_computed():
    # tau = 2, threshold = 0.5: step round(2 (ln(x / (x - 0.5)) - ln 2)): x = 1 -> 0,
    # x = 0.75 -> round(2 ln 1.5 = 0.81) = 1, x = 0.6 -> round(2 ln 3 = 2.20) = 2, x = 0.5 silent
    enc = encoders.get("latency", steps=10, tau=2.0, threshold=0.5)
    s = enc.encode(torch.tensor([1.0, 0.75, 0.6, 0.5]))
    assert s.argmax(dim=0)[:3].tolist() == [0, 1, 2] and s.sum(dim=0).tolist() == [1, 1, 1, 0]
    expected = [1.0, 0.5 / (1 - 0.5 * math.exp(-0.5)), 0.5 / (1 - 0.5 * math.exp(-1.0)), 0.0]
    np.testing.assert_allclose(enc.decode(s).numpy(), expected, rtol=1e-6)


def test_latency_parameters():
    # tau alone picks the mode: None is linear, a number the RC code
    assert encoders.get("latency", tau=3.0, threshold=0.1).params() == dict(steps=15, tau=3.0, threshold=0.1)
    with pytest.raises(ValueError, match=r"threshold \(RC latency\) must be a finite number in \(0, 1\), got 0.0"):
        encoders.get("latency", tau=3.0)
    with pytest.raises(ValueError, match=r"tau \(RC latency, in steps\) must be a finite number > 0, got 0.0"):
        encoders.get("latency", tau=0.0, threshold=0.1)
    with pytest.raises(ValueError, match=r"threshold must be a finite number in \[0, 1\), got 1.0"):
        encoders.get("latency", threshold=1.0)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['linear'\].*'tau'"):
        encoders.get("latency", linear=True)


# --- receptive fields -----------------------------------------------------------

def test_receptive_fields_hand_computed():
    # u = 0.5, centres 0, 0.5, 1, sigma 0.5: rates e^-0.5 = 0.607, 1, 0.607 per step;
    # counts floor(0.607 (t + 1)) = 0, 1, 1, 2 -> spikes at t = 1, 3
    enc = encoders.get("receptive_fields", n_bins=3, steps=4, sigma=0.5)
    s = enc.encode(np.array([0.5]))
    np.testing.assert_array_equal(s[:, :], [[0, 1, 0], [1, 1, 1], [0, 1, 0], [1, 1, 1]])
    # decode from bins 1 (rate 1) and 0 (rate 0.5): 0.25 + 0.25 ln 2 / 0.5
    np.testing.assert_allclose(enc.decode(s), [0.25 + 0.5 * math.log(2)])


def fields_bound(enc):
    """The documented decode error bound of a receptive_fields encoder, in scaled units."""
    d = 1.0 / (enc.n_bins - 1)
    g = math.exp(d ** 2 / (2 * enc.sigma ** 2))
    return enc.sigma ** 2 / d * math.log(1.0 / (1.0 - g / enc.steps))


@pytest.mark.parametrize("n_bins, sigma_per_spacing, steps, tight", [
    (5, 1.0, 15, 0.6), (5, 1.0, 200, 0.75), (2, 1.0, 500, 0.85), (4, 0.4, 200, 0.9), (6, 3.0, 200, 0.9)])
def test_receptive_fields_decode_within_the_documented_bound(n_bins, sigma_per_spacing, steps, tight):
    # rates floored to multiples of 1 / steps; the second bin's rate >= 1 / g bounds the error
    # of the log-ratio inversion. The bound is nearly reached (ratio `tight`), so a decoder that
    # e.g. averaged the two centres by rate instead of inverting the Gaussian would fail it.
    enc = encoders.get("receptive_fields", n_bins=n_bins, steps=steps, sigma=sigma_per_spacing / (n_bins - 1))
    u = np.linspace(0.0, 1.0, 4001)[:, None]
    err = np.abs(enc.decode(enc.encode(u)) - u)
    bound = fields_bound(enc)
    assert err.max() <= bound
    assert err.max() > tight * bound


def test_receptive_fields_shapes_bounds_and_errors():
    enc = encoders.get("receptive_fields", n_bins=4, min_values=[-2, -5, 0], max_values=[2, 5, 1], steps=200)
    x = np.array([[1.8, 0.0, 0.3], [-2.0, 5.0, 1.0]])
    s = enc.encode(x)
    assert s.shape == (200, 2, 12)
    # within the scaled bound (0.0028) times each feature's width 4, 10, 1; the errors are
    # 0.0017 0 0.0010 and 0.0034 0.0084 0.0008
    assert np.all(np.abs(enc.decode(s) - x) <= fields_bound(enc) * np.array([4.0, 10.0, 1.0]))
    with pytest.raises(ValueError, match=r"x must lie in \[min_values, max_values\]"):
        enc.encode(np.array([[2.5, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="max_values > min_values"):
        encoders.get("receptive_fields", min_values=1.0, max_values=0.0)


# --- properties shared by the static encoders ------------------------------------

@pytest.mark.parametrize("name, extra", [
    ("regular", dict(max_rate=1000.0)),
    ("latency", {}),
    ("latency", dict(threshold=0.05)),
    ("receptive_fields", {}),
])
def test_decode_error_shrinks_as_steps_grows(name, extra):
    x = np.random.default_rng(2).uniform(0.06, 1.0, 300)
    errs = []
    for steps in (8, 32, 128):
        enc = encoders.get(name, steps=steps, **extra)
        errs.append(np.sqrt(np.mean((enc.decode(enc.encode(x)) - x) ** 2)))
    assert errs[0] > errs[1] > errs[2]


def test_poisson_decode_error_shrinks_as_steps_grows():
    x = np.random.default_rng(3).random(2000)
    errs = []
    for steps in (10, 100, 1000):
        enc = encoders.get("poisson", max_rate=1000.0, steps=steps, seed=0)
        errs.append(np.sqrt(np.mean((enc.decode(enc.encode(x)) - x) ** 2)))
    assert errs[0] > errs[1] > errs[2]


@pytest.mark.parametrize("name", ["poisson", "regular", "latency", "receptive_fields"])
def test_static_shapes_kinds_and_domain(name):
    enc = encoders.get(name, steps=6)
    x = np.random.default_rng(4).random((2, 3, 5)).astype(np.float32)
    s = enc.encode(x)
    width = 5 * getattr(enc, "n_bins", 1)
    assert isinstance(s, np.ndarray) and s.shape == (6, 2, 3, width) and s.dtype == np.float32
    assert set(np.unique(s)) <= {0.0, 1.0}
    assert enc.decode(s).shape == (2, 3, 5)
    st = enc.encode(torch.from_numpy(x).double())
    assert isinstance(st, torch.Tensor) and st.dtype == torch.float64 and st.shape == s.shape
    assert isinstance(enc.decode(st), torch.Tensor)
    with pytest.raises(ValueError, match=r"x must lie in \[.*got range \[0.2, 1.7\]"):
        enc.encode(np.array([0.2, 1.7]))
    with pytest.raises(ValueError, match="NaN or infinite"):
        enc.encode(np.array([0.2, np.inf]))
    with pytest.raises(ValueError, match="scalar"):
        enc.encode(np.float64(0.5))
    with pytest.raises(ValueError, match="spikes must"):
        enc.decode(s[:3])


def test_registry():
    names = encoders.available()
    assert list(names) == ["poisson", "regular", "latency", "step_forward", "bsa", "pwm", "lif",
                           "receptive_fields", "state"]
    assert all(isinstance(v, str) and v for v in names.values())
    required = {"state": dict(low=[0.0], high=[1.0])}           # the observation bounds have no default
    for name in names:
        enc = encoders.get(name, **required.get(name, {}))
        assert enc.name == name and encoders.get(name, **enc.params()) == enc
    with pytest.raises(ValueError, match="encoder must be one of"):
        encoders.get("morse")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['rate'\]"):
        encoders.get("poisson", rate=3)


@pytest.mark.parametrize("steps, threshold", [(8, 0.0), (15, 0.2)])
def test_linear_latency_round_trip_is_within_half_a_step(steps, threshold):
    # the linear code rounds (1 - x) / (1 - th) * (steps - 1) to a step, so decoding is off by
    # at most half a step: (1 - th) / (2 (steps - 1)); flooring instead of rounding fails this
    enc = encoders.get("latency", steps=steps, threshold=threshold)
    x = np.linspace(threshold + 1e-6, 1.0, 2001)
    err = np.abs(enc.decode(enc.encode(x)) - x)
    bound = (1.0 - threshold) / (2 * (steps - 1))
    assert err.max() <= bound + 1e-12
    assert err.max() > 0.9 * bound          # the bound is tight, not loose


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3", 2**32, 2**63, 2**64 + 5])
def test_poisson_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        poisson(np.zeros(3), 5, 300.0, seed=seed)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        make_generator(seed)


def test_seed_bound_is_where_torch_starts_repeating_seeds():
    # torch's CPU generator keeps a seed's low 32 bits: 2**32 + k draws what k draws (so does
    # 2**63 + k), while the largest accepted seed has a stream of its own
    def draws(seed):
        return torch.rand(8, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(draws(2**32 + 5), draws(5)) and torch.equal(draws(2**63 + 5), draws(5))
    assert not torch.equal(draws(2**32 - 1), draws(2**31 - 1))
    x = np.full(4, 0.5)
    assert not np.array_equal(poisson(x, 50, 1000.0, seed=2**32 - 1), poisson(x, 50, 1000.0, seed=0))


@pytest.mark.parametrize("dt", [1e-3, 1e-4, 0.1, 3e-3, 7e-4, 1.0])
def test_full_rate_is_the_largest_rate_with_a_probability_of_at_most_one(dt):
    import math

    from encoders.rate import full_rate

    rate = full_rate(dt)
    assert rate * dt <= 1.0                                        # a probability
    assert rate == 1.0 / dt or math.nextafter(rate, math.inf) * dt > 1.0   # the largest one
    assert abs(rate - 1.0 / dt) <= 1e-12 / dt
    with pytest.raises(ValueError, match="dt"):
        full_rate(0.0)

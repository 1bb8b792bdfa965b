"""The signal encoders' ``normalize`` option: per-channel min-max scaling before encoding,
the bounds kept for decoding, given bounds, constant channels, errors."""

import numpy as np
import pytest
import torch

import encoders

SIGNAL = ["step_forward", "bsa", "pwm", "lif"]


def minmax(x, lo=None, hi=None):
    """The documented scaling, column by column: ``(x - min) * (1 / (max - min))``."""
    lo = x.min(axis=0) if lo is None else lo
    hi = x.max(axis=0) if hi is None else hi
    return (1.0 / (hi - lo)) * (x - lo)


def slow(steps=300, offset=3.0, amp=2.0):
    """Two sines around ``offset`` that do not fill [0, 1], ``[steps, 2]``."""
    t = np.arange(steps)[:, None]
    return offset + amp * np.sin(2 * np.pi * t / np.array([70.0, 130.0]))


def test_step_forward_normalize_hand_computed():
    # min 2, max 6: [2, 4, 3, 6] -> [0, 0.5, 0.25, 1]; threshold 0.2: up at t=1 (0.5 > 0.2, base 0.2),
    # nothing at t=2 (0.25 within 0.2 +- 0.2), up at t=3 (1 > 0.4, base 0.4)
    sf = encoders.get("step_forward", threshold=0.2, normalize=True)
    x = np.array([2.0, 4.0, 3.0, 6.0])
    s = sf.encode(x)
    np.testing.assert_array_equal(s, [0, 1, 0, 1])
    lo, hi = sf.bounds
    assert lo.shape == () and float(lo) == 2.0 and float(hi) == 6.0
    # decoded baseline 0, 0.2, 0.2, 0.4 (from initial 2 -> 0), back in signal units 2 + 4 * y
    np.testing.assert_allclose(sf.decode(s, initial=2.0), [2.0, 2.8, 2.8, 3.6], atol=1e-6)


def test_lif_normalize_is_to_minus_one_one_hand_computed():
    # [0, 5, 10] -> [-1, 0, 1]; threshold 0.5, nothing kept: down at t=0, up at t=2
    lif = encoders.get("lif", threshold=0.5, membrane_constant=0.0, normalize=True)
    s = lif.encode(np.array([0.0, 5.0, 10.0]))
    np.testing.assert_array_equal(s, [-1, 0, 1])
    # lif_decode gives -2 * 0.5 / 1 = -1 (a 1-step interval), 0 (outside the 1-step memory), then
    # 0.5 / (1 - 0 ** 1.5) = 0.5; back from [-1, 1]: (y + 1) / 2 * 10 -> 0, 5, 7.5
    np.testing.assert_allclose(lif.decode(s), [0.0, 5.0, 7.5])


def test_bsa_normalize_is_bsa_of_the_scaled_signal():
    x = slow()
    bsa = encoders.get("bsa", normalize=True)
    s = bsa.encode(x)
    plain = encoders.get("bsa")
    np.testing.assert_array_equal(s, plain.encode(minmax(x)))
    lo, hi = bsa.bounds
    np.testing.assert_array_equal(lo, x.min(axis=0))
    np.testing.assert_array_equal(hi, x.max(axis=0))
    np.testing.assert_allclose(bsa.decode(s), lo + plain.decode(s) * (hi - lo))
    # the decode is in the signal's units: close to x, far from its normalised version
    err = np.sqrt(np.mean((bsa.decode(s) - x) ** 2))
    assert err < 0.2 * 2 * 2.0 and err < np.sqrt(np.mean((plain.decode(s) - x) ** 2)) / 5


@pytest.mark.parametrize("name", SIGNAL)
def test_normalize_per_channel_kinds_and_round_trip(name):
    x = slow(400)
    enc = encoders.get(name, normalize=True)
    s = enc.encode(x)
    # each channel is scaled on its own: a channel encodes alike alone
    np.testing.assert_array_equal(encoders.get(name, normalize=True).encode(x[:, 1]), s[:, 1])
    st = enc.encode(torch.from_numpy(x))
    assert isinstance(st, torch.Tensor) and torch.equal(st, torch.from_numpy(s))
    kw = {"initial": x[0]} if name in ("step_forward", "pwm") else {}
    rec = enc.decode(st, **kw)
    assert isinstance(rec, torch.Tensor) and rec.shape == x.shape
    # back in the signal's range (around 3 +- 2), not in the normalised one
    assert abs(float(rec.mean()) - 3.0) < 0.5
    encoders.get(name, normalize=True).encode(x * 100 - 7)       # any finite range is fine


@pytest.mark.parametrize("name", SIGNAL)
def test_normalize_with_given_bounds(name):
    x = slow(200)                                                # within [1, 5]
    enc = encoders.get(name, normalize=True, min_value=0.0, max_value=10.0)
    ref = encoders.get(name, normalize=True, min_value=[0.0, 0.0], max_value=(10.0, 10.0))
    assert enc.min_value == 0.0 and ref.min_value == (0.0, 0.0)
    s = enc.encode(x)
    np.testing.assert_array_equal(ref.encode(x), s)
    # decode needs no encode first: the bounds are given
    kw = {"initial": x[0]} if name in ("step_forward", "pwm") else {}
    fresh = encoders.get(name, normalize=True, min_value=0.0, max_value=10.0)
    np.testing.assert_array_equal(fresh.decode(s, **kw), enc.decode(s, **kw))
    if name in ("bsa", "pwm", "step_forward"):                   # [0, 1]: x / 10
        np.testing.assert_array_equal(s, encoders.get(name).encode(minmax(x, 0.0, 10.0)))
    with pytest.raises(ValueError, match=r"x must lie in \[min_value, max_value\].*channel 1 has range"):
        encoders.get(name, normalize=True, min_value=[0.0, 2.0], max_value=10.0).encode(x)
    with pytest.raises(ValueError, match="min_value has 3 values but the signal has 2 channel"):
        encoders.get(name, normalize=True, min_value=[0.0] * 3, max_value=10.0).encode(x)


@pytest.mark.parametrize("name", SIGNAL)
def test_normalize_constant_channel_decodes_to_itself(name):
    x = np.stack([np.full(50, 4.25), np.linspace(-1.0, 1.0, 50)], axis=1)
    enc = encoders.get(name, normalize=True)
    s = enc.encode(x)
    if name in ("bsa", "lif", "step_forward"):                   # the constant scales to 0: silent
        assert not s[:, 0].any()
    kw = {"initial": x[0]} if name in ("step_forward", "pwm") else {}
    np.testing.assert_array_equal(enc.decode(s, **kw)[:, 0], 4.25)


@pytest.mark.parametrize("name", SIGNAL)
def test_normalize_decode_needs_the_bounds(name):
    enc = encoders.get(name, normalize=True)
    spikes = np.zeros((20, 3))
    with pytest.raises(ValueError, match="needs the bounds the signal was normalised with"):
        enc.decode(spikes)
    assert enc.bounds is None
    enc.encode(np.random.default_rng(0).random((20, 2)))
    with pytest.raises(ValueError, match=r"stored normalisation bounds are for a signal of shape \[T, 2\]"):
        enc.decode(spikes)
    # equality and the parameters do not depend on what was encoded
    assert enc == encoders.get(name, normalize=True) and "bounds" not in enc.params()


@pytest.mark.parametrize("params, match", [
    (dict(min_value=0.0), "min_value and max_value must be given together"),
    (dict(normalize=True, max_value=1.0), "min_value and max_value must be given together"),
    (dict(min_value=0.0, max_value=1.0), "they need normalize=True"),
    (dict(normalize=True, min_value=1.0, max_value=1.0), "max_value must be > min_value"),
    (dict(normalize=True, min_value=[0.0, 2.0], max_value=[1.0, 1.0]), "max_value must be > min_value"),
    (dict(normalize=True, min_value=float("nan"), max_value=1.0), "min_value must be a finite number"),
    (dict(normalize=True, min_value=[0.0, "a"], max_value=1.0), r"min_value\[1\] must be a finite number"),
    (dict(normalize=True, min_value=[0.0, 0.0], max_value=[1.0] * 3), "must have the same length"),
    (dict(normalize=True, min_value=[], max_value=1.0), "non-empty sequence"),
    (dict(normalize="yes"), "normalize must be true or false"),
])
@pytest.mark.parametrize("name", SIGNAL)
def test_normalize_bad_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        encoders.get(name, **params)


def test_without_normalize_the_range_checks_stay():
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\] for the bsa encoder.*normalise it first"):
        encoders.get("bsa").encode(slow())
    with pytest.raises(ValueError, match="x contains NaN"):
        encoders.get("bsa", normalize=True).encode(np.array([0.1, np.nan, 0.3]))


@pytest.mark.parametrize("name", SIGNAL)
def test_optimize_with_normalize_optimises_the_scaled_signal(name):
    x = slow(200)
    got = encoders.get(name, normalize=True).optimize(x)
    assert got == encoders.get(name).optimize(minmax(x) * (2 if name == "lif" else 1) - (1 if name == "lif" else 0))


@pytest.mark.parametrize("name", SIGNAL)
def test_decode_with_explicit_bounds_needs_no_state(name):
    # one encoder object, two signals: each decodes with its own bounds, whatever was encoded last
    rng = np.random.default_rng(3)
    a, b = rng.random((40, 2)) * 5 - 1, rng.random((40, 2)) * 0.1 + 7
    enc = encoders.get(name, normalize=True)
    spikes_a = enc.encode(a)
    bounds_a = enc.bounds
    enc.encode(b)
    expected = encoders.get(name, normalize=True)
    expected.encode(a)
    assert np.array_equal(enc.decode(spikes_a, bounds=bounds_a), expected.decode(spikes_a))
    fresh = encoders.get(name, normalize=True)                # never encoded: the bounds alone suffice
    assert np.array_equal(fresh.decode(spikes_a, bounds=bounds_a), expected.decode(spikes_a))
    lo, hi = bounds_a
    assert np.array_equal(fresh.decode(spikes_a, bounds=(float(lo.min()), float(hi.max()))),
                          encoders.get(name, normalize=True, min_value=float(lo.min()),
                                       max_value=float(hi.max())).decode(spikes_a))
    with pytest.raises(ValueError, match=r"one step's shape \[2\]"):
        fresh.decode(spikes_a, bounds=(np.zeros(3), np.ones(3)))
    with pytest.raises(ValueError, match="max must be >= min"):
        fresh.decode(spikes_a, bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="pair"):
        fresh.decode(spikes_a, bounds=1.0)
    with pytest.raises(ValueError, match="normalize=False"):
        encoders.get(name).decode(encoders.get(name).encode(np.clip(a, 0, 1)), bounds=bounds_a)

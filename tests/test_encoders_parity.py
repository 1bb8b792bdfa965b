"""Parity with the installed reference package spike-encoding 1.8.2: the same spikes where
we claim them (bsa with normalize, step_forward), the same normalisation everywhere, and
the documented differences (pwm's carrier, lif's kernel) pinned."""

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch

import encoders

se = pytest.importorskip("spike_encoding", reason="the reference package spike-encoding is not installed")
from spike_encoding.bens_spiker_algorithm import BensSpikerAlgorithm  # noqa: E402
from spike_encoding.lif_based_encoding import LIFBasedEncoding  # noqa: E402
from spike_encoding.pulse_width_modulation import PulseWidthModulation  # noqa: E402
from spike_encoding.step_forward_converter import StepForwardConverter  # noqa: E402

STEPS = 240
T = np.arange(STEPS)
# fresh signals that do not fill [0, 1]
SIGNALS = {
    "0.5 + 0.4 sin": 0.5 + 0.4 * np.sin(2 * np.pi * T / 80),
    "0.3 + 0.2 sin": 0.3 + 0.2 * np.sin(2 * np.pi * T / 37 + 1.0),
    "two sines": 0.5 + 0.3 * np.sin(2 * np.pi * T / 60) + 0.1 * np.sin(2 * np.pi * T / 13),
}


def quiet(fn):
    """``fn()`` without the package's prints and warnings."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def ref_bsa(x, threshold, filter_order, filter_cutoff):
    enc = BensSpikerAlgorithm(threshold=torch.tensor([threshold]),
                              filter_order=torch.tensor([filter_order], dtype=torch.int),
                              filter_cutoff=torch.tensor([filter_cutoff]))
    spikes = enc.encode(torch.tensor(x.copy()))[0]
    return spikes.numpy(), np.asarray(enc.decode(spikes.clone()[None]))[0]


def bipolar(pair):
    """The package's (up, down) pair as one {-1, 0, 1} train ``[T]``."""
    return (pair[0] + pair[1]).reshape(-1).numpy()


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)))


BSA_PARAMS = [dict(threshold=0.5, filter_order=10, filter_cutoff=0.2),      # the package's defaults
              dict(threshold=1.0, filter_order=10, filter_cutoff=0.2),      # ties: only rounding decides
              dict(threshold=0.8, filter_order=12, filter_cutoff=0.01),
              dict(threshold=0.9, filter_order=40, filter_cutoff=0.02)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("params", BSA_PARAMS, ids=lambda p: "-".join(map(str, p.values())))
def test_bsa_with_normalize_gives_the_packages_spikes(params, dtype):
    for name, signal in SIGNALS.items():
        x = signal.astype(dtype)
        theirs, their_rec = ref_bsa(x, **params)
        ours = encoders.get("bsa", normalize=True, **params)
        spikes = ours.encode(x)
        assert spikes.dtype == dtype
        np.testing.assert_array_equal(spikes, theirs, err_msg=f"{name}, {params}, {dtype.__name__}")
        # the same spikes decode at least about as well (the package zeroes its first
        # filter_order // 2 samples and adds one more tap)
        assert rmse(ours.decode(spikes), x) <= 1.05 * rmse(their_rec, x)


def test_bsa_without_normalize_differs_from_the_package():
    # the package always normalises: our plain BSA of a signal that does not fill [0, 1] is another code
    x = SIGNALS["0.5 + 0.4 sin"]
    theirs, _ = ref_bsa(x, **BSA_PARAMS[0])
    assert (encoders.get("bsa", **BSA_PARAMS[0]).encode(x) != theirs).sum() > 20


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threshold", [0.01, 0.05, 0.1])
def test_step_forward_gives_the_packages_spikes(threshold, dtype):
    # spike-encoding 1.8.2 does not normalise step-forward input: the same spikes without
    # normalize, and with it the package's spikes of the normalised signal
    for signal in SIGNALS.values():
        x = signal.astype(dtype)
        ref = StepForwardConverter(threshold=torch.tensor([threshold]))
        theirs = bipolar(ref.encode(torch.tensor(x.copy())))
        np.testing.assert_array_equal(encoders.get("step_forward", threshold=threshold).encode(x), theirs)
        scaled = ref.normalize_tensor(torch.tensor(x.copy())[None])[0]       # its (unused) normaliser
        theirs_norm = bipolar(ref.encode(scaled.to(torch.float64 if dtype == np.float64 else torch.float32)))
        ours_norm = encoders.get("step_forward", threshold=threshold, normalize=True).encode(x)
        if dtype == np.float32:                      # the package's normaliser computes in float32
            np.testing.assert_array_equal(ours_norm, theirs_norm)
        rec = encoders.get("step_forward", threshold=threshold).decode(theirs, initial=x[0])
        np.testing.assert_allclose(rec, ref.decode(torch.tensor(theirs)[None], initial_value=float(x[0]))[0],
                                   atol=1e-5)


@pytest.mark.parametrize("cls, name, low", [(BensSpikerAlgorithm, "bsa", 0.0), (PulseWidthModulation, "pwm", 0.0),
                                            (LIFBasedEncoding, "lif", -1.0)])
def test_normalisation_is_the_packages(cls, name, low):
    # float32: our normalise-then-encode equals encoding the package's own normalised signal
    x = np.stack([s.astype(np.float32) for s in SIGNALS.values()])           # rows are signals for the package
    scaled = cls().normalize_tensor(torch.tensor(x)).numpy()
    assert scaled.min() == low and scaled.max() == 1.0
    ours = encoders.get(name, normalize=True).encode(x.T)
    np.testing.assert_array_equal(ours, encoders.get(name).encode(scaled.T))


def test_pwm_spikes_differ_from_the_package_by_its_carrier():
    # the package runs its carrier against 999 steps per second, from step 1, restarting at each
    # wrap; ours is frac(t * frequency * dt). The spike counts agree, the spike times do not.
    x = SIGNALS["0.5 + 0.4 sin"]
    for frequency in (10.0, 50.0):
        theirs = bipolar(quiet(lambda: PulseWidthModulation(frequency=torch.tensor([frequency])).encode(
            torch.tensor(x.copy()))))
        ours = encoders.get("pwm", frequency=frequency, normalize=True).encode(x)
        assert np.abs(ours).sum() == np.abs(theirs).sum()
        assert (ours != theirs).any()


def test_lif_spikes_differ_from_the_package_at_the_start():
    # the package integrates from step 1 and measures the potential against a baseline that is
    # the step-1 input until the first spike, so it never spikes at steps 0 and 1; ours does
    x = SIGNALS["0.3 + 0.2 sin"]
    theirs = bipolar(quiet(lambda: LIFBasedEncoding(threshold=torch.tensor([0.5]),
                                                    membrane_constant=torch.tensor([0.9])).encode(torch.tensor(x))))
    ours = encoders.get("lif", threshold=0.5, membrane_constant=0.9, normalize=True).encode(x)
    assert not theirs[:2].any() and ours[:2].all()
    # on a signal that starts at its midpoint (normalised 0) the two agree spike for spike here
    mid = SIGNALS["0.5 + 0.4 sin"]
    theirs = bipolar(quiet(lambda: LIFBasedEncoding(threshold=torch.tensor([0.5]),
                                                    membrane_constant=torch.tensor([0.9])).encode(torch.tensor(mid))))
    np.testing.assert_array_equal(encoders.get("lif", normalize=True).encode(mid), theirs)

import math

import numpy as np
import pytest
from scipy import signal

from training.audio.cochleagram import (GammatoneParams, LyonParams, design_lyon_filters, gammatone_cochleagram,
                                  lyon_center_frequencies, lyon_passive_ear)


@pytest.mark.parametrize("fs, ear_q, step, n", [(12500, 8, 0.5, 39),    # the paper: TI-46, 39 channels
                                                (16000, 8, 0.25, 86),   # Slaney's defaults at 16 kHz
                                                (8000, 8, 0.5, 32)])    # FSDD's native rate
def test_channel_count(fs, ear_q, step, n):
    cfs, top_f = lyon_center_frequencies(fs, ear_q, step)
    assert len(cfs) == n
    assert top_f < fs / 2


def test_centre_frequencies_are_step_bandwidths_apart():
    # 1/bandwidth integrated between neighbours = step / Q, i.e. Q*asinh(f/Eb) drops by `step`
    cfs, top_f = lyon_center_frequencies(12500, 8, 0.5)
    ladder = 8 * np.arcsinh(np.concatenate([[top_f], cfs]) / 1000.0)
    assert np.diff(ladder) == pytest.approx(np.full(len(cfs), -0.5))
    assert cfs[-1] > 1000 / math.sqrt(4 * 64 - 1)          # every pole Q stays above 0.5


def test_cascade_sections_are_stable_with_set_dc_gain():
    sos, cfs = design_lyon_filters(12500, 8, 0.5)
    assert sos.shape == (2 + len(cfs), 6)
    for row in sos:
        assert np.all(np.abs(np.roots(row[3:])) < 1)       # poles inside the unit circle
    # each cascade stage's DC gain is the ratio of neighbouring centre frequencies
    _, h = signal.sosfreqz(sos[3:4], worN=[0.0], fs=12500)
    assert abs(h[0]) == pytest.approx(cfs[0] / cfs[1])


@pytest.mark.parametrize("freq", [300.0, 1000.0, 3000.0])
def test_pure_tone_excites_the_channel_at_its_frequency(freq):
    fs = 12500
    t = np.arange(int(0.3 * fs)) / fs
    cfs, _ = lyon_center_frequencies(fs, 8, 0.5)
    lyon = lyon_passive_ear(0.5 * np.sin(2 * np.pi * freq * t))[:, 100:].mean(axis=1)
    gamma = gammatone_cochleagram(0.5 * np.sin(2 * np.pi * freq * t)).mean(axis=1)
    nearest = np.argmin(np.abs(cfs - freq))
    assert abs(int(np.argmax(lyon)) - nearest) <= 1          # Lyon's peak sits at most one channel off
    assert int(np.argmax(gamma)) == nearest


def test_shapes_nonnegative_and_batch_matches_single():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, (3, 1234))
    y = lyon_passive_ear(x, LyonParams(decimation=10))
    assert y.shape == (3, 39, 123)
    assert (y >= 0).all() and y.max() > 0
    assert np.allclose(lyon_passive_ear(x[1]), y[1])
    # causal: zero-padding the end leaves the earlier frames unchanged
    padded = lyon_passive_ear(np.concatenate([x[0], np.zeros(500)]))
    assert np.allclose(padded[:, :123], y[0])
    g = gammatone_cochleagram(x, GammatoneParams(decimation=10))
    assert g.shape == (3, 39, 123) and (g >= 0).all()


def test_silence_gives_zeros_and_bad_audio_is_refused():
    assert not lyon_passive_ear(np.zeros(1000)).any()
    with pytest.raises(ValueError, match="empty"):
        lyon_passive_ear(np.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        lyon_passive_ear(np.array([0.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="decimation"):
        LyonParams(decimation=0)
    with pytest.raises(ValueError, match="sample_rate"):
        LyonParams(sample_rate=float("nan"))


def test_agc_compresses_loud_input():
    # without AGC the output scales with the input; with it, 100x louder is far less than 100x
    fs = 12500
    t = np.arange(int(0.5 * fs)) / fs
    tone = np.sin(2 * np.pi * 1000 * t)
    quiet, loud = (lyon_passive_ear(a * tone)[:, -10:].max() for a in (0.001, 0.1))
    assert loud / quiet < 20
    p = LyonParams(agc=False)
    raw_quiet, raw_loud = (lyon_passive_ear(a * tone, p)[:, -10:].max() for a in (0.001, 0.1))
    assert raw_loud / raw_quiet == pytest.approx(100, rel=1e-6)

"""Auditory front ends: Lyon's passive ear model and a gammatone filterbank, on scipy.signal.

Lyon's model follows Slaney's Auditory Toolbox (``DesignLyonFilters`` and
``LyonPassiveEar``): an outer/middle-ear pre-emphasis and a compensating resonator,
a cascade of second-order sections (one output per section = one channel), half-wave
rectification, four coupled automatic-gain-control (AGC) stages, a difference between
neighbouring channels, and a two-pole smoothing filter sampled every ``decimation``
samples. The paper's setting (TI-46 at 12.5 kHz, decimation 10, ear Q 8, step factor
0.5) gives 39 channels at 1,250 frames per second.

One deliberate difference from the MATLAB code: ``LyonPassiveEar.m`` means to zero the
two front-filter channels before the AGC ("Zeroed out the preemphasis channels") but its
``output(1) = 0; output(2) = 0`` zeroes them only at the first sample of each decimation
block; here they are zeroed at every sample. Those two channels are dropped from the
output either way.

Outputs are ``[channels, frames]`` (channel 0 = the highest centre frequency, as in
Slaney's toolbox), float64, non-negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

# Fixed constants of Lyon's model (Apple ATG Technical Report #13).
EAR_BREAK_FREQ = 1000.0       # Eb, Hz: bandwidth ~ sqrt(f^2 + Eb^2) / Q
EAR_ZERO_OFFSET = 1.5         # zero of each stage above its pole, in step units
EAR_SHARPNESS = 5.0           # Q of the zeros relative to the poles
EAR_PREEMPH_CORNER = 300.0    # Hz, outer/middle-ear pre-emphasis corner
AGC_TARGETS = (0.0032, 0.0016, 0.0008, 0.0004)
AGC_TAUS = (0.64, 0.16, 0.04, 0.01)   # seconds
AGC_STATE_LIMIT = 0.9                 # 1 - EPS of agc.c
N_FRONT = 2                           # front filters ahead of the cascade


@dataclass(frozen=True)
class LyonParams:
    """Parameters of ``lyon_passive_ear``.

    sample_rate: Hz of the audio the model runs at (the paper: TI-46's 12,500 Hz).
    decimation: input samples per output frame (the paper: 10 -> 1,250 frames/s).
    ear_q: quality factor of each cascade stage (8 or 4 in Slaney's toolbox).
    step_factor: channel spacing in bandwidths (the paper: 0.5; Slaney's default ear_q/32).
    differ: subtract each channel from its higher-frequency neighbour (lateral inhibition).
    agc: run the four AGC stages.
    tau_factor: the smoothing filter's time constant in decimation periods.
    """

    sample_rate: float = 12500.0
    decimation: int = 10
    ear_q: float = 8.0
    step_factor: float = 0.5
    differ: bool = True
    agc: bool = True
    tau_factor: float = 3.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sample_rate) and self.sample_rate >= 1000):
            raise ValueError(f"sample_rate must be a finite rate >= 1000 Hz, got {self.sample_rate!r}")
        if not (isinstance(self.decimation, int) and self.decimation >= 1):
            raise ValueError(f"decimation must be an integer >= 1, got {self.decimation!r}")
        if not (math.isfinite(self.ear_q) and self.ear_q > 0.5):
            raise ValueError(f"ear_q must be a number > 0.5, got {self.ear_q!r}")
        if not (math.isfinite(self.step_factor) and 0 < self.step_factor <= self.ear_q):
            raise ValueError(f"step_factor must be in (0, ear_q], got {self.step_factor!r}")
        if not (math.isfinite(self.tau_factor) and self.tau_factor > 0):
            raise ValueError(f"tau_factor must be a number > 0, got {self.tau_factor!r}")


@dataclass(frozen=True)
class GammatoneParams:
    """Parameters of ``gammatone_cochleagram``: the same channel centre frequencies as
    Lyon's model for (sample_rate, ear_q, step_factor), fourth-order IIR gammatone filters
    (``scipy.signal.gammatone``), half-wave rectification, and the mean over each block of
    ``decimation`` samples."""

    sample_rate: float = 12500.0
    decimation: int = 10
    ear_q: float = 8.0
    step_factor: float = 0.5

    def __post_init__(self) -> None:
        LyonParams(self.sample_rate, self.decimation, self.ear_q, self.step_factor)


def _second_order(f: np.ndarray, q: np.ndarray, fs: float) -> np.ndarray:
    """Denominator ``[1, a1, a2]`` per row of a resonance at ``f`` Hz with quality ``q``."""
    cft = np.asarray(f, dtype=np.float64) / fs
    q = np.asarray(q, dtype=np.float64)
    rho = np.exp(-np.pi * cft / q)
    theta = 2 * np.pi * cft * np.sqrt(1 - 1 / (4 * q ** 2))
    return np.stack([np.ones_like(rho), -2 * rho * np.cos(theta), rho ** 2], axis=-1)


def _set_gain(b: np.ndarray, a: np.ndarray, gain: float, f: float, fs: float) -> np.ndarray:
    """Numerator ``b`` scaled so the section ``b/a`` has magnitude ``gain`` at ``f`` Hz."""
    _, h = signal.freqz(b, a, worN=[f], fs=fs)
    return b * gain / abs(h[0])


def lyon_center_frequencies(sample_rate: float, ear_q: float = 8.0, step_factor: float = 0.5):
    """Centre frequencies (Hz, decreasing) of Lyon's cascade channels and the top
    frequency of the front resonator: returns ``(cfs [n_channels], top_f)``.

    Channels are spaced ``step_factor`` bandwidths apart, where the bandwidth at f is
    ``sqrt(f^2 + Eb^2) / ear_q``, from just below the Nyquist frequency down to where a
    stage's pole Q would drop below 0.5.
    """
    eb = EAR_BREAK_FREQ
    top_f = sample_rate / 2.0
    bw_top = math.sqrt(top_f ** 2 + eb ** 2) / ear_q
    top_f = top_f - bw_top * step_factor * EAR_ZERO_OFFSET + bw_top * step_factor
    low_f = eb / math.sqrt(4 * ear_q ** 2 - 1)
    n = math.floor(ear_q * (math.asinh(top_f / eb) - math.asinh(low_f / eb)) / step_factor)
    if n < 1:
        raise ValueError(f"sample_rate {sample_rate} Hz with ear_q {ear_q} and step_factor {step_factor} "
                         f"leaves no cochlear channel")
    # Channel k lies k * step_factor bandwidths below top_f: asinh(cf/Eb) falls by step/Q per channel.
    cn = np.arange(1, n + 1)
    cfs = eb * np.sinh(math.asinh(top_f / eb) - cn * step_factor / ear_q)
    return cfs, top_f


def design_lyon_filters(sample_rate: float, ear_q: float = 8.0, step_factor: float = 0.5):
    """Second-order sections of Lyon's model, as ``scipy.signal`` sos rows
    ``[b0, b1, b2, 1, a1, a2]``: ``sos [2 + n_channels, 6]`` (the pre-emphasis, the
    compensating resonator, then one section per cochlear channel, applied in cascade)
    and ``cfs [n_channels]`` (Hz, decreasing)."""
    fs = float(sample_rate)
    cfs, top_f = lyon_center_frequencies(fs, ear_q, step_factor)
    bw = np.sqrt(cfs ** 2 + EAR_BREAK_FREQ ** 2) / ear_q
    zero_cf = cfs + bw * step_factor * EAR_ZERO_OFFSET
    zeros = _second_order(zero_cf, EAR_SHARPNESS * zero_cf / bw, fs)
    poles = _second_order(cfs, cfs / bw, fs)
    # DC gain of each stage: the ratio of neighbouring centre frequencies.
    dc_gain = np.empty_like(cfs)
    dc_gain[1:] = cfs[:-1] / cfs[1:]
    dc_gain[0] = dc_gain[1] if len(cfs) > 1 else 1.0
    sos = np.zeros((N_FRONT + len(cfs), 6))
    for i in range(len(cfs)):
        sos[N_FRONT + i, :3] = _set_gain(zeros[i], poles[i], dc_gain[i], 0.0, fs)
        sos[N_FRONT + i, 3:] = poles[i]
    pre_b = np.array([0.0, 1.0, -math.exp(-2 * math.pi * EAR_PREEMPH_CORNER / fs)])
    sos[0, :3] = _set_gain(pre_b, np.array([1.0, 0.0, 0.0]), 1.0, fs / 4, fs)
    sos[0, 3:] = [1.0, 0.0, 0.0]
    top_poles = _second_order(np.array([top_f]), np.array([cfs[0] / bw[0]]), fs)[0]
    sos[1, :3] = _set_gain(np.array([1.0, 0.0, -1.0]), top_poles, 1.0, fs / 4, fs)
    sos[1, 3:] = top_poles
    return sos, cfs


def _agc(x: np.ndarray, sample_rate: float) -> np.ndarray:
    """Lyon's four coupled AGC stages (Slaney's agc.c) on rectified ``x [batch, C, n]``,
    in place. Each stage scales a channel by ``1 - state``; the state follows the scaled
    output over ``target`` with time constant ``tau`` and is averaged with its two
    neighbouring channels, capped at 0.9."""
    batch, n_ch, n = x.shape
    xt = np.ascontiguousarray(x.transpose(2, 0, 1))     # time-major: one contiguous slab per step
    eps = [1 - math.exp(-1 / (tau * sample_rate)) for tau in AGC_TAUS]
    gain_in = [e / t for e, t in zip(eps, AGC_TARGETS)]
    keep = [(1 - e) / 3 for e in eps]
    state = np.zeros((len(AGC_TAUS), batch, n_ch + 2))   # one padding column each side
    for t in range(n):
        out = xt[t]
        for j in range(len(AGC_TAUS)):
            s = state[j]
            s[:, 0], s[:, -1] = s[:, 1], s[:, -2]         # edge channels see themselves
            out *= 1.0 - s[:, 1:-1]
            smooth = s[:, :-2] + s[:, 1:-1] + s[:, 2:]
            np.minimum(out * gain_in[j] + keep[j] * smooth, AGC_STATE_LIMIT, out=s[:, 1:-1])
    x[...] = xt.transpose(1, 2, 0)
    return x


def _check_audio(audio) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"audio must be [n_samples] or [batch, n_samples], got shape {list(x.shape)}")
    if x.shape[-1] == 0:
        raise ValueError("audio is empty (0 samples)")
    if not np.isfinite(x).all():
        raise ValueError("audio contains NaN or infinite samples")
    return x


def lyon_passive_ear(audio, params: LyonParams = LyonParams()) -> np.ndarray:
    """Lyon's passive ear model (Slaney's ``LyonPassiveEar``).

    audio: mono samples at ``params.sample_rate`` Hz, ``[n]`` or ``[batch, n]`` (zero-pad
    shorter clips at the end: the model is causal, so their frames are unaffected).
    Returns the cochleagram ``[n_channels, n // decimation]`` (or ``[batch, ...]``),
    float64, >= 0; see ``lyon_center_frequencies`` for the channels.
    """
    x = _check_audio(audio)
    squeeze = x.ndim == 1
    x = np.atleast_2d(x)
    fs, df = float(params.sample_rate), params.decimation
    n_frames = x.shape[-1] // df
    sos, _ = design_lyon_filters(fs, params.ear_q, params.step_factor)
    n_ch = len(sos)
    if n_frames == 0:
        out = np.zeros((x.shape[0], n_ch - N_FRONT, 0))
        return out[0] if squeeze else out
    x = x[:, :n_frames * df]
    y = np.empty((x.shape[0], n_ch, x.shape[1]))
    stage = x
    for i in range(n_ch):                     # one output per section of the cascade
        stage = signal.sosfilt(sos[i:i + 1], stage, axis=-1)
        y[:, i] = stage
    np.maximum(y, 0.0, out=y)                 # half-wave rectification
    y[:, :N_FRONT] = 0.0                      # the front filters are not cochlear channels
    if params.agc:
        _agc(y, fs)
    if params.differ:
        y[:, 1:] = y[:, :-1] - y[:, 1:]
        np.maximum(y, 0.0, out=y)
    if df > 1:
        eps = 1 - math.exp(-1 / (df * params.tau_factor))   # time constant tau_factor frames
        dec_b = _set_gain(np.array([0.0, 0.0, 1.0]), np.array([1.0, -2 * (1 - eps), (1 - eps) ** 2]), 1.0, 0.0, fs)
        dec_sos = np.concatenate([dec_b, [1.0, -2 * (1 - eps), (1 - eps) ** 2]])[None]
        y = signal.sosfilt(dec_sos, y, axis=-1)
    out = np.maximum(y[:, N_FRONT:, df - 1::df], 0.0)
    return out[0] if squeeze else out


def gammatone_cochleagram(audio, params: GammatoneParams = GammatoneParams()) -> np.ndarray:
    """A faster cochleagram: fourth-order IIR gammatone filters (``scipy.signal.gammatone``)
    at Lyon's centre frequencies, half-wave rectified, averaged over blocks of
    ``decimation`` samples.

    audio: ``[n]`` or ``[batch, n]`` at ``params.sample_rate`` Hz.
    Returns ``[n_channels, n // decimation]`` (or ``[batch, ...]``), float64, >= 0.
    """
    x = _check_audio(audio)
    squeeze = x.ndim == 1
    x = np.atleast_2d(x)
    fs, df = float(params.sample_rate), params.decimation
    cfs, _ = lyon_center_frequencies(fs, params.ear_q, params.step_factor)
    n_frames = x.shape[-1] // df
    x = x[:, :n_frames * df]
    out = np.empty((x.shape[0], len(cfs), n_frames))
    for i, cf in enumerate(cfs):
        b, a = signal.gammatone(cf, "iir", fs=fs)
        band = np.maximum(signal.lfilter(b, a, x, axis=-1), 0.0)
        out[:, i] = band.reshape(x.shape[0], n_frames, df).mean(axis=-1)
    return out[0] if squeeze else out


FRONT_ENDS = {"lyon": (LyonParams, lyon_passive_ear), "gammatone": (GammatoneParams, gammatone_cochleagram)}

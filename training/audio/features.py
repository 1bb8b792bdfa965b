"""Audio clips -> flattened, normalised cochleagrams for the audiocoder's input layer.

Per clip: mix down to mono (mean over channels), resample to the front end's rate with
``scipy.signal.resample_poly`` (FSDD's 8 kHz -> 12.5 kHz, TI-46's rate, so Lyon's model
gives the paper's 39 channels), keep at most the frame budget (``frames * decimation``
samples; a longer clip is truncated, its end is dropped), run the front end, zero-pad to
``frames``, average ``pool`` neighbouring frames, divide by the clip's maximum (a silent
clip stays all zeros) and flatten channel-major: input neuron ``c * n_frames + f``.

A long clip is cut before it is resampled, to the input samples the budget needs plus the
resampler's filter half-length (``input_samples``), so the kept samples are bit-identical to
those of the whole clip resampled, and ``read_clip`` reads only those frames of a WAV file:
memory does not grow with the file's length.

Feature matrices of a list of clips are cached on disk (npz) in ``models.files.cache_root()``,
keyed by the configuration and the files (path, size, mtime).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import signal

from models.files import atomic_path, cache_root, remove_stale_temps, settings_key

from ..data.fsdd import check_clip, read_wav
from ..settings import checked, positive_int
from .cochleagram import FRONT_ENDS, lyon_center_frequencies

CACHE_VERSION = 1
_BATCH_SAMPLES = 400_000   # samples per front-end batch (bounds memory: ~41 channels x 8 bytes each)


@dataclass(frozen=True)
class FeatureConfig:
    """How a clip becomes the audiocoder's input vector.

    front_end: ``lyon`` (Lyon's passive ear) or ``gammatone``.
    sample_rate, decimation, ear_q, step_factor: front-end parameters (see ``training.audio.cochleagram``).
    frames: frame budget at ``sample_rate / decimation`` frames per second (the paper: 1,500).
    pool: frames averaged into one input frame (``frames`` must be a multiple).
    """

    front_end: str = "lyon"
    sample_rate: float = 12500.0
    decimation: int = 10
    ear_q: float = 8.0
    step_factor: float = 0.5
    frames: int = 1500
    pool: int = 1

    def __post_init__(self) -> None:
        if self.front_end not in FRONT_ENDS:
            raise ValueError(f"front_end must be one of {sorted(FRONT_ENDS)}, got {self.front_end!r}")
        self.front_end_params()
        checked(self, frames=positive_int, pool=positive_int)
        if self.frames % self.pool:
            raise ValueError(f"frames ({self.frames}) must be a multiple of pool ({self.pool})")

    def front_end_params(self):
        """The ``LyonParams`` / ``GammatoneParams`` of this configuration."""
        cls = FRONT_ENDS[self.front_end][0]
        return cls(sample_rate=float(self.sample_rate), decimation=self.decimation, ear_q=float(self.ear_q),
                   step_factor=float(self.step_factor))

    @property
    def channels(self) -> int:
        """Number of frequency channels."""
        return len(lyon_center_frequencies(self.sample_rate, self.ear_q, self.step_factor)[0])

    @property
    def n_frames(self) -> int:
        """Input frames after pooling."""
        return self.frames // self.pool

    @property
    def n_inputs(self) -> int:
        """Input neurons: ``channels * n_frames``."""
        return self.channels * self.n_frames

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureConfig":
        try:
            return cls(**d)
        except TypeError as exc:
            raise ValueError(f"malformed feature config {d!r}: {exc}") from None


def _ratio(target_rate: float, sample_rate: int) -> tuple[int, int]:
    """The resampling factors ``(up, down)`` from ``sample_rate`` to ``target_rate`` (Hz)."""
    ratio = Fraction(target_rate / sample_rate).limit_denominator(1000)
    return ratio.numerator, ratio.denominator


def prepare_audio(audio, sample_rate: int, target_rate: float, name: str = "audio") -> np.ndarray:
    """Mono float64 samples at ``target_rate`` Hz.

    audio: ``[n]`` or ``[n, channels]`` (channels are averaged). Resampled with
    ``scipy.signal.resample_poly`` when ``sample_rate`` differs. An empty clip, NaN
    samples or a non-positive rate raise ValueError naming ``name`` (``training.data.check_clip``).
    """
    check_clip(audio, sample_rate, name)
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sample_rate != target_rate:
        x = signal.resample_poly(x, *_ratio(target_rate, sample_rate))
    return x


def input_samples(cfg: FeatureConfig, sample_rate: int) -> int:
    """The samples at ``sample_rate`` (Hz) that a clip's features use: those that resample to
    the frame budget (``frames * decimation`` samples at ``cfg.sample_rate``) plus the filter
    half-length of ``resample_poly`` (``10 * max(up, down)`` upsampled samples), so that the
    budget is bit-identical whether a longer clip is cut there first or not."""
    if not (isinstance(sample_rate, (int, np.integer)) and not isinstance(sample_rate, bool) and sample_rate > 0):
        raise ValueError(f"sample_rate must be a positive integer in Hz, got {sample_rate!r}")
    budget = cfg.frames * cfg.decimation
    if sample_rate == cfg.sample_rate:
        return budget
    up, down = _ratio(cfg.sample_rate, sample_rate)
    if up == down == 1:
        return budget
    return math.ceil(((budget - 1) * down + 10 * max(up, down)) / up) + 2


def budget_audio(audio, sample_rate: int, cfg: FeatureConfig, name: str = "audio") -> np.ndarray:
    """``prepare_audio`` of a clip cut to the frame budget: mono float64 ``[<= frames * decimation]``
    at ``cfg.sample_rate``. Every given sample is checked; only ``input_samples`` of them are
    resampled (the result is bit-identical to resampling the whole clip)."""
    check_clip(audio, sample_rate, name)
    x = np.asarray(audio)[:input_samples(cfg, sample_rate)]
    return prepare_audio(x, sample_rate, cfg.sample_rate, name)[:cfg.frames * cfg.decimation]


def read_clip(path: str | os.PathLike, cfg: FeatureConfig = FeatureConfig()) -> tuple[np.ndarray, int]:
    """``training.data.read_wav`` of only the frames the features of ``cfg`` use
    (``input_samples``): ``(float32 audio [n] or [n, channels], sample rate in Hz)``. Memory
    stays that of the frame budget whatever the file's length; later frames are not read."""
    return read_wav(path, max_frames=lambda rate: input_samples(cfg, rate))


def _finish(coch: np.ndarray, n_valid: int, cfg: FeatureConfig) -> np.ndarray:
    """Pad ``coch [C, >= n_valid]`` (valid up to ``n_valid`` frames) to the budget, pool,
    normalise by the maximum; returns float32 ``[C, n_frames]``."""
    out = np.zeros((coch.shape[0], cfg.frames))
    n = min(n_valid, cfg.frames)
    out[:, :n] = coch[:, :n]
    out = out.reshape(coch.shape[0], cfg.n_frames, cfg.pool).mean(axis=2)
    peak = out.max()
    return (out / peak if peak > 0 else out).astype(np.float32)


def clip_features(audio, sample_rate: int, cfg: FeatureConfig = FeatureConfig(), name: str = "audio") -> np.ndarray:
    """One clip's normalised cochleagram, float32 ``[channels, n_frames]`` in [0, 1]
    (max 1, or all zeros for silence). See the module docstring for the steps."""
    x = budget_audio(audio, sample_rate, cfg, name)
    params = cfg.front_end_params()
    coch = FRONT_ENDS[cfg.front_end][1](x, params)
    return _finish(coch, coch.shape[1], cfg)


def default_cache_dir() -> Path:
    """Where feature matrices go: ``models.files.cache_root()`` (``$SPIKESYNTH_CACHE``, else
    ``$XDG_CACHE_HOME/spikesynth``, else ``~/.cache/spikesynth``)."""
    return cache_root()


def cache_key(clips, cfg: FeatureConfig) -> str:
    """Hex digest of the configuration and every clip's file (resolved path, size, mtime)."""
    files = []
    for c in clips:
        st = Path(c.path).stat()
        files.append([str(Path(c.path).resolve()), st.st_size, st.st_mtime_ns])
    return settings_key({"version": CACHE_VERSION, "config": cfg.to_dict(), "files": files})


def _compute(clips, cfg: FeatureConfig, progress: bool) -> np.ndarray:
    from tqdm import tqdm

    audio = [budget_audio(c.audio, c.sample_rate, cfg, str(c.path)) for c in clips]
    order = np.argsort([len(a) for a in audio])[::-1]
    out = np.empty((len(clips), cfg.channels, cfg.n_frames), dtype=np.float32)
    run = FRONT_ENDS[cfg.front_end][1]
    params = cfg.front_end_params()
    bar = tqdm(total=len(clips), desc=f"{cfg.front_end} cochleagrams", unit="clip", disable=not progress)
    start = 0
    while start < len(order):
        longest = len(audio[order[start]])
        size = max(1, _BATCH_SAMPLES // max(longest, 1))
        group = order[start:start + size]
        batch = np.zeros((len(group), longest))
        for row, i in enumerate(group):
            batch[row, :len(audio[i])] = audio[i]
        coch = run(batch, params)
        for row, i in enumerate(group):
            out[i] = _finish(coch[row], len(audio[i]) // cfg.decimation, cfg)
        bar.update(len(group))
        start += size
    bar.close()
    return out


def feature_matrix(clips, cfg: FeatureConfig = FeatureConfig(), cache_dir: str | os.PathLike | None = None,
                   use_cache: bool = True, progress: bool = True) -> np.ndarray:
    """Flattened features of ``clips`` (``training.data.Clip``), float32 ``[n_clips, n_inputs]``.

    With ``use_cache`` the matrix is read from / written to ``cache_dir`` (default
    ``default_cache_dir()``) under a key of the configuration and the files; a cache file
    that does not match is recomputed and replaced.
    """
    if not clips:
        raise ValueError("clips is empty: nothing to compute features for")
    path = None
    if use_cache:
        path = Path(cache_dir or default_cache_dir()) / f"features-{cache_key(clips, cfg)}.npz"
        if path.is_file():
            try:
                with np.load(path) as data:
                    feats = data["features"]
                if feats.shape == (len(clips), cfg.n_inputs):
                    return feats
            except (OSError, ValueError, KeyError):
                pass   # unreadable or stale: recompute below and replace it
    feats = _compute(clips, cfg, progress).reshape(len(clips), -1)
    if path is not None:
        remove_stale_temps(path.parent)   # a killed write of a (large) feature matrix left its temp file
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, features=feats, config=json.dumps(cfg.to_dict()))
    return feats

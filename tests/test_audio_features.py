from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from training.audio import features as af
from training.audio.features import FeatureConfig, clip_features, feature_matrix, prepare_audio
from training.data import Clip, read_wav

SMALL = FeatureConfig(frames=40, pool=4)   # 40 frames of 0.8 ms = 32 ms, 10 input frames


def tone(freq, seconds, rate, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_clip(tmp_path, audio, rate, name="3_x_7.wav"):
    path = Path(tmp_path) / name
    wavfile.write(path, rate, audio)
    data, sr = read_wav(path)
    return Clip(data, sr, 3, "x", 7, path)


def test_config_sizes_and_validation():
    assert FeatureConfig().n_inputs == 39 * 1500 == 58500     # the paper's input layer
    assert SMALL.n_inputs == 39 * 10
    with pytest.raises(ValueError, match="multiple of pool"):
        FeatureConfig(frames=10, pool=3)
    with pytest.raises(ValueError, match="front_end"):
        FeatureConfig(front_end="mfcc")


def test_features_are_normalised_to_max_one():
    f = clip_features(tone(1000, 0.05, 8000), 8000, SMALL)
    assert f.shape == (39, 10) and f.dtype == np.float32
    assert f.max() == 1.0 and f.min() >= 0


def test_stereo_is_mixed_down_to_mono():
    left, right = tone(500, 0.05, 8000), tone(2000, 0.05, 8000)
    stereo = np.stack([left, right], axis=1)
    mono = (left.astype(np.float64) + right) / 2
    assert np.allclose(clip_features(stereo, 8000, SMALL), clip_features(mono, 8000, SMALL), atol=1e-6)


def test_other_rates_are_resampled_to_the_front_end_rate():
    # the same tone recorded at 16 kHz and at 8 kHz peaks in the same channel
    a = clip_features(tone(1000, 0.05, 16000), 16000, SMALL).mean(axis=1)
    b = clip_features(tone(1000, 0.05, 8000), 8000, SMALL).mean(axis=1)
    assert np.argmax(a) == np.argmax(b)
    assert len(prepare_audio(np.zeros(8000), 8000, 12500.0)) == 12500
    with pytest.raises(ValueError, match="sample_rate"):
        prepare_audio(np.zeros(10), 0, 12500.0)


def test_empty_clip_is_refused_naming_the_file(tmp_path):
    clip = make_clip(tmp_path, np.zeros(0, dtype=np.int16), 8000, "5_x_0.wav")
    with pytest.raises(ValueError, match="5_x_0.wav.*empty"):
        feature_matrix([clip], SMALL, use_cache=False, progress=False)


def test_silent_clip_gives_zero_features_not_nan():
    f = clip_features(np.zeros(4000, dtype=np.float32), 8000, SMALL)
    assert not f.any() and np.isfinite(f).all()


def test_clip_longer_than_the_budget_is_truncated():
    # budget: 40 frames x 10 samples at 12.5 kHz = 400 samples; everything after it is ignored
    # (at the front end's own rate, so no resampling filter looks across the cut)
    head = tone(700, 0.032, 12500)
    long = np.concatenate([head, tone(3000, 0.5, 12500, amp=0.9)])
    assert np.array_equal(clip_features(long, 12500, SMALL), clip_features(head, 12500, SMALL))


def test_batched_matrix_matches_single_clips_and_is_cached(tmp_path, monkeypatch):
    clips = [make_clip(tmp_path, tone(f, s, 8000), 8000, f"{i}_x_{i}.wav")
             for i, (f, s) in enumerate([(300, 0.01), (1200, 0.04), (2500, 0.02)])]
    cache = tmp_path / "cache"
    m = feature_matrix(clips, SMALL, cache_dir=cache, progress=False)
    assert m.shape == (3, SMALL.n_inputs)
    for row, c in zip(m, clips):
        assert np.allclose(row, clip_features(c.audio, c.sample_rate, SMALL).ravel(), atol=1e-6)
    assert len(list(cache.glob("features-*.npz"))) == 1

    def boom(*a, **k):
        raise AssertionError("recomputed despite a valid cache")
    monkeypatch.setattr(af, "_compute", boom)
    assert np.array_equal(feature_matrix(clips, SMALL, cache_dir=cache, progress=False), m)
    with pytest.raises(AssertionError, match="recomputed"):        # another config: another key
        feature_matrix(clips, FeatureConfig(frames=40, pool=2), cache_dir=cache, progress=False)


def test_a_killed_cache_write_is_cleaned_up_by_the_next(tmp_path):
    import subprocess
    import sys
    clips = [make_clip(tmp_path, tone(300, 0.01, 8000), 8000, "1_x_1.wav")]
    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    left = cache / f".features-0123456789abcdef.npz.{dead}.x1y2z3.tmp"
    left.write_bytes(b"\0" * 1000)
    feature_matrix(clips, SMALL, cache_dir=cache, progress=False)
    assert not left.exists() and len(list(cache.glob("features-*.npz"))) == 1


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SPIKESYNTH_CACHE", raising=False)   # it would take precedence
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert af.default_cache_dir() == tmp_path / "spikesynth"


def _whole_clip_features(audio, rate, cfg):
    """The features as computed before clips were cut first: the whole clip resampled, then cut."""
    from training.audio.cochleagram import FRONT_ENDS

    x = prepare_audio(audio, rate, cfg.sample_rate)[:cfg.frames * cfg.decimation]
    coch = FRONT_ENDS[cfg.front_end][1](x, cfg.front_end_params())
    return af._finish(coch, coch.shape[1], cfg)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_a_long_clip_cut_before_resampling_gives_the_same_features(rate):
    g = np.random.default_rng(rate)
    cfg = FeatureConfig(frames=300, pool=30)                    # 0.24 s at 12.5 kHz
    for seconds in (0.1, 0.26, 1.0):                            # shorter, just over and far over the budget
        audio = (0.3 * g.standard_normal((int(seconds * rate), 2))).astype(np.float32)
        assert np.array_equal(clip_features(audio, rate, cfg), _whole_clip_features(audio, rate, cfg))


def test_read_clip_reads_only_the_frames_the_features_use(tmp_path):
    g = np.random.default_rng(0)
    stereo = (g.standard_normal((44100 * 3, 2)) * 3000).astype(np.int16)
    wavfile.write(tmp_path / "long.wav", 44100, stereo)
    audio, rate = af.read_clip(tmp_path / "long.wav", SMALL)
    whole, _ = read_wav(tmp_path / "long.wav")
    assert rate == 44100 and len(audio) == af.input_samples(SMALL, 44100) < 3000
    assert np.array_equal(audio, whole[:len(audio)])
    assert np.array_equal(clip_features(audio, rate, SMALL), clip_features(whole, rate, SMALL))
    short = stereo[:500]                                       # shorter than the cut: read whole
    wavfile.write(tmp_path / "short.wav", 44100, short)
    assert np.array_equal(af.read_clip(tmp_path / "short.wav", SMALL)[0], read_wav(tmp_path / "short.wav")[0])
    (tmp_path / "cut.wav").write_bytes((tmp_path / "long.wav").read_bytes()[:-1000])
    with pytest.raises(ValueError, match="cut.wav: truncated or corrupt"):
        af.read_clip(tmp_path / "cut.wav", SMALL)

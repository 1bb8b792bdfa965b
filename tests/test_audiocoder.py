from pathlib import Path

import numpy as np
import pytest
import torch

from models.spec import NetworkSpec, NeuronSpec, autoencoder_spec
from training.audio import (PRESETS, AudiocoderConfig, audiocoder_spec, check_disjoint, class_images,
                                 hidden_spike_maps, min_mse_over_references, online_config, pair_images, preset,
                                 reference_sets, repeat_targets, synthesis_spec)
from training.audio.features import FeatureConfig
from training.data import Clip


def test_hidden_spike_maps_hand_computed():
    # 1 hidden neuron fed by pixel 0 with weight 0.6, max_rate 1000 Hz (spike probability = value):
    # a white pixel 0 spikes every step -> V = 0.6, 1.14 -> 1 (spike, reset), 0.6, 1 (spike), 0.6
    spec = NetworkSpec(sizes=(2, 1, 2), neuron=NeuronSpec(alpha=0.1), steps=5)
    with pytest.raises(ValueError, match="784-hidden-784"):
        hidden_spike_maps(spec, [torch.full((1, 2), 0.6)], np.array([[1.0, 0.0]]), th=5)
    ae = autoencoder_spec(hidden=1, steps=5, max_rate=1000.0)
    w1 = torch.zeros(1, 784)
    w1[0, 0] = 0.6
    img = np.zeros((2, 784), dtype=np.float32)
    img[0, 0] = 1.0                                  # image 0 drives the neuron, image 1 is blank
    maps = hidden_spike_maps(ae, [w1, torch.zeros(784, 1)], img, th=4)
    assert maps.shape == (4, 2, 1)
    assert maps[:, 0, 0].tolist() == [0, 1, 0, 1]    # th keeps the first 4 of [0, 1, 0, 1, 0]
    assert maps[:, 1, 0].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="th must be"):
        hidden_spike_maps(ae, [w1, torch.zeros(784, 1)], img, th=6)


def test_repeat_targets_tiles_over_the_presentation():
    t = torch.arange(3).float().reshape(3, 1, 1)
    assert repeat_targets(t, 7)[:, 0, 0].tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert repeat_targets(t, 2)[:, 0, 0].tolist() == [0, 1]


def test_class_images_pick_the_most_typical_image_per_digit():
    labels = np.repeat(np.arange(10), 3)
    images = np.zeros((30, 784), dtype=np.float32)
    for i in range(30):
        images[i, labels[i]] = 1.0
        images[i, 100 + i] = 5.0 if i % 3 == 0 else 0.0   # the first of each digit is an outlier
    idx = class_images(images, labels)
    assert list(labels[idx]) == list(range(10))
    assert all(i % 3 != 0 for i in idx)


def test_pairing_a_and_b():
    labels = np.repeat(np.arange(10), 200)
    digits = np.repeat(np.arange(10), 150)
    class_idx = np.arange(10) * 200 + 7
    a = pair_images(digits, labels, "A", class_idx=class_idx)
    assert np.array_equal(a, class_idx[digits])
    b = pair_images(digits, labels, "B", seed=1)
    assert np.array_equal(labels[b], digits)                   # always an image of the spoken digit
    assert len(np.unique(b)) == len(b)                         # one image per clip
    assert np.array_equal(b, pair_images(digits, labels, "B", seed=1))
    assert not np.array_equal(b, pair_images(digits, labels, "B", seed=2))
    refs = reference_sets(b, digits, per_digit=100)
    assert refs.shape == (10, 100)
    for d in range(10):
        assert set(refs[d]) <= set(b[digits == d])
    with pytest.raises(ValueError, match="dataset"):
        pair_images(digits, labels, "C")
    with pytest.raises(ValueError, match="fewer than per_digit"):
        reference_sets(b, digits, per_digit=151)


def test_no_test_clip_in_training():
    from training.data import fsdd_split
    entries = [(d, s, i, Path(f"{d}_{s}_{i}.wav")) for d in range(10) for s in ("a", "b") for i in range(10)]
    for scheme in ("standard", "stratified"):
        train, test = fsdd_split(entries, scheme)
        clips = [Clip(np.zeros(1), 8000, e[0], e[1], e[2], e[3]) for e in entries]
        check_disjoint([clips[i] for i in train], [clips[i] for i in test])
        with pytest.raises(ValueError, match="also in the training"):
            check_disjoint([clips[i] for i in train] + [clips[test[0]]], [clips[i] for i in test])


def test_min_mse_over_references():
    refs = torch.zeros(10, 2, 4)
    refs[:, 0] = torch.tensor([0.0, 0.0, 1.0, 1.0])
    refs[:, 1] = torch.tensor([1.0, 0.0, 0.0, 0.0])
    counts = torch.tensor([[0.0, 0.0, 3.0, 3.0], [2.0, 0.0, 0.0, 0.0]])   # exact matches after z-scoring
    assert min_mse_over_references(counts, [3, 5], refs) == pytest.approx([0.0, 0.0])
    # against only the first reference the second output is far off
    assert min_mse_over_references(counts, [3, 5], refs[:, :1])[1] > 1.0


def test_presets_and_specs():
    paper = preset("paper")
    assert paper.features.n_inputs == 58500 and paper.hidden == 2048 and paper.steps == 60
    assert paper.max_rate * paper.dt == pytest.approx(0.02)         # 0.02 * value per 1 ms step
    assert (paper.lr, paper.weight_decay, paper.batch, paper.epochs) == (5e-5, 1e-4, 50, 20)
    assert audiocoder_spec(paper).sizes == (58500, 2048, 196)
    assert synthesis_spec(PRESETS["cpu"], autoencoder_spec()).sizes == (PRESETS["cpu"].features.n_inputs,
                                                                         PRESETS["cpu"].hidden, 196, 784)
    assert AudiocoderConfig.from_dict(PRESETS["cpu"].to_dict()) == PRESETS["cpu"]
    assert (paper.target_scale, paper.moments) == (1.0, "batch")            # the official code's
    assert (PRESETS["cpu"].target_scale, PRESETS["cpu"].moments) == (2.0, "run")
    assert online_config(PRESETS["cpu"]).target_scale == 2.0
    with pytest.raises(ValueError, match="preset"):
        preset("gpu")
    with pytest.raises(ValueError, match="max_rate"):
        AudiocoderConfig(features=FeatureConfig(), max_rate=2000.0)
    for bad in (0.0, -1.0, float("nan"), True):
        with pytest.raises(ValueError, match="target_scale"):
            AudiocoderConfig(target_scale=bad)


def _tiny_training(moments: str):
    """A 39-input (one frame), 6-hidden, 4-output audiocoder, one batch of 5 clips per epoch, 2 epochs."""
    cfg = AudiocoderConfig(features=FeatureConfig(frames=4, pool=4), hidden=6, steps=4, max_rate=500.0,
                           lr=1e-2, batch=5, epochs=2, moments=moments)
    g = torch.Generator().manual_seed(3)
    n_in = cfg.features.n_inputs
    x = torch.rand(5, n_in, generator=g)
    targets = (torch.rand(2, 5, 4, generator=g) < 0.4).float()
    weights = [torch.rand(6, n_in, generator=g) * 0.6 - 0.2, torch.rand(4, 6, generator=g) * 0.6 - 0.2]
    return cfg, x, targets, weights


@pytest.mark.parametrize("moments", ["batch", "run"])
def test_train_audiocoder_adam_moments(moments):
    """``batch``: each batch is ``online_batch`` (moments and step count restart); ``run``:
    the moments and the bias-correction step count carry over into the next batch."""
    from encoders.rate import make_generator, poisson
    from training.audio import online_config, train_audiocoder
    from training.adam import adam_step_
    from training.online import online_batch, online_pass

    cfg, x, targets, weights = _tiny_training(moments)
    trained, history = train_audiocoder(x, targets, cfg, seed=7, weights=weights, progress=False)

    ref = [w.clone() for w in weights]
    ocfg = online_config(cfg)
    spec = audiocoder_spec(cfg, 4)
    g = make_generator(7)
    m1, m2 = [torch.zeros_like(w) for w in ref], [torch.zeros_like(w) for w in ref]
    steps_done = [0]

    def carry_over(grads, step):
        steps_done[0] += 1
        adam_step_(ref, grads, m1, m2, steps_done[0], ocfg)

    for _ in range(cfg.epochs):
        order = torch.randperm(5, generator=g)
        spikes = poisson(x[order], cfg.steps, cfg.max_rate, cfg.dt, generator=g)
        y = repeat_targets(targets[:, order], cfg.steps)
        if moments == "batch":
            online_batch(ref, spikes, y, spec.neuron, ocfg)
        else:
            online_pass(ref, spikes, y, spec.neuron, ocfg, carry_over)
    assert len(history) == 2
    for w, r in zip(trained, ref):
        torch.testing.assert_close(w, r, rtol=0, atol=0)


def test_adam_moments_matter_after_the_first_batch():
    from training.audio import train_audiocoder

    results = {}
    for moments in ("batch", "run"):
        cfg, x, targets, weights = _tiny_training(moments)
        results[moments] = train_audiocoder(x, targets, cfg.with_(epochs=1), seed=7, weights=weights,
                                            progress=False)[0]
        results[moments + "2"] = train_audiocoder(x, targets, cfg, seed=7, weights=weights, progress=False)[0]
    torch.testing.assert_close(results["batch"], results["run"], rtol=0, atol=0)
    assert not torch.equal(results["batch2"][0], results["run2"][0])
    with pytest.raises(ValueError, match="moments"):
        cfg.with_(moments="epoch")

from pathlib import Path

import numpy as np
import pytest
import torch

from models.spec import NetworkSpec, NeuronSpec, autoencoder_spec
from training.audiocoder import (PRESETS, AudiocoderConfig, audiocoder_spec, check_disjoint, class_images,
                                 hidden_spike_maps, min_mse_over_references, pair_images, preset,
                                 reference_sets, repeat_targets, synthesis_spec)
from training.audio_features import FeatureConfig
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
    with pytest.raises(ValueError, match="preset"):
        preset("gpu")
    with pytest.raises(ValueError, match="max_rate"):
        AudiocoderConfig(features=FeatureConfig(), max_rate=2000.0)

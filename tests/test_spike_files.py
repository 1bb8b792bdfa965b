"""Your own input spikes (models.spike_files, ``simulate --input-spikes ... --save-spikes``,
``compare --input-spikes``): the file checked before any simulation (shape, 0/1, N_in, T), every
layer's spikes saved as uint8 ``[T, batch, N]``, the same from Brian2 and the mirror."""

import json

import numpy as np
import pytest
import torch

from models.io import save_model
from models.spec import MAX_STEPS, NetworkSpec, NeuronSpec
from models.spike_files import read_input_spikes
from models.torch_snn import SpikingNetwork, init_weights
from training.cli import main

SPEC = NetworkSpec(sizes=(9, 7, 5), neuron=NeuronSpec(alpha=0.2, reset="subtract", reset_timing="next", clip=False,
                                                       threshold_test=">"), steps=15, bias=True)


@pytest.fixture
def model_file(tmp_path):
    g = torch.Generator().manual_seed(0)
    weights = init_weights(SPEC, g, scale=0.9)
    biases = [torch.full(s, 0.05) for s in SPEC.bias_shapes()]
    return str(save_model(tmp_path / "m.safetensors", SPEC, weights, biases=biases)), weights, biases


def spikes(steps=11, batch=4, n=9, seed=1, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    return (rng.random((steps, batch, n)) < 0.5).astype(dtype)


def test_read_checks_the_file_before_anything_runs(tmp_path):
    def write(name, arr):
        np.save(tmp_path / name, arr)
        return tmp_path / name

    x = read_input_spikes(write("ok.npy", spikes(steps=23)), SPEC)       # T may differ from spec.steps (15)
    assert x.dtype == torch.float64 and tuple(x.shape) == (23, 4, 9)
    assert torch.equal(read_input_spikes(write("b.npy", spikes().astype(bool)), SPEC), x[:11] * 0 +
                       torch.from_numpy(spikes().astype(np.float64)))
    cases = [("flat.npy", spikes()[:, 0], r"\[T, batch, N_in\] = \[T, batch, 9\].*add a batch axis"),
             ("nin.npy", spikes(n=8), r"8 inputs .* the model has 9"),
             ("two.npy", spikes() * 2, r"must be 0 or 1, found 2 at \[t=\d+, item=\d+, input=\d+\]"),
             ("nan.npy", np.where(spikes() > 0, np.nan, 0.0), "must be 0 or 1, found nan"),
             ("obj.npy", np.array([[[0]]], dtype=object), "readable|numbers or booleans"),
             ("long.npy", np.zeros((MAX_STEPS + 1, 1, 9), np.uint8), r"T = 10001 time steps"),
             ("empty.npy", np.zeros((5, 0, 9), np.uint8), "no item")]
    for name, arr, match in cases:
        with pytest.raises(ValueError, match=match) as info:
            read_input_spikes(write(name, arr), SPEC)
        assert name in str(info.value)
    (tmp_path / "x.txt").write_text("0 1")
    with pytest.raises(ValueError, match=r"must be a \.npy file"):
        read_input_spikes(tmp_path / "x.txt", SPEC)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not a readable"):
        read_input_spikes(tmp_path / "junk.npy", SPEC)
    with pytest.raises(FileNotFoundError):
        read_input_spikes(tmp_path / "none.npy", SPEC)


def test_simulate_saves_every_layer_the_same_in_brian2_and_the_mirror(tmp_path, model_file, capsys):
    path, weights, biases = model_file
    x = spikes(steps=13)                                 # spec.steps is 15
    np.save(tmp_path / "in.npy", x)
    outs = {}
    for backend in ("mirror", "brian2"):
        out = tmp_path / f"{backend}.npz"
        assert main(["simulate", "--model", path, "--input-spikes", str(tmp_path / "in.npy"), "--backend", backend,
                     "--target", "numpy", "--save-spikes", str(out), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["steps"], report["batch"], report["backend"]) == (13, 4, backend)
        with np.load(out) as f:
            outs[backend] = {k: f[k] for k in f.files}
    assert sorted(outs["mirror"]) == ["layer1", "layer2"]
    ref = SpikingNetwork(SPEC, weights, dtype=torch.float64, biases=biases)(torch.from_numpy(x).double())
    for i, s in enumerate(ref.spikes):
        a, b = outs["mirror"][f"layer{i + 1}"], outs["brian2"][f"layer{i + 1}"]
        assert a.dtype == np.uint8 and a.shape == (13, 4, SPEC.sizes[i + 1])
        assert np.array_equal(a, s.numpy()) and np.array_equal(a, b)
        assert 0.05 < a.mean() < 0.8
    assert main(["compare", "--model", path, "--input-spikes", str(tmp_path / "in.npy"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["agree"] and report["n"] == 4


def test_fixed_point_layers_saved_from_brian2_equal_the_quantized_mirror(tmp_path, model_file, capsys):
    path, _, _ = model_file
    np.save(tmp_path / "in.npy", spikes(steps=13))
    outs = {}
    for backend in ("mirror", "brian2"):
        out = tmp_path / f"{backend}.npz"
        assert main(["simulate", "--model", path, "--input-spikes", str(tmp_path / "in.npy"), "--backend", backend,
                     "--target", "numpy", "--weight-bits", "6", "--save-spikes", str(out), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["fixed_point"]
        with np.load(out) as f:
            outs[backend] = {k: f[k] for k in f.files}
    assert sorted(outs["mirror"]) == sorted(outs["brian2"]) == ["layer1", "layer2"]
    for name, a in outs["mirror"].items():
        assert np.array_equal(a, outs["brian2"][name]) and 0.02 < a.mean() < 0.9


def test_simulate_refuses_before_the_work(tmp_path, model_file, capsys):
    path, _, _ = model_file
    np.save(tmp_path / "in.npy", spikes(n=8))
    out = tmp_path / "out.npz"
    assert main(["simulate", "--model", path, "--input-spikes", str(tmp_path / "in.npy"), "--backend", "mirror",
                 "--save-spikes", str(out)]) == 1
    assert "8 inputs" in capsys.readouterr().err and not out.exists()
    np.save(tmp_path / "in.npy", spikes())
    assert main(["simulate", "--model", path, "--input-spikes", str(tmp_path / "in.npy"), "--backend", "mirror",
                 "--save-spikes", str(tmp_path / "out.csv")]) == 1
    assert ".npz" in capsys.readouterr().err
    assert main(["simulate", "--model", path, "--save-spikes", str(out)]) == 1
    assert "needs --input-spikes" in capsys.readouterr().err and not out.exists()


def test_input_without_any_spike_runs_in_brian2_as_in_the_mirror(tmp_path, model_file):
    # no input spike at all is an input like any other (the biases alone drive the neurons)
    path, weights, biases = model_file
    np.save(tmp_path / "silent.npy", np.zeros((5, 2, 9), np.uint8))
    out = tmp_path / "out.npz"
    assert main(["simulate", "--model", path, "--input-spikes", str(tmp_path / "silent.npy"), "--target", "numpy",
                 "--save-spikes", str(out)]) == 0
    mirror = SpikingNetwork(SPEC, weights, dtype=torch.float64, biases=biases)(torch.zeros(5, 2, 9, dtype=torch.float64))
    with np.load(out) as saved:
        assert all(np.array_equal(saved[f"layer{i + 1}"], s.to(torch.uint8).numpy()) for i, s in enumerate(mirror.spikes))

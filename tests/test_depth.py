"""Any depth: ``--hidden 400,196,400`` or ``--sizes 784,...,784`` for both trainers and both
simulators; the online rule over four layers against autograd; sizes that do not fit the data
refused before training."""

import pytest
import torch

from models.io import load_model
from models.spec import NeuronSpec
from models.torch_snn import heaviside, lif_step
from tests.helpers_cli import SAMPLE, fails, run_json
from training.autoencoder import TrainConfig
from training.losses import masked_vmem_loss
from training.online import OnlineConfig, online_pass
from training.surrogate import sigmoid_spike

F64 = torch.float64
TRAINER = {"paper": ["--batch-size", "20", "--lr", "5e-3"], "bptt": ["--batch-size", "10", "--lr", "2e-2"]}


def test_the_online_rule_over_four_layers_with_another_target_is_the_surrogate_gradient_at_one_step():
    # T = 1, no clip: the online rule is the exact surrogate gradient however many layers, and
    # with a target of another size than the input (a size-changing encoder's rate code)
    g = torch.Generator().manual_seed(1)
    neuron = NeuronSpec(alpha=0.1, clip=False)
    sizes = (12, 9, 7, 9, 5)
    weights = [torch.rand(post, pre, generator=g, dtype=F64) * 0.4 for pre, post in zip(sizes, sizes[1:])]
    x = (torch.rand(1, 6, 12, generator=g) < 0.6).to(F64)
    y = (torch.rand(1, 6, 5, generator=g) < 0.5).to(F64)
    online = []
    online_pass(weights, x, y, neuron, OnlineConfig(), lambda grads, step: online.extend(gr.clone() for gr in grads))
    leaves = [w.clone().requires_grad_(True) for w in weights]
    s, spikes = x[0], []
    for layer, w in enumerate(leaves):
        v_pre, s, _ = lif_step(torch.zeros(6, w.shape[0], dtype=F64), s @ w.T, neuron,
                               spike_fn=heaviside if layer == len(leaves) - 1 else sigmoid_spike)
        spikes.append(s.detach())
    truth = torch.autograd.grad(masked_vmem_loss(v_pre, s, y[0], neuron.v_th, True), leaves)
    assert all(0 < float(sp.sum()) < sp.numel() for sp in spikes[:-1])   # every hidden layer on both sides
    for a, b in zip(online, truth):
        assert b.abs().max() > 1e-6
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_hidden_lists_and_sizes_build_the_same_spec():
    deep = TrainConfig(hidden=(400, 196, 400))
    assert deep.spec().sizes == (784, 400, 196, 400, 784) and deep.spec().n_layers == 4
    assert TrainConfig(sizes=(784, 400, 196, 400, 784)).spec() == deep.spec()
    assert TrainConfig(sizes=[784, 64, 784]).hidden == 64
    assert TrainConfig(trainer="ann-adam", hidden=(32, 16, 32)).spec().sizes == (784, 32, 16, 32, 784)
    with pytest.raises(ValueError, match="not both"):
        TrainConfig(hidden=32, sizes=(784, 64, 784))
    with pytest.raises(ValueError, match="at least three layer sizes"):
        TrainConfig(sizes=(784, 784))


@pytest.mark.parametrize("trainer", ["paper", "bptt"])
def test_a_four_layer_network_trains_from_the_command_line_and_brian2_agrees(tmp_path, capsys, trainer):
    out = tmp_path / "deep"
    summary = run_json(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--trainer", trainer,
                                "--sizes", "784,24,12,24,784", "--steps", "8", "--train-limit", "200",
                                "--eval-limit", "20", *TRAINER[trainer], "--out", str(out)])
    spec, weights, _ = load_model(out / "model.safetensors")
    assert spec.sizes == (784, 24, 12, 24, 784) and [tuple(w.shape) for w in weights] == spec.weight_shapes()
    assert len(summary["test"]["spikes_per_image"]) == 5
    compared = run_json(capsys, ["compare", "--model", str(out / "model.safetensors"), "--dataset", SAMPLE,
                                 "--n", "3", "--target", "numpy", "--json"])
    assert [r["layer"] for r in compared["layers"]] == [1, 2, 3, 4]
    assert compared["agree"] and all(r["mismatches"] == 0 and r["mirror_spikes"] > 0 for r in compared["layers"])
    report = run_json(capsys, ["evaluate", "--model", str(out / "model.safetensors"), "--dataset", SAMPLE,
                               "--limit", "20", "--json"])
    assert report["spike_mse"] == summary["test"]["spike_mse"]


def test_a_deeper_ann_trains_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "ann"
    summary = run_json(capsys, ["train", "ann", "--dataset", SAMPLE, "--hidden", "32,16,32", "--train-limit", "100",
                                "--eval-limit", "10", "--out", str(out)])
    spec, _, meta = load_model(out / "model.safetensors")
    assert meta["kind"] == "ann" and spec.sizes == (784, 32, 16, 32, 784) and summary["test"]["n"] == 10


@pytest.mark.parametrize("args, match", [
    (["--sizes", "700,16,700"], r"end with 700, but the images of .* have 784 values each"),
    (["--sizes", "784,16,700"], r"start with 784, but the poisson encoder turns the 700 values"),
    (["--sizes", "784,16,784", "--encoder", "receptive_fields"], "into 3920 input units"),
    (["--sizes", "784,16,784", "--hidden", "32"], r"--hidden 32 contradicts --sizes 784,16,784"),
    (["--hidden", "16,0"], r"hidden\[1\] must be an integer >= 1"),
])
def test_sizes_that_do_not_fit_fail_before_training(tmp_path, capsys, no_training, args, match):
    import re

    err = fails(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--train-limit", "20",
                         "--out", str(tmp_path / "out"), *args])
    assert re.search(match, err), err

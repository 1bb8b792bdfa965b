"""Stacked autoencoders: ``train autoencoder --stack-on A`` trains B on A's code-layer spikes (B's
spec: the ``spikes`` input), ``spikesynth stack A B`` writes the deeper network as one model file,
which evaluates, simulates and agrees in Brian2 like any other; models that do not fit are refused."""

import json

import numpy as np
import pytest
import torch

from encoders.rate import make_generator
from models.backends import Network, layer_counts, run
from models.encode import SPIKES, encode
from models.files import file_key
from models.io import load_model, save_model
from models.spec import EncoderSpec, NetworkSpec, autoencoder_spec
from models.stacking import code_layer, source_spikes, stack
from models.torch_snn import init_weights
from tests.helpers_cli import SAMPLE, fails, run_json
from training.autoencoder import TrainConfig, train_autoencoder
from training.cli import main

TINY = ["--dataset", SAMPLE, "--steps", "8", "--train-limit", "400", "--batch-size", "20", "--eval-limit", "20"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A: 784-24-784 (paper rule), B: 24-12-24 stacked on it, and their stack 784-24-12-24-784."""
    root = tmp_path_factory.mktemp("stack")
    a, b, deep = root / "A", root / "B", root / "deep.safetensors"
    assert main(["train", "autoencoder", *TINY, "--hidden", "24", "--lr", "3e-3", "--out", str(a)]) == 0
    assert main(["train", "autoencoder", *TINY, "--stack-on", str(a / "model.safetensors"), "--hidden", "12",
                 "--lr", "5e-3", "--out", str(b)]) == 0
    assert main(["stack", str(a / "model.safetensors"), str(b / "model.safetensors"), "--out", str(deep)]) == 0
    return {"A": a / "model.safetensors", "B": b / "model.safetensors", "deep": deep,
            "metrics": json.loads((b / "metrics.json").read_text())}


def sample_test(n: int) -> torch.Tensor:
    return torch.from_numpy(np.load(SAMPLE)["test_images"][:n] / np.float32(255))


def test_the_inner_model_says_its_input_is_spikes_and_the_stack_joins_the_weights(trained):
    a_spec, a_w, _ = load_model(trained["A"])
    b_spec, b_w, b_meta = load_model(trained["B"])
    d_spec, d_w, d_meta = load_model(trained["deep"])
    assert b_spec.encoder == EncoderSpec(SPIKES, {}) and b_spec.sizes == (24, 12, 24)
    assert (b_spec.steps, b_spec.neuron, b_spec.dt) == (a_spec.steps, a_spec.neuron, a_spec.dt)
    assert b_meta["extra"]["stacked_on"] == str(trained["A"])
    assert d_spec == a_spec.with_(sizes=(784, 24, 12, 24, 784)) and d_spec.encoder == a_spec.encoder
    assert all(torch.equal(x, y) for x, y in zip(d_w, [a_w[0], b_w[0], b_w[1], a_w[1]]))
    assert d_meta["extra"]["stacked"]["code_layer"] == 1 and d_meta["kind"] == "snn"


def test_the_inner_model_trained_on_the_outer_code_layer_spikes(monkeypatch, tmp_path, trained):
    # the spikes B trains on are A's code-layer spikes of each batch, drawn from the run's generator
    import training.autoencoder as autoencoder

    seen, real = [], autoencoder.online_batch

    def spy(weights, inputs, targets, *args, **kwargs):
        assert targets is inputs
        seen.append(inputs.clone())
        return real(weights, inputs, targets, *args, **kwargs)

    monkeypatch.setattr(autoencoder, "online_batch", spy)
    x = sample_test(40).numpy()
    cfg = TrainConfig(stack_on=str(trained["A"]), hidden=12, steps=8, batch_size=20, eval_limit=0, seed=3)
    result = train_autoencoder(cfg, images=(x, x), progress=False)
    outer = Network.from_file(trained["A"])
    gen = make_generator(3)
    init_weights(result.spec, gen)                       # the weights' draws come first
    order = autoencoder._shuffle(40, 3, 0)
    for number, batch in enumerate(seen):
        items = torch.from_numpy(x[order[number * 20:(number + 1) * 20].numpy()]).reshape(20, -1)
        expected = source_spikes(outer, items, generator=gen)     # [n, T, H]
        assert torch.equal(batch, expected.transpose(0, 1).to(batch.dtype)) and batch.sum() > 0
    with pytest.raises(ValueError, match="steps .* differs from the 8"):
        TrainConfig(stack_on=str(trained["A"]), hidden=12, steps=5)


def test_the_stacked_model_evaluates_like_any_other_and_equals_its_parts(capsys, trained):
    deep = Network.from_file(trained["deep"])
    images = sample_test(20)
    report = run_json(capsys, ["evaluate", "--model", str(trained["deep"]), "--dataset", SAMPLE, "--limit", "20",
                               "--json"])
    assert report["n"] == 20 and report["pixel_mse"] == trained["metrics"]["stacked_test"]["pixel_mse"]
    assert report["spike_mse"] == trained["metrics"]["stacked_test"]["spike_mse"]
    assert all(s > 0 for s in report["spikes_per_image"])
    # the stacked network's code layer gives B exactly the spikes B is scored on, and B's output
    # layer in the stack is B run on them
    rec = run(deep, encode(images, deep.spec, seed=0), record=True, progress=False).recording
    maps = source_spikes(Network.from_file(trained["A"]), images, seed=0)
    assert torch.equal(rec.spikes[0].to(torch.uint8), maps.transpose(0, 1))
    inner = Network.from_file(trained["B"])
    _, b_run = layer_counts(inner, maps, progress=False)
    assert np.array_equal(b_run.counts[-1], rec.spikes[2].sum(0).to(torch.int64).numpy())
    assert trained["metrics"]["test"]["spike_mse"] is not None and trained["metrics"]["test"]["pixel_mse"] is None


def test_the_stacked_model_agrees_in_brian2(capsys, trained):
    compared = run_json(capsys, ["compare", "--model", str(trained["deep"]), "--dataset", SAMPLE, "--n", "3",
                                 "--target", "numpy", "--json"])
    assert [r["layer"] for r in compared["layers"]] == [1, 2, 3, 4]
    assert compared["agree"] and all(r["mismatches"] == 0 and r["mirror_spikes"] > 0 for r in compared["layers"])


def test_the_inner_model_alone_is_refused_on_images_with_a_hint(capsys, trained):
    err = fails(capsys, ["evaluate", "--model", str(trained["B"]), "--dataset", SAMPLE, "--limit", "5"])
    assert "input is given as spikes" in err and "spikesynth stack" in err
    with pytest.raises(ValueError, match=r"0/1 spike trains \[n, T=8, N=24\]"):
        encode(sample_test(2), load_model(trained["B"])[0])


def test_code_layers_and_stacking_on_a_deeper_outer_model():
    assert code_layer(autoencoder_spec()) == 1
    assert code_layer(NetworkSpec(sizes=(784, 400, 196, 400, 784))) == 2
    with pytest.raises(ValueError, match="odd number"):
        code_layer(NetworkSpec(sizes=(784, 400, 196, 784)))
    g = torch.Generator().manual_seed(0)
    outer_spec = NetworkSpec(sizes=(30, 20, 10, 20, 30), steps=6)
    inner_spec = NetworkSpec(sizes=(10, 4, 10), steps=6, encoder=EncoderSpec(SPIKES, {}))
    outer = Network(outer_spec, init_weights(outer_spec, g))
    inner = Network(inner_spec, init_weights(inner_spec, g))
    deep = stack(outer, inner)
    assert deep.spec.sizes == (30, 20, 10, 4, 10, 20, 30)
    assert [tuple(w.shape) for w in deep.weights] == deep.spec.weight_shapes()
    assert deep.weights[2] is inner.weights[0] and deep.weights[4] is outer.weights[2]


@pytest.mark.parametrize("outer_sizes, inner, match", [
    ((784, 32, 784), dict(sizes=(24, 8, 24)), "code layer of 32 neurons"),
    ((784, 24, 784), dict(sizes=(24, 8, 24), steps=9), "steps 9 but .* has 8"),
    ((784, 24, 784), dict(sizes=(24, 8, 24), encoder=EncoderSpec()), "not as spikes"),
    ((784, 24, 80, 784), dict(sizes=(24, 8, 24)), "odd number"),
])
def test_stack_refuses_models_that_do_not_fit(tmp_path, capsys, outer_sizes, inner, match):
    import re

    outer = NetworkSpec(sizes=outer_sizes, steps=8)
    inner = NetworkSpec(**{"steps": 8, "encoder": EncoderSpec(SPIKES, {}), **inner})
    for name, spec in (("a", outer), ("b", inner)):
        save_model(tmp_path / f"{name}.safetensors", spec, init_weights(spec))
    err = fails(capsys, ["stack", str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors"),
                         "--out", str(tmp_path / "deep.safetensors")])
    assert re.search(match, err), err
    assert not (tmp_path / "deep.safetensors").exists()


@pytest.mark.parametrize("args, match", [
    (["--sizes", "30,8,30"], r"do not fit --stack-on .*: its code \(hidden\) layer has 24 neurons"),
    (["--steps", "5"], "steps .* 5 differs from the 8"),
    (["--alpha", "0.2"], r"alpha \(--alpha\) 0.2 gives another neuron .* \(alpha 0.1\)"),
    (["--encoder", "regular"], "give no encoder"),
])
def test_a_stack_on_model_that_disagrees_fails_before_training(tmp_path, capsys, no_training, trained, args, match):
    import re

    err = fails(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--train-limit", "20", "--stack-on",
                         str(trained["A"]), "--out", str(tmp_path / "out"), *args])
    assert re.search(match, err), err


def test_stack_on_refuses_an_inner_model_and_a_missing_file(tmp_path, capsys, no_training, trained):
    err = fails(capsys, ["train", "autoencoder", "--stack-on", str(trained["B"]), "--out", str(tmp_path / "o")])
    assert "input is already spikes" in err
    err = fails(capsys, ["train", "autoencoder", "--stack-on", str(tmp_path / "none.safetensors"),
                         "--out", str(tmp_path / "o")])
    assert "none.safetensors" in err


def test_no_items_and_a_fixed_point_outer_model_are_refused():
    spec = autoencoder_spec(hidden=6)
    net = Network(spec, init_weights(spec, make_generator(0)))
    with pytest.raises(ValueError, match="at least one item"):
        layer_counts(net, torch.zeros(0, 784), progress=False)
    with pytest.raises(ValueError, match="fixed-point"):
        source_spikes(net.with_bits(8), torch.zeros(2, 784))
    with pytest.raises(ValueError, match="at least one item"):
        source_spikes(net, torch.zeros(0, 784))


def test_resuming_b_checks_it_was_trained_on_the_same_a(tmp_path, trained, capsys):
    import shutil

    a = tmp_path / "A.safetensors"
    shutil.copy(trained["A"], a)
    args = ["train", "autoencoder", *TINY, "--stack-on", str(a), "--hidden", "12", "--out", str(tmp_path / "B"),
            "--checkpoint-every", "1"]
    cfg = TrainConfig(stack_on=str(a), hidden=12, steps=8, batch_size=20, train_limit=400, eval_limit=20,
                      dataset=SAMPLE, checkpoint_every=1)

    def stop(number, record):
        if number == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_autoencoder(cfg, tmp_path / "B", progress=False, on_batch=stop)
    spec, weights, _ = load_model(a)
    save_model(a, spec, [w * 0.5 for w in weights])   # A retrained (another file) at the same path
    err = fails(capsys, args + ["--resume"])
    assert "was not trained on the --stack-on model" in err and "--force" in err
    shutil.copy(trained["A"], a)                       # the same A again: resumes
    assert main(args + ["--resume"]) == 0
    assert json.loads((tmp_path / "B" / "metrics.json").read_text())["stack_on_key"] == file_key(a)


def test_an_output_that_is_an_input_is_refused_and_nothing_is_overwritten(tmp_path, capsys, trained):
    import shutil

    a = tmp_path / "A" / "model.safetensors"
    a.parent.mkdir()
    shutil.copy(trained["A"], a)
    before = a.read_bytes()
    err = fails(capsys, ["stack", str(a), str(trained["B"]), "--out", str(a)])
    assert "is the input" in err and a.read_bytes() == before
    err = fails(capsys, ["train", "autoencoder", *TINY, "--stack-on", str(a), "--hidden", "12", "--out", str(a.parent)])
    assert "holds the --stack-on model" in err and a.read_bytes() == before


def test_stack_refuses_an_inner_model_trained_on_another_outer_model(tmp_path, capsys, trained):
    import shutil

    other = tmp_path / "other.safetensors"        # the same architecture, other weights
    spec, weights, _ = load_model(trained["A"])
    save_model(other, spec, [w.flip(0) for w in weights])
    err = fails(capsys, ["stack", str(other), str(trained["B"]), "--out", str(tmp_path / "deep.safetensors")])
    assert "was trained on the spikes of another model" in err and not (tmp_path / "deep.safetensors").exists()
    spec_b, weights_b, _ = load_model(trained["B"])
    save_model(tmp_path / "b.safetensors", spec_b, weights_b)    # a B that says nothing of its A
    err = fails(capsys, ["stack", str(trained["A"]), str(tmp_path / "b.safetensors"), "--out",
                         str(tmp_path / "deep.safetensors")])
    assert "records no file key of the outer model it was trained on" in err
    shutil.copy(trained["A"], tmp_path / "A-copy.safetensors")   # the same bytes elsewhere: the same model
    assert main(["stack", str(tmp_path / "A-copy.safetensors"), str(trained["B"]), "--out",
                 str(tmp_path / "deep.safetensors")]) == 0


def test_an_inner_model_stacks_on_an_outer_model_with_biases(tmp_path, capsys, trained):
    spec, weights, _ = load_model(trained["A"])
    spec = spec.with_(bias=True)
    g = make_generator(5)
    biases = [0.05 * torch.rand(w.shape[0], generator=g) for w in weights]
    a = tmp_path / "A_bias.safetensors"
    save_model(a, spec, weights, biases=biases)
    b = tmp_path / "B"
    assert main(["train", "autoencoder", *TINY, "--stack-on", str(a), "--hidden", "12", "--out", str(b)]) == 0
    deep = tmp_path / "deep.safetensors"
    assert main(["stack", str(a), str(b / "model.safetensors"), "--out", str(deep)]) == 0
    net = Network.from_file(deep)
    assert net.spec.bias and torch.equal(net.biases[0], biases[0]) and torch.equal(net.biases[-1], biases[-1])
    assert not net.biases[1].any() and not net.biases[2].any()          # B's layers: zero biases
    assert main(["compare", "--model", str(deep), "--dataset", SAMPLE, "--n", "3", "--target", "numpy"]) == 0

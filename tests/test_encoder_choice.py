"""Encoder choice: ``train autoencoder --encoder NAME --encoder-param KEY=VALUE``, stored in the
model's spec and used by every reader (evaluate, simulate, compare); the autoencoder target of an
encoder whose output size differs from the image (``receptive_fields``); the default config, spec
and cache key unchanged; bad encoder settings refused before training."""

import json

import numpy as np
import pytest
import torch

import encoders
from models.encode import encode, target_counts, target_encoder, target_kind, target_spikes
from models.io import load_model
from models.spec import EncoderSpec, NetworkSpec, autoencoder_spec
from tests.helpers_cli import SAMPLE, fails, run_json
from training.autoencoder import TrainConfig, train_autoencoder
from training.metrics import per_image_mse

# per encoder: the CLI's --encoder-param values and the trainer's settings that make every layer spike
CASES = {
    "regular": ["max_rate=600"],
    "latency": ["tau=4.0", "threshold=0.1"],
    "receptive_fields": ["n_bins=3"],
}
TRAINER = {"paper": ["--batch-size", "20", "--lr", "2e-3"], "bptt": ["--batch-size", "10", "--lr", "2e-2"]}


# --- the default path did not move ------------------------------------------------------------

def test_the_default_config_spec_and_figure_cache_key_are_those_of_before():
    from figures.runner import _cache_key
    from models.files import settings_key

    cfg = TrainConfig()
    assert cfg.spec() == autoencoder_spec() and cfg.spec().to_json() == autoencoder_spec().to_json()
    assert cfg.spec().to_json() == (
        '{"bias": false, "dt": 0.001, "encoder": {"name": "poisson", "params": {"max_rate": 300.0}}, "neuron": '
        '{"alpha": 0.1, "clip": true, "decay_form": "linear", "reset": "zero", "reset_timing": "same", '
        '"threshold_test": ">=", "v_th": 1.0}, "sizes": [784, 196, 784], "steps": 15, "version": 2}')
    assert sorted(cfg.to_dict()) == sorted(
        ["dataset", "hidden", "steps", "alpha", "max_rate", "trainer", "batch_size", "epochs", "lr", "weight_decay",
         "mask", "trace_reset", "train_limit", "seed", "checkpoint_every", "eval_limit", "device", "float64"])
    # the figures' cache keys of before (so their trained models stay valid)
    assert settings_key(_cache_key(cfg)) == "65fba5808c3422ad"
    assert settings_key(_cache_key(TrainConfig(dataset="fashion-mnist", hidden=1024, steps=60))) == "b4ff4e56d2884525"
    assert settings_key(_cache_key(TrainConfig(trainer="bptt"))) == "2499c27ef377bf33"
    assert TrainConfig(dataset="fashion-mnist").spec() == autoencoder_spec("fashion-mnist")
    assert TrainConfig(max_rate=200.0, hidden=64).spec() == autoencoder_spec(hidden=64, max_rate=200.0)


def test_configs_are_hashable_and_canonical():
    a = TrainConfig(encoder="latency", encoder_params={"threshold": 0.1, "tau": 4.0}, hidden=[400, 196, 400])
    b = TrainConfig(encoder="latency", encoder_params=(("tau", 4.0), ("threshold", 0.1)), hidden=(400, 196, 400))
    assert a == b and hash(a) == hash(b) and len({a, b, TrainConfig()}) == 2
    assert TrainConfig(hidden=(196,)) == TrainConfig()
    d = a.to_dict()
    assert d["encoder"] == "latency" and d["encoder_params"] == [["tau", 4.0], ["threshold", 0.1]]
    assert json.loads(json.dumps(d)) == d           # what a checkpoint compares after a JSON round trip
    assert a.spec().encoder == EncoderSpec("latency", {"tau": 4.0, "threshold": 0.1})


def test_max_rate_keeps_working_for_the_rate_codes_only():
    assert TrainConfig(max_rate=200.0).encoder_spec() == EncoderSpec("poisson", {"max_rate": 200.0})
    assert TrainConfig(encoder="regular").encoder_spec() == EncoderSpec("regular", {"max_rate": 300.0})
    assert TrainConfig(encoder="regular", dataset="fashion-mnist").encoder_spec().params["max_rate"] == 500.0
    assert TrainConfig(encoder="regular", encoder_params={"max_rate": 600}).encoder_spec().params["max_rate"] == 600
    with pytest.raises(ValueError, match="max_rate is a parameter of the poisson and regular"):
        TrainConfig(encoder="latency", max_rate=300.0)
    with pytest.raises(ValueError, match="not both"):
        TrainConfig(max_rate=300.0, encoder_params={"max_rate": 200.0})
    with pytest.raises(ValueError, match="encoder must be one of"):
        TrainConfig(encoder="bsa")


# --- the target of an encoder that changes the size ---------------------------------------------

def fields_spec(n_values: int, hidden: int = 6, steps: int = 9, n_bins: int = 3) -> NetworkSpec:
    return NetworkSpec(sizes=(n_values * n_bins, hidden, n_values), steps=steps,
                       encoder=EncoderSpec("receptive_fields", {"n_bins": n_bins}))


def test_the_target_of_receptive_fields_is_the_rate_code_at_one_spike_per_step():
    x = torch.rand(5, 4, 3, generator=torch.Generator().manual_seed(0))
    x[0, 0, 0], x[0, 0, 1] = 1.0, 0.0
    spec = fields_spec(12)
    assert target_kind(spec, 12) == "rate" and encode(x, spec).shape == (9, 5, 36)
    target = target_spikes(x, spec)
    expected = encoders.get("regular", steps=9, dt=1e-3, max_rate=1000.0).encode(x.reshape(5, 12))
    assert target.dtype == torch.uint8 and torch.equal(target, torch.as_tensor(expected).to(torch.uint8))
    counts = target.sum(0)
    assert torch.equal(counts, torch.floor(x.reshape(5, 12) * 9).to(counts.dtype))   # floor(T * x)
    assert int(counts[0, 0]) == 9 and int(counts[0, 1]) == 0                           # every step at x = 1
    assert np.array_equal(target_counts(x, spec), counts.numpy())
    assert target_encoder(spec.with_(dt=1e-4)).max_rate * 1e-4 <= 1.0
    # an encoder of one unit per value: the target is the input spikes themselves, the same object
    spikes = encode(x, autoencoder_spec(hidden=4).with_(sizes=(12, 4, 12)), seed=1)
    assert target_spikes(x, autoencoder_spec().with_(sizes=(12, 4, 12)), spikes) is spikes


def test_evaluate_scores_spike_mse_against_the_target():
    from models.backends import Network
    from models.torch_snn import init_weights
    from training.evaluate import evaluate

    spec = fields_spec(20, hidden=10, steps=8)
    net = Network(spec, init_weights(spec, torch.Generator().manual_seed(2), scale=0.4, dtype=torch.float64))
    x = torch.rand(6, 20, generator=torch.Generator().manual_seed(3))
    report, outputs = evaluate(net, x)
    assert outputs.shape == (6, 20) and outputs.sum() > 0
    target = torch.floor(x * 8)
    assert report["spike_mse"] == pytest.approx(float(per_image_mse(target, outputs).mean()), rel=1e-12)
    assert report["pixel_mse"] == pytest.approx(float(per_image_mse(x, outputs).mean()), rel=1e-12)
    inputs = encode(x, spec).sum(0).float()
    assert inputs.shape[1] != outputs.shape[1]          # before, the input could not be compared: None


@pytest.mark.parametrize("trainer", ["paper", "bptt"])
def test_the_trainers_are_given_the_rate_code_as_the_target(monkeypatch, trainer):
    import training.autoencoder as autoencoder

    seen, real = [], getattr(autoencoder, "online_batch" if trainer == "paper" else "bptt_batch")

    def spy(weights, inputs, targets, *args, **kwargs):
        seen.append((inputs.clone(), targets.clone()))
        return real(weights, inputs, targets, *args, **kwargs)

    monkeypatch.setattr(autoencoder, "online_batch" if trainer == "paper" else "bptt_batch", spy)
    x = torch.rand(20, 3, 5, generator=torch.Generator().manual_seed(4)).numpy()
    cfg = TrainConfig(trainer=trainer, encoder="receptive_fields", encoder_params={"n_bins": 4}, hidden=6, steps=7,
                      batch_size=10, eval_limit=5, seed=2)
    result = train_autoencoder(cfg, images=(x, x[:5]), progress=False)
    assert result.spec.sizes == (60, 6, 15)
    order = autoencoder._shuffle(20, 2, 0)
    for number, (inputs, targets) in enumerate(seen):
        items = x[order[number * 10:(number + 1) * 10].numpy()]
        assert torch.equal(inputs, encode(items, result.spec).to(inputs.dtype))
        assert torch.equal(targets, target_spikes(items, result.spec).to(targets.dtype))
        assert targets.shape == (7, 10, 15)
    assert result.metrics["test"]["spike_mse"] is not None and len(result.history["pixel_mse"]) == 2


# --- from the command line, each trainer, Brian2 agreeing -------------------------------------------

@pytest.mark.parametrize("trainer", ["paper", "bptt"])
@pytest.mark.parametrize("name", ["regular", "latency"])
def test_an_encoder_chosen_on_the_command_line_trains_and_brian2_agrees(tmp_path, capsys, name, trainer):
    out = tmp_path / "ae"
    params = [a for p in CASES[name] for a in ("--encoder-param", p)]
    summary = run_json(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--trainer", trainer, "--encoder", name,
                                *params, "--hidden", "16", "--steps", "8", "--train-limit", "200", "--eval-limit", "20",
                                *TRAINER[trainer], "--out", str(out)])
    spec, _, _ = load_model(out / "model.safetensors")
    wanted = {k: json.loads(v) for k, v in (p.split("=") for p in CASES[name])}
    assert spec.encoder == EncoderSpec(name, wanted) and spec.sizes == (784, 16, 784)
    model = str(out / "model.safetensors")
    # evaluate and simulate read the spec's encoder: the same report as the training's test evaluation
    report = run_json(capsys, ["evaluate", "--model", model, "--dataset", SAMPLE, "--limit", "20", "--json"])
    assert report["spike_mse"] == summary["test"]["spike_mse"] and report["pixel_mse"] == summary["test"]["pixel_mse"]
    inputs = encode(torch.from_numpy(np.load(SAMPLE)["test_images"][:20] / np.float32(255)), spec).sum(0)
    assert report["spikes_per_image"][0] == pytest.approx(float(inputs.sum(1).double().mean()))
    compared = run_json(capsys, ["compare", "--model", model, "--dataset", SAMPLE, "--n", "3", "--target", "numpy",
                                 "--json"])
    assert compared["agree"] and all(r["mismatches"] == 0 and r["mirror_spikes"] > 0 for r in compared["layers"])


def test_receptive_fields_from_the_command_line_and_in_brian2(tmp_path, capsys):
    out = tmp_path / "rf"
    summary = run_json(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--encoder", "receptive_fields",
                                "--encoder-param", "n_bins=3", "--hidden", "16", "--steps", "8", "--train-limit",
                                "200", "--eval-limit", "20", *TRAINER["paper"], "--out", str(out)])
    spec, _, _ = load_model(out / "model.safetensors")
    assert spec.sizes == (2352, 16, 784) and summary["test"]["spike_mse"] is not None
    model = str(out / "model.safetensors")
    compared = run_json(capsys, ["compare", "--model", model, "--dataset", SAMPLE, "--n", "3", "--target", "numpy",
                                 "--json"])
    assert compared["agree"] and all(r["mirror_spikes"] > 0 for r in compared["layers"])
    # simulate scores against the target in Brian2 as in the mirror
    sim = run_json(capsys, ["simulate", "--model", model, "--dataset", SAMPLE, "--n", "3", "--backend", "brian2",
                            "--target", "numpy", "--json"])
    mirror = run_json(capsys, ["simulate", "--model", model, "--dataset", SAMPLE, "--n", "3", "--backend", "mirror",
                               "--json"])
    assert sim["spike_mse"] is not None and sim["spike_mse"] == mirror["spike_mse"]
    assert sim["spikes_per_image"] == mirror["spikes_per_image"]


@pytest.mark.parametrize("args, match", [
    (["--encoder", "latency", "--encoder-param", "tauu=3"], r"unknown parameter\(s\) \['tauu'\] for encoder 'latency'"),
    (["--encoder", "latency", "--encoder-param", "tau=-3"], "tau .* must be a finite number > 0"),
    (["--encoder", "regular", "--encoder-param", "max_rate=5000"], "max_rate \\* dt must be <= 1"),
    (["--encoder", "receptive_fields", "--encoder-param", "n_bins=1"], "n_bins must be an integer >= 2"),
    (["--encoder-param", "steps=3"], r"must not set \['steps'\]"),
    (["--encoder", "latency", "--max-rate", "300"], "max_rate is a parameter of the poisson and regular"),
    (["--encoder-param", "max_rate=100", "--encoder-param", "max_rate=200"], "given more than once"),
])
def test_bad_encoder_settings_fail_before_training(tmp_path, capsys, no_training, args, match):
    import re

    err = fails(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--train-limit", "20", "--out",
                         str(tmp_path / "out"), *args])
    assert re.search(match, err), err
    assert not (tmp_path / "out" / "model.safetensors").exists()


@pytest.mark.parametrize("bright", ["train", "test"])
def test_values_outside_the_encoders_domain_fail_before_training_naming_the_data(tmp_path, capsys, no_training,
                                                                                 bright):
    # receptive_fields with max_values=0.5: one pixel above it, late in the training split or in
    # the test split only, must be refused before the first batch (not at that batch, not after)
    rng = np.random.default_rng(0)
    split = {name: (rng.random((60, 8, 8)) * 0.5).astype(np.float32) for name in ("train", "test")}
    split[bright][-1, 3, 3] = 1.0
    data = tmp_path / "dim.npz"
    np.savez(data, train_images=split["train"], test_images=split["test"])
    err = fails(capsys, ["train", "autoencoder", "--dataset", str(data), "--steps", "5", "--hidden", "4",
                         "--encoder", "receptive_fields", "--encoder-param", "max_values=0.5",
                         "--out", str(tmp_path / "out")])
    assert f"the {'training' if bright == 'train' else 'test'} images of {data} do not fit --encoder " \
           f"receptive_fields" in err and "min_values, max_values" in err, err
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_evaluate_and_simulate_refuse_images_outside_the_encoders_domain_before_the_run(tmp_path, capsys):
    from models.io import save_model
    from models.spec import EncoderSpec, NetworkSpec
    from models.torch_snn import init_weights

    spec = NetworkSpec(sizes=(784 * 3, 8, 784), steps=5,
                       encoder=EncoderSpec("receptive_fields", {"n_bins": 3, "max_values": 0.5}))
    save_model(tmp_path / "m.safetensors", spec, init_weights(spec))
    for command in (["evaluate", "--limit", "20"], ["simulate", "--n", "20", "--backend", "mirror"],
                    ["compare", "--n", "5", "--target", "numpy"]):
        err = fails(capsys, [*command, "--model", str(tmp_path / "m.safetensors"), "--dataset", SAMPLE])
        assert "do not fit the model" in err and "min_values, max_values" in err, (command, err)

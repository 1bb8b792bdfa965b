"""One spec, one path: a spec whose encoder is regular or latency gives those spikes in training,
in the evaluation (mirror and Brian2 alike) and in the audio path, and Brian2 agrees with the
mirror spike for spike on them."""

import numpy as np
import pytest
import torch

import encoders
from models.backends import Network, layer_counts
from models.compare import compare_networks
from models.encode import encode
from models.spec import EncoderSpec, NetworkSpec, autoencoder_spec
from models.torch_snn import init_weights
from training.evaluate import evaluate

ENCODERS = {"regular": {"max_rate": 600.0}, "latency": {"tau": 4.0, "threshold": 0.1}}


def spec_with(name: str, hidden: int = 24, steps: int = 10) -> NetworkSpec:
    return autoencoder_spec("mnist", hidden=hidden, steps=steps).with_(encoder=EncoderSpec(name, ENCODERS[name]))


def images(n: int = 12, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", ENCODERS)
def test_encode_uses_the_spec_encoder(name):
    spec, x = spec_with(name), images()
    expected = encoders.get(name, steps=spec.steps, **({"dt": spec.dt} if name == "regular" else {}),
                            **ENCODERS[name]).encode(x)
    spikes = encode(x, spec, seed=3)
    assert spikes.dtype == torch.uint8 and torch.equal(spikes, torch.as_tensor(expected).to(torch.uint8))
    assert torch.equal(encode(x, spec, seed=4), spikes)               # deterministic: the seed is unused
    with pytest.raises(ValueError, match="must not set"):
        encode(x, spec.with_(encoder=EncoderSpec(name, {**ENCODERS[name], "steps": 3})))


@pytest.mark.parametrize("trainer", ["paper", "bptt"])
@pytest.mark.parametrize("name", ENCODERS)
def test_training_sees_the_spec_encoder_spikes(monkeypatch, name, trainer):
    import training.autoencoder as autoencoder
    from training.autoencoder import TrainConfig, train_autoencoder

    spec = spec_with(name, hidden=8, steps=6)
    cfg = TrainConfig(trainer=trainer, batch_size=10, eval_limit=5, seed=2, hidden=8, steps=6, encoder=name,
                      encoder_params=ENCODERS[name])
    assert cfg.spec() == spec
    seen = []
    real = autoencoder.online_batch if trainer == "paper" else autoencoder.bptt_batch

    def spy(weights, inputs, targets, *args, **kwargs):
        seen.append(inputs.clone())
        return real(weights, inputs, targets, *args, **kwargs)

    monkeypatch.setattr(autoencoder, "online_batch" if trainer == "paper" else "bptt_batch", spy)
    x = images(20).numpy()
    result = train_autoencoder(cfg, images=(x, x[:5]), progress=False)
    order = autoencoder._shuffle(20, 2, 0)
    for number, batch in enumerate(seen):
        items = x[order[number * 10:(number + 1) * 10].numpy()]
        assert torch.equal(batch, encode(items, spec).to(batch.dtype))
    assert result.spec == spec


@pytest.mark.parametrize("name", ENCODERS)
def test_evaluation_back_ends_see_the_spec_encoder_spikes_and_agree(name):
    spec = spec_with(name)
    net = Network(spec, init_weights(spec, torch.Generator().manual_seed(1), scale=0.3, dtype=torch.float64))
    x = images(8)
    inputs, mirror = layer_counts(net, x, backend="mirror", progress=False)
    assert np.array_equal(inputs, encode(x, spec).sum(0).numpy())
    report_m, out_m = evaluate(net, x)
    report_b, out_b = evaluate(net, x, backend="brian2", target="numpy")
    assert torch.equal(out_m, out_b) and out_m.sum() > 0
    assert {k: v for k, v in report_m.items() if k not in ("seconds", "backend", "target")} == {
        k: v for k, v in report_b.items() if k not in ("seconds", "backend", "target")}
    rows, _, _ = compare_networks(net, encode(x, spec), "numpy", progress=False)
    assert [r["mismatches"] for r in rows] == [0, 0] and all(r["mirror_spikes"] > 0 for r in rows)


def test_the_audio_targets_and_synthesis_use_the_spec_encoder():
    from training.audio import hidden_spike_maps
    from training.audio.synthesis import synthesize_counts

    spec = spec_with("regular", hidden=16, steps=8)
    weights = init_weights(spec, torch.Generator().manual_seed(5), scale=0.3)
    x = images(6)
    maps = hidden_spike_maps(spec, weights, x, th=4, seed=0)
    hidden = Network(spec.with_(sizes=spec.sizes[:2]), weights[:1]).mirror()(encode(x, spec).to(torch.float64))
    assert torch.equal(maps, hidden.spikes[0][:4].float())
    counts = synthesize_counts(spec, weights, x)
    _, result = layer_counts(Network(spec, weights), x, progress=False)
    assert torch.equal(counts, torch.as_tensor(result.counts[-1], dtype=torch.float32))


def test_spec_encoders_that_would_make_an_item_depend_on_its_batch_are_refused():
    # poisson's normalize scales by each batch's extremes: the one encode path refuses it
    spec = autoencoder_spec("mnist", hidden=4).with_(encoder=EncoderSpec("poisson", {"max_rate": 300.0,
                                                                                     "normalize": True}))
    with pytest.raises(ValueError, match="normalize"):
        encode(images(3), spec)


def test_a_size_mismatch_is_refused_before_anything_is_encoded(monkeypatch):
    spec = autoencoder_spec("mnist", hidden=4)
    calls = []
    import encoders.rate as rate
    real = rate.Poisson.encode
    monkeypatch.setattr(rate.Poisson, "encode", lambda self, x, generator=None: calls.append(1) or real(self, x, generator))
    with pytest.raises(ValueError, match="input layer has 784"):
        encode(torch.rand(250, 100), spec)
    assert calls == []


def test_the_rate_target_follows_the_receptive_fields_bounds():
    from models.encode import target_spikes
    spec = NetworkSpec(sizes=(4 * 5, 8, 4), steps=10, encoder=EncoderSpec(
        "receptive_fields", {"n_bins": 5, "min_values": 0.0, "max_values": 255.0}))
    x = torch.tensor([[0.0, 51.0, 127.5, 255.0]])
    assert encode(x, spec).shape == (10, 1, 20)
    assert target_spikes(x, spec).sum(0).tolist() == [[0, 2, 5, 10]]      # floor(T * (x - min) / (max - min))


@pytest.mark.parametrize("name", ["poisson", "latency"])
def test_items_encoded_and_run_in_slices_get_the_spikes_of_one_encoding(monkeypatch, name):
    # encode, layer_counts' mirror and stacking's source_spikes work in slices of ENCODE_BATCH /
    # MIRROR_BATCH items from one generator: slices of 3 must give the spikes and counts of one slice
    import models.backends as backends
    import models.encode as encode_module
    import models.stacking as stacking

    spec = autoencoder_spec(hidden=12).with_(encoder=EncoderSpec(name, {"max_rate": 300.0} if name == "poisson"
                                                                  else {}))
    net = Network(spec, init_weights(spec, torch.Generator().manual_seed(2), scale=0.3))
    x = torch.rand(10, 784, generator=torch.Generator().manual_seed(5))
    whole = encode(x, spec, seed=4)
    inputs, run = layer_counts(net, x, seed=4, progress=False)
    code = stacking.source_spikes(net, x, seed=4)
    for module in (encode_module, backends, stacking):
        monkeypatch.setattr(module, "ENCODE_BATCH", 3)
    monkeypatch.setattr(backends, "MIRROR_BATCH", 3)
    assert torch.equal(encode(x, spec, seed=4), whole)
    sliced_inputs, sliced = layer_counts(net, x, seed=4, progress=False)
    assert np.array_equal(sliced_inputs, inputs) and np.array_equal(inputs, whole.sum(0, dtype=torch.int64).numpy())
    assert all(np.array_equal(a, b) for a, b in zip(sliced.counts, run.counts))
    assert torch.equal(stacking.source_spikes(net, x, seed=4), code) and int(code.sum()) > 0

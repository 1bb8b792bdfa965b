import dataclasses
import json
import math
import pickle

import pytest

from models.spec import (DECAY_FORMS, SPEC_VERSION, EncoderSpec, NetworkSpec, NeuronSpec, alpha_from_tau,
                         autoencoder_spec)


def test_json_round_trip():
    spec = autoencoder_spec("fashion-mnist", hidden=512, steps=60)
    again = NetworkSpec.from_json(spec.to_json())
    assert again == spec
    assert again.sizes == (784, 512, 784)
    assert again.encoder.params["max_rate"] == 500.0
    assert spec.weight_shapes() == [(512, 784), (784, 512)]


@pytest.mark.parametrize("alpha", [-0.1, 1.0, 1.5, float("nan")])
def test_alpha_out_of_range(alpha):
    with pytest.raises(ValueError, match="alpha"):
        NeuronSpec(alpha=alpha)


@pytest.mark.parametrize("v_th", [0.0, -1.0, float("inf")])
def test_bad_threshold(v_th):
    with pytest.raises(ValueError, match="v_th"):
        NeuronSpec(v_th=v_th)


def test_bad_sizes_and_steps():
    with pytest.raises(ValueError, match="sizes"):
        NetworkSpec(sizes=(784,))
    with pytest.raises(ValueError, match="layer size"):
        NetworkSpec(sizes=(784, 0, 784))
    with pytest.raises(ValueError, match="steps"):
        NetworkSpec(steps=0)


def test_unknown_field_and_bad_json():
    d = NetworkSpec().to_dict()
    d["colour"] = "blue"
    with pytest.raises(ValueError, match="colour"):
        NetworkSpec.from_dict(d)
    with pytest.raises(ValueError, match="JSON"):
        NetworkSpec.from_json("{not json")
    with pytest.raises(ValueError, match="malformed"):
        NetworkSpec.from_dict({"neuron": {"leak": 0.1}})


def test_encoder_params_are_read_only_and_equal_specs_hash_equal():
    given = {"max_rate": 300.0}
    spec = NetworkSpec(encoder=EncoderSpec("poisson", given))
    given["max_rate"] = 1.0   # the spec keeps its own copy
    assert spec.encoder.params == {"max_rate": 300.0}
    with pytest.raises(TypeError):
        spec.encoder.params["max_rate"] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.encoder.params = {}
    same = NetworkSpec.from_json(spec.to_json())
    assert same == spec and hash(same) == hash(spec) and len({spec, same, autoencoder_spec()}) == 1
    assert hash(autoencoder_spec(max_rate=500.0)) != hash(spec)
    assert pickle.loads(pickle.dumps(spec)) == spec


@pytest.mark.parametrize("params, match", [([("max_rate", 300.0)], "mapping"), ({"rates": [1, 2]}, "numbers"),
                                           ({"max_rate": float("nan")}, "finite numbers")])
def test_bad_encoder_params(params, match):
    with pytest.raises(ValueError, match=match):
        EncoderSpec("poisson", params)


def test_version_2_fields_and_their_json_names():
    neuron = NeuronSpec(alpha=0.25, v_th=0.5, reset="subtract", clip=False, threshold_test=">",
                        reset_timing="next", decay_form="exp")
    spec = NetworkSpec(sizes=(3, 2), neuron=neuron, bias=True)
    d = json.loads(spec.to_json())
    assert d["version"] == SPEC_VERSION == 2 and d["bias"] is True
    assert d["neuron"] == {"alpha": 0.25, "v_th": 0.5, "reset": "subtract", "clip": False, "threshold_test": ">",
                           "reset_timing": "next", "decay_form": "exp"}
    assert NetworkSpec.from_json(spec.to_json()) == spec
    assert spec.bias_shapes() == [(2,)] and NetworkSpec(sizes=(3, 2)).bias_shapes() == []


def test_defaults_are_the_paper_neuron():
    neuron = NeuronSpec()
    assert (neuron.threshold_test, neuron.reset, neuron.reset_timing, neuron.clip, neuron.decay_form) == \
        (">=", "zero", "same", True, "linear")
    assert neuron.is_paper and NeuronSpec(reset="subtract").is_paper is False
    assert NetworkSpec().bias is False


# written by spikesynth before spec version 2 (the JSON of autoencoder_spec())
V1_JSON = ('{"dt": 0.001, "encoder": {"name": "poisson", "params": {"max_rate": 300.0}}, "neuron": {"alpha": 0.1, '
           '"clip": true, "reset": "zero", "v_th": 1.0}, "sizes": [784, 196, 784], "steps": 15, "version": 1}')


def test_version_1_specs_read_as_the_defaults():
    spec = NetworkSpec.from_json(V1_JSON)
    assert spec == autoencoder_spec() and spec.neuron.is_paper and not spec.bias
    v1 = json.loads(V1_JSON)
    v1["neuron"]["reset_timing"] = "next"     # a field version 1 did not have
    with pytest.raises(ValueError, match=r"version-1 neuron spec: \['reset_timing'\]"):
        NetworkSpec.from_dict(v1)
    v1 = json.loads(V1_JSON)
    v1["bias"] = True
    with pytest.raises(ValueError, match=r"version-1 network spec: \['bias'\]"):
        NetworkSpec.from_dict(v1)
    v1 = json.loads(V1_JSON)
    v1["neuron"]["reset"] = "subtract"
    with pytest.raises(ValueError, match="version-1 spec resets to 'zero' only"):
        NetworkSpec.from_dict(v1)
    for version in (3, 0, True, "2"):
        with pytest.raises(ValueError, match="unsupported spec version"):
            NetworkSpec.from_dict({**json.loads(V1_JSON), "version": version})


@pytest.mark.parametrize("field, value", [("threshold_test", "=>"), ("reset", "none"), ("reset_timing", "later"),
                                          ("decay_form", "euler"), ("clip", 1)])
def test_bad_update_rule_fields_are_named(field, value):
    with pytest.raises(ValueError, match=field):
        NeuronSpec(**{field: value})
    with pytest.raises(ValueError, match="bias must be true or false"):
        NetworkSpec(bias=1)


def test_clip_with_strict_threshold_is_refused():
    with pytest.raises(ValueError, match="clip=True with threshold_test '>' never spikes"):
        NeuronSpec(threshold_test=">")
    assert NeuronSpec(threshold_test=">", clip=False).threshold_test == ">"


def test_tau_conversions_by_hand():
    dt = 1e-3
    assert NeuronSpec(alpha=0.1).tau(dt) == pytest.approx(0.01)                      # dt / alpha
    assert NeuronSpec(alpha=0.5, decay_form="exp").tau(dt) == pytest.approx(dt / math.log(2))   # -dt / log(1 - alpha)
    assert NeuronSpec(alpha=0.0).tau(dt) == math.inf
    assert alpha_from_tau(0.01, dt) == pytest.approx(0.1)
    assert alpha_from_tau(dt / math.log(2), dt, "exp") == pytest.approx(0.5)
    assert alpha_from_tau(math.inf, dt, "exp") == 0.0
    for form in DECAY_FORMS:   # a round trip
        assert alpha_from_tau(NeuronSpec(alpha=0.3, decay_form=form).tau(dt), dt, form) == pytest.approx(0.3)
    with pytest.raises(ValueError, match=r"tau \(s\) must be a finite number > 0.001"):
        alpha_from_tau(dt, dt)                 # alpha 1 is not a leak the spec admits
    with pytest.raises(ValueError, match="decay_form"):
        alpha_from_tau(0.01, dt, "euler")
    with pytest.raises(ValueError, match=r"dt \(s\)"):
        NeuronSpec().tau(0.0)


def test_encoder_spec_default_params_follow_the_encoder():
    # the paper's max_rate is poisson's default, not every encoder's
    assert EncoderSpec().params == {"max_rate": 300.0} == EncoderSpec("poisson").params
    assert EncoderSpec("latency").params == {} and EncoderSpec("spikes").params == {}
    assert NetworkSpec.from_dict(NetworkSpec().to_dict()) == NetworkSpec()


def test_numbers_beyond_float_range_are_a_value_error():
    from encoders.checks import check_number
    with pytest.raises(ValueError, match="alpha"):
        NeuronSpec(alpha=10 ** 400)
    with pytest.raises(ValueError, match="x must be a finite number"):
        check_number(-(10 ** 400), "x")

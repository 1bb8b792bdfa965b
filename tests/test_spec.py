import dataclasses
import pickle

import pytest

from models.spec import EncoderSpec, NetworkSpec, NeuronSpec, autoencoder_spec


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

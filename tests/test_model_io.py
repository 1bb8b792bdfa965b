import pytest
import torch

from models.io import load_model, save_model
from models.files import atomic_path
from models.spec import NetworkSpec
from models.torch_snn import init_weights


def test_round_trip(tmp_path):
    spec = NetworkSpec(sizes=(6, 4, 6), steps=7)
    w = init_weights(spec, torch.Generator().manual_seed(0))
    path = save_model(tmp_path / "m.safetensors", spec, w, extra={"note": "x"})
    spec2, w2, meta = load_model(path, kind="snn")
    assert spec2 == spec and meta["extra"] == {"note": "x"}
    assert all(torch.equal(a, b) for a, b in zip(w, w2))


def test_refuses_other_architecture(tmp_path):
    spec = NetworkSpec(sizes=(6, 4, 6))
    path = save_model(tmp_path / "m.safetensors", spec, init_weights(spec))
    # forge a file whose spec says 5 hidden units but whose weights have 4
    from safetensors.torch import load_file, save_file
    tensors = load_file(str(path))
    save_file(tensors, str(tmp_path / "bad.safetensors"),
              metadata={"format": "spikesynth-model", "kind": "snn",
                        "spec": NetworkSpec(sizes=(6, 5, 6)).to_json(), "extra": "{}"})
    with pytest.raises(ValueError, match="another architecture"):
        load_model(tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="expected 'ann'"):
        load_model(path, kind="ann")


def test_corrupt_and_missing(tmp_path):
    bad = tmp_path / "junk.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not a header")
    with pytest.raises(ValueError, match="junk.safetensors"):
        load_model(bad)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "none.safetensors")


def test_atomic_path_leaves_old_file_on_error(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_path_uses_normal_permissions(tmp_path):
    import os
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(umask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644


def test_cache_root_precedence_and_settings_key(monkeypatch, tmp_path):
    from models.files import cache_root, settings_key

    monkeypatch.delenv("SPIKESYNTH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "spikesynth"
    monkeypatch.setenv("SPIKESYNTH_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    assert settings_key({"a": 1, "b": 2}) == settings_key({"b": 2, "a": 1}) != settings_key({"a": 2, "b": 2})
    assert len(settings_key({})) == 16


def test_a_file_whose_weight_names_skip_a_layer_is_refused(tmp_path):
    from safetensors.torch import save_file

    from models.io import load_model, save_model
    from models.spec import NetworkSpec
    spec = NetworkSpec(sizes=(4, 3, 4))
    path = save_model(tmp_path / "m.safetensors", spec, [torch.zeros(3, 4), torch.zeros(4, 3)])
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    save_file({"W0": torch.zeros(3, 4), "W7": torch.zeros(4, 3)}, str(tmp_path / "gap.safetensors"), metadata=meta)
    with pytest.raises(ValueError, match=r"need \['W0', 'W1'\]"):
        load_model(tmp_path / "gap.safetensors")


def test_encode_validates_the_spec_encoder_params():
    from models.encode import encode as encode_images
    from models.spec import EncoderSpec, NetworkSpec
    images = torch.rand(3, 4)
    default = NetworkSpec(sizes=(4, 2), encoder=EncoderSpec("poisson", {}))        # max_rate: the encoder's 300 Hz
    assert encode_images(images, default, seed=1).shape == (default.steps, 3, 4)
    with pytest.raises(ValueError, match="unknown parameter"):
        encode_images(images, NetworkSpec(sizes=(4, 2), encoder=EncoderSpec("poisson", {"rate": 5.0})))


@pytest.fixture
def umask_022():
    import os
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_model_checkpoint_and_classifier_files_follow_the_umask(tmp_path, umask_022, monkeypatch):
    # safetensors' save_file renamed its own 0600 temporary file over atomic_path's
    import os

    import numpy as np

    import training.audio.classifier as classifier
    from training.checkpoints import save_checkpoint

    spec = NetworkSpec(sizes=(4, 3, 4))
    model = save_model(tmp_path / "m.safetensors", spec, init_weights(spec))
    checkpoint = save_checkpoint(tmp_path / "c.safetensors", {"W0": torch.zeros(2)}, {"x": 1})
    images = np.random.default_rng(0).integers(0, 255, (20, 28, 28)).astype(np.uint8)
    monkeypatch.setattr(classifier, "load_images", lambda *a, **k: (images, np.arange(20) % 10))
    classifier.load_or_train_classifier(cfg=classifier.ClassifierConfig(hidden=4, epochs=1, batch=10),
                                        cache_dir=tmp_path / "cache", progress=False)
    (cached,) = (tmp_path / "cache").glob("mnist-classifier-*.safetensors")
    for path in (model, checkpoint, cached):
        assert path.stat().st_mode & 0o777 == 0o644, path
    os.umask(0o077)
    assert save_model(tmp_path / "private.safetensors", spec, init_weights(spec)).stat().st_mode & 0o777 == 0o600


SAVE_THRICE = """
import sys, torch
from models.io import save_model
from models.spec import autoencoder_spec
from models.torch_snn import init_weights
from training.checkpoints import save_checkpoint
spec = autoencoder_spec(hidden=5, steps=4)
w = init_weights(spec, torch.Generator().manual_seed(0))
for i in range(3):
    save_model(f"{sys.argv[1]}/model{i}.safetensors", spec, w, extra={"trainer": "paper", "b": 1, "a": [1, 2]})
    save_checkpoint(f"{sys.argv[1]}/checkpoint{i}.safetensors",
                    {"W0": w[0], "m1_0": w[0] * 0, "rng": torch.zeros(3, dtype=torch.uint8)},
                    {"version": 2, "history": {"loss": [1.0]}, "config": {"seed": 1}})
"""


def test_the_same_model_saved_by_separate_processes_is_byte_identical(tmp_path):
    # safetensors wrote its metadata in a per-process hash order: file_key (a cache key) changed
    import hashlib
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digests = {"model": set(), "checkpoint": set()}
    for seed in ("1", "2"):
        folder = tmp_path / seed
        folder.mkdir()
        subprocess.run([sys.executable, "-c", SAVE_THRICE, str(folder)], cwd=root, check=True,
                       env={**os.environ, "PYTHONPATH": root, "PYTHONHASHSEED": seed})
        for kind, found in digests.items():
            found.update(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob(f"{kind}*.safetensors"))
    assert [len(found) for found in digests.values()] == [1, 1]
    spec, weights, meta = load_model(tmp_path / "1" / "model0.safetensors")
    assert meta["extra"] == {"trainer": "paper", "b": 1, "a": [1, 2]} and spec.sizes == (784, 5, 784)


def _forge(path, tensors, spec_json, extra="{}"):
    from safetensors.torch import save_file
    save_file(tensors, str(path), metadata={"format": "spikesynth-model", "kind": "snn", "spec": spec_json,
                                            "extra": extra})
    return path


@pytest.mark.parametrize("dtype", [torch.bool, torch.int32, torch.int64, torch.complex64])
def test_weights_that_are_not_floating_point_are_refused(tmp_path, dtype):
    spec = NetworkSpec(sizes=(4, 3))
    path = _forge(tmp_path / "w.safetensors", {"W0": torch.ones(3, 4, dtype=dtype)}, spec.to_json())
    with pytest.raises(ValueError, match=rf"w.safetensors: W0 has dtype {dtype}.*floating"):
        load_model(path)
    with pytest.raises(ValueError, match="floating"):
        save_model(tmp_path / "s.safetensors", spec, [torch.ones(3, 4, dtype=dtype)])


def test_a_spec_with_too_many_steps_or_neurons_is_refused_naming_the_file(tmp_path):
    import json

    from models.spec import MAX_LAYER_SIZE, MAX_STEPS, MAX_WEIGHTS
    d = NetworkSpec(sizes=(4, 3)).to_dict()
    path = _forge(tmp_path / "long.safetensors", {"W0": torch.zeros(3, 4)}, json.dumps({**d, "steps": 100_000_000}))
    with pytest.raises(ValueError, match=rf"long.safetensors: .*steps must be an integer in \[1, {MAX_STEPS}\]"):
        load_model(path)
    NetworkSpec(sizes=(4, 3), steps=MAX_STEPS)
    with pytest.raises(ValueError, match="layer size"):
        NetworkSpec(sizes=(MAX_LAYER_SIZE + 1, 3))
    with pytest.raises(ValueError, match=f"sizes: .*more than {MAX_WEIGHTS}"):
        NetworkSpec(sizes=(MAX_LAYER_SIZE, MAX_LAYER_SIZE))


def test_deeply_nested_or_malformed_metadata_names_the_file(tmp_path):
    spec = NetworkSpec(sizes=(4, 3))
    deep = "[" * 100_000 + "]" * 100_000
    for name, spec_json, extra in (("deep-extra", spec.to_json(), deep), ("deep-spec", deep, "{}"),
                                   ("bad-extra", spec.to_json(), "{not json"), ("list-extra", spec.to_json(), "[1]"),
                                   ("bad-spec", '{"sizes": [4, 3], "steps": "many"}', "{}")):
        path = _forge(tmp_path / f"{name}.safetensors", {"W0": torch.zeros(3, 4)}, spec_json, extra)
        with pytest.raises(ValueError, match=f"{name}.safetensors"):
            load_model(path)


def test_biases_round_trip_and_are_required(tmp_path):
    spec = NetworkSpec(sizes=(4, 3, 2), bias=True)
    w = init_weights(spec, torch.Generator().manual_seed(0))
    b = [torch.tensor([0.5, -0.25, 0.0]), torch.tensor([1.0, 2.0])]
    path = save_model(tmp_path / "m.safetensors", spec, w, biases=b)
    spec2, w2, meta = load_model(path)
    assert spec2 == spec and all(torch.equal(x, y) for x, y in zip(b, meta["biases"]))
    from safetensors import safe_open
    with safe_open(str(path), "pt") as f:
        assert sorted(f.keys()) == ["W0", "W1", "b0", "b1"]
        file_meta = f.metadata()
    with pytest.raises(ValueError, match="bias=true, so biases must list 2 vectors"):
        save_model(tmp_path / "n.safetensors", spec, w)
    with pytest.raises(ValueError, match="biases given but the spec has bias=false"):
        save_model(tmp_path / "n.safetensors", spec.with_(bias=False), w, biases=b)
    from safetensors.torch import save_file
    save_file({"W0": w[0], "W1": w[1]}, str(tmp_path / "nob.safetensors"), metadata=file_meta)
    with pytest.raises(ValueError, match=r"need \['W0', 'W1', 'b0', 'b1'\]"):
        load_model(tmp_path / "nob.safetensors")
    assert load_model(save_model(tmp_path / "plain.safetensors", spec.with_(bias=False), w))[2]["biases"] is None


def test_a_model_file_written_before_spec_version_2_still_loads(tmp_path):
    from safetensors.torch import save_file

    from tests.test_spec import V1_JSON
    path = tmp_path / "v1.safetensors"
    w = [torch.zeros(196, 784), torch.zeros(784, 196)]
    save_file({"W0": w[0], "W1": w[1]}, str(path),   # what save_model wrote with spec version 1
              metadata={"format": "spikesynth-model", "kind": "snn", "spec": V1_JSON, "extra": "{}"})
    spec, weights, meta = load_model(path, kind="snn")
    assert spec.neuron.is_paper and not spec.bias and meta["biases"] is None and len(weights) == 2


def test_biases_that_are_not_floating_point_or_not_tensors(tmp_path):
    from models.io import check_biases

    spec = NetworkSpec(sizes=(4, 3, 4), bias=True)
    with pytest.raises(ValueError, match="b0 has dtype torch.int64"):
        check_biases(spec, [torch.zeros(3, dtype=torch.int64), torch.zeros(4)], "x")
    check_biases(spec, [[0.0, 0.0, 0.0], [0.0] * 4], "x")        # lists of floats are tensors enough


def test_a_model_in_an_incomplete_folder_is_refused_before_it_is_read(tmp_path):
    from models.files import INCOMPLETE

    (tmp_path / "model.safetensors").write_bytes(b"not a model: the write was killed")
    (tmp_path / INCOMPLETE).write_text("train: interrupted")
    with pytest.raises(ValueError, match="incomplete"):
        load_model(tmp_path / "model.safetensors")


def test_the_umask_is_read_without_changing_it(monkeypatch):
    import os

    import models.files as files

    old = os.umask(0o027)
    try:
        calls = []
        real = os.umask
        monkeypatch.setattr(files.os, "umask", lambda m: calls.append(m) or real(m))
        assert files.current_umask() == 0o027 and calls == []     # read from /proc/self/status
    finally:
        os.umask(old)

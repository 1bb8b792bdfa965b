"""The Brian2 network agrees with the float64 mirror spike for spike (models.brian_snn)."""

import pytest
import torch

from encoders.rate import poisson
from models.brian_snn import run_brian
from models.compare import compare_recordings
from models.spec import NetworkSpec, NeuronSpec
from models.torch_snn import SpikingNetwork

F64 = torch.float64


def assert_agree(ref, rec, tol=1e-9):
    """Identical spikes in every layer and membranes within ``tol``."""
    for row in compare_recordings(ref, rec):
        assert row["mismatches"] == 0, row
        assert row["max_abs_dv"] <= tol, row


def random_net(seed=0, sizes=(784, 196, 784)):
    """Weights that make every layer spike a lot (hidden ~45 %, output ~10 % of steps)."""
    spec = NetworkSpec(sizes=sizes, steps=15)
    g = torch.Generator().manual_seed(seed)
    w0 = torch.rand(spec.weight_shapes()[0], generator=g, dtype=F64) * 0.35 - 0.15
    w1 = torch.rand(spec.weight_shapes()[1], generator=g, dtype=F64) * 0.2 - 0.1
    return SpikingNetwork(spec, [w0, w1], dtype=F64)


def random_input(n, n_in=784, steps=15, seed=1):
    g = torch.Generator().manual_seed(seed)
    return poisson(torch.rand(n, n_in, generator=g, dtype=F64) * 0.25, steps, 300.0, seed=seed)


def test_two_neuron_hand_case_gives_the_mirror_trace():
    # 1-1-1 chain of tests/test_torch_snn.py: w0 = 0.6, w1 = 0.7, alpha = 0.1, Vth = 1
    spec = NetworkSpec(sizes=(1, 1, 1), neuron=NeuronSpec(alpha=0.1, v_th=1.0), steps=5)
    net = SpikingNetwork(spec, [torch.tensor([[0.6]], dtype=F64), torch.tensor([[0.7]], dtype=F64)], dtype=F64)
    x = torch.tensor([1, 1, 0, 1, 1], dtype=F64).reshape(5, 1, 1)
    rec = run_brian(net.spec, list(net.weights), x, target="numpy", record_v=True, progress=False)
    assert rec.dense(0)[:, 0, 0].tolist() == [0, 1, 0, 0, 1]
    assert rec.dense(1)[:, 0, 0].tolist() == [0, 0, 0, 0, 1]
    assert rec.v[0][:, 0, 0] == pytest.approx([0.6, 1.0, 0.0, 0.6, 1.0], abs=1e-12)
    assert rec.v[1][:, 0, 0] == pytest.approx([0.0, 0.7, 0.63, 0.567, 1.0], abs=1e-12)
    assert_agree(net(x), rec, tol=0.0)
    assert rec.counts(1).tolist() == [[1]]
    for layer in (-1, 2):   # -1 once meant the input; it must not silently read the output layer
        with pytest.raises(ValueError, match="layer must be a weight layer"):
            rec.counts(layer)


def test_membranes_reset_between_images():
    # the same two images back to back give the same spikes in both presentations
    net = random_net(sizes=(100, 30, 20))
    x = poisson(torch.full((1, 100), 0.8, dtype=F64), 15, 300.0, seed=3)
    rec = run_brian(net.spec, list(net.weights), torch.cat([x, x], dim=1), target="numpy", record_v=True,
                    progress=False)
    for layer in range(2):
        d = rec.dense(layer)
        assert torch.equal(d[:, 0], d[:, 1]) and d.sum() > 0


def test_chunks_without_any_input_spike():
    net, x = random_net(sizes=(50, 20, 10)), random_input(6, n_in=50)
    x[:, 2:4] = 0   # the second chunk of two images is silent
    rec = run_brian(net.spec, list(net.weights), x, target="numpy", record_v=True, chunk_images=2, progress=False)
    assert_agree(net(x), rec)
    # no input spike at all: silent without biases, and biases alone drive the neurons
    silent = run_brian(net.spec, list(net.weights), torch.zeros_like(x), target="numpy", progress=False)
    assert [int(silent.counts(layer).sum()) for layer in range(2)] == [0, 0]
    spec = net.spec.with_(bias=True)
    biases = [torch.full((20,), 0.3, dtype=F64), torch.full((10,), 0.45, dtype=F64)]
    mirror = SpikingNetwork(spec, list(net.weights), dtype=F64, biases=biases)(torch.zeros_like(x))
    driven = run_brian(spec, list(net.weights), torch.zeros_like(x), target="numpy", biases=biases, progress=False)
    assert all(torch.equal(driven.dense(layer), mirror.spikes[layer]) for layer in range(2))
    assert mirror.spikes[1].sum() > 0


@pytest.mark.parametrize("backend", ["numpy", "cython"])
def test_random_784_196_784_over_100_images_agrees(backend):
    net, x = random_net(), random_input(100)
    ref = net(x)
    rec = run_brian(net.spec, list(net.weights), x, target=backend, record_v=True, chunk_images=40, progress=False)
    assert all(0.05 < float(s.mean()) < 0.6 for s in ref.spikes)  # every layer spikes a lot
    assert_agree(ref, rec)
    # without membrane recording the clip is skipped (simulate's path): same spikes
    fast = run_brian(net.spec, list(net.weights), x, target=backend, chunk_images=40, progress=False)
    assert all(torch.equal(fast.dense(layer), s) for layer, s in enumerate(ref.spikes))


@pytest.mark.parametrize("clip", [True, False])
def test_near_threshold_dyadic_sums_agree(clip):
    # alpha = 1/4 and weights k/16: every membrane value is exact in float64 whatever the
    # summation order, and many sums land exactly on v_th = 1.
    spec = NetworkSpec(sizes=(64, 48, 32), neuron=NeuronSpec(alpha=0.25, v_th=1.0, clip=clip), steps=12)
    g = torch.Generator().manual_seed(5)
    w = [torch.randint(-3, 6, shape, generator=g).to(F64) / 16 for shape in spec.weight_shapes()]
    net = SpikingNetwork(spec, w, dtype=F64)
    x = poisson(torch.full((30, 64), 0.5, dtype=F64), 12, 300.0, seed=6)
    ref = net(x)
    rec = run_brian(net.spec, list(net.weights), x, target="numpy", record_v=True, progress=False)
    on_threshold = sum(int((v == 1.0).sum()) for v in ref.v)
    assert on_threshold > 300
    assert_agree(ref, rec, tol=0.0)


def test_brian2_default_schedule_breaks_agreement():
    # the exactness test can fail: Brian2's own order delays each layer by one step
    net, x = random_net(sizes=(100, 50, 40)), random_input(10, n_in=100)
    rec = run_brian(net.spec, list(net.weights), x, target="numpy", record_v=True, schedule="brian2-default",
                    progress=False)
    with pytest.raises(AssertionError):
        assert_agree(net(x), rec)


def test_rejects_bad_arguments():
    net = random_net(sizes=(4, 3, 2))
    args = (net.spec, list(net.weights))
    with pytest.raises(ValueError, match="target must be one of"):
        run_brian(*args, random_input(1, n_in=4), target="gpu")
    with pytest.raises(ValueError, match=r"\[T, batch, 4\]"):
        run_brian(*args, random_input(1, n_in=5), target="numpy")
    with pytest.raises(ValueError, match="spec must be a NetworkSpec"):
        run_brian(net, list(net.weights), random_input(1, n_in=4), target="numpy")
    with pytest.raises(ValueError, match="W1 has shape"):
        run_brian(net.spec, [net.weights[0], net.weights[0]], random_input(1, n_in=4), target="numpy")
    with pytest.raises(ValueError, match="fixed_point must be a FixedPoint"):
        run_brian(*args, random_input(1, n_in=4), target="numpy", fixed_point=8)
    with pytest.raises(ValueError, match="biases given but the spec has bias=false"):
        run_brian(*args, random_input(1, n_in=4), target="numpy", biases=[torch.zeros(3), torch.zeros(2)])
    with pytest.raises(ValueError, match="chunk_images"):
        run_brian(*args, random_input(1, n_in=4), target="numpy", chunk_images=0)


def test_model_file_with_wrong_shapes_is_refused_before_simulating(tmp_path, monkeypatch, capsys):
    from safetensors.torch import save_file

    import models.backends
    from training.cli import main

    spec = NetworkSpec(sizes=(784, 196, 784))
    path = tmp_path / "bad.safetensors"
    save_file({"W0": torch.zeros(100, 784), "W1": torch.zeros(784, 100)}, str(path),
              metadata={"format": "spikesynth-model", "kind": "snn", "spec": spec.to_json(), "extra": "{}"})

    def must_not_run(*args, **kwargs):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(models.backends, "run_brian", must_not_run)
    assert main(["simulate", "--model", str(path), "--n", "5", "--target", "numpy"]) == 1
    assert "another architecture" in capsys.readouterr().err


@pytest.mark.slow
def test_cpp_standalone_agrees():
    net, x = random_net(), random_input(100)
    rec = run_brian(net.spec, list(net.weights), x, target="cpp_standalone", record_v=True, progress=False)
    assert_agree(net(x), rec)

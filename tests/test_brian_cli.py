"""``spikesynth simulate`` and ``spikesynth compare`` end to end on small runs."""

import json
import os

import pytest

from models.io import save_model
from tests.test_brian import random_net
from training.cli import main

DATA = os.environ.get("SPIKESYNTH_DATA")
needs_data = pytest.mark.skipif(not (DATA and os.path.isdir(os.path.join(DATA, "mnist"))),
                                reason="set SPIKESYNTH_DATA to a directory holding mnist/")


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    net = random_net()
    return str(save_model(tmp_path_factory.mktemp("m") / "model.safetensors", net.spec, list(net.weights)))


def run_json(capsys, argv):
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


@needs_data
def test_simulate_brian2_and_mirror_report_the_same_numbers(model_file, capsys):
    args = ["simulate", "--model", model_file, "--n", "12", "--json"]
    code_b, brian = run_json(capsys, args + ["--target", "numpy"])
    code_m, mirror = run_json(capsys, args + ["--backend", "mirror"])
    assert code_b == code_m == 0 and brian["n"] == mirror["n"] == 12
    for key in ("spike_mse", "pixel_mse", "synops_per_image", "spikes_per_image"):
        assert brian[key] == mirror[key], key
    assert brian["synops_per_image"] > 0 and brian["seconds"] > 0
    assert brian["ann_macs_per_image"] == 2 * 784 * 196


@needs_data
@pytest.mark.parametrize("bits", [None, 6])
def test_compare_reports_zero_mismatches_and_writes_the_figure(model_file, capsys, tmp_path, bits):
    plot = tmp_path / "cmp.png"
    argv = ["compare", "--model", model_file, "--n", "5", "--json", "--plot", str(plot)]
    code, out = run_json(capsys, argv + (["--weight-bits", str(bits)] if bits else []))
    assert code == 0 and out["agree"]
    assert [r["mismatches"] for r in out["layers"]] == [0, 0]
    assert all(r["mirror_spikes"] == r["brian2_spikes"] > 0 for r in out["layers"])
    assert plot.stat().st_size > 10_000


@needs_data
def test_bad_arguments_are_refused(model_file, capsys):
    assert main(["simulate", "--model", model_file, "--n", "0"]) == 1
    assert "--n must be >= 1" in capsys.readouterr().err
    assert main(["compare", "--model", model_file, "--n", "2", "--plot", "x.jpg"]) == 1
    assert main(["simulate", "--model", "/nonexistent.safetensors"]) == 1
    assert "not found" in capsys.readouterr().err


def _compare_trained(path, capsys):
    for extra in ([], ["--weight-bits", "8"]):
        code, out = run_json(capsys, ["compare", "--model", str(path), "--n", "100", "--json"] + extra)
        assert code == 0 and [r["mismatches"] for r in out["layers"]] == [0, 0], out


@needs_data
def test_briefly_trained_model_agrees(tmp_path, capsys):
    """A model trained by the paper's rule on 1,000 images: 0 mismatches, float and 8-bit."""
    assert main(["train", "autoencoder", "--dataset", "mnist", "--train-limit", "1000", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    _compare_trained(tmp_path / "model.safetensors", capsys)


@needs_data
@pytest.mark.slow
def test_model_trained_for_a_full_epoch_agrees(tmp_path, capsys):
    assert main(["train", "autoencoder", "--dataset", "mnist", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    _compare_trained(tmp_path / "model.safetensors", capsys)


@needs_data
def test_simulate_text_says_n_a_for_a_metric_without_a_target(tmp_path, capsys):
    net = random_net(sizes=(784, 16, 10))   # the output fits neither the input nor the pixels
    path = str(save_model(tmp_path / "m.safetensors", net.spec, list(net.weights)))
    assert main(["simulate", "--model", path, "--n", "2", "--backend", "mirror"]) == 0
    assert "spike_mse n/a, pixel_mse n/a" in capsys.readouterr().out

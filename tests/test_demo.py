"""The offline demo: bundled sample -> trained AE-SNN -> Brian2 agrees with the mirror."""

import json

import torch

from models.io import load_model
from training.cli import main
from training.data import load_sample
from training.evaluate import evaluate_model


def test_demo_runs_offline_and_agrees(tmp_path, capsys, monkeypatch, plotted):
    monkeypatch.delenv("SPIKESYNTH_DATA", raising=False)   # the demo needs no dataset folder
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--compare-images", "5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # the grid shows the outputs behind summary["test"] (all 1,000 test images, seed 0)
    spec, weights, _ = load_model(out / "model.safetensors")
    test = torch.from_numpy(load_sample("test")[0]).to(torch.float32) / 255
    scored, outputs = evaluate_model(spec, weights, test, seed=0)
    timing = ("seconds",)   # the one number that differs between two evaluations
    assert {k: v for k, v in scored.items() if k not in timing} == {
        k: v for k, v in summary["test"].items() if k not in timing} and outputs[:10].sum() > 0
    assert torch.equal(plotted["inputs"], test[:10]) and torch.equal(plotted["outputs"], outputs[:10])
    assert summary["test"]["n"] == 1000 and 0 < summary["test"]["spike_mse"] < 1.5
    assert [r["mismatches"] for r in summary["brian2_vs_mirror"]] == [0, 0]
    assert summary["brian2_vs_mirror"][0]["mirror_spikes"] > 0
    for name in ("model.safetensors", "metrics.json", "reconstructions.png", "compare.png"):
        assert (out / name).stat().st_size > 0, name


def test_demo_rejects_bad_counts(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--epochs", "0"]) == 1
    assert "--epochs" in capsys.readouterr().err

"""The offline demo: bundled sample -> trained AE-SNN -> Brian2 agrees with the mirror."""

import json

from training.cli import main


def test_demo_runs_offline_and_agrees(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SPIKESYNTH_DATA", raising=False)   # the demo needs no dataset folder
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "1", "--compare-images", "5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["test"]["n"] == 1000 and 0 < summary["test"]["spike_mse"] < 1.5
    assert [r["mismatches"] for r in summary["brian2_vs_mirror"]] == [0, 0]
    assert summary["brian2_vs_mirror"][0]["mirror_spikes"] > 0
    for name in ("model.safetensors", "metrics.json", "reconstructions.png", "compare.png"):
        assert (out / name).stat().st_size > 0, name


def test_demo_rejects_bad_counts(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--epochs", "0"]) == 1
    assert "--epochs" in capsys.readouterr().err

"""benchmarks/bench_sweeps.py fails (exit 1) when the serial and the Dask numbers differ."""

import importlib.util
import json
from pathlib import Path

import pytest


@pytest.fixture
def bench(monkeypatch):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_sweeps.py"
    spec = importlib.util.spec_from_file_location("bench_sweeps", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "free_cores", lambda n, env: float(n))
    return module


def fake_simulate(monkeypatch, bench, mse_of_two_workers):
    def spikesynth(args, env, log=None):
        workers = int(args[args.index("--workers") + 1])
        mse = mse_of_two_workers if workers == 2 else 0.5
        return 1.0, json.dumps({"n": 4, "spike_mse": mse, "seconds": 0.1 * workers})
    monkeypatch.setattr(bench, "spikesynth", spikesynth)


def test_equal_numbers_pass_and_different_ones_exit_1(bench, monkeypatch, tmp_path, capsys):
    argv = ["--skip-figures", "--model", "m.safetensors", "--n", "4", "--keep", str(tmp_path)]
    fake_simulate(monkeypatch, bench, 0.5)     # only the timings differ
    assert bench.main(argv) == 0
    fake_simulate(monkeypatch, bench, 0.6)
    assert bench.main(argv) == 1
    captured = capsys.readouterr()
    assert ".spike_mse: 1 worker 0.5, 2 workers 0.6" in captured.out
    assert "different numbers" in captured.err

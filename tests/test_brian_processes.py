"""The Brian2 path under real processes: concurrent cpp_standalone runs sharing one cache give
the results they give one after another."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from models.brian_snn import run_brian
from models.spec import NetworkSpec
from models.torch_snn import SpikingNetwork
from tests.test_brian import random_input

ROOT = Path(__file__).resolve().parents[1]
#: generous guard against a hung child (not a limit on how fast anything must be)
HANG = 600
SIZES = (100, 60, 40)
#: a worker: run_brian(cpp_standalone) of ``worker_net`` on the input of ``job_input``; prints the spikes
WORKER = """
import json, sys
from models.brian_snn import run_brian
from tests.test_brian_processes import job_input, worker_net
net = worker_net()
rec = run_brian(net.spec, list(net.weights), job_input(*map(int, sys.argv[1:])), target="cpp_standalone",
                progress=False)
print(json.dumps([[e.tolist() for e in layer] for layer in rec.events]))
"""


def worker_net() -> SpikingNetwork:
    """A float64 network of SIZES whose layers spike a lot (hidden ~35 %, output ~30 % of steps)."""
    spec = NetworkSpec(sizes=SIZES, steps=15)
    g = torch.Generator().manual_seed(0)
    w0 = torch.rand(spec.weight_shapes()[0], generator=g, dtype=torch.float64) * 0.5 - 0.1
    w1 = torch.rand(spec.weight_shapes()[1], generator=g, dtype=torch.float64) * 0.2 - 0.08
    return SpikingNetwork(spec, [w0, w1], dtype=torch.float64)


def job_input(n: int, seed: int, order: int = 0) -> torch.Tensor:
    """n random images' spikes of SIZES[0] inputs, their order rolled by ``order`` images."""
    return random_input(n, n_in=SIZES[0], seed=seed).roll(order, dims=1)


def child_env(cache: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SPIKESYNTH_CACHE=str(cache), MPLBACKEND="Agg")
    env.pop("PYTHONSTARTUP", None)
    return env


def mirror_events(job) -> list:
    """The float64 mirror's spikes of the worker's network and input, as the worker prints them."""
    out = []
    for s in worker_net()(job_input(*job)).spikes:   # [T, batch, N] -> (step, neuron) in time order then neuron order
        step, neuron = np.nonzero(s.permute(1, 0, 2).reshape(-1, s.shape[-1]).numpy())
        out.append([step.tolist(), neuron.tolist()])
    return out


def run_concurrently(cache: Path, jobs, delay: float = 0.0) -> list:
    """Start one worker per job ``job_input`` arguments) on ``cache``, ``delay`` seconds apart;
    their outputs."""
    procs = []
    for i, job in enumerate(jobs):
        if i and delay:
            time.sleep(delay)
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, *map(str, job)], cwd=ROOT,
                                      env=child_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=HANG)
        assert p.returncode == 0, err[-3000:]
        outputs.append(json.loads(out))
    return outputs


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A Brian2 cache holding a compiled build of the workers' network for 200 images of seed 0
    (and the precompiled header)."""
    cache = tmp_path_factory.mktemp("brian2-cache")
    old = os.environ.get("SPIKESYNTH_CACHE")
    os.environ["SPIKESYNTH_CACHE"] = str(cache)
    try:
        net = worker_net()
        run_brian(net.spec, list(net.weights), job_input(200, 0), target="cpp_standalone", progress=False)
    finally:
        if old is None:
            del os.environ["SPIKESYNTH_CACHE"]
        else:
            os.environ["SPIKESYNTH_CACHE"] = old
    return cache


def test_concurrent_cpp_standalone_runs_on_a_warm_cache_give_the_sequential_results(warm_cache):
    # the same images in three orders: the same code (nothing to recompile, so the runs overlap
    # most), different input arrays and results
    jobs = [(200, 0, 0), (200, 0, 67), (200, 0, 133)]
    outputs = run_concurrently(warm_cache, jobs)
    for job, out in zip(jobs, outputs):
        assert out == mirror_events(job), job
    assert outputs[0] != outputs[1] != outputs[2]
    assert not list((warm_cache / "brian2" / "standalone").glob("*/results-*"))   # every run's own, removed


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.5], ids=["together", "half-a-second-apart"])
def test_concurrent_cpp_standalone_runs_on_a_cold_cache_give_the_sequential_results(tmp_path, delay):
    # different image counts (as simulate --n 20 and --n 30): different code, so each process
    # builds; the precompiled header and the project are built by whichever comes first, the
    # others wait for the lock
    jobs = [(20, 0), (30, 5), (25, 3)]
    outputs = run_concurrently(tmp_path, jobs, delay)
    for job, out in zip(jobs, outputs):
        assert out == mirror_events(job), job

"""The Brian2 path under real processes: concurrent cpp_standalone runs sharing one cache give
the results they give one after another, and Ctrl-C (SIGINT to the process group) stops a
``spikesynth simulate`` with exit status 130 and no result instead of printing a truncated one."""

import gzip
import json
import os
import signal
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


# --- Ctrl-C ----------------------------------------------------------------------------------

def write_idx_sample(folder: Path) -> Path:
    """The bundled MNIST test sample as IDX files ``folder/mnist/t10k-*`` (a --data-dir)."""
    from training.data import load_sample

    images, labels = load_sample("test")
    mnist = folder / "mnist"
    mnist.mkdir(parents=True)
    with gzip.open(mnist / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x03" + b"".join(int(d).to_bytes(4, "big") for d in images.shape) + images.tobytes())
    with gzip.open(mnist / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01" + len(labels).to_bytes(4, "big") + labels.astype(np.uint8).tobytes())
    return folder


def model_file(folder: Path, hidden: int = 100) -> Path:
    from models.io import save_model
    from models.spec import NetworkSpec
    from models.torch_snn import init_weights

    spec = NetworkSpec(sizes=(784, hidden, 784))
    weights = init_weights(spec, torch.Generator().manual_seed(0), scale=0.3)
    return save_model(folder / "model.safetensors", spec, weights)


def start_cli(argv, cache: Path) -> subprocess.Popen:
    """``spikesynth ARGV`` in a process group of its own (as a shell starts a foreground job)."""
    code = "import sys; from training.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, *argv], cwd=ROOT, env=child_env(cache),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def read_until(proc: subprocess.Popen, pattern: bytes) -> bytes:
    """stderr of ``proc`` up to and including the first ``pattern`` (fails if the process ends first)."""
    seen = b""
    while pattern not in seen:
        chunk = os.read(proc.stderr.fileno(), 4096)
        assert chunk, f"the process ended before {pattern!r}; stderr: {seen[-3000:]!r}"
        seen += chunk
    return seen


def assert_interrupted(proc: subprocess.Popen, seen: bytes, command: str) -> None:
    os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C: the whole foreground process group
    out, err = proc.communicate(timeout=HANG)
    err = (seen + err).decode(errors="replace")
    assert proc.returncode == 130, err[-3000:]
    assert out == b""
    assert [line for line in err.splitlines() if "interrupted" in line] == [f"spikesynth {command}: interrupted"]
    assert "Traceback" not in err


@pytest.mark.parametrize("command, n", [("simulate", 1000), ("compare", 500)])
def test_ctrl_c_during_a_numpy_run_exits_130_without_a_result(tmp_path, command, n):
    data, model = write_idx_sample(tmp_path / "data"), model_file(tmp_path)
    proc = start_cli([command, "--model", str(model), "--n", str(n), "--target", "numpy", "--data-dir", str(data),
                      "--json"], tmp_path / "cache")
    chunks = n // 250
    try:
        seen = read_until(proc, f"0/{chunks}".encode())
        start = time.perf_counter()
        seen += read_until(proc, f"1/{chunks}".encode())
        # halfway through the second chunk's Network.run, where Brian2 takes SIGINT as "stop the run"
        time.sleep((time.perf_counter() - start) / 2)
        assert_interrupted(proc, seen, command)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def _group_runs(pgid: int, name: str) -> bool:
    """Whether a process called ``name`` runs in process group ``pgid``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if comm == name and int(rest[2]) == pgid:
            return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 1.0], ids=["as-the-binary-starts", "a-second-into-its-run"])
def test_ctrl_c_during_a_cpp_standalone_run_exits_130_without_a_result(tmp_path, delay):
    # 1,000 images through 784-1000-784: the binary runs about 3 s here. At its start it dies of
    # SIGINT (its handler is not installed yet; Brian2 prints its output and raises "Project run
    # failed"); later it stops the run, writes what it has and exits 0.
    data, model = write_idx_sample(tmp_path / "data"), model_file(tmp_path, hidden=1000)
    proc = start_cli(["simulate", "--model", str(model), "--n", "1000", "--target", "cpp_standalone",
                      "--data-dir", str(data), "--json"], tmp_path / "cache")
    try:
        seen = read_until(proc, b"compiling and running")
        while not _group_runs(proc.pid, "main"):   # the compiled binary simulates
            assert proc.poll() is None, "simulate ended before its binary ran"
            time.sleep(0.01)
        time.sleep(delay)
        assert proc.poll() is None and _group_runs(proc.pid, "main")
        assert_interrupted(proc, seen, "simulate")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_an_interrupted_compilation_raises_keyboard_interrupt(tmp_path, monkeypatch):
    # Brian2 runs make with os.system, which ignores SIGINT in this process: only make's shell
    # dies of it, and Brian2 says "Project compilation failed (error code: 2)". Stand-in: a
    # make command whose shell sends itself SIGINT (no compiler runs).
    import brian2

    import models.brian_snn as brian_snn

    monkeypatch.setenv("SPIKESYNTH_CACHE", str(tmp_path))
    monkeypatch.setattr(brian_snn, "_precompiled_header", lambda args: tmp_path / "std.h")
    old = brian2.prefs.devices.cpp_standalone.make_cmd_unix
    brian2.prefs.devices.cpp_standalone.make_cmd_unix = "kill -INT $$;"
    try:
        net = worker_net()
        with pytest.raises(KeyboardInterrupt):
            run_brian(net.spec, list(net.weights), job_input(3, 0), target="cpp_standalone", progress=False)
    finally:
        brian2.prefs.devices.cpp_standalone.make_cmd_unix = old
    assert brian2.get_device().__class__.__name__ == "RuntimeDevice"      # back to runtime mode
    assert brian_snn._killed_by_sigint(RuntimeError("Project compilation failed (error code: 2)."))
    assert brian_snn._killed_by_sigint(RuntimeError("Project compilation failed (error code: 33280)."))  # exit 130
    assert not brian_snn._killed_by_sigint(RuntimeError("Project compilation failed (error code: 512)."))

"""The figure plan and Brian2 runs as Dask tasks (training.sweeps, figures.parallel): real local
clusters on 127.0.0.1, results equal to the serial run's, killed workers, bad cluster options."""

import json
import socket
import sys
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import dask_helpers  # noqa: E402  (tests/: importable by the workers too)

from figures import parallel  # noqa: E402
from figures.runner import Context, _cache_key, is_cached, plan, run_item  # noqa: E402
from training import sweeps  # noqa: E402
from training.cli import main  # noqa: E402

TINY = {"train_limit": 200, "test_limit": 50}
SMALLEST = {"train_limit": 100, "test_limit": 20}   # one batch per model


@pytest.fixture
def ctx(tmp_path, data_dir):
    return Context(out=tmp_path / "out", data_dir=str(data_dir), cache=tmp_path / "cache", sizes=TINY)


@pytest.fixture(scope="module")
def client():
    """A local cluster of 2 single-threaded worker processes, shared by this module's tests."""
    with sweeps.cluster(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, data_dir):
    """A small trained AE-SNN file (784-32-784, T = 8) whose outputs spike."""
    from training.autoencoder import TrainConfig, train_autoencoder

    out = tmp_path_factory.mktemp("ae")
    train_autoencoder(TrainConfig(train_limit=200, hidden=32, steps=8, eval_limit=0), out, str(data_dir),
                      progress=False)
    return out / "model.safetensors"


def model_bytes(ctx, cfg) -> bytes:
    return (ctx.model_dir(_cache_key(cfg)) / "model.safetensors").read_bytes()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- bad input, before any work -----------------------------------------------------

@pytest.mark.parametrize("workers, scheduler, match", [
    (0, None, "--workers must be a positive integer"), (-2, None, "--workers must be a positive integer"),
    (True, None, "--workers must be a positive integer"), (2, "tcp://127.0.0.1:8786", "exclude each other"),
    (None, "127.0.0.1", "--scheduler must be a Dask scheduler address"),
    (None, "tcp://host:99999", "--scheduler must be a Dask scheduler address"),
])
def test_cluster_options_are_checked(workers, scheduler, match):
    with pytest.raises(ValueError, match=match):
        sweeps.check_options(workers, scheduler)


@pytest.mark.parametrize("extra, match", [
    (["--workers", "0"], "--workers must be a positive integer"),
    (["--workers", "-3"], "--workers must be a positive integer"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "exclude each other"),
    (["--threads", "0"], "--threads must be a positive integer"),
])
def test_figures_refuses_bad_cluster_options_before_any_work(tmp_path, capsys, extra, match):
    cache = tmp_path / "cache"
    assert main(["figures", "fig3", "--out", str(tmp_path / "out"), "--cache", str(cache), *extra]) == 1
    assert match in capsys.readouterr().err
    assert not cache.exists()


def test_an_unreachable_scheduler_is_an_error_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweeps, "CONNECT_TIMEOUT", 2.0)
    cache = tmp_path / "cache"
    address = f"tcp://127.0.0.1:{closed_port()}"
    assert main(["figures", "fig3", "--out", str(tmp_path / "out"), "--cache", str(cache), "--scheduler", address]) == 1
    err = capsys.readouterr().err
    assert f"--scheduler {address}: no Dask scheduler answered there within 2 s" in err
    assert not any(cache.iterdir())   # nothing trained


def test_without_dask_workers_says_how_to_install_and_the_serial_run_needs_none(tmp_path, capsys, monkeypatch,
                                                                                data_dir):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed -> ImportError
    monkeypatch.setitem(sys.modules, "dask", None)
    args = ["figures", "fig1", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c"), "--data-dir",
            str(data_dir)]
    assert main([*args, "--workers", "2"]) == 1
    assert 'pip install -e ".[dask]"' in capsys.readouterr().err
    assert main(args) == 0 and (tmp_path / "out" / "fig1.json").is_file()


def test_workers_that_do_not_see_the_cache_are_an_error_before_any_work(tmp_path, monkeypatch, capsys):
    import logging

    import distributed

    # the worker works in another folder, so /proc/self/cwd/cache names another folder there
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setenv("BLIND_WORKER_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, preload=["dask_helpers"], silence_logs=logging.ERROR) as lc:
        cache = "/proc/self/cwd/cache"
        assert main(["figures", "fig3", "--out", "out", "--cache", cache, "--scheduler", lc.scheduler_address]) == 1
        err = capsys.readouterr().err
    assert f"--cache {cache}: not every Dask worker sees this folder" in err and "No such file" in err
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []   # the probe is removed, nothing trained


# --- the plan -----------------------------------------------------------------------

def test_the_plan_lists_the_audio_experiment_after_its_autoencoders(ctx):
    from figures import audio, fig3, fig9, table1

    items = plan(ctx, [fig9, fig3, table1])
    experiment = audio.experiments(ctx)[0]
    assert items[-1] == experiment and items.count(experiment) == 1   # once, though two figures show it
    assert experiment.needs == tuple(audio.autoencoder_configs(ctx)) and set(experiment.needs) <= set(items)
    tasks = parallel.plan_tasks(ctx, [fig9, fig3, table1])
    names = [t.name for t in tasks]
    first = [parallel.task_name(c) for c in experiment.needs]
    assert names[:4] == [*first, "audio experiment"]                  # it starts as early as it can
    assert tasks[3].after == tuple(first) and all(t.after == () for t in tasks[4:])
    assert len(names) == len(set(names)) == len(items)
    assert 0 < experiment.estimate_seconds() < tasks[3].estimate_s + 1


def test_estimate_wall_respects_workers_and_dependencies():
    tasks = [sweeps.Task("a", print, estimate_s=10), sweeps.Task("b", print, estimate_s=4),
             sweeps.Task("c", print, after=("a",), estimate_s=5), sweeps.Task("d", print, estimate_s=3)]
    assert sweeps.estimate_wall(tasks, 1) == 22
    assert sweeps.estimate_wall(tasks, 2) == 15      # c waits for a; b and d run beside it
    assert sweeps.estimate_wall(tasks, 8) == 15
    with pytest.raises(ValueError, match="not earlier tasks"):
        sweeps.estimate_wall(tasks[2:], 2)


# --- on a cluster -------------------------------------------------------------------

def test_tasks_run_with_the_pinned_torch_threads(client):
    for threads in (1, 2):
        with sweeps.torch_threads(threads):
            here = dask_helpers.threads_and_sum()
        there = sweeps.run_tasks(client, [sweeps.Task("t", dask_helpers.threads_and_sum)], threads=threads,
                                 progress=False)["t"]
        assert there == here and there[0] == threads


def test_an_experiment_runs_after_the_autoencoders_it_needs(client, ctx):
    tasks = parallel.plan_tasks(ctx, [dask_helpers])
    assert [t.after for t in tasks] == [(), (), tuple(t.name for t in tasks[:2])]
    results = sweeps.run_tasks(client, tasks, progress=False)
    assert sorted(results) == sorted(t.name for t in tasks)
    assert plan(ctx, [dask_helpers]) == [] and (ctx.cache / dask_helpers.STARTED).is_file()


def test_an_existing_scheduler_runs_the_plan(client, ctx, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ctx = replace(ctx, cache=Path("cache"))   # relative: sent to the workers as an absolute path
    items = parallel.run_plan(ctx, [dask_helpers], scheduler=client.scheduler.address, progress=False)
    assert len(items) == 3 and plan(ctx, [dask_helpers]) == []
    assert client.run(lambda: 1)   # the cluster is not closed by the run that used it


def test_a_failing_task_fails_the_sweep_naming_it_and_the_ones_waiting(client, ctx):
    tasks = parallel.plan_tasks(ctx, [dask_helpers])
    tasks[0] = replace(tasks[0], args=(replace(ctx, data_dir=str(ctx.cache / "no-such-folder")), tasks[0].args[1]))
    with pytest.raises(sweeps.SweepError, match="2 of 3 tasks did not finish") as info:
        sweeps.run_tasks(client, tasks, progress=False)
    said = str(info.value)
    assert tasks[0].name in said and "not run, as a task they wait for failed: fake experiment" in said
    assert [is_cached(ctx, c) for c in dask_helpers.configs(ctx)] == [False, True]   # the other one finished
    assert not (ctx.cache / dask_helpers.STARTED).exists()   # the experiment never started


def dying_task(ctx, tmp_path):
    """The first config of the helper figure, trained serially into a cache of its own, its plan
    task, and that task made to kill its worker once while writing: ``(cfg, serial, task, dying)``."""
    cfg = dask_helpers.configs(ctx)[0]
    serial = replace(ctx, cache=tmp_path / "serial")
    run_item(serial, cfg, progress=False)
    (task,) = [t for t in parallel.plan_tasks(ctx, [dask_helpers]) if t.args[1] == cfg]
    dying = replace(task, fn=dask_helpers.die_once_while_writing, args=(*task.args, str(tmp_path / "killed")))
    return cfg, serial, task, dying


def test_a_killed_worker_leaves_nothing_taken_as_a_result_and_the_task_is_redone(client, ctx, tmp_path):
    cfg, serial, task, dying = dying_task(ctx, tmp_path)

    # the scheduler allows no failure: the task fails loudly, its folder is refused until redone
    scheduler = client.cluster.scheduler
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0
    try:
        with pytest.raises(sweeps.SweepError, match="KilledWorker"):
            sweeps.run_tasks(client, [dying], progress=False)
    finally:
        scheduler.allowed_failures = allowed
    folder = ctx.model_dir(_cache_key(cfg))
    assert (tmp_path / "killed").is_file() and (folder / "INCOMPLETE").is_file() and not is_cached(ctx, cfg)
    from models.io import load_model
    with pytest.raises(ValueError, match="incomplete"):
        load_model(folder / "model.safetensors")
    sweeps.run_tasks(client, [task], progress=False)   # the rerun completes it: the serial run's model
    assert is_cached(ctx, cfg) and model_bytes(ctx, cfg) == model_bytes(serial, cfg)


@pytest.mark.slow
def test_a_killed_workers_task_is_rerun_by_the_scheduler(client, ctx, tmp_path):
    cfg, serial, task, dying = dying_task(ctx, tmp_path)
    sweeps.run_tasks(client, [dying], progress=False)   # the worker dies once; the task reruns on a fresh one
    assert (tmp_path / "killed").is_file() and is_cached(ctx, cfg)
    assert model_bytes(ctx, cfg) == model_bytes(serial, cfg)


def test_figures_on_two_workers_equal_the_serial_run(tmp_path, data_dir, capsys):
    from figures import fig3

    # the workers: the LocalCluster of 2 processes that --workers 2 starts itself (an existing
    # scheduler: test_an_existing_scheduler_runs_the_plan)
    runs = {}
    for name, extra in (("serial", []), ("workers", ["--workers", "2"])):
        out, cache = tmp_path / name / "out", tmp_path / name / "cache"
        assert main(["figures", "fig3", "--out", str(out), "--cache", str(cache), "--data-dir", str(data_dir),
                     *sum((["--set", f"{k}={v}"] for k, v in SMALLEST.items()), []), *extra]) == 0
        runs[name] = Context(out=out, data_dir=str(data_dir), cache=cache, sizes=SMALLEST)
    assert "figure plan" in capsys.readouterr().err   # the one overall bar of the tasks
    serial, workers = runs["serial"], runs["workers"]
    for cfg in fig3.configs(serial):
        assert model_bytes(serial, cfg) == model_bytes(workers, cfg)   # bit-identical weights
        a, b = (json.loads((c.model_dir(_cache_key(cfg)) / "result.json").read_text()) for c in (serial, workers))
        assert a["history"] == b["history"]
        for part in ("train", "test"):   # every number but the wall-clock seconds
            assert {k: v for k, v in a[part].items() if k != "seconds"} == {k: v for k, v in b[part].items()
                                                                          if k != "seconds"}
    assert (serial.out / "fig3.json").read_text() == (workers.out / "fig3.json").read_text()
    # a rerun trains nothing and starts no cluster
    assert plan(workers, [fig3]) == []
    assert main(["figures", "fig3", "--out", str(workers.out), "--cache", str(workers.cache), "--data-dir",
                 str(data_dir), *sum((["--set", f"{k}={v}"] for k, v in SMALLEST.items()), []), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "0 model(s) to train" in err and "figure plan" not in err
    assert Path(workers.out / "fig3.csv").read_text() == Path(serial.out / "fig3.csv").read_text()


# --- simulate on workers ------------------------------------------------------------

def test_brian2_chunks_give_the_counts_of_one_run(client, tiny_model, data_dir):
    import numpy as np

    from models.backends import Network, run
    from models.encode import encode
    from training.evaluate import brian2_chunks, load_split

    net = Network.from_file(tiny_model)
    spikes = encode(load_split("mnist", "test", str(data_dir), 7), net.spec, seed=3)
    whole = run(net, spikes, "brian2", "numpy", progress=False).counts
    assert whole[-1].sum() > 0
    assert sweeps.chunk_bounds(7, 3) == [(0, 3), (3, 5), (5, 7)]
    for chunks in (1, 3):   # one chunk: one run over all images, on a worker; three on two workers
        chunked = brian2_chunks(net, spikes, "numpy", scheduler=client.scheduler.address, progress=False,
                                chunks=chunks)
        assert [c.shape for c in chunked.counts] == [c.shape for c in whole]
        assert all(np.array_equal(a, b) for a, b in zip(chunked.counts, whole)), chunks


def test_simulate_on_workers_prints_what_one_run_prints(client, tiny_model, data_dir, capsys):
    args = ["simulate", "--model", str(tiny_model), "--n", "9", "--target", "numpy", "--data-dir", str(data_dir),
            "--json"]
    printed, reports = {}, {}
    for name, extra in (("serial", []), ("workers", ["--scheduler", client.scheduler.address])):
        assert main([*args, *extra]) == 0
        printed[name] = capsys.readouterr()
        reports[name] = json.loads(printed[name].out)
        assert reports[name].pop("seconds") > 0   # the only number that may differ: wall time
    assert reports["serial"] == reports["workers"] and reports["serial"]["n"] == 9
    assert reports["serial"]["backend"] == "brian2" and reports["serial"]["spike_mse"] is not None
    assert "brian2 numpy chunks" in printed["workers"].err and "2/2" in printed["workers"].err


@pytest.mark.parametrize("extra, match", [
    (["--workers", "0"], "--workers must be a positive integer"),
    (["--workers", "2", "--backend", "mirror"], "need --backend brian2"),
    (["--workers", "2", "--input-spikes", "in.npy"], "do not take --input-spikes"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "exclude each other"),
])
def test_simulate_refuses_bad_cluster_options_before_any_work(extra, match, capsys, monkeypatch):
    import training.evaluate

    monkeypatch.setattr(training.evaluate, "load_split", lambda *a, **k: pytest.fail("loaded images"))
    assert main(["simulate", "--model", "no-such-model.safetensors", *extra]) == 1
    assert match in capsys.readouterr().err


def test_a_build_slot_is_checked_before_any_run(tiny_model):
    import torch

    from models.backends import Network, run

    net = Network.from_file(tiny_model)
    spikes = torch.zeros(net.spec.steps, 1, net.spec.sizes[0])   # the slot is checked before the spikes
    with pytest.raises(ValueError, match="build_slot must be an integer >= 0"):
        run(net, spikes, "brian2", "cpp_standalone", build_slot=-1)


@pytest.mark.slow
def test_cpp_standalone_chunks_in_their_own_build_folders_give_the_counts_of_one_run(client, tiny_model, data_dir):
    import numpy as np

    from models.backends import Network, run
    from models.encode import encode
    from training.evaluate import brian2_chunks, load_split

    net = Network.from_file(tiny_model)
    spikes = encode(load_split("mnist", "test", str(data_dir), 20), net.spec, seed=0)
    whole = run(net, spikes, "brian2", "cpp_standalone", progress=False).counts
    chunked = brian2_chunks(net, spikes, "cpp_standalone", scheduler=client.scheduler.address, progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(chunked.counts, whole)) and whole[-1].sum() > 0

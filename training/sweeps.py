"""Run independent pieces of work as tasks on Dask workers: a local cluster or an existing one.

The generic runner behind ``spikesynth figures --workers N`` (and any sweep of trainings or
simulations): ``cluster`` starts a ``LocalCluster`` of N single-threaded worker processes on
127.0.0.1, or connects to a running scheduler (``dask scheduler`` / ``dask worker``), checks
that every worker sees the shared folders the tasks write into and runs the same code, and
closes it all afterwards; ``run_tasks`` submits ``Task`` s (a task may wait for others: Dask
futures depending on futures), shows one overall progress bar, gathers the results and
raises ``SweepError`` naming every task that failed once the others are done.

The tasks' outputs (e.g. a model cache on a shared filesystem) are the only state: a worker
killed while running a task has that task rerun on another worker (the scheduler's
``allowed_failures``; beyond it the task fails with ``KilledWorker``), and a task that fails
fails the sweep loudly. Each task runs with a pinned number of torch threads (``threads``),
so its arithmetic does not depend on the worker it lands on.

Dask is optional (``pip install -e ".[dask]"``): this module imports it only when a cluster
is asked for (``require_distributed``), so serial runs never import it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: How to get Dask's distributed scheduler.
INSTALL_HINT = 'pip install -e ".[dask]" (in a spikesynth checkout) or pip install "dask[distributed]"'
#: Seconds to reach a scheduler (and to wait for its first worker) before giving up.
CONNECT_TIMEOUT = 5.0
# distributions whose versions must agree between the client and every worker
_VERSIONED = ("torch", "numpy", "brian2", "scipy", "safetensors")
#: spikesynth's packages, whose source every worker must share with the client (``check_same_code``).
SOURCE_PACKAGES = ("encoders", "models", "training", "figures")


class SweepError(RuntimeError):
    """Some tasks of a sweep failed (the message names each one and why); the others finished."""


@dataclass(frozen=True, eq=False)
class Task:
    """One piece of work: ``fn(*args, **kwargs)`` on a worker.

    name: unique within a sweep (progress and error messages say it); after: names of the
    tasks that must finish first (their results are not passed on: the tasks communicate
    through their outputs, e.g. a shared cache); estimate_s: its expected seconds, for the
    time estimate. ``fn`` and its arguments must pickle (a module-level function)."""

    name: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    after: tuple = ()
    estimate_s: float = 0.0


def check_options(workers=None, scheduler=None) -> None:
    """Check the cluster options before any work: ``workers`` a positive integer or None,
    ``scheduler`` an address string or None, not both. ValueError naming the option."""
    if workers is not None and scheduler is not None:
        raise ValueError("--workers and --scheduler exclude each other: --workers N starts a local cluster of N "
                         "worker processes, --scheduler ADDRESS uses the workers of an existing cluster")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"--workers must be a positive integer (the number of worker processes), got {workers!r}")
    if scheduler is not None:
        text = str(scheduler)
        host, sep, port = text.rpartition("://")[2].rpartition(":")
        if not (isinstance(scheduler, str) and sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"--scheduler must be a Dask scheduler address such as tcp://host:8786, got {scheduler!r}")


def require_distributed():
    """Import and return ``distributed``; ValueError saying how to install it if it is missing."""
    try:
        import distributed
    except ImportError:
        raise ValueError(f"--workers and --scheduler need Dask's distributed scheduler, which is not installed: "
                         f"{INSTALL_HINT}") from None
    return distributed


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run the block with ``threads`` torch intra-op threads (None: leave the count alone)."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --- the cluster ------------------------------------------------------------------

@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None, shared=(), same_code=(),
            timeout: float | None = None, allowed_failures: int = 3, silence_logs: int | None = None,
            preimport=("brian2",)):
    """Yield a ``distributed.Client`` for a sweep, and close what was started afterwards.

    workers: start a ``LocalCluster`` of that many worker processes on 127.0.0.1 (one thread
    each, no dashboard, no memory limit: a task may use what it would use in a serial run).
    scheduler: instead connect to a running scheduler at this address (``timeout`` seconds,
    default ``CONNECT_TIMEOUT``, to reach it and to see at least one worker). shared: folders
    the tasks write into; every worker must see them (``check_shared``). same_code: top-level
    packages every worker must run in the same version as this process (``check_same_code``).
    allowed_failures: how often a task's worker may die before the task fails (a local
    cluster's scheduler only; an existing scheduler keeps its own setting). preimport: modules
    every worker imports in its main thread when it starts (``brian2``: its import installs a
    signal handler, which a task, running in a worker thread, may not). Everything is checked
    before any task runs; ValueError naming the option otherwise."""
    import logging

    check_options(workers, scheduler)
    if workers is None and scheduler is None:
        raise ValueError("cluster needs --workers N or --scheduler ADDRESS")
    distributed = require_distributed()
    import dask

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    local = None
    if scheduler is None:
        with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
            # no dashboard; the scheduler's HTTP routes (health) on a free loopback port, not 8787
            local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                             scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                                             silence_logs=logging.ERROR if silence_logs is None else silence_logs)
        client = distributed.Client(local, set_as_default=False)
    else:
        try:
            client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler {scheduler}: no Dask scheduler answered there within {timeout:g} s "
                             f"({exc}); start one with `dask scheduler` and give its address") from None
    try:
        if scheduler is not None:
            try:
                client.wait_for_workers(1, timeout=timeout)
            except (OSError, TimeoutError):
                raise ValueError(f"--scheduler {scheduler}: the scheduler has no workers (none joined within "
                                 f"{timeout:g} s); start some with `dask worker {scheduler}`") from None
        if same_code:
            check_same_code(client, same_code)
        if preimport:
            from .sweeps_worker import Preimport

            client.register_plugin(Preimport(preimport))
        for folder in shared:
            check_shared(client, folder)
        yield client
    finally:
        client.close()
        if local is not None:
            local.close()


def worker_count(client) -> int:
    """The number of workers the scheduler knows now."""
    return len(client.scheduler_info(n_workers=-1)["workers"])


def _fingerprint(packages) -> dict:
    """This process's Python and library versions and a hash of the source of ``packages``."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in roots:
            for path in sorted(Path(root).rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    found = {"python": ".".join(map(str, sys.version_info[:3])), "code": digest.hexdigest()[:16]}
    for dist in _VERSIONED:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = None
    return found


def check_same_code(client, packages) -> None:
    """ValueError unless every worker runs the same Python, the same library versions and the
    same source of ``packages`` as this process (a worker with other code would put other
    numbers into a shared cache under the same keys)."""
    mine = _fingerprint(packages)
    theirs = client.run(_fingerprint, tuple(packages), on_error="return")
    for address, found in sorted(theirs.items()):
        if isinstance(found, BaseException):
            raise ValueError(f"the Dask worker {address} cannot run spikesynth's code ({type(found).__name__}: "
                             f"{found}): install the same spikesynth there") from None
        diff = [f"{key} {found.get(key)} there, {value} here" for key, value in mine.items() if found.get(key) != value]
        if diff:
            what = "; ".join(d.replace("code ", "the source of " + "/".join(packages) + " ", 1) for d in diff)
            raise ValueError(f"the Dask worker {address} runs other code than this process ({what}): "
                             f"install the same version on every worker")


def _answer_probe(probe: str, token: str) -> str:
    """On a worker: read the client's probe file and write a reply next to it; returns the
    reply's name, or ``error: ...``."""
    path = Path(probe)
    try:
        text = path.read_text()
    except OSError as exc:
        return f"error: it cannot read {path} ({exc.strerror or exc})"
    if text != token:
        return f"error: {path} holds other content there"
    reply = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.reply")
    try:
        reply.write_text(f"{token} {os.getpid()}")
    except OSError as exc:
        return f"error: it cannot write into {path.parent} ({exc.strerror or exc})"
    return reply.name


def check_shared(client, folder, what: str = "--cache") -> None:
    """ValueError unless every worker sees ``folder`` as this process does: this process
    writes a probe file there, each worker must read it and write a reply, which this
    process must see."""
    folder = Path(folder)
    token = uuid.uuid4().hex
    probe = folder / f".spikesynth-probe.{token}"
    probe.write_text(token)
    replies = {}
    try:
        replies = client.run(_answer_probe, str(probe), token, on_error="return")
        blind = {}
        for address, reply in sorted(replies.items()):
            if isinstance(reply, BaseException):
                blind[address] = f"the probe failed ({type(reply).__name__}: {reply})"
            elif reply.startswith("error: "):
                blind[address] = reply[len("error: "):]
            elif not (folder / reply).is_file() or (folder / reply).read_text().split()[0] != token:
                blind[address] = f"its reply {reply} does not appear here"
        if blind:
            said = "; ".join(f"worker {a}: {why}" for a, why in blind.items())
            raise ValueError(f"{what} {folder}: not every Dask worker sees this folder ({said}); it must be a "
                             f"folder that this machine and every worker share under the same path (e.g. on NFS)")
    finally:
        probe.unlink(missing_ok=True)
        for reply in replies.values():
            if isinstance(reply, str) and not reply.startswith("error: "):
                (folder / reply).unlink(missing_ok=True)


# --- the tasks --------------------------------------------------------------------

def _run(fn, args, kwargs, threads, *finished):
    """On a worker: ``fn(*args, **kwargs)`` with ``threads`` torch threads (``finished``: the
    results of the tasks it waited for, unused)."""
    with torch_threads(threads):
        return fn(*args, **kwargs)


def _check_tasks(tasks) -> None:
    names = set()
    for t in tasks:
        if not isinstance(t, Task):
            raise ValueError(f"tasks must be Task objects, got {type(t).__name__}")
        if t.name in names:
            raise ValueError(f"two tasks are named {t.name!r}")
        missing = [a for a in t.after if a not in names]
        if missing:
            raise ValueError(f"task {t.name!r} waits for {missing}, which are not earlier tasks of the sweep")
        names.add(t.name)


def estimate_wall(tasks, workers: int) -> float:
    """The expected wall time (seconds) of ``tasks`` on ``workers`` workers: list scheduling in
    the tasks' order, each started when a worker is free and the tasks it waits for are done."""
    _check_tasks(tasks)
    free, done, pending, now = [0.0] * max(1, workers), {}, list(tasks), 0.0
    while pending:
        now = max(now, min(free))
        ready = next((t for t in pending if all(done.get(a, float("inf")) <= now for a in t.after)), None)
        if ready is None:   # wait for the next task to finish
            now = min(v for v in list(done.values()) + free if v > now)
            continue
        i = free.index(min(free))
        done[ready.name] = now + ready.estimate_s
        free[i] = done[ready.name]
        pending.remove(ready)
    return max(done.values(), default=0.0)


def chunk_bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` (at most ``n``) contiguous ``(start, stop)`` ranges covering ``range(n)`` in order,
    their lengths differing by at most one."""
    parts = max(1, min(n, parts))
    size, extra = divmod(n, parts)
    bounds, start = [], 0
    for i in range(parts):
        stop = start + size + (i < extra)
        bounds.append((start, stop))
        start = stop
    return bounds


def minutes(seconds: float) -> str:
    """``12 s`` or ``3.4 min``: a duration for messages."""
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _failure(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_tasks(client, tasks, threads: int | None = 1, retries: int = 0, progress: bool = True,
              desc: str = "tasks", estimate: str = "") -> dict:
    """Run ``tasks`` (``Task``; each after the tasks its ``after`` names, which must come
    earlier) on the client's workers, in their order of priority, each with ``threads`` torch
    threads (None: the worker's default). ``retries``: reruns of a task that raised (a
    killed worker's task is rerun by the scheduler anyway). One progress bar counts the
    finished tasks (``estimate``: text shown with it). Returns ``{name: result}``; once every
    task has finished or failed, SweepError naming each failed task (and the ones that could
    not run because a task they wait for failed). Ctrl-C cancels the tasks."""
    from distributed import as_completed
    from tqdm import tqdm

    _check_tasks(tasks)
    run_id = uuid.uuid4().hex[:8]
    futures, names = {}, {}
    for i, t in enumerate(tasks):
        future = client.submit(_run, t.fn, t.args, t.kwargs, threads, *(futures[a] for a in t.after),
                               key=f"{t.name}-{run_id}", retries=retries, pure=False, priority=len(tasks) - i)
        futures[t.name], names[future.key] = future, t.name
    results, failed, blocked = {}, {}, []
    bar = tqdm(total=len(tasks), desc=desc, unit="task", disable=not progress, postfix=estimate or None)
    try:
        for future in as_completed(list(futures.values()), loop=client.loop):
            name = names[future.key]
            bar.update(1)
            if future.status == "finished":
                results[name] = future.result()
                continue
            task = next(t for t in tasks if t.name == name)
            if any(a in failed or a in blocked for a in task.after):
                blocked.append(name)
                continue
            try:
                failed[name] = _failure(future.exception())
            except BaseException as exc:   # cancelled (e.g. the scheduler went away)
                failed[name] = _failure(exc)
            (bar.write if progress else lambda s: print(s, file=sys.stderr))(f"task {name} failed: {failed[name]}")
    except BaseException:
        client.cancel(list(futures.values()), force=True)
        raise
    finally:
        bar.close()
    if failed:
        lines = [f"{name}: {why}" for name, why in failed.items()]
        if blocked:
            lines.append(f"not run, as a task they wait for failed: {', '.join(blocked)}")
        raise SweepError(f"{len(failed) + len(blocked)} of {len(tasks)} tasks did not finish ("
                         + "; ".join(lines) + "); the finished ones are kept: rerun to redo the others")
    return results

"""The figure plan as Dask tasks: ``spikesynth figures --workers N`` / ``--scheduler ADDRESS``.

``plan_tasks`` turns ``runner.plan`` (the autoencoder trainings and the experiments built on
them that the cache lacks) into ``training.sweeps.Task`` s: one per item, an experiment
waiting for the trainings it needs (Dask futures depending on futures), those trainings
first so that the long experiment starts as early as it can. ``run_plan`` runs them on a
cluster (``training.sweeps.cluster``: the cache checked to be shared with every worker,
the same code everywhere) and then checks, from this process, that every item is finished
in the cache. The cache is the only state: each task computes its item into the cache
exactly as the serial run does (same function, same seeds, same torch thread count), so a
task rerun after a killed worker, or the next run, finds what finished and redoes the rest.
The figures are then drawn in this process from the cache, as in a serial run.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from models.files import settings_key

from .runner import Context, _cache_key, describe, is_experiment, item_cached, item_seconds, plan, run_item

def task_name(item) -> str:
    """The unique name of a plan item's task: its description and, for an autoencoder, its cache folder."""
    return describe(item) if is_experiment(item) else f"{describe(item)} [{settings_key(_cache_key(item))}]"


def compute_item(ctx: Context, item) -> str:
    """On a worker: compute one plan item into the cache, without progress bars (``run_item``)."""
    return run_item(ctx, item, progress=False)


def plan_tasks(ctx: Context, modules, items=None) -> list:
    """The ``Task`` s of the figures ``modules`` (``items``: a ``plan`` already made): the
    trainings an experiment needs first, then the experiment (waiting for them), then the
    other trainings."""
    from training.sweeps import Task

    items = plan(ctx, modules) if items is None else items
    needed = {cfg for item in items if is_experiment(item) for cfg in item.needs}
    ordered = ([i for i in items if not is_experiment(i) and i in needed] + [i for i in items if is_experiment(i)]
               + [i for i in items if not is_experiment(i) and i not in needed])
    planned = {i for i in items if not is_experiment(i)}
    return [Task(task_name(item), compute_item, (ctx, item), estimate_s=item_seconds(item),
                 after=tuple(task_name(c) for c in item.needs if c in planned) if is_experiment(item) else ())
            for item in ordered]


def portable(ctx: Context) -> Context:
    """The context with absolute cache and data paths (workers elsewhere have other working
    folders); symbolic links are kept, as another machine may mount the folder elsewhere."""
    return replace(ctx, cache=Path(os.path.abspath(ctx.cache)),
                   data_dir=None if ctx.data_dir is None else os.path.abspath(ctx.data_dir))


def run_plan(ctx: Context, modules, workers: int | None = None, scheduler: str | None = None, threads: int = 1,
             items=None, progress: bool = True, tasks=None) -> list:
    """Compute the plan of ``modules`` into ``ctx.cache`` as Dask tasks on a local cluster of
    ``workers`` processes or on the cluster of ``scheduler``, each task with ``threads`` torch
    threads (as the serial run pins them). ``items``: a ``plan`` already made; ``tasks``: the
    tasks to run instead of ``plan_tasks`` (tests). Returns the plan's items; starts no cluster
    when there is nothing to compute. Checks before any
    work (options, Dask installed, every worker sees the cache and runs this code), and
    afterwards that every item is finished in the cache as this process sees it: ValueError
    otherwise; ``training.sweeps.SweepError`` naming the tasks that failed."""
    from training import sweeps

    sweeps.check_options(workers, scheduler)
    sweeps.require_distributed()
    if scheduler is not None:
        ctx = portable(ctx)
    items = plan(ctx, modules) if items is None else items
    tasks = plan_tasks(ctx, modules, items) if tasks is None else tasks
    if not tasks:
        return items
    Path(ctx.cache).mkdir(parents=True, exist_ok=True)
    with sweeps.cluster(workers, scheduler, shared=[ctx.cache], same_code=sweeps.SOURCE_PACKAGES) as client:
        n = sweeps.worker_count(client)
        wall = sweeps.estimate_wall(tasks, n)
        sweeps.run_tasks(client, tasks, threads=threads, progress=progress, desc="figure plan",
                         estimate=f"estimate {sweeps.minutes(wall)} on {n} worker(s)")
    missing = [describe(i) for i in items if not item_cached(ctx, i)]
    if missing:
        raise ValueError(f"the workers finished, but {', '.join(missing)} are not finished in the cache {ctx.cache} "
                         f"as this process sees it: is it the same folder on every machine?")
    return items


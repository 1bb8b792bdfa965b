"""What the Dask workers of tests/test_sweeps.py import by name (tests/ is on their sys.path):
a small figure module whose experiment needs two autoencoders, task functions that kill their
own worker once, and a worker preload that gives a worker another working folder."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

from figures.parallel import compute_item
from figures.runner import autoencoder_config, finished, is_cached, trained_autoencoder

NAME = "fake"
STARTED = "fake-experiment-started"   # written into the cache when the experiment starts
TITLE = "two small autoencoders and an experiment built on them"


def configs(ctx) -> list:
    return [autoencoder_config(ctx, hidden=16, steps=5), autoencoder_config(ctx, hidden=16, trainer="ann-adam")]


@dataclass(frozen=True)
class Experiment:
    """Like figures.audio.AudioExperiment: refuses to start before the autoencoders it needs are cached."""

    needs: tuple
    label: str = "fake experiment"

    def _key(self, ctx) -> dict:
        return {"what": "fake experiment", "seed": ctx.seed, "needs": len(self.needs)}

    def run(self, ctx, progress: bool = True) -> None:
        (ctx.cache / STARTED).write_text("the fake experiment started\n")
        missing = [c for c in self.needs if not is_cached(ctx, c)]
        if missing:
            raise RuntimeError(f"started before the {len(missing)} autoencoder(s) it needs were cached")
        ctx.cached(self._key(ctx), lambda: {"pixel_mse": [trained_autoencoder(ctx, c)["test"]["pixel_mse"]
                                                          for c in self.needs]})

    def is_cached(self, ctx) -> bool:
        return finished(ctx.model_dir(self._key(ctx)))

    def estimate_seconds(self) -> float:
        return 1.0


def experiments(ctx) -> list:
    return [Experiment(tuple(configs(ctx)))]


def die_once_while_writing(ctx, item, marker: str) -> str:
    """``compute_item``, except that the first call (no ``marker`` file yet) kills its own worker
    process with SIGKILL between writing model.safetensors and metrics.json."""
    import training.autoencoder as ta

    if not os.path.exists(marker):
        def dying(path, text):
            with open(marker, "w") as fh:
                fh.write(f"killed process {os.getpid()} before writing {path}\n")
            os.kill(os.getpid(), signal.SIGKILL)
        ta.write_text_atomic = dying   # in this worker process only, which dies with it
    return compute_item(ctx, item)


def threads_and_sum() -> tuple:
    """torch's thread count here and a float32 sum over 10^6 numbers (split across the threads)."""
    import torch

    x = torch.rand(1_000_000, generator=torch.Generator().manual_seed(0))
    return torch.get_num_threads(), float(x.sum())


def dask_setup(worker) -> None:
    """Worker preload (``preload=["dask_helpers"]``): work in ``$BLIND_WORKER_DIR``, so that paths
    through /proc/self/cwd name another folder there than in the client."""
    if os.environ.get("BLIND_WORKER_DIR"):
        os.chdir(os.environ["BLIND_WORKER_DIR"])

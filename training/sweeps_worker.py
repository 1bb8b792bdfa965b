"""What training.sweeps installs on Dask workers. Imports ``distributed``: only a cluster uses it."""

from __future__ import annotations

import importlib

from distributed import WorkerPlugin


class Preimport(WorkerPlugin):
    """Import ``modules`` in each worker's main thread when it starts (and when it restarts after
    a crash): tasks run in a worker thread, and ``brian2`` installs a SIGINT handler on import,
    which only the main thread may do."""

    idempotent = True
    name = "spikesynth-preimport"

    def __init__(self, modules) -> None:
        self.modules = tuple(modules)

    def setup(self, worker) -> None:
        for module in self.modules:
            importlib.import_module(module)

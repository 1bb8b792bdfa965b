"""The shared runner of all figures: output files, settings, and a cache of trained models.

Every figure script defines ``NAME``, ``TITLE`` and ``make(ctx) -> dict`` (the numbers
behind the figure); it draws with matplotlib and calls ``ctx.save``. Trained models
are cached by their settings (a hash of the key), so a second run, or a run resumed
after an interruption, retrains nothing that already finished.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from models.io import atomic_path

QUICK = {"train_limit": 2000, "test_limit": 1000, "fsdd_epochs": 2}
FULL = {"train_limit": 60000, "test_limit": 10000, "fsdd_epochs": 20}


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/spikesynth/figures`` (or ``~/.cache/...``): where trained models are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spikesynth" / "figures"


def settings_key(key: dict) -> str:
    """A short stable hash of a JSON-able settings dict."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Context:
    """What a figure script gets: where to write, how big to run, where data and cache live."""

    out: Path
    quick: bool = True
    data_dir: str | None = None
    cache: Path = field(default_factory=default_cache_dir)
    seed: int = 0
    written: list = field(default_factory=list)

    @property
    def settings(self) -> dict:
        """Run sizes: ``train_limit`` and ``test_limit`` images, ``fsdd_epochs``."""
        return QUICK if self.quick else FULL

    def save(self, name: str, fig, numbers: dict, rows: list[dict] | None = None) -> None:
        """Write ``name.png``, ``name.pdf``, ``name.json`` (numbers) and, given rows, ``name.csv``."""
        self.out.mkdir(parents=True, exist_ok=True)
        for ext in ("png", "pdf"):
            with atomic_path(self.out / f"{name}.{ext}") as tmp:
                fig.savefig(tmp, format=ext, bbox_inches="tight")
        numbers = {"figure": name, "quick": self.quick, "settings": self.settings, **numbers}
        with atomic_path(self.out / f"{name}.json") as tmp:
            tmp.write_text(json.dumps(numbers, indent=2, default=float))
        if rows:
            with atomic_path(self.out / f"{name}.csv") as tmp:
                with open(tmp, "w", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
                    writer.writeheader()
                    writer.writerows(rows)
        import matplotlib.pyplot as plt

        plt.close(fig)
        self.written.append(name)

    def cached(self, key: dict, compute: Callable[[], dict]) -> dict:
        """Return the JSON-able result of ``compute()`` for these settings, computing it
        only if no finished result is cached. ``compute`` may save model files into
        ``self.model_dir(key)``; the result JSON is written last, atomically, so an
        interrupted computation is redone on the next run."""
        directory = self.model_dir(key)
        result_path = directory / "result.json"
        if result_path.is_file():
            return json.loads(result_path.read_text())
        directory.mkdir(parents=True, exist_ok=True)
        result = compute()
        with atomic_path(result_path) as tmp:
            tmp.write_text(json.dumps({"key": key, **result}, default=float))
        return json.loads(result_path.read_text())

    def model_dir(self, key: dict) -> Path:
        """The cache directory of one trained model, named by its settings hash."""
        return self.cache / settings_key(key)

"""The shared runner of all figures: output files, settings, and a cache of trained models.

Every figure script defines ``NAME``, ``TITLE`` and ``make(ctx) -> dict`` (the numbers
behind the figure); it draws with matplotlib and calls ``ctx.save``. Trained models
are cached by their settings (a hash of the key), so a second run, or a run resumed
after an interruption, retrains nothing that already finished.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from models.files import INCOMPLETE, atomic_path, cache_root, settings_key

# audio_train / audio_test: FSDD clips (balanced over digits; None: the whole standard split)
QUICK = {"train_limit": 2000, "test_limit": 1000, "fsdd_epochs": 2, "audio_train": 500, "audio_test": 100}
FULL = {"train_limit": 60000, "test_limit": 10000, "fsdd_epochs": 20, "audio_train": None, "audio_test": None}


def default_cache_dir() -> Path:
    """``models.files.cache_root() / "figures"``: where trained models are kept."""
    return cache_root() / "figures"


#: Every figure ``spikesynth figures`` makes, in the order of ``all``.
FIGURES = ["fig1", "fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "trainers", "agreement", "events", "encoders", "fig9", "fig10", "table1"]


@dataclass
class Context:
    """What a figure script gets: where to write, how big to run, where data and cache live."""

    out: Path
    quick: bool = True
    data_dir: str | None = None
    cache: Path = field(default_factory=default_cache_dir)
    seed: int = 1
    sizes: dict | None = None

    @property
    def settings(self) -> dict:
        """Run sizes: ``train_limit`` and ``test_limit`` images, ``fsdd_epochs``, ``audio_train`` and ``audio_test`` clips (``sizes``
        overrides the quick/full presets, e.g. for tests)."""
        return {**(QUICK if self.quick else FULL), **(self.sizes or {})}

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

    def cached(self, key: dict, compute: Callable[[], dict]) -> dict:
        """Return the JSON-able result of ``compute()`` for these settings, computing it
        only if no finished result is cached (``finished``). ``compute`` may save model files
        into ``self.model_dir(key)``; the result JSON is written last, atomically, so an
        interrupted computation is redone on the next run."""
        directory = self.model_dir(key)
        result_path = directory / "result.json"
        if finished(directory):
            return json.loads(result_path.read_text())
        directory.mkdir(parents=True, exist_ok=True)
        result = compute()
        with atomic_path(result_path) as tmp:
            tmp.write_text(json.dumps({"key": key, **result}, default=float))
        return json.loads(result_path.read_text())

    def model_dir(self, key: dict) -> Path:
        """The cache directory of one trained model, named by its settings hash."""
        return self.cache / settings_key(key)


# --- trained autoencoders, shared by the figures ------------------------------------

# measured image-steps per second of each trainer for a 784-196-784 network on a 2-core
# machine (benchmarks/bench_training.py on the idle machine: 14-23 s and 22-34 s per MNIST
# epoch, an AE-ANN epoch 1.7-2.8 s; rounded up for a machine with other work); the time estimate
# scales them by network size
_IMAGE_STEPS_PER_SECOND = {"paper": 60000 * 15 / 22.0, "bptt": 60000 * 15 / 35.0}
_ANN_IMAGES_PER_SECOND = 60000 / 5.0


# the Fashion-MNIST AE-ANN of figs. 6, 7 and Table 1: Adam at the paper's lr with weight decay
FASHION_ANN = {"trainer": "ann-adam", "lr": 5e-3, "weight_decay": 1e-4}


def autoencoder_config(ctx: Context, **settings):
    """The ``TrainConfig`` of one autoencoder at this context's size (train_limit, eval_limit)."""
    from training.autoencoder import TrainConfig

    limit = ctx.settings["train_limit"]
    return TrainConfig(train_limit=None if limit >= 60000 else limit, eval_limit=ctx.settings["test_limit"],
                       seed=ctx.seed, **settings)


def _cache_key(cfg) -> dict:
    key = cfg.to_dict()
    for name in ("checkpoint_every", "device"):
        key.pop(name, None)
    return {"what": "autoencoder", **key}


def estimate_seconds(cfg) -> float:
    """Rough training + evaluation time of one ``TrainConfig`` on this class of machine (seconds)."""
    images = (cfg.train_limit or 60000) * cfg.epochs
    hidden = cfg.hidden if isinstance(cfg.hidden, int) else sum(cfg.hidden)   # a deeper network: every hidden layer
    size = (784 + hidden) / (784 + 196)
    if cfg.is_ann:
        return images / _ANN_IMAGES_PER_SECOND * size
    return images * cfg.steps / _IMAGE_STEPS_PER_SECOND[cfg.trainer] * size * 1.1


def check_limits(ctx: Context, modules) -> None:
    """ValueError (naming ``--set``) unless ``train_limit`` and ``test_limit`` fit the splits of every
    dataset the figures ``modules`` use (MNIST always): no figure uses fewer images than it records.
    Reads only the IDX headers; a dataset not found is left to the loader's message."""
    from training.data import idx_dims, locate_images

    datasets = {"mnist"} | {cfg.dataset for m in modules for cfg in getattr(m, "configs", lambda c: [])(ctx)}
    for dataset in sorted(datasets):
        for split, key in (("train", "train_limit"), ("test", "test_limit")):
            files = locate_images(dataset, split, ctx.data_dir)
            n = None if files is None else idx_dims(files.images, 3)[0]
            if n is not None and ctx.settings[key] > n:
                raise ValueError(f"--set {key}={ctx.settings[key]}: the {dataset} {split} split has only {n} images")


def finished(directory: Path) -> bool:
    """Whether a cache folder holds a finished result: its ``result.json``, and no
    ``INCOMPLETE`` marker (a write of its model files was interrupted: redo it)."""
    return (directory / "result.json").is_file() and not (directory / INCOMPLETE).exists()


def is_cached(ctx: Context, cfg) -> bool:
    """Whether this autoencoder has already been trained and evaluated in the cache."""
    return finished(ctx.model_dir(_cache_key(cfg)))


def trained_autoencoder(ctx: Context, cfg, progress: bool = True) -> dict:
    """Train (or reuse from the cache) the autoencoder of ``cfg``; evaluate it on the first
    ``test_limit`` training and test images. Returns ``{"history", "metrics", "train", "test",
    "model"}``: per-batch history lists, the trainer's metrics.json, the train/test metrics
    dicts (``pixel_mse``, ``spike_mse``, ``n``) and the model file's path. progress: show the
    training's progress bars."""
    import torch

    from training.autoencoder import (CHECKPOINT_FILE, CHECKPOINT_VERSION, EVAL_SEED, MODEL_FILE, checkpoint_version,
                                      train_autoencoder)
    from training.data import load_images
    from training.evaluate import evaluate_model

    key = _cache_key(cfg)
    directory = ctx.model_dir(key)
    if not cfg.is_ann and cfg.train_limit is None:  # long runs checkpoint so an interruption resumes
        from dataclasses import replace

        cfg = replace(cfg, checkpoint_every=50)

    def compute() -> dict:
        checkpoint = directory / CHECKPOINT_FILE
        resume, force = checkpoint.is_file(), False
        if resume and (version := checkpoint_version(checkpoint)) != CHECKPOINT_VERSION:
            print(f"figures: {checkpoint} is a checkpoint of format version {version}, not {CHECKPOINT_VERSION}: "
                  f"training {describe(cfg)} again from the start", file=sys.stderr)
            resume, force = False, True
        result = train_autoencoder(cfg, out_dir=directory, data_dir=ctx.data_dir, resume=resume, force=force,
                                   progress=progress)
        train_images, _ = load_images(cfg.dataset, "train", ctx.data_dir, as_float=True)
        train_images = torch.from_numpy(train_images[:ctx.settings["test_limit"]])
        kind = "ann" if cfg.is_ann else "snn"
        train_metrics, _ = evaluate_model(result.spec, result.weights, train_images, kind, seed=EVAL_SEED)
        return {"history": result.history, "metrics": result.metrics, "train": train_metrics,
                "test": result.metrics["test"], "model": str(directory / MODEL_FILE)}

    return ctx.cached(key, compute)


def test_images(ctx: Context, dataset: str = "mnist", cap: int | None = None):
    """The first ``test_limit`` test images of ``dataset`` (at most ``cap``), float32 in [0, 1],
    ``[n, 28, 28]``, for the figures that run their own images through a model."""
    from training.data import load_images

    images, _ = load_images(dataset, "test", ctx.data_dir, as_float=True)
    n = ctx.settings["test_limit"] if cap is None else min(ctx.settings["test_limit"], cap)
    return images[:n]


def smooth(values, window: int = 10) -> tuple[list, list]:
    """Trailing moving average of per-batch values over ``window`` batches (the raw values
    when there are fewer batches than that). Returns ``(batches, averages)``: each average at the 1-based number of the last
    batch it covers, so a curve is plotted where its batches are."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    window = window if 1 <= window <= len(v) else 1
    averages = np.convolve(v, np.ones(window) / window, mode="valid")
    return list(range(window, len(v) + 1)), averages.tolist()


def save_reconstructions(ctx: Context, name: str, model: str, dataset: str, title: str, n: int = 10) -> None:
    """Save the grid of the first ``n`` test images of ``dataset`` (pixels above output spike
    counts) of the AE-SNN model file ``model`` as figure ``name``: the very outputs that the
    test evaluation after training scored (the same seed, so the same input spikes)."""
    import torch

    from models.backends import Network
    from training.autoencoder import EVAL_SEED
    from training.data import load_images
    from training.evaluate import evaluate

    from .reconstructions import reconstruction_figure

    images, _ = load_images(dataset, "test", ctx.data_dir, as_float=True)
    images = torch.from_numpy(images[:n])
    _, outputs = evaluate(Network.from_file(model), images, seed=EVAL_SEED)
    ctx.save(name, reconstruction_figure(images, outputs, n, title),
             {"model": model, "dataset": dataset, "output_spike_counts_total": float(outputs.sum())})


def training_and_test_figure(ctx: Context, name: str, title: str, runs: dict, colors: dict,
                             styles: dict | None = None) -> dict:
    """Save figure ``name``: (A) per-batch pixel MSE of every run (moving average), (B) its
    test pixel MSE; ``runs`` maps a label to a ``trained_autoencoder`` result. Returns the numbers
    (one row per run: train/test pixel MSE and training seconds)."""
    import matplotlib.pyplot as plt

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, run in runs.items():
        ax_a.plot(*smooth(run["history"]["pixel_mse"]), (styles or {}).get(label, "-"), color=colors[label],
                  label=label)
        ax_b.bar(label, run["test"]["pixel_mse"], color=colors[label])
    ax_a.set(xlabel="batch (100 images)", ylabel="pixel MSE of the batch (moving average)", title="(A) training")
    ax_a.legend()
    ax_b.set(ylabel="test pixel MSE (z-scored)", title="test set after 1 epoch")
    ax_b.tick_params(axis="x", labelrotation=15)
    fig.suptitle(title)
    fig.tight_layout()
    rows = [{"model": label, "train_pixel_mse": r["train"]["pixel_mse"], "test_pixel_mse": r["test"]["pixel_mse"],
             "train_seconds": r["metrics"]["train_seconds"]} for label, r in runs.items()]
    numbers = {"rows": rows}
    ctx.save(name, fig, numbers, rows)
    return numbers


def plan(ctx, modules) -> list:
    """What the figures need that the cache lacks, each once, in the order to compute it: the
    autoencoder trainings (``TrainConfig`` s, from each module's ``configs(ctx)``), then the
    experiments built on them (from each module's ``experiments(ctx)``, e.g.
    ``figures.audio.AudioExperiment``: it has ``needs``, the configs it builds on, ``run(ctx,
    progress)``, ``is_cached(ctx)`` and ``estimate_seconds()``). ``run_item`` computes one."""
    todo, seen = [], set()
    for module in modules:
        for cfg in getattr(module, "configs", lambda ctx: [])(ctx):
            if cfg not in seen and not is_cached(ctx, cfg):
                seen.add(cfg)
                todo.append(cfg)
    for module in modules:
        for experiment in getattr(module, "experiments", lambda ctx: [])(ctx):
            if experiment not in seen and not experiment.is_cached(ctx):
                seen.add(experiment)
                todo.append(experiment)
    return todo


def is_experiment(item) -> bool:
    """Whether a ``plan`` item is an experiment (else it is an autoencoder's ``TrainConfig``)."""
    return hasattr(item, "needs")


def item_cached(ctx: Context, item) -> bool:
    """Whether a ``plan`` item is finished in the cache."""
    return item.is_cached(ctx) if is_experiment(item) else is_cached(ctx, item)


def run_item(ctx: Context, item, progress: bool = True) -> str:
    """Compute one ``plan`` item into the cache (nothing if it is there already): train an
    autoencoder or run an experiment. Returns a one-line description of it."""
    if is_experiment(item):
        item.run(ctx, progress=progress)
    else:
        trained_autoencoder(ctx, item, progress=progress)
    return describe(item)


def item_seconds(item) -> float:
    """The estimated seconds of one ``plan`` item (``estimate_seconds`` for an autoencoder)."""
    return item.estimate_seconds() if is_experiment(item) else estimate_seconds(item)


def describe(item) -> str:
    """A short name of a ``plan`` item, for progress and error messages."""
    if is_experiment(item):
        return item.label
    extra = [f"{k}={v}" for k, v in (("hidden", item.hidden), ("steps", item.steps), ("alpha", item.alpha))]
    extra += [] if item.mask else ["mask=False"]
    return f"{item.dataset} {item.trainer} " + " ".join(extra)

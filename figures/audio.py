"""The audio-to-image experiment shared by fig9, fig10 and table1, cached like the autoencoders."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .runner import Context, autoencoder_config, finished, is_cached, trained_autoencoder

SNN_THS = {"A": (15, 10, 5, 2, 1), "B": (15, 10)}
# FSDD's standard split: 2,700 training and 300 test clips
_FSDD_CLIPS = {"train": 2700, "test": 300}
# the estimate's seconds, measured on a 2-core machine with other work: an AC-SNN batch of the cpu preset
# 0.2 s (figures all --quick: 20 batches in 4.3 s, load ~4) to 0.36 s (docs/benchmarks.md, Audio); an
# AC-ANN batch 0.01 s (quick) to 0.023 s (about 25 s for 20 epochs of 54 batches); the front end
# 11 s for 600 clips; the MNIST classifier, trained once into the user cache, 7 s
_SNN_BATCH_S, _ANN_BATCH_S, _CLIP_S, _CLASSIFIER_S = 0.3, 0.02, 0.02, 10.0


def autoencoder_configs(ctx: Context) -> list:
    """The MNIST autoencoders the audio experiment builds on: AE-SNN, AE-ANN (SGD), AE-ANN (Adam)."""
    return [autoencoder_config(ctx), autoencoder_config(ctx, trainer="ann-sgd"),
            autoencoder_config(ctx, trainer="ann-adam")]


def _settings(ctx: Context):
    """The AC-SNN config and the clip limits of this context's audio experiment."""
    from training.audio import preset

    cfg = preset("cpu").with_(epochs=ctx.settings["fsdd_epochs"])
    return cfg, {"max_train": ctx.settings["audio_train"], "max_test": ctx.settings["audio_test"]}


def _key(ctx: Context, cfg, clips: dict, models) -> dict:
    """The cache key of the audio experiment on the autoencoder files ``models`` (by content:
    one retrained in place, same settings but new code, reruns it)."""
    from models.files import file_key

    return {"what": "audio", "config": cfg.to_dict(), **clips, "seed": ctx.seed,
            "autoencoders": [file_key(m) for m in models], "ths": SNN_THS}


def audio_results(ctx: Context, progress: bool = True) -> dict:
    """Run (or reuse) the audio experiment: AC-SNN for datasets A (every Th) and B (Th 15, 10),
    AC-ANN baselines for both datasets at every Th and unquantised. Returns its results dict
    plus ``out_dir`` (where its model files and image grids are). progress: show progress bars."""
    from training.audio import audio_experiment

    # (the figure plan trains them first: here they come from the cache)
    snn, sgd, adam = (trained_autoencoder(ctx, c) for c in autoencoder_configs(ctx))
    cfg, clips = _settings(ctx)
    key = _key(ctx, cfg, clips, [r["model"] for r in (snn, sgd, adam)])
    out_dir = ctx.model_dir(key)

    def compute() -> dict:   # one call: features, MNIST and classifier loaded once, results.json complete
        result = audio_experiment(snn["model"], cfg, out_dir, ths=SNN_THS, data_dir=ctx.data_dir, seed=ctx.seed,
                                  ann_autoencoders=(sgd["model"], adam["model"]), progress=progress, **clips)
        return {key: result[key] for key in ("runs", "n_train", "n_test")}

    return {**ctx.cached(key, compute), "out_dir": str(out_dir)}


@dataclass(frozen=True)
class AudioExperiment:
    """The audio experiment of a context as an item of the figure plan (``runner.plan``):
    ``needs`` the autoencoders it builds on (``autoencoder_configs``), trained first; the
    clip counts and epochs are for the time estimate."""

    needs: tuple
    train_clips: int | None
    test_clips: int | None
    epochs: int
    label: str = "audio experiment"

    def run(self, ctx: Context, progress: bool = True) -> None:
        audio_results(ctx, progress=progress)

    def is_cached(self, ctx: Context) -> bool:
        """Whether its result is in the cache (False while an autoencoder it needs is not)."""
        if not all(is_cached(ctx, c) for c in self.needs):
            return False
        cfg, clips = _settings(ctx)
        models = [trained_autoencoder(ctx, c)["model"] for c in self.needs]
        return finished(ctx.model_dir(_key(ctx, cfg, clips, models)))

    def estimate_seconds(self) -> float:
        """Rough seconds on a 2-core machine: 7 AC-SNN and 24 AC-ANN trainings, the clips' features, the classifier."""
        n_train = min(self.train_clips or _FSDD_CLIPS["train"], _FSDD_CLIPS["train"])
        n_test = min(self.test_clips or _FSDD_CLIPS["test"], _FSDD_CLIPS["test"])
        batches = math.ceil(n_train / 50) * self.epochs
        snn_runs = sum(len(ths) for ths in SNN_THS.values())
        ann_runs = len(SNN_THS) * 2 * 6   # two AE-ANNs, five Th values and unquantised
        return (snn_runs * batches * _SNN_BATCH_S + ann_runs * batches * _ANN_BATCH_S
                + (n_train + n_test) * _CLIP_S + _CLASSIFIER_S)


def experiments(ctx: Context) -> list:
    """The audio experiment, as the figures that show it list it (``runner.plan``)."""
    s = ctx.settings
    return [AudioExperiment(tuple(autoencoder_configs(ctx)), s["audio_train"], s["audio_test"], s["fsdd_epochs"])]


def pick(results: dict, model: str, dataset: str, th) -> dict:
    """The run of ``model`` (``AC-SNN``, ``AC-ANN-adam``, ``AC-ANN-sgd``) on a dataset at ``th``
    (``None``: the unquantised ANN); KeyError naming it if the results hold no such run."""
    for run in results["runs"]:
        if run["model"] == model and run["dataset"] == dataset and run["th"] == th:
            return run
    raise KeyError(f"the audio results hold no {model} run on dataset {dataset} at Th = {th}")

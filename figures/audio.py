"""The audio-to-image experiment shared by fig9, fig10 and table1, cached like the autoencoders."""

from __future__ import annotations

from .runner import Context, autoencoder_config, trained_autoencoder

SNN_THS = {"A": (15, 10, 5, 2, 1), "B": (15, 10)}


def autoencoder_configs(ctx: Context) -> list:
    """The MNIST autoencoders the audio experiment builds on: AE-SNN, AE-ANN (SGD), AE-ANN (Adam)."""
    return [autoencoder_config(ctx), autoencoder_config(ctx, trainer="ann-sgd"),
            autoencoder_config(ctx, trainer="ann-adam")]


def audio_results(ctx: Context) -> dict:
    """Run (or reuse) the audio experiment: AC-SNN for datasets A (every Th) and B (Th 15, 10),
    AC-ANN baselines for both datasets at every Th and unquantised. Returns its results dict
    plus ``out_dir`` (where its model files and image grids are)."""
    from models.files import file_key
    from training.audio import audio_experiment, preset

    snn, sgd, adam = (trained_autoencoder(ctx, c) for c in autoencoder_configs(ctx))
    cfg = preset("cpu").with_(epochs=ctx.settings["fsdd_epochs"])
    clips = {"max_train": ctx.settings["audio_train"], "max_test": ctx.settings["audio_test"]}
    # the autoencoders by content: one retrained in place (same settings, new code) reruns this
    key = {"what": "audio", "config": cfg.to_dict(), **clips, "seed": ctx.seed,
           "autoencoders": [file_key(r["model"]) for r in (snn, sgd, adam)], "ths": SNN_THS}
    out_dir = ctx.model_dir(key)

    def compute() -> dict:   # one call: features, MNIST and classifier loaded once, results.json complete
        result = audio_experiment(snn["model"], cfg, out_dir, ths=SNN_THS, data_dir=ctx.data_dir, seed=ctx.seed,
                                  ann_autoencoders=(sgd["model"], adam["model"]), **clips)
        return {key: result[key] for key in ("runs", "n_train", "n_test")}

    return {**ctx.cached(key, compute), "out_dir": str(out_dir)}


def pick(results: dict, model: str, dataset: str, th) -> dict:
    """The run of ``model`` (``AC-SNN``, ``AC-ANN-adam``, ``AC-ANN-sgd``) on a dataset at ``th``
    (``None``: the unquantised ANN); KeyError naming it if the results hold no such run."""
    for run in results["runs"]:
        if run["model"] == model and run["dataset"] == dataset and run["th"] == th:
            return run
    raise KeyError(f"the audio results hold no {model} run on dataset {dataset} at Th = {th}")

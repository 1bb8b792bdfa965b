"""Table 1: train and test MSE of AE-SNN and AE-ANN on MNIST and Fashion-MNIST and of the
audio-to-image models on Datasets A and B, as Markdown and CSV (plus a rendered table)."""

from __future__ import annotations

from .audio import experiments as audio_experiments
from .audio import audio_results, autoencoder_configs, pick
from .runner import FASHION_ANN, autoencoder_config, trained_autoencoder

NAME = "table1"
TITLE = "Summary (pixel MSE, z-scored per image)"


def _autoencoders(ctx) -> dict:
    return {
        ("MNIST autoencoder 784-196-784", "SNN (T = 15)"): autoencoder_config(ctx),
        ("MNIST autoencoder 784-196-784", "ANN (Adam)"): autoencoder_config(ctx, trainer="ann-adam"),
        ("Fashion-MNIST autoencoder 784-1024-784", "SNN (T = 60)"):
            autoencoder_config(ctx, dataset="fashion-mnist", hidden=1024, steps=60),
        ("Fashion-MNIST autoencoder 784-1024-784", "ANN (Adam)"):
            autoencoder_config(ctx, dataset="fashion-mnist", hidden=1024, **FASHION_ANN),
    }


def configs(ctx) -> list:
    return list(_autoencoders(ctx).values()) + autoencoder_configs(ctx)


experiments = audio_experiments  # the audio experiment itself, run after its autoencoders (runner.plan)


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    rows = []
    for (task, model), cfg in _autoencoders(ctx).items():
        run = trained_autoencoder(ctx, cfg)
        rows.append({"task": task, "model": model, "train_mse": run["train"]["pixel_mse"],
                     "test_mse": run["test"]["pixel_mse"], "identity": None})
    audio = audio_results(ctx)
    for dataset, th in (("A", 15), ("B", 10)):
        for model, name in (("AC-SNN", f"SNN (Th = {th})"), ("AC-ANN-adam", "ANN (Adam, unquantised)")):
            run = pick(audio, model, dataset, th if model == "AC-SNN" else None)
            rows.append({"task": f"Audio to image, Dataset {dataset}", "model": name,
                         "train_mse": run.get("train_mse"), "test_mse": run["mse"], "identity": run["identity"]})

    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    lines = ["| task | model | train MSE | test MSE | digit identity |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['task']} | {r['model']} | {fmt(r['train_mse'])} | {fmt(r['test_mse'])} | {fmt(r['identity'])} |"
              for r in rows]
    markdown = "\n".join(lines) + "\n"
    ctx.out.mkdir(parents=True, exist_ok=True)
    from models.files import atomic_path

    with atomic_path(ctx.out / "table1.md") as tmp:
        tmp.write_text(markdown)
    fig, ax = plt.subplots(figsize=(10, 0.4 * len(rows) + 0.8))
    ax.set_axis_off()
    cells = [[r["task"], r["model"], fmt(r["train_mse"]), fmt(r["test_mse"]), fmt(r["identity"])] for r in rows]
    table = ax.table(cellText=cells, colLabels=["task", "model", "train MSE", "test MSE", "identity"], loc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(5)))
    ax.set_title(TITLE)
    numbers = {"rows": rows, "markdown": markdown}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

"""Figure 6: Fashion-MNIST AE-SNN-512 and -1024 (T = 60) against AE-ANN-512 and -1024."""

from __future__ import annotations

from .runner import autoencoder_config, save_reconstructions, smooth, trained_autoencoder
from .style import sweep_colors

NAME = "fig6"
TITLE = "Fashion-MNIST: AE-SNN (T = 60) against AE-ANN (Adam, lr 5e-3)"
RUNS = {f"AE-SNN-{h}": {"hidden": h, "steps": 60, "trainer": "paper"} for h in (512, 1024)}
RUNS.update({f"AE-ANN-{h}": {"hidden": h, "trainer": "ann-adam", "lr": 5e-3, "weight_decay": 1e-4}
             for h in (512, 1024)})


def configs(ctx) -> list:
    return [autoencoder_config(ctx, dataset="fashion-mnist", **kw) for kw in RUNS.values()]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    runs = dict(zip(RUNS, [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]))
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    colors = dict(zip(RUNS, sweep_colors(len(RUNS))))
    for name, run in runs.items():
        style = "-" if "SNN" in name else "--"
        ax_a.plot(smooth(run["history"]["pixel_mse"]), style, color=colors[name], label=name)
        ax_b.bar(name, run["test"]["pixel_mse"], color=colors[name])
    ax_a.set(xlabel="batch (100 images)", ylabel="pixel MSE of the batch (moving average)", title="(A) training")
    ax_a.legend()
    ax_b.set(ylabel="test pixel MSE (z-scored)", title="test set after 1 epoch")
    ax_b.tick_params(axis="x", labelrotation=20)
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = [{"model": n, "train_pixel_mse": r["train"]["pixel_mse"], "test_pixel_mse": r["test"]["pixel_mse"],
             "train_seconds": r["metrics"]["train_seconds"]} for n, r in runs.items()]
    numbers = {"rows": rows}
    ctx.save(NAME, fig, numbers, rows)

    save_reconstructions(ctx, NAME + "b", runs["AE-SNN-1024"]["model"], "fashion-mnist",
                         "(B) AE-SNN-1024 reconstructions of Fashion-MNIST test images (T = 60)")
    return numbers

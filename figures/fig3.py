"""Figure 3: leak sweep on MNIST (784-196-784, T = 15)."""

from __future__ import annotations

from .runner import autoencoder_config, smooth, trained_autoencoder
from .style import sweep_colors

NAME = "fig3"
TITLE = "Leak coefficient alpha on MNIST AE-SNN 784-196-784 (T = 15)"
ALPHAS = (0.0, 0.01, 0.1, 0.2, 0.5)


def configs(ctx) -> list:
    return [autoencoder_config(ctx, alpha=a) for a in ALPHAS]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt
    import numpy as np

    runs = [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for alpha, run, c in zip(ALPHAS, runs, sweep_colors(len(ALPHAS))):
        ax_a.plot(*smooth(run["history"]["spike_mse"]), color=c, label=f"alpha = {alpha:g}" + (" (IF)" if alpha == 0 else ""))
    ax_a.set(xlabel="batch (100 images)", ylabel="Spike-MSE (moving average, 10 batches)", title="(A) training")
    ax_a.legend()
    rows = [{"alpha": a, "train_spike_mse": r["train"]["spike_mse"], "test_spike_mse": r["test"]["spike_mse"],
             "train_pixel_mse": r["train"]["pixel_mse"], "test_pixel_mse": r["test"]["pixel_mse"]}
            for a, r in zip(ALPHAS, runs)]
    x = np.arange(len(ALPHAS))
    bars = [("train_spike_mse", "train vs spikes"), ("test_spike_mse", "test vs spikes"),
            ("train_pixel_mse", "train vs pixels"), ("test_pixel_mse", "test vs pixels")]
    for i, ((key, label), c) in enumerate(zip(bars, sweep_colors(4))):
        ax_b.bar(x + (i - 1.5) * 0.2, [r[key] for r in rows], 0.2, color=c, label=label)
    ax_b.set_xticks(x, [f"{a:g}" for a in ALPHAS])
    ax_b.set(xlabel="leak alpha", ylabel="MSE (z-scored)", title="(B) after training")
    ax_b.legend()
    fig.suptitle(TITLE)
    fig.tight_layout()
    best = min(rows, key=lambda r: r["test_spike_mse"])["alpha"]
    numbers = {"rows": rows, "best_alpha_test_spike_mse": best}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

"""Figure 4: (A) training with and without the XOR mask; (B) input duration T."""

from __future__ import annotations

from .runner import autoencoder_config, smooth, trained_autoencoder
from .style import color, sweep_colors

NAME = "fig4"
TITLE = "MNIST AE-SNN 784-196-784: (A) the loss mask, (B) input duration T"
DURATIONS = (5, 10, 15, 20, 30)


def configs(ctx) -> list:
    return [autoencoder_config(ctx, mask=False)] + [autoencoder_config(ctx, steps=t) for t in DURATIONS]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    no_mask, *by_t = [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]
    masked = by_t[DURATIONS.index(15)]
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_a.plot(*smooth(masked["history"]["spike_mse"]), color=color("AE-SNN"), label="with mask")
    ax_a.plot(*smooth(no_mask["history"]["spike_mse"]), color=color("no mask"), label="without mask")
    ax_a.set(xlabel="batch (100 images)", ylabel="Spike-MSE (moving average)", title="(A) mask")
    ax_a.legend()
    rows = [{"steps": t, "test_spike_mse": r["test"]["spike_mse"], "test_pixel_mse": r["test"]["pixel_mse"],
             "train_seconds": r["metrics"]["train_seconds"]} for t, r in zip(DURATIONS, by_t)]
    c1, c2 = sweep_colors(2)
    ax_b.plot(DURATIONS, [r["test_spike_mse"] for r in rows], "o-", color=c1, label="test vs spikes")
    ax_b.plot(DURATIONS, [r["test_pixel_mse"] for r in rows], "s-", color=c2, label="test vs pixels")
    ax_b.set(xlabel="input duration T (time steps of 1 ms)", ylabel="MSE (z-scored)", title="(B) duration")
    ax_b.legend()
    fig.suptitle(TITLE)
    fig.tight_layout()
    numbers = {"mask": {"with": masked["test"], "without": no_mask["test"]}, "rows": rows}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

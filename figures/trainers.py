"""Beyond the paper: the paper's online rule against BPTT (test MSE and training time)."""

from __future__ import annotations

from .runner import autoencoder_config, smooth, trained_autoencoder
from .style import color

NAME = "trainers"
TITLE = "MNIST AE-SNN 784-196-784 (T = 15): online rule of the paper against BPTT"
TRAINERS = {"AE-SNN": "paper", "AE-SNN (bptt)": "bptt"}


def configs(ctx) -> list:
    return [autoencoder_config(ctx, trainer=t) for t in TRAINERS.values()]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    cfgs = dict(zip(TRAINERS, configs(ctx)))
    runs = {name: trained_autoencoder(ctx, cfg) for name, cfg in cfgs.items()}
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for name, run in runs.items():
        batches, curve = smooth(run["history"]["spike_mse"])   # the trainers' batches differ:
        seen = [b * cfgs[name].batch_size for b in batches]    # plot against images seen
        axes[0].plot(seen, curve, color=color(name), label=f"{name}, batch {cfgs[name].batch_size}")
        axes[1].bar(name, run["test"]["spike_mse"], color=color(name))
        axes[2].bar(name, run["metrics"]["train_seconds"], color=color(name))
    axes[0].set(xlabel="training images seen", ylabel="Spike-MSE (moving average)", title="training")
    axes[0].legend()
    axes[1].set(ylabel="test Spike-MSE", title="test set")
    axes[2].set(ylabel="training time (s, this machine)", title="time for the epoch")
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = [{"trainer": TRAINERS[n], "test_spike_mse": r["test"]["spike_mse"], "test_pixel_mse": r["test"]["pixel_mse"],
             "train_seconds": r["metrics"]["train_seconds"]} for n, r in runs.items()]
    numbers = {"rows": rows}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

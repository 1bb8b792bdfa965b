"""Figure 7: (A) hidden size on MNIST; (B) AE-ANN-1024 learning rates on Fashion-MNIST against the
AE-SNN-1024 (T = 60); (C) Fashion-MNIST AE-SNN-1024 at T = 15, 30, 60 against the AE-ANN."""

from __future__ import annotations

from .runner import FASHION_ANN, autoencoder_config, trained_autoencoder
from .style import color, sweep_colors

NAME = "fig7"
TITLE = "(A) hidden size, MNIST; (B) AE-ANN learning rate and (C) AE-SNN duration, Fashion-MNIST"
HIDDEN = (64, 196, 400)
ANN_LRS = (1e-3, 5e-3, 1e-2, 5e-2)
DURATIONS = (15, 30, 60)


def _hidden(ctx):
    return [autoencoder_config(ctx, hidden=h) for h in HIDDEN]


def _ann(ctx):
    return [autoencoder_config(ctx, dataset="fashion-mnist", hidden=1024, **{**FASHION_ANN, "lr": lr})
            for lr in ANN_LRS]


def _snn(ctx):
    return [autoencoder_config(ctx, dataset="fashion-mnist", hidden=1024, steps=t) for t in DURATIONS]


def configs(ctx) -> list:
    return _hidden(ctx) + _ann(ctx) + _snn(ctx)


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    hidden = [trained_autoencoder(ctx, c) for c in _hidden(ctx)]
    ann = [trained_autoencoder(ctx, c) for c in _ann(ctx)]
    snn = [trained_autoencoder(ctx, c) for c in _snn(ctx)]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    c1, c2 = sweep_colors(2)
    axes[0].plot(HIDDEN, [r["test"]["spike_mse"] for r in hidden], "o-", color=c1, label="test vs spikes")
    axes[0].plot(HIDDEN, [r["test"]["pixel_mse"] for r in hidden], "s-", color=c2, label="test vs pixels")
    axes[0].set(xlabel="hidden neurons", ylabel="MSE (z-scored)", title="(A) MNIST AE-SNN 784-H-784")
    axes[0].legend()
    snn60 = snn[DURATIONS.index(60)]["test"]["pixel_mse"]
    axes[1].semilogx(ANN_LRS, [r["test"]["pixel_mse"] for r in ann], "o-", color=color("AE-ANN (Adam)"),
                     label="AE-ANN-1024 (Adam)")
    axes[1].axhline(snn60, color=color("AE-SNN"), ls="--", label="AE-SNN-1024, T = 60")
    axes[1].set_yscale("log")  # a diverged run (MSE ~1.7) would flatten the others
    axes[1].set(xlabel="AE-ANN learning rate", ylabel="test pixel MSE (log)", title="(B) Fashion-MNIST")
    axes[1].legend()
    ann_default = ann[ANN_LRS.index(5e-3)]["test"]["pixel_mse"]
    axes[2].plot(DURATIONS, [r["test"]["pixel_mse"] for r in snn], "o-", color=color("AE-SNN"), label="AE-SNN-1024")
    axes[2].axhline(ann_default, color=color("AE-ANN (Adam)"), ls="--", label="AE-ANN-1024 (Adam, lr 5e-3)")
    axes[2].set(xlabel="input duration T (steps)", ylabel="test pixel MSE", title="(C) Fashion-MNIST")
    axes[2].legend()
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = ([{"panel": "A", "setting": f"hidden={h}", "test_spike_mse": r["test"]["spike_mse"],
              "test_pixel_mse": r["test"]["pixel_mse"]} for h, r in zip(HIDDEN, hidden)]
            + [{"panel": "B", "setting": f"ann lr={lr:g}", "test_spike_mse": None,
                "test_pixel_mse": r["test"]["pixel_mse"]} for lr, r in zip(ANN_LRS, ann)]
            + [{"panel": "C", "setting": f"snn T={t}", "test_spike_mse": r["test"]["spike_mse"],
                "test_pixel_mse": r["test"]["pixel_mse"]} for t, r in zip(DURATIONS, snn)])
    numbers = {"rows": rows}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

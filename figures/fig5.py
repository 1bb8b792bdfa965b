"""Figure 5: (A) AE-SNN against AE-ANN with and without Adam on MNIST; (B) reconstructions."""

from __future__ import annotations

from .runner import autoencoder_config, save_reconstructions, smooth, trained_autoencoder
from .style import color

NAME = "fig5"
TITLE = "MNIST 784-196-784: AE-SNN (T = 15) against AE-ANN"
METHODS = {"AE-SNN": {"trainer": "paper"}, "AE-ANN (SGD)": {"trainer": "ann-sgd"},
           "AE-ANN (Adam)": {"trainer": "ann-adam"}}


def configs(ctx) -> list:
    return [autoencoder_config(ctx, **kw) for kw in METHODS.values()]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    runs = dict(zip(METHODS, [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]))
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, run in runs.items():
        ax_a.plot(smooth(run["history"]["pixel_mse"]), color=color(name), label=name)
        ax_b.bar(name, run["test"]["pixel_mse"], color=color(name))
    ax_a.set(xlabel="batch (100 images)", ylabel="pixel MSE of the batch (moving average)", title="(A) training")
    ax_a.legend()
    ax_b.set(ylabel="test pixel MSE (z-scored)", title="test set after 1 epoch")
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = [{"method": n, "train_pixel_mse": r["train"]["pixel_mse"], "test_pixel_mse": r["test"]["pixel_mse"],
             "train_seconds": r["metrics"]["train_seconds"]} for n, r in runs.items()]
    numbers = {"rows": rows}
    ctx.save(NAME, fig, numbers, rows)

    save_reconstructions(ctx, NAME + "b", runs["AE-SNN"]["model"], "mnist",
                         "(B) AE-SNN reconstructions of MNIST test images: pixels (top), "
                         "output spike counts over 15 steps (bottom)")
    return numbers

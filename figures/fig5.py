"""Figure 5: (A) AE-SNN against AE-ANN with and without Adam on MNIST; (B) reconstructions."""

from __future__ import annotations

from .runner import autoencoder_config, save_reconstructions, trained_autoencoder, training_and_test_figure
from .style import color

NAME = "fig5"
TITLE = "MNIST 784-196-784: AE-SNN (T = 15) against AE-ANN"
METHODS = {"AE-SNN": {"trainer": "paper"}, "AE-ANN (SGD)": {"trainer": "ann-sgd"},
           "AE-ANN (Adam)": {"trainer": "ann-adam"}}


def configs(ctx) -> list:
    return [autoencoder_config(ctx, **kw) for kw in METHODS.values()]


def make(ctx) -> dict:
    runs = dict(zip(METHODS, [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]))
    numbers = training_and_test_figure(ctx, NAME, TITLE, runs, {name: color(name) for name in runs})
    save_reconstructions(ctx, NAME + "b", runs["AE-SNN"]["model"], "mnist",
                         "(B) AE-SNN reconstructions of MNIST test images: pixels (top), "
                         "output spike counts over 15 steps (bottom)")
    return numbers

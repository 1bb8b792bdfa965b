"""Figure 6: Fashion-MNIST AE-SNN-512 and -1024 (T = 60) against AE-ANN-512 and -1024."""

from __future__ import annotations

from .runner import (FASHION_ANN, autoencoder_config, save_reconstructions, trained_autoencoder,
                     training_and_test_figure)
from .style import sweep_colors

NAME = "fig6"
TITLE = "Fashion-MNIST: AE-SNN (T = 60) against AE-ANN (Adam, lr 5e-3)"
RUNS = {f"AE-SNN-{h}": {"hidden": h, "steps": 60, "trainer": "paper"} for h in (512, 1024)}
RUNS.update({f"AE-ANN-{h}": {"hidden": h, **FASHION_ANN} for h in (512, 1024)})


def configs(ctx) -> list:
    return [autoencoder_config(ctx, dataset="fashion-mnist", **kw) for kw in RUNS.values()]


def make(ctx) -> dict:
    runs = dict(zip(RUNS, [trained_autoencoder(ctx, cfg) for cfg in configs(ctx)]))
    numbers = training_and_test_figure(ctx, NAME, TITLE, runs, dict(zip(RUNS, sweep_colors(len(RUNS)))),
                                       {name: "-" if "SNN" in name else "--" for name in RUNS})
    save_reconstructions(ctx, NAME + "b", runs["AE-SNN-1024"]["model"], "fashion-mnist",
                         "(B) AE-SNN-1024 reconstructions of Fashion-MNIST test images (T = 60)")
    return numbers

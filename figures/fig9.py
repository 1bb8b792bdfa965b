"""Figure 9: audio-to-image synthesis on Datasets A and B (Th = 10): test MSE, digit identity,
and images synthesized from 5 test clips per digit."""

from __future__ import annotations

from .audio import experiments as audio_experiments
from .audio import audio_results, autoencoder_configs, pick

NAME = "fig9"
TITLE = "Audio to image (FSDD -> MNIST), AC-SNN with Th = 10: Dataset A (one image per digit) against B"


configs = autoencoder_configs  # the autoencoders the audio experiment builds on
experiments = audio_experiments  # the audio experiment itself, run after them (runner.plan)


def make(ctx) -> dict:
    from pathlib import Path

    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    from .style import sweep_colors

    results = audio_results(ctx)
    runs = {d: pick(results, "AC-SNN", d, 10) for d in ("A", "B")}
    fig = plt.figure(figsize=(12, 3.3), constrained_layout=True)
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1.6, 1.6])
    ax = fig.add_subplot(grid[0])
    c = sweep_colors(2)
    ax.bar([0.8, 1.8], [runs["A"]["mse"], runs["B"]["mse"]], 0.4, color=c[0], label="test MSE")
    ax.bar([1.2, 2.2], [runs["A"]["identity"], runs["B"]["identity"]], 0.4, color=c[1], label="identity")
    ax.set_xticks([1, 2], ["Dataset A", "Dataset B"])
    ax.set(ylabel="test MSE (z-scored) / identity (fraction)", title="(A) test set",
           ylim=(0, 1.35 * max(runs["A"]["mse"], runs["B"]["mse"], 1.0)))
    ax.legend(loc="upper right")
    for i, d in enumerate(("A", "B")):
        img = mpimg.imread(Path(results["out_dir"]) / f"{d}-th10.png")
        axi = fig.add_subplot(grid[i + 1])
        axi.imshow(img, cmap="gray")
        axi.set_axis_off()
        axi.set_title(f"(B) Dataset {d}: 5 test clips per digit, digits 0-9 in reading order", fontsize=8)
    fig.suptitle(TITLE)
    rows = [{"dataset": d, "th": 10, "test_mse": r["mse"], "identity": r["identity"]} for d, r in runs.items()]
    numbers = {"n_train_clips": results["n_train"], "n_test_clips": results["n_test"], "rows": rows,
               "identity_per_digit": {d: r["identity_per_digit"] for d, r in runs.items()}}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

"""Figure 1: an MNIST digit, its Poisson spike maps at a few time steps, and their sum."""

from __future__ import annotations

import numpy as np

NAME = "fig1"
TITLE = "Poisson rate coding of an MNIST digit (300 Hz, dt = 1 ms, T = 15)"


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    from models.encode import encode
    from models.spec import autoencoder_spec
    from training.data import load_images

    images, labels = load_images("mnist", "test", data_dir=ctx.data_dir, as_float=True)
    image = images[0].reshape(-1)   # numpy in, numpy spikes out (what matplotlib takes)
    spec = autoencoder_spec("mnist")   # the paper's encoder: Poisson, 300 Hz, dt = 1 ms, T = 15
    steps, max_rate, dt = spec.steps, spec.encoder.params["max_rate"], spec.dt
    spikes = encode(image[None], spec, seed=ctx.seed)[:, 0].numpy().astype(np.float32)  # [T, 784]
    shown = [0, 4, 9, 14]
    fig, axes = plt.subplots(1, len(shown) + 2, figsize=(2 * (len(shown) + 2), 2.3))
    axes[0].imshow(images[0], cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title(f"pixels (digit {labels[0]})")
    for ax, t in zip(axes[1:], shown):
        ax.imshow(spikes[t].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"spikes at t = {t + 1} ms")
    counts = spikes.sum(0).reshape(28, 28)
    im = axes[-1].imshow(counts, cmap="viridis")
    axes[-1].set_title(f"sum over {steps} ms")
    fig.colorbar(im, ax=axes[-1], fraction=0.046, label="spike count")
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle(TITLE)
    expected = float(image.sum() * max_rate * dt * steps)
    numbers = {
        "digit": int(labels[0]), "steps": steps, "max_rate_hz": max_rate, "dt_s": dt,
        "spikes_per_step": spikes.sum(1).tolist(),
        "total_spikes": float(spikes.sum()), "expected_total_spikes": expected,
        "corr_counts_pixels": float(np.corrcoef(counts.reshape(-1), image)[0, 1]),
    }
    ctx.save(NAME, fig, numbers)
    return numbers

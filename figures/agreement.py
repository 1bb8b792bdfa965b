"""Beyond the paper: the trained MNIST autoencoder in the mirror and in Brian2 on the same input spikes
(the first ``test_limit`` test images of the context, at most ``MAX_IMAGES``). The figure is drawn
either way; ``check`` makes ``spikesynth figures`` exit with status 1 when any spike differs."""

from __future__ import annotations

from .runner import autoencoder_config, test_images, trained_autoencoder

NAME = "agreement"
TITLE = "Mirror (PyTorch, float64) against Brian2 (cython) on the same input spikes, MNIST test images"
BACKEND = "cython"
# both sides record every step's potentials and spikes (float64, 15 x 980 values per image:
# about 0.24 MB an image, 2.4 GB for the whole test set before Brian2's copy): the first 1,000
MAX_IMAGES = 1000


def configs(ctx) -> list:
    return [autoencoder_config(ctx)]


def check(numbers: dict) -> str | None:
    """The failure to report for these numbers (any mismatching spike), or None."""
    if numbers["total_mismatches"]:
        return (f"{NAME}: the mirror and Brian2 ({BACKEND}) disagree on {numbers['total_mismatches']} spike(s) "
                f"over {numbers['n']} images (see {NAME}.json)")
    return None


def make(ctx) -> dict:
    import matplotlib.pyplot as plt
    import numpy as np

    from models.backends import Network, run
    from models.compare import compare_recordings
    from models.encode import encode

    from .style import color

    trained = trained_autoencoder(ctx, configs(ctx)[0])
    net = Network.from_file(trained["model"])
    spec = net.spec
    images = test_images(ctx, cap=MAX_IMAGES)
    n = len(images)
    spikes = encode(images, spec, seed=ctx.seed)
    mirror = run(net, spikes, "mirror", record=True, progress=False)
    brian = run(net, spikes, "brian2", BACKEND, record=True)
    rows = compare_recordings(mirror.recording, brian.recording)
    mirror_seconds = mirror.seconds
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.4))
    x = np.arange(len(rows))
    ax_a.bar(x - 0.2, [r["mirror_spikes"] for r in rows], 0.4, color=color("mirror"), label="mirror spikes")
    ax_a.bar(x + 0.2, [r["brian2_spikes"] for r in rows], 0.4, color=color("Brian2"), label="Brian2 spikes")
    for xi, r in zip(x, rows):
        ax_a.annotate(f"{r['mismatches']} mismatches", (xi, max(r["mirror_spikes"], r["brian2_spikes"])),
                      ha="center", va="bottom", fontsize=8)
    ax_a.set_xticks(x, [f"layer {r['layer']} ({r['neurons']})" for r in rows])
    ax_a.set(ylabel=f"spikes over {n} images", title="spikes per layer")
    ax_a.legend(loc="lower right")
    ax_b.bar(["mirror (float64)", f"Brian2 ({BACKEND})"], [mirror_seconds, brian.seconds],
             color=[color("mirror"), color("Brian2")])
    ax_b.set(ylabel="seconds (this machine)", title=f"time for {n} images x {spec.steps} steps")
    fig.suptitle(TITLE)
    fig.tight_layout()
    numbers = {"n": n, "backend": BACKEND, "rows": rows, "mirror_seconds": mirror_seconds,
               "brian2_seconds": brian.seconds, "total_mismatches": sum(r["mismatches"] for r in rows)}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

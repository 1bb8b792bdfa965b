"""Beyond the paper: synaptic operations and estimated energy per image (SNN against the equal-size
ANN), and reconstruction error against the weight bit width of the fixed-point network."""

from __future__ import annotations

from .runner import autoencoder_config, test_images, trained_autoencoder

NAME = "events"
TITLE = "MNIST AE-SNN 784-196-784: events, energy estimate (45 nm) and fixed-point weights"
MAX_IMAGES = 1000  # the fixed-point mirror is slow (integer steps): the first 1,000 test images


def configs(ctx) -> list:
    return [autoencoder_config(ctx)]


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    from models.backends import Network
    from training.evaluate import bit_sweep

    from .style import color, sweep_colors

    run = trained_autoencoder(ctx, configs(ctx)[0])
    net = Network.from_file(run["model"])
    spec = net.spec
    images = test_images(ctx, cap=MAX_IMAGES)
    reports = {name: report for name, _, report in bit_sweep(net, images, seed=ctx.seed)}
    base = reports["float64"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    layers = [f"layer {i + 1}" for i in range(spec.n_layers)]
    c = sweep_colors(2)
    x = range(spec.n_layers)
    axes[0].bar([i - 0.2 for i in x], base["synops_per_image_per_layer"], 0.4, color=color("AE-SNN"),
                label="SNN synaptic ops (accumulates)")
    axes[0].bar([i + 0.2 for i in x], base["ann_macs_per_image_per_layer"], 0.4, color=color("AE-ANN (Adam)"),
                label="ANN multiply-accumulates")
    axes[0].set_xticks(list(x), layers)
    axes[0].set(ylabel="operations per image", title="operations per image")
    axes[0].legend(loc="upper left")
    axes[0].set_ylim(0, 1.3 * max(base["synops_per_image_per_layer"] + base["ann_macs_per_image_per_layer"]))
    energy = base["energy_per_image_j"]
    axes[1].bar(["AE-SNN", "AE-ANN"], [energy["snn_estimate"] * 1e9, energy["ann_estimate"] * 1e9],
                color=[color("AE-SNN"), color("AE-ANN (Adam)")])
    axes[1].set(ylabel="estimated energy per image (nJ)",
                title="0.9 pJ/accumulate, 4.6 pJ/MAC (estimate)")
    names = list(reports)
    axes[2].plot(names, [reports[k]["pixel_mse"] for k in names], "o-", color=c[0], label="test vs pixels")
    axes[2].plot(names, [reports[k]["spike_mse"] for k in names], "s-", color=c[1], label="test vs spikes")
    axes[2].set(xlabel="weights", ylabel="MSE (z-scored)", title="fixed-point weights (integer membrane)")
    axes[2].legend()
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = [{"weights": k, "pixel_mse": r["pixel_mse"], "spike_mse": r["spike_mse"],
             "synops_per_image": r["synops_per_image"], "snn_energy_j": r["energy_per_image_j"]["snn_estimate"]}
            for k, r in reports.items()]
    numbers = {"n": len(images), "ann_macs_per_image": base["ann_macs_per_image"],
               "ann_energy_j": energy["ann_estimate"], "energy_per_op_j": base["energy_per_op_j"], "rows": rows}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

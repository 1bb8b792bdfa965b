"""Compare a mirror run with a Brian2 run on the same input spikes: numbers and a figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .backends import Network, run
from .brian_snn import BrianRecording
from .files import PLOT_FORMATS, atomic_path, check_output_file
from .torch_snn import Recording


def compare_networks(net: Network, spikes: torch.Tensor, target: str = "numpy", device: str = "cpu",
                     progress: bool = True) -> tuple[list[dict], Recording, BrianRecording]:
    """The same 0/1 input spikes ``[T, n, sizes[0]]`` through both back-ends of one run
    (``models.backends.run``): the float64 (or fixed-point) mirror and Brian2 (``target``, with
    the membranes recorded). Returns ``(rows, mirror recording, Brian2 recording)``, rows as
    ``compare_recordings``."""
    mirror = run(net, spikes, "mirror", device=device, record=True, progress=False).recording
    brian = run(net, spikes, "brian2", target, record=True, record_v=True, progress=progress).recording
    return compare_recordings(mirror, brian), mirror, brian


def compare_recordings(ref: Recording, rec: BrianRecording) -> list[dict]:
    """Per weight layer: neurons, spike counts of the mirror and of Brian2, mismatching
    spikes (positions where one spiked and the other did not) and, when Brian2 recorded
    membranes, the max |dV| of the pre-reset potentials (the mirror's units)."""
    rows = []
    for layer, (ref_s, ref_v) in enumerate(zip(ref.spikes, ref.v)):
        if tuple(ref_s.shape) != (rec.steps, rec.batch, rec.sizes[layer + 1]):
            raise ValueError(f"layer {layer + 1}: mirror spikes {list(ref_s.shape)} do not match the Brian2 run "
                             f"[{rec.steps}, {rec.batch}, {rec.sizes[layer + 1]}]")
        brian_s = rec.dense(layer)
        row = {"layer": layer + 1, "neurons": rec.sizes[layer + 1],
               "mirror_spikes": int(ref_s.sum()), "brian2_spikes": int(brian_s.sum()),
               "mismatches": int((brian_s != ref_s.to(brian_s.dtype)).sum()), "max_abs_dv": None}
        if rec.v is not None:
            row["max_abs_dv"] = float((torch.as_tensor(rec.v[layer]) - ref_v.to(torch.float64)).abs().max())
        rows.append(row)
    return rows


def plot_comparison(ref: Recording, rec: BrianRecording, path: str | Path, images: int = 4,
                    neuron: int | None = None, v_th: float | None = None) -> Path:
    """Save a figure like the paper's Figure 2B: for the first ``images`` images back to back,
    mirror and Brian2 rasters side by side for every layer (mismatches in red), and one
    output neuron's membrane trace from both overlaid (the one firing closest to a quarter of
    the steps unless ``neuron`` is given; ``v_th`` draws the threshold). Written atomically; format from the suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = check_output_file(path, "plot", PLOT_FORMATS)
    k = max(1, min(int(images), rec.batch))
    steps = rec.steps
    n_layers = len(ref.spikes)

    def flat(x: torch.Tensor) -> np.ndarray:  # [T, batch, N] -> [k*T, N], images back to back
        return x[:, :k].permute(1, 0, 2).reshape(k * steps, -1).numpy()

    fig = plt.figure(figsize=(11, 2.6 * n_layers + 2.6), constrained_layout=True)
    grid = fig.add_gridspec(n_layers + 1, 2)
    for layer in range(n_layers):
        mirror, brian = flat(ref.spikes[layer].to(torch.float64)), flat(rec.dense(layer))
        for col, (name, trains) in enumerate((("mirror (PyTorch)", mirror), ("Brian2", brian))):
            ax = fig.add_subplot(grid[layer, col])
            t, i = np.nonzero(trains)
            ax.scatter(t, i, s=1.5, c="k", marker="|", linewidths=0.6)
            if col == 1:
                t, i = np.nonzero(mirror != brian)
                ax.scatter(t, i, s=8, c="tab:red", marker="x", label=f"{len(t)} mismatches")
                ax.legend(loc="upper right", fontsize=7)
            for b in range(1, k):
                ax.axvline(b * steps - 0.5, color="0.8", lw=0.5)
            ax.set_xlim(-0.5, k * steps - 0.5)
            ax.set_title(f"layer {layer + 1}: {name}", fontsize=9)
            ax.set_ylabel("neuron")
    out = n_layers - 1
    if neuron is None:
        counts = ref.spikes[out][:, :k].sum(dim=(0, 1))
        neuron = int((counts - k * steps / 4).abs().argmin())
    ax = fig.add_subplot(grid[n_layers, :])
    t = np.arange(k * steps)
    ax.plot(t, flat(ref.v[out].to(torch.float64))[:, neuron], "-", color="tab:blue", lw=2.5, alpha=0.6,
            label="mirror V (pre-reset)")
    if rec.v is not None:
        ax.plot(t, rec.v[out][:, :k, neuron].T.reshape(-1), "o", color="tab:orange", ms=3, label="Brian2 V")
    spikes_at = np.nonzero(flat(rec.dense(out))[:, neuron])[0]
    ax.vlines(spikes_at, 0, 0.15 * (v_th or 1.0), color="k", lw=1, label="Brian2 spikes")
    if v_th is not None:
        ax.axhline(v_th, color="0.5", ls="--", lw=0.8, label="V_th")
    ax.set_xlabel("time step (images back to back)")
    ax.set_ylabel(f"V of layer {n_layers} neuron {neuron}")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=7, ncol=4, frameon=False)   # above the trace
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".").lower(), dpi=120)
    plt.close(fig)
    return path

"""Figure 2B: LIF dynamics of one neuron with three synapses, from Brian2 and the mirror overlaid."""

from __future__ import annotations

NAME = "fig2"
TITLE = "One LIF neuron (alpha = 0.1, Vth = 1) with 3 synapses: Brian2 and the PyTorch mirror"
WEIGHTS = (0.45, 0.3, 0.6)
RATES_HZ = (150.0, 250.0, 100.0)
STEPS = 40


def check(numbers: dict) -> str | None:
    """The failure to report for these numbers (any mismatching spike), or None."""
    return f"{NAME}: the mirror and Brian2 disagree on {numbers['mismatches']} spike(s)" if numbers["mismatches"] else None


def make(ctx) -> dict:
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    from models.backends import Network
    from models.compare import compare_networks
    from models.encode import encode
    from models.spec import EncoderSpec, NetworkSpec

    from .style import color

    spec = NetworkSpec(sizes=(3, 1), steps=STEPS, encoder=EncoderSpec("poisson", {"max_rate": 1000.0}))
    rates = torch.tensor(RATES_HZ, dtype=torch.float64) / 1000.0   # as x in [0, 1] at max_rate 1000 Hz
    spikes = encode(rates[None], spec, seed=ctx.seed)   # [T, 1, 3]
    rows, mirror, brian = compare_networks(Network(spec, [torch.tensor([WEIGHTS], dtype=torch.float64)]), spikes,
                                           "numpy", progress=False)
    t = np.arange(1, STEPS + 1)
    v_mirror = mirror.v[0][:, 0, 0].numpy()
    v_brian = np.asarray(brian.v[0])[:, 0, 0]
    out_mirror = mirror.spikes[0][:, 0, 0].numpy()
    out_brian = brian.dense(0)[:, 0, 0].numpy()

    fig, axes = plt.subplots(3, 1, figsize=(8, 5.2), sharex=True, gridspec_kw={"height_ratios": [1, 2.2, 0.8]})
    for i in range(3):
        ts = t[spikes[:, 0, i].numpy() > 0]
        axes[0].vlines(ts, i + 0.6, i + 1.4, color="k", lw=1.2)
    axes[0].set(ylabel="input", yticks=[1, 2, 3], ylim=(0.4, 3.6),
                title="input spikes (synapse weights " + ", ".join(f"{w:g}" for w in WEIGHTS) + ")")
    axes[1].plot(t, v_mirror, "-", color=color("mirror"), lw=2.5, alpha=0.6, label="mirror V (pre-reset)")
    axes[1].plot(t, v_brian, "x", color=color("Brian2"), ms=5, label="Brian2 V (pre-reset)")
    axes[1].axhline(spec.neuron.v_th, color="0.4", ls="--", lw=1, label="threshold Vth")
    axes[1].set(ylabel="membrane potential V", ylim=(-0.05, 1.35))
    axes[1].legend(loc="upper left", ncol=3)
    axes[2].vlines(t[out_mirror > 0], 1.6, 2.4, color=color("mirror"), lw=2, label="mirror")
    axes[2].vlines(t[out_brian > 0], 0.6, 1.4, color=color("Brian2"), lw=2, label="Brian2")
    axes[2].set(ylabel="output", yticks=[1, 2], yticklabels=["Brian2", "mirror"], ylim=(0.4, 2.6),
                xlabel="time step (1 ms)")
    fig.suptitle(TITLE)
    fig.tight_layout()
    numbers = {"weights": list(WEIGHTS), "rates_hz": list(RATES_HZ), "steps": STEPS,
               "input_spikes": int(spikes.sum()), "output_spikes_mirror": int(out_mirror.sum()),
               "output_spikes_brian2": int(out_brian.sum()), "mismatches": rows[0]["mismatches"],
               "max_abs_dv": rows[0]["max_abs_dv"]}
    ctx.save(NAME, fig, numbers)
    return numbers

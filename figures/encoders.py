"""Beyond the paper: reconstruction error against spike count for every encoder, on one signal
(signal encoders, sweeping their main parameter) and one MNIST image (static encoders, sweeping T)."""

from __future__ import annotations

import inspect

NAME = "encoders"
TITLE = "Encoders: reconstruction RMSE against spikes used"
SIGNAL_SWEEPS = {
    "step_forward": ("threshold", (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)),
    "bsa": ("threshold", (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)),
    "pwm": ("frequency", (5.0, 10.0, 20.0, 50.0, 100.0, 200.0)),
    "lif": ("threshold", (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)),
}
STATIC_STEPS = (5, 10, 15, 30, 60, 100)
STATIC = ("poisson", "regular", "latency", "receptive_fields")


def test_signal(n: int = 1000):
    """A smooth test signal in [0, 1], ``[n, 1]``: a decaying chirp around 0.5 (1 s at 1 kHz)."""
    import numpy as np
    from scipy.signal import chirp

    t = np.linspace(0, 1, n, endpoint=False)
    return (0.5 + 0.4 * np.exp(-t) * chirp(t, f0=1, t1=1, f1=8))[:, None]


def _decode(encoder, spikes, x):
    if "initial" in inspect.signature(encoder.decode).parameters:
        return encoder.decode(spikes, initial=x[0])
    return encoder.decode(spikes)


def make(ctx) -> dict:
    import matplotlib.pyplot as plt
    import numpy as np

    import encoders
    from training.data import load_images

    from .style import sweep_colors

    signal = test_signal()
    images, _ = load_images("mnist", "test", ctx.data_dir, as_float=True)
    image = images[0].reshape(-1).astype(np.float64)
    rows = []
    for name, (param, values) in SIGNAL_SWEEPS.items():
        for value in values:
            enc = encoders.get(name, **{param: value})
            spikes = enc.encode(signal)
            rmse = float(np.sqrt(((_decode(enc, spikes, signal) - signal) ** 2).mean()))
            rows.append({"input": "signal", "encoder": name, "parameter": param, "value": value,
                         "spikes": int(np.abs(spikes).sum()), "rmse": rmse})
    for name in STATIC:
        for steps in STATIC_STEPS:
            kw = {"seed": ctx.seed} if name == "poisson" else {}
            enc = encoders.get(name, steps=steps, **kw)
            spikes = enc.encode(image)
            rmse = float(np.sqrt(((enc.decode(spikes) - image) ** 2).mean()))
            rows.append({"input": "image", "encoder": name, "parameter": "steps", "value": steps,
                         "spikes": int(np.abs(spikes).sum()), "rmse": rmse})
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, kind, names in ((axes[0], "signal", SIGNAL_SWEEPS), (axes[1], "image", STATIC)):
        for name, c in zip(names, sweep_colors(len(names))):
            pts = [r for r in rows if r["input"] == kind and r["encoder"] == name]
            ax.plot([max(r["spikes"], 1) for r in pts], [r["rmse"] for r in pts], "o-", color=c, label=name)
        ax.set_xscale("log")
        ax.set(xlabel="spikes used (log)", ylabel="reconstruction RMSE")
        ax.legend()
    axes[0].set_title("decaying chirp, 1,000 steps (sweep of each encoder's main parameter)")
    axes[1].set_title("MNIST test image 0, 784 pixels (T = 5 ... 100 steps)")
    fig.suptitle(TITLE)
    fig.tight_layout()
    numbers = {"rows": rows}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

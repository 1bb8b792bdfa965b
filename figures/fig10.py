"""Figure 10: the audiocoder on Dataset A: (A) AC-SNN for Th = 15 ... 1; (B) AC-SNN (Th = 15)
against the unquantised AC-ANN with and without Adam; (C) AC-SNN at Th bits against the
AC-ANN with its hidden state quantised to 2^Th levels."""

from __future__ import annotations

from .audio import experiments as audio_experiments
from .audio import SNN_THS, audio_results, autoencoder_configs, pick

NAME = "fig10"
TITLE = "Audiocoder on Dataset A: hidden-state duration Th (SNN) against quantisation to 2^Th levels (ANN)"


configs = autoencoder_configs  # the autoencoders the audio experiment builds on
experiments = audio_experiments  # the audio experiment itself, run after them (runner.plan)


def make(ctx) -> dict:
    import matplotlib.pyplot as plt

    from .style import color

    results = audio_results(ctx)
    ths = SNN_THS["A"]
    snn = [pick(results, "AC-SNN", "A", th) for th in ths]
    adam = [pick(results, "AC-ANN-adam", "A", th) for th in ths]
    sgd = [pick(results, "AC-ANN-sgd", "A", th) for th in ths]
    full = {m: pick(results, m, "A", None) for m in ("AC-ANN-adam", "AC-ANN-sgd")}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(ths, [r["mse"] for r in snn], "o-", color=color("AC-SNN"), label="test MSE")
    axes[0].plot(ths, [r["identity"] for r in snn], "s--", color=color("AC-SNN"), alpha=0.6, label="identity")
    axes[0].set(xlabel="Th (stored hidden-state steps = bits)", ylabel="test MSE / identity",
                title="(A) AC-SNN, Dataset A")
    axes[0].legend()
    names = ["AC-SNN (Th 15)", "AC-ANN (Adam)", "AC-ANN (SGD)"]
    values = [snn[0]["mse"], full["AC-ANN-adam"]["mse"], full["AC-ANN-sgd"]["mse"]]
    axes[1].bar(names, values, color=[color("AC-SNN"), color("AC-ANN (Adam)"), color("AC-ANN (SGD)")])
    axes[1].set(ylabel="test MSE (z-scored)", title="(B) unquantised ANN hidden state")
    axes[1].tick_params(axis="x", labelrotation=15)
    axes[2].plot(ths, [r["mse"] for r in snn], "o-", color=color("AC-SNN"), label="AC-SNN (Th steps)")
    axes[2].plot(ths, [r["mse"] for r in adam], "s-", color=color("AC-ANN (Adam)"), label="AC-ANN Adam (2^Th levels)")
    axes[2].plot(ths, [r["mse"] for r in sgd], "^-", color=color("AC-ANN (SGD)"), label="AC-ANN SGD (2^Th levels)")
    axes[2].set(xlabel="bits of hidden state (Th)", ylabel="test MSE (z-scored)", title="(C) SNN against ANN per bit")
    axes[2].legend()
    fig.suptitle(TITLE)
    fig.tight_layout()
    rows = ([{"model": "AC-SNN", "th": th, "test_mse": r["mse"], "identity": r["identity"]} for th, r in zip(ths, snn)]
            + [{"model": m, "th": th, "test_mse": r["mse"], "identity": r["identity"]}
               for m, runs in (("AC-ANN-adam", adam), ("AC-ANN-sgd", sgd)) for th, r in zip(ths, runs)]
            + [{"model": m, "th": "full", "test_mse": r["mse"], "identity": r["identity"]} for m, r in full.items()])
    numbers = {"rows": rows, "snn_ahead_at_bits": [th for th, s, a in zip(ths, snn, adam) if s["mse"] < a["mse"]]}
    ctx.save(NAME, fig, numbers, rows)
    return numbers

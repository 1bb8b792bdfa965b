"""Event accounting from a simulator's own spikes, and an energy *estimate*.

A spike of layer l (the input is layer 0) costs one synaptic operation (an
accumulate, ``V += w``) per outgoing synapse: ``spikes x fan-out``. The equal-size
ANN does one multiply-accumulate per weight per image. Per-operation energies are
the 45 nm CMOS figures of Horowitz (ISSCC 2014) as commonly used in SNN papers:
0.9 pJ per 32-bit float add (accumulate), 4.6 pJ per 32-bit float multiply + add
(MAC). The result is an estimate of the synaptic arithmetic only (neuron updates,
memory access, routing and static power are not included), not a measurement.
"""

from __future__ import annotations

import numpy as np

#: Energy of one accumulate (synaptic operation), joules (45 nm, 32-bit float add).
E_ACCUMULATE = 0.9e-12
#: Energy of one multiply-accumulate, joules (45 nm, 32-bit float mult 3.7 pJ + add 0.9 pJ).
E_MAC = 4.6e-12


def synaptic_ops(spike_counts: list[np.ndarray], sizes) -> np.ndarray:
    """Synaptic operations per layer and image.

    spike_counts[l]: spikes per image of layer l, ``[batch]`` (l = 0 is the input,
    one entry per layer that sends spikes: ``len(sizes) - 1`` of them); sizes: the
    network's layer sizes (dense layers, fan-out of layer l is ``sizes[l + 1]``).
    Returns int64 ``[len(sizes) - 1, batch]``.
    """
    if len(spike_counts) != len(sizes) - 1:
        raise ValueError(f"spike_counts needs one entry per sending layer ({len(sizes) - 1}), got {len(spike_counts)}")
    return np.stack([np.asarray(c, dtype=np.int64) * int(sizes[l + 1]) for l, c in enumerate(spike_counts)])


def ann_macs(sizes) -> list[int]:
    """Multiply-accumulates per image of the equal-size dense ANN, per weight layer."""
    return [int(sizes[l]) * int(sizes[l + 1]) for l in range(len(sizes) - 1)]


def energy_report(synops: np.ndarray, sizes) -> dict:
    """Summary of ``synaptic_ops`` output ``[layers, batch]`` against the equal-size ANN:
    mean synaptic operations per image (per layer and total), ANN MACs per image, and the
    estimated arithmetic energy per image in joules with the per-operation energies used."""
    per_layer = synops.mean(axis=1) if synops.size else np.zeros(len(synops))
    macs = ann_macs(sizes)
    snn_j, ann_j = float(per_layer.sum()) * E_ACCUMULATE, sum(macs) * E_MAC
    return {
        "synops_per_image": float(per_layer.sum()),
        "synops_per_image_per_layer": [float(x) for x in per_layer],
        "ann_macs_per_image": sum(macs),
        "ann_macs_per_image_per_layer": macs,
        "synops_over_macs": float(per_layer.sum()) / sum(macs),
        "energy_per_image_j": {"snn_estimate": snn_j, "ann_estimate": ann_j,
                               "snn_over_ann": snn_j / ann_j},
        "energy_per_op_j": {"accumulate": E_ACCUMULATE, "multiply_accumulate": E_MAC,
                            "source": "45 nm CMOS, Horowitz ISSCC 2014 (estimate)"},
    }

"""Spike trains to Brian2 SpikeGeneratorGroups."""

from __future__ import annotations

import numpy as np


def to_spike_generator(spikes, dt: float):
    """Turn a 0/1 train ``[T, N]`` into ``(indices, times)`` for
    ``SpikeGeneratorGroup(N, indices, times)``.

    indices: int32 ``[n_spikes]``; times: float64 seconds ``[n_spikes]``, each an
    integer step times ``dt`` (dt in seconds), sorted by time then index.
    """
    arr = np.asarray(spikes.cpu() if hasattr(spikes, "cpu") else spikes)
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, N], got {list(arr.shape)}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("spikes must contain only 0 and 1 (map a bipolar train to on/off populations first)")
    steps, idx = np.nonzero(arr)
    return idx.astype(np.int32), steps.astype(np.float64) * float(dt)

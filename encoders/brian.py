"""Spike trains to Brian2 SpikeGeneratorGroups. brian2 is imported only inside
``spike_generator_group``."""

from __future__ import annotations

import numpy as np

from .base import check_number


def _as_array(spikes) -> np.ndarray:
    return np.asarray(spikes.detach().cpu() if hasattr(spikes, "detach") else spikes)


def to_spike_generator(spikes, dt: float):
    """Turn a 0/1 train ``[T, N]`` into ``(indices, times)`` for
    ``SpikeGeneratorGroup(N, indices, times)``.

    indices: int32 ``[n_spikes]``; times: float64 seconds ``[n_spikes]``, each an
    integer step times ``dt`` (dt in seconds, a finite number > 0), sorted by time then
    index.
    """
    dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    arr = _as_array(spikes)
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, N], got {list(arr.shape)}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("spikes must contain only 0 and 1 (map a bipolar train to on/off populations first)")
    steps, idx = np.nonzero(arr)
    return idx.astype(np.int32), steps.astype(np.float64) * float(dt)


def on_off(spikes) -> np.ndarray:
    """Split a bipolar train ``[T, N]`` in {-1, 0, 1} into two populations: a 0/1
    train ``[T, 2 N]`` whose units 0..N-1 are the +1 ("on") spikes and units N..2N-1
    the -1 ("off") spikes of the same inputs."""
    arr = _as_array(spikes)
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, N], got {list(arr.shape)}")
    if not np.isin(arr, (-1, 0, 1)).all():
        raise ValueError("spikes must contain only -1, 0 and 1")
    return np.concatenate([arr == 1, arr == -1], axis=1).astype(np.int8)


def spike_generator_group(spikes, dt: float, bipolar: bool = False, **kwargs):
    """A ``brian2.SpikeGeneratorGroup`` that replays ``spikes [T, N]`` on the grid of
    step ``dt`` (seconds): unit i fires at ``t * dt`` wherever ``spikes[t, i]`` is 1.
    With ``bipolar=True`` the train is in {-1, 0, 1} and the group has 2 N units
    (see ``on_off``). ``kwargs`` go to SpikeGeneratorGroup (e.g. ``name``); its ``dt``
    is set to ``dt`` so every spike lands on its own step."""
    from brian2 import SpikeGeneratorGroup, second

    dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    arr = on_off(spikes) if bipolar else _as_array(spikes)
    indices, times = to_spike_generator(arr, dt)
    return SpikeGeneratorGroup(arr.shape[1], indices, times * second, dt=dt * second, **kwargs)

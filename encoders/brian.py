"""Spike trains to Brian2 SpikeGeneratorGroups: the one place such a group is filled.
brian2 is imported only inside the functions that build or refill a group.

``SpikeBatch`` replays a batch of presentations ``[T, batch, N]`` back to back (the networks of
``models.brian_snn``), whole or a slice of presentations at a time (a chunked runtime run refills
its group); ``spike_generator_group`` and ``to_spike_generator`` replay one train ``[T, N]``, as a
batch of one.
"""

from __future__ import annotations

import numpy as np

from .checks import check_binary, check_number


def _as_array(spikes) -> np.ndarray:
    return np.asarray(spikes.detach().cpu() if hasattr(spikes, "detach") else spikes)


def _check_dt(dt) -> float:
    return check_number(dt, "dt (s)", 0.0, lo_open=True)


#: What a 0/1 train with other values is told (a bipolar one goes through ``on_off`` first).
BINARY_MESSAGE = "{name} must contain only 0 and 1 (map a bipolar train to on/off populations first: on_off)"


def _one_train(spikes, dt: float, bipolar: bool = False) -> "SpikeBatch":
    """A train ``[T, N]`` (0/1, or in {-1, 0, 1} mapped through ``on_off`` when ``bipolar``) as a
    ``SpikeBatch`` of one presentation."""
    arr = on_off(spikes) if bipolar else _as_array(spikes)
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, N], got {list(arr.shape)}")
    return SpikeBatch(arr[:, None, :], dt)


def to_spike_generator(spikes, dt: float):
    """Turn a 0/1 train ``[T, N]`` into ``(indices, times)`` for
    ``SpikeGeneratorGroup(N, indices, times)`` (``SpikeBatch.events`` of one presentation).

    indices: int32 ``[n_spikes]``; times: float64 seconds ``[n_spikes]``, each an
    integer step times ``dt`` (dt in seconds, a finite number > 0), sorted by time then index.
    """
    return _one_train(spikes, dt).events()


def on_off(spikes) -> np.ndarray:
    """Split a bipolar train ``[T, N]`` in {-1, 0, 1} into two populations: a 0/1
    train ``[T, 2 N]`` whose units 0..N-1 are the +1 ("on") spikes and units N..2N-1
    the -1 ("off") spikes of the same inputs."""
    arr = _as_array(spikes)
    if arr.ndim != 2:
        raise ValueError(f"spikes must have shape [T, N], got {list(arr.shape)}")
    check_binary(arr, bipolar=True, message="spikes must contain only -1, 0 and 1")
    return np.concatenate([arr == 1, arr == -1], axis=1).astype(np.int8)


def spike_generator_group(spikes, dt: float, bipolar: bool = False, **kwargs):
    """A ``brian2.SpikeGeneratorGroup`` that replays ``spikes [T, N]`` on the grid of
    step ``dt`` (seconds): unit i fires at ``t * dt`` wherever ``spikes[t, i]`` is 1
    (``SpikeBatch.group`` of one presentation). With ``bipolar=True`` the train is in
    {-1, 0, 1} and the group has 2 N units (see ``on_off``). ``kwargs`` go to
    SpikeGeneratorGroup (e.g. ``name``); its ``dt`` is set to ``dt`` so every spike lands on
    its own step."""
    return _one_train(spikes, dt, bipolar).group(**kwargs)


class SpikeBatch:
    """0/1 spikes ``[T, batch, N]`` (torch or numpy) replayed back to back on the grid of step
    ``dt`` (s, a finite number > 0): presentation k occupies the steps ``[k*T, (k+1)*T)``,
    unit i fires at step ``k*T + t`` wherever ``spikes[t, k, i]`` is 1.

    steps, batch, n: T, the number of presentations, N. step, neuron: the events, int64
    ``[n_spikes]`` each, in time order then unit order (``step`` counted from the first
    presentation). ValueError (naming the spikes ``name``) for another shape, values other than 0
    and 1, or a bad dt.
    """

    def __init__(self, spikes, dt: float, name: str = "spikes"):
        self.dt = _check_dt(dt)
        arr = _as_array(spikes)
        if arr.ndim != 3:
            raise ValueError(f"{name} must have shape [T, batch, N], got {list(arr.shape)}")
        check_binary(arr, message=BINARY_MESSAGE.format(name=name))
        self.steps, self.batch, self.n = arr.shape
        step, neuron = np.nonzero(arr.transpose(1, 0, 2).reshape(self.batch * self.steps, self.n))
        self.step, self.neuron = step.astype(np.int64), neuron.astype(np.int64)

    def _bounds(self, start: int, stop: int | None) -> tuple[int, int]:
        stop = self.batch if stop is None else stop
        if not (isinstance(start, (int, np.integer)) and isinstance(stop, (int, np.integer))
                and 0 <= start <= stop <= self.batch):
            raise ValueError(f"presentations [start, stop) must lie in [0, {self.batch}], got [{start!r}, {stop!r})")
        return int(start), int(stop)

    def events(self, start: int = 0, stop: int | None = None):
        """``(indices, times)`` of presentations ``[start, stop)`` (default all): int32 unit
        indices and float64 times in seconds, counted from the first presentation (so a
        refilled group of a network that ran the earlier presentations goes on where it was)."""
        start, stop = self._bounds(start, stop)
        a, b = np.searchsorted(self.step, [start * self.steps, stop * self.steps])
        return self.neuron[a:b].astype(np.int32), self.step[a:b] * self.dt

    def group(self, start: int = 0, stop: int | None = None, **kwargs):
        """A ``brian2.SpikeGeneratorGroup`` of N units emitting presentations ``[start, stop)``.
        ``kwargs`` go to SpikeGeneratorGroup (``name``, ``clock``, ...); without a ``clock``
        its ``dt`` is set to ``dt``; a given clock must have that dt."""
        from brian2 import SpikeGeneratorGroup, second

        clock = kwargs.get("clock")
        if clock is None:
            kwargs["dt"] = self.dt * second
        elif float(clock.dt_) != self.dt:
            raise ValueError(f"clock dt {float(clock.dt_)!r} s differs from the spikes' dt {self.dt!r} s")
        indices, times = self.events(start, stop)
        return SpikeGeneratorGroup(self.n, indices, times * second, sorted=True, **kwargs)

    def refill(self, group, start: int, stop: int | None = None) -> None:
        """Make ``group`` (from ``group``) emit presentations ``[start, stop)`` instead."""
        from brian2 import second

        indices, times = self.events(start, stop)
        group.set_spikes(indices, times * second, sorted=True)

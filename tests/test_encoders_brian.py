"""Spike trains into Brian2: (indices, times), on/off populations, and a real run."""

import numpy as np
import pytest
import torch

import encoders
from encoders.brian import SpikeBatch, on_off, spike_generator_group, to_spike_generator


def test_to_spike_generator_hand_computed():
    spikes = torch.tensor([[0, 1, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=torch.float32)
    idx, times = to_spike_generator(spikes, 0.5e-3)
    assert idx.dtype == np.int32 and times.dtype == np.float64
    assert idx.tolist() == [1, 0, 2, 1]
    np.testing.assert_array_equal(times, [0.0, 0.5e-3, 0.5e-3, 1.5e-3])
    with pytest.raises(ValueError, match="on/off"):
        to_spike_generator(np.array([[0, -1]]), 1e-3)
    with pytest.raises(ValueError, match=r"shape \[T, N\]"):
        to_spike_generator(np.zeros((2, 2, 2)), 1e-3)


def test_on_off_hand_computed():
    s = np.array([[1, 0], [-1, 1], [0, -1]])
    np.testing.assert_array_equal(on_off(s), [[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    with pytest.raises(ValueError, match="only -1, 0 and 1"):
        on_off(np.array([[2, 0]]))


def _replay(spikes, dt, bipolar=False):
    """Run the group in Brian2 (numpy target) and return what a SpikeMonitor saw as a 0/1 train."""
    from brian2 import Network, SpikeMonitor, prefs, second

    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        group = spike_generator_group(spikes, dt, bipolar=bipolar)
        mon = SpikeMonitor(group)
        Network(group, mon).run(spikes.shape[0] * dt * second)
        got = np.zeros((spikes.shape[0], group.N), dtype=np.int8)
        steps = np.asarray(mon.t / second) / dt
        assert np.allclose(steps, np.round(steps))              # every spike on the dt grid
        got[np.round(steps).astype(int), np.asarray(mon.i)] = 1
        return got
    finally:
        prefs.codegen.target = old


def test_brian2_replays_a_poisson_train_exactly():
    x = np.random.default_rng(0).random(30)
    spikes = encoders.get("poisson", max_rate=500.0, steps=40, seed=1).encode(x)
    np.testing.assert_array_equal(_replay(spikes, 1e-3), spikes)


def test_brian2_replays_a_bipolar_train_on_two_populations():
    t = np.arange(200)[:, None]
    x = np.sin(2 * np.pi * t / np.array([40.0, 70.0, 90.0]))
    spikes = encoders.get("lif", threshold=0.8, membrane_constant=0.9).encode(x)
    assert (spikes == -1).any() and (spikes == 1).any()
    got = _replay(spikes, 0.1e-3, bipolar=True)
    np.testing.assert_array_equal(got, on_off(spikes))


def test_spike_generator_group_checks_dt():
    with pytest.raises(ValueError, match=r"dt \(s\) must be a finite number > 0"):
        spike_generator_group(np.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match=r"dt \(s\) must be a finite number > 0"):
        spike_generator_group(np.zeros((3, 2)), True)
    group = spike_generator_group(np.eye(3), np.float32(1e-3))   # a numpy float is a number too
    assert group.N == 3


@pytest.mark.parametrize("dt", [0.0, -1e-3, float("nan"), float("inf"), True, "1e-3"])
def test_to_spike_generator_refuses_a_bad_dt(dt):
    with pytest.raises(ValueError, match=r"dt \(s\) must be a finite number > 0"):
        to_spike_generator(np.eye(2), dt)
    with pytest.raises(ValueError, match=r"dt \(s\) must be a finite number > 0"):
        SpikeBatch(np.zeros((2, 1, 2)), dt)


def test_spike_batch_hand_computed():
    # T = 2 steps, 3 presentations, N = 2 units: presentation k occupies steps 2k and 2k + 1
    spikes = torch.zeros(2, 3, 2, dtype=torch.uint8)
    spikes[0, 0, 1] = spikes[1, 0, 0] = spikes[1, 0, 1] = 1     # presentation 0: steps 0 and 1
    spikes[1, 2, 0] = 1                                          # presentation 2: step 5
    batch = SpikeBatch(spikes, 0.5e-3)
    assert (batch.steps, batch.batch, batch.n) == (2, 3, 2)
    assert batch.step.tolist() == [0, 1, 1, 5] and batch.neuron.tolist() == [1, 0, 1, 0]
    idx, times = batch.events()
    assert idx.dtype == np.int32 and idx.tolist() == [1, 0, 1, 0]
    np.testing.assert_array_equal(times, [0.0, 0.5e-3, 0.5e-3, 2.5e-3])
    idx, times = batch.events(1, 3)                               # times still counted from presentation 0
    assert idx.tolist() == [0] and times.tolist() == [5 * 0.5e-3]
    assert batch.events(1, 2)[0].tolist() == []
    with pytest.raises(ValueError, match=r"presentations \[start, stop\) must lie in \[0, 3\]"):
        batch.events(2, 4)
    with pytest.raises(ValueError, match=r"\[T, batch, N\]"):
        SpikeBatch(np.zeros((2, 2)), 1e-3)
    with pytest.raises(ValueError, match="only 0 and 1"):
        SpikeBatch(np.full((2, 1, 2), 2, dtype=np.uint8), 1e-3)
    with pytest.raises(ValueError, match="only 0 and 1"):
        SpikeBatch(np.full((2, 1, 2), 0.5), 1e-3)


def test_brian2_replays_a_batch_back_to_back_and_refilled():
    from brian2 import Clock, Network, SpikeMonitor, prefs, second

    x = np.random.default_rng(3).random((5, 20))
    spikes = encoders.get("poisson", max_rate=400.0, steps=8, seed=2).encode(x)   # [8, 5, 20]
    batch = SpikeBatch(spikes, 1e-3)
    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        clock = Clock(dt=1e-3 * second)
        group = batch.group(0, 3, clock=clock)                 # presentations 0-2, then 3-4
        mon = SpikeMonitor(group)
        net = Network(group, mon)
        net.run(3 * 8 * 1e-3 * second)
        batch.refill(group, 3)
        net.run(2 * 8 * 1e-3 * second)
        steps = np.round(np.asarray(mon.t / second) / 1e-3).astype(int)
        got = np.zeros((5 * 8, 20), dtype=np.int8)
        got[steps, np.asarray(mon.i)] = 1
        np.testing.assert_array_equal(got, spikes.transpose(1, 0, 2).reshape(40, 20))
        with pytest.raises(ValueError, match="clock dt"):
            batch.group(clock=Clock(dt=0.5e-3 * second))
    finally:
        prefs.codegen.target = old

"""Event accounting and the energy estimate (models.events), pinned by hand."""

import numpy as np
import pytest

from models.events import E_ACCUMULATE, E_MAC, ann_macs, energy_report, synaptic_ops


def test_synaptic_ops_are_spikes_times_fan_out():
    sizes = (4, 3, 5)
    ops = synaptic_ops([np.array([2, 0]), np.array([1, 3])], sizes)   # input spikes, hidden spikes per image
    assert ops.tolist() == [[6, 0], [5, 15]]
    assert ann_macs(sizes) == [12, 15]
    with pytest.raises(ValueError, match="one entry per sending layer"):
        synaptic_ops([np.array([1])], sizes)


def test_energy_report_by_hand():
    report = energy_report(np.array([[6, 0], [5, 15]]), (4, 3, 5))
    assert report["synops_per_image_per_layer"] == [3.0, 10.0]
    assert report["synops_per_image"] == 13.0 and report["ann_macs_per_image"] == 27
    assert report["energy_per_image_j"]["snn_estimate"] == pytest.approx(13 * 0.9e-12)
    assert report["energy_per_image_j"]["ann_estimate"] == pytest.approx(27 * 4.6e-12)
    assert (E_ACCUMULATE, E_MAC) == (0.9e-12, 4.6e-12)

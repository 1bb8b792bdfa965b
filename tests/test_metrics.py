import numpy as np
import pytest
import torch

from training.metrics import per_image_mse, pixel_mse, spike_mse, zscore


def test_zscore_uses_sample_std_and_zeroes_constant_maps():
    z = zscore(torch.tensor([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    assert z[0].tolist() == pytest.approx([-1.0, 0.0, 1.0])   # sample std of 1,2,3 is 1
    assert z[1].tolist() == [0.0, 0.0, 0.0]


def test_hand_computed_mse():
    # image [0, 0, 1, 1] -> z = [-a, -a, a, a], a = 1/sqrt(4/3) = sqrt(3)/2
    # counts [0, 1, 1, 2] -> mean 1, sample std sqrt(2/3): z = [-1.2247, 0, 0, 1.2247]
    a = np.sqrt(3) / 2
    b = 1 / np.sqrt(2 / 3)
    expected = ((-a + b) ** 2 + a ** 2 + a ** 2 + (a - b) ** 2) / 4
    img = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    spikes = torch.tensor([[[0, 1, 0, 1]], [[0, 0, 1, 1]]], dtype=torch.float32)  # counts 0,1,1,2
    assert pixel_mse(img, spikes) == pytest.approx(expected)
    assert spike_mse(spikes, spikes) == 0.0


def test_silent_output_scores_one_against_any_image():
    # the anchor "0.999 (silent output)": z-scored image has mean square (P-1)/P
    img = torch.rand(3, 784)
    silent = torch.zeros(15, 3, 784)
    assert pixel_mse(img, silent) == pytest.approx(783 / 784)


def test_shape_mismatch_and_nan():
    with pytest.raises(ValueError, match="same number"):
        per_image_mse(torch.zeros(2, 4), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="NaN"):
        per_image_mse(torch.tensor([[float("nan"), 1.0]]), torch.zeros(1, 2))

"""Reconstruction metrics of the paper (Spike-MSE and pixel MSE), numpy or torch."""

from __future__ import annotations

import math

import torch


def zscore(maps: torch.Tensor) -> torch.Tensor:
    """Z-score each map over its pixels with the sample standard deviation (ddof=1).

    maps: ``[n, ...]``, one map per leading index. A constant map becomes all zeros.
    Returns float64 ``[n, P]`` (pixels flattened).
    """
    x = torch.as_tensor(maps).reshape(len(maps), -1).to(torch.float64)
    centred = x - x.mean(dim=1, keepdim=True)
    # two-pass sample variance (several times faster here than torch.std_mean's Welford)
    std = (centred.square().sum(dim=1, keepdim=True) / max(x.shape[1] - 1, 1)).sqrt_()
    varies = std > 0
    return centred.div_(torch.where(varies, std, 1.0)).mul_(varies)


def _check_pair(a, b, name_a: str, name_b: str):
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    if len(a) != len(b) or a[0].numel() != b[0].numel():
        raise ValueError(f"{name_a} {list(a.shape)} and {name_b} {list(b.shape)} must hold the same "
                         f"number of maps with the same number of pixels")
    for name, x in ((name_a, a), (name_b, b)):
        # a NaN or an infinity anywhere makes the float64 sum non-finite (one cheap pass)
        if x.is_floating_point() and not math.isfinite(float(x.sum(dtype=torch.float64))):
            raise ValueError(f"{name} contains NaN or infinite values")
    return a, b


def per_image_mse(reference, output) -> torch.Tensor:
    """Mean squared difference of the z-scored maps, per image: float64 ``[n]``.
    reference, output: ``[n, ...]`` with the same number of pixels per image."""
    a, b = _check_pair(reference, output, "reference", "output")
    return ((zscore(a) - zscore(b)) ** 2).mean(dim=1)


def spike_mse(input_spikes, output_spikes) -> float:
    """Spike-MSE: input and output spike-count maps (sum over time, the leading axis
    of ``[T, n, P]``), each z-scored per image; squared error averaged over images and pixels."""
    return float(per_image_mse(torch.as_tensor(input_spikes).sum(0), torch.as_tensor(output_spikes).sum(0)).mean())


def pixel_mse(images, output_spikes) -> float:
    """Pixel MSE: the images ``[n, ...]`` against the output spike-count maps
    (``output_spikes`` ``[T, n, P]`` summed over time), z-scored per image, averaged."""
    return float(per_image_mse(images, torch.as_tensor(output_spikes).sum(0)).mean())

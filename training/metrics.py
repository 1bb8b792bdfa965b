"""Reconstruction metrics of the paper (Spike-MSE and pixel MSE), numpy or torch."""

from __future__ import annotations

import torch


def zscore(maps: torch.Tensor) -> torch.Tensor:
    """Z-score each map over its pixels with the sample standard deviation (ddof=1).

    maps: ``[n, ...]``, one map per leading index. A constant map becomes all zeros.
    Returns float64 ``[n, P]`` (pixels flattened).
    """
    x = torch.as_tensor(maps).reshape(len(maps), -1).to(torch.float64)
    mean = x.mean(dim=1, keepdim=True)
    std = x.std(dim=1, keepdim=True, unbiased=True)
    return torch.where(std > 0, (x - mean) / torch.where(std > 0, std, 1.0), torch.zeros_like(x))


def _check_pair(a, b, name_a: str, name_b: str):
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    if len(a) != len(b) or a[0].numel() != b[0].numel():
        raise ValueError(f"{name_a} {list(a.shape)} and {name_b} {list(b.shape)} must hold the same "
                         f"number of maps with the same number of pixels")
    for name, x in ((name_a, a), (name_b, b)):
        if x.is_floating_point() and not bool(torch.isfinite(x).all()):
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

"""Evaluate a trained autoencoder (SNN or ANN) on an image set: Spike-MSE and pixel MSE."""

from __future__ import annotations

import os

import torch
from tqdm import tqdm

from encoders.rate import make_generator
from models.ann import relu_mlp
from models.io import load_model
from models.encode import ENCODE_BATCH, encode
from models.spec import NetworkSpec
from models.torch_snn import SpikingNetwork

from .data import load_images
from .metrics import per_image_mse
from .settings import check_device


def check_images(images: torch.Tensor, n_pixels: int) -> torch.Tensor:
    """Flatten images ``[n, ...]`` to float32 ``[n, n_pixels]``; ValueError unless they have
    ``n_pixels`` values each, all finite and in [0, 1]."""
    images = torch.as_tensor(images)
    if images.dim() < 2 or images[0].numel() != n_pixels:
        raise ValueError(f"images must hold {n_pixels} pixels each for this model, got shape {list(images.shape)}")
    flat = images.reshape(len(images), n_pixels).to(torch.float32)
    if not bool(torch.isfinite(flat).all()) or (flat.numel() and (float(flat.min()) < 0 or float(flat.max()) > 1)):
        raise ValueError("images must be finite pixel values in [0, 1]")
    return flat


def reconstruct(spec: NetworkSpec, weights: list[torch.Tensor], images: torch.Tensor, kind: str = "snn",
                seed: int = 0, device: str = "cpu", progress: bool = False):
    """Run images through a model, ``ENCODE_BATCH`` images at a time.

    images: ``[n, ...]`` pixels in [0, 1] with ``spec.sizes[0]`` values each.
    snn: Poisson input spikes (``models.encode.encode``, seeded: the spikes that
    ``spikesynth simulate`` uses) through the mirror; returns ``(input_counts, output_counts)``,
    spike counts summed over the T steps, ``[n, N]`` each.
    ann: returns ``(images [n, N], outputs [n, N])``.
    """
    x = check_images(images, spec.sizes[0])
    if kind not in ("snn", "ann"):
        raise ValueError(f"kind must be 'snn' or 'ann', got {kind!r}")
    gen = make_generator(seed)
    ins, outs = [], []
    if kind == "snn":
        net = SpikingNetwork(spec, [w.to(device) for w in weights]).to(device)
    with torch.no_grad():
        for start in tqdm(range(0, len(x), ENCODE_BATCH), desc="evaluate", disable=not progress, leave=False):
            batch = x[start:start + ENCODE_BATCH]
            if kind == "snn":
                spikes = encode(batch, spec, generator=gen).to(torch.float32)
                ins.append(spikes.sum(0))
                outs.append(net(spikes.to(device)).spikes[-1].sum(0).cpu())
            else:
                ins.append(batch)
                outs.append(relu_mlp([w.to(device) for w in weights], batch.to(device)).cpu())
    return torch.cat(ins), torch.cat(outs)


def evaluate_model(spec: NetworkSpec, weights: list[torch.Tensor], images: torch.Tensor, kind: str = "snn",
                   seed: int = 0, device: str = "cpu", progress: bool = False) -> tuple[dict, torch.Tensor]:
    """Score a model on images ``[n, ...]`` in [0, 1]. Returns ``(metrics, outputs)``: metrics
    ``{"n", "pixel_mse", "spike_mse"}`` (per image z-scored, averaged over images and pixels;
    ``spike_mse`` is None for an ANN) and the outputs ``[n, N]`` they score (see ``reconstruct``),
    so a plot can show exactly the reconstructions behind the numbers."""
    x = check_images(images, spec.sizes[0])
    ins, outs = reconstruct(spec, weights, x, kind, seed, device, progress)
    metrics = {"n": len(x), "pixel_mse": float(per_image_mse(x, outs).mean()),
               "spike_mse": float(per_image_mse(ins, outs).mean()) if kind == "snn" else None}
    return metrics, outs


def evaluate_file(model: str | os.PathLike, dataset: str = "mnist", split: str = "test",
                  data_dir: str | os.PathLike | None = None, limit: int | None = None, seed: int = 0,
                  device: str = "cpu", progress: bool = False):
    """Load a model file and evaluate it on the first ``limit`` images (all if None) of a
    dataset split. Returns ``(metrics, kind, images, outputs)``: ``evaluate_model``'s metrics
    and scored outputs ``[n, N]``, the model's kind and the images ``[n, H, W]`` in [0, 1]."""
    check_device(device)
    spec, weights, meta = load_model(model)
    images, _ = load_images(dataset, split, data_dir, as_float=True)
    if limit is not None:
        if not (isinstance(limit, int) and 1 <= limit <= len(images)):
            raise ValueError(f"limit must be an integer in [1, {len(images)}], got {limit!r}")
        images = images[:limit]
    images = torch.from_numpy(images)
    metrics, outputs = evaluate_model(spec, weights, images, meta["kind"], seed, device, progress)
    return metrics, meta["kind"], images, outputs

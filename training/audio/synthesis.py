"""Synthesis: the audio-to-image network (AC-SNN + the autoencoder's decoder) run on clips,
the scores of its images, and its model files."""

from __future__ import annotations

import math

import numpy as np
import torch

from models.backends import Network, layer_counts
from models.spec import NetworkSpec

from ..metrics import zscore
from ..settings import check_device
from .config import AudiocoderConfig, synthesis_spec
from .train import _check_features


def synthesize_counts(spec: NetworkSpec, weights: list, features, seed: int = 0, device: str = "cpu",
                      backend: str = "mirror", target: str = "cpp_standalone") -> torch.Tensor:
    """Run the audio-to-image network (``synthesis_spec``) on ``features [n, n_inputs]`` through
    the one evaluation path (``models.backends.layer_counts``: the spec's encoder, seeded with
    ``seed``, then the float64 mirror on ``device``, or Brian2 with ``backend='brian2'``), every
    layer updating within each step. Returns the output spike counts ``[n, 784]`` (float32)."""
    check_device(device)
    x = _check_features(features, spec.sizes[0])
    _, result = layer_counts(Network(spec, weights), x, seed=seed, backend=backend, target=target, device=device,
                             progress=False)
    return torch.as_tensor(result.counts[-1], dtype=torch.float32)


def min_mse_over_references(counts, digits, references) -> np.ndarray:
    """Per clip, the z-scored MSE of its output ``counts [n, 784]`` against its digit's
    reference images: ``references [10, k, 784]`` (Dataset A: k = 1; B: the reference
    sets), the minimum over the k. Returns float64 ``[n]``."""
    refs = torch.as_tensor(np.asarray(references, dtype=np.float32))
    if refs.dim() != 3 or refs.shape[0] != 10:
        raise ValueError(f"references must be [10, k, pixels], got {list(refs.shape)}")
    z_out = zscore(torch.as_tensor(counts))
    z_ref = zscore(refs.reshape(-1, refs.shape[2])).reshape(refs.shape[0], refs.shape[1], -1)
    digits = torch.as_tensor(np.asarray(digits), dtype=torch.long)
    return ((z_ref[digits] - z_out[:, None]) ** 2).mean(dim=2).min(dim=1).values.numpy()


def evaluate_images(counts, digits, references, classifier_weights) -> dict:
    """Test metrics of synthesized images: ``mse`` (mean of ``min_mse_over_references``),
    ``identity`` (fraction the MNIST classifier reads as the spoken digit) and the
    per-digit identity ``[10]``."""
    from .classifier import classify

    digits = np.asarray(digits)
    mse = min_mse_over_references(counts, digits, references)
    predicted = classify(classifier_weights, counts)
    hit = predicted == digits
    per_digit = [float(hit[digits == d].mean()) if (digits == d).any() else float("nan") for d in range(10)]
    return {"mse": float(mse.mean()), "identity": float(hit.mean()), "identity_per_digit": per_digit,
            "n": int(len(digits))}


def save_audiocoder(path, cfg: AudiocoderConfig, ae_spec: NetworkSpec, ac_weights: list, ae_weights: list,
                    extra: dict | None = None):
    """Write the audio-to-image network (AC-SNN + the autoencoder's decoder W2) as one model
    file of kind ``audiocoder``; ``extra`` (dataset, th, metrics, ...) is stored with the config."""
    from models.io import save_model

    spec = synthesis_spec(cfg, ae_spec)
    meta = {"audiocoder": cfg.to_dict(), **(extra or {})}
    return save_model(path, spec, [*ac_weights, torch.as_tensor(ae_weights[1])], kind="audiocoder", extra=meta)


def load_audiocoder(path):
    """Read an audio-to-image model file. Returns ``(spec, weights, cfg, extra)``; ValueError
    if it is not an audiocoder or its input layer disagrees with its feature config."""
    from models.io import load_model

    spec, weights, meta = load_model(path, kind="audiocoder")
    extra = dict(meta["extra"])
    if "audiocoder" not in extra:
        raise ValueError(f"{path}: audiocoder model file without its audiocoder config")
    cfg = AudiocoderConfig.from_dict(extra.pop("audiocoder"))
    if spec.sizes[0] != cfg.features.n_inputs or len(spec.sizes) != 4:
        raise ValueError(f"{path}: network sizes {list(spec.sizes)} do not fit its feature config "
                         f"({cfg.features.n_inputs} inputs, 4 layers)")
    return spec, weights, cfg, extra


def save_image_grid(maps, path, cols: int = 10) -> None:
    """Write maps ``[n, 784]`` (any scale; each scaled to its own maximum) as a PNG grid of
    28 x 28 tiles, ``cols`` per row, white on black."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from models.files import atomic_path

    m = np.asarray(torch.as_tensor(maps).float()).reshape(-1, 28, 28)
    peak = m.reshape(len(m), -1).max(axis=1)
    m = m / np.where(peak > 0, peak, 1.0)[:, None, None]
    cols = min(cols, len(m))
    rows = math.ceil(len(m) / cols)
    grid = np.zeros((rows * 28, cols * 28))
    for i, tile in enumerate(m):
        r, c = divmod(i, cols)
        grid[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = tile
    with atomic_path(path) as tmp:
        plt.imsave(tmp, grid, cmap="gray", vmin=0.0, vmax=1.0, format="png")

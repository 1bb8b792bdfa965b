"""Reconstruction grid (the paper's Figures 5B / 6B): inputs in the top row, outputs below.

Images of any size: ``[m, H, W]`` inputs are drawn as ``H x W``, and so are outputs with ``H * W``
values (an autoencoder's flat output spike counts); flat ``[m, D]`` images are drawn in the most
nearly square ``h x w`` with ``h * w = D`` and ``h <= w`` (``image_shape``: 784 -> 28 x 28,
1024 -> 32 x 32, 3072 -> 48 x 64, a prime D -> a row of 1 x D). ``shape`` overrides it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from models.files import PLOT_FORMATS, atomic_path, check_output_file


def image_shape(n_values: int) -> tuple[int, int]:
    """The most nearly square ``(h, w)`` with ``h * w == n_values`` and ``h <= w`` (``(1, n)`` for a prime)."""
    if not (isinstance(n_values, (int, np.integer)) and n_values >= 1):
        raise ValueError(f"an image needs at least one value, got {n_values!r}")
    h = next(d for d in range(math.isqrt(int(n_values)), 0, -1) if n_values % d == 0)
    return h, int(n_values) // h


def plot_reconstructions(inputs, outputs, path: str | os.PathLike, n: int = 10, title: str | None = None,
                         shape: tuple[int, int] | None = None) -> Path:
    """Save ``reconstruction_figure(...)`` at ``path`` (atomically), in the format its suffix
    names (``models.files.PLOT_FORMATS``: png, pdf or svg); returns the path."""
    path = check_output_file(path, "plot path", PLOT_FORMATS)
    fig = reconstruction_figure(inputs, outputs, n, title, shape)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=100)
    return path


def _array(x) -> np.ndarray:
    return np.asarray(x.cpu() if hasattr(x, "cpu") else x, dtype=np.float64)


def reconstruction_figure(inputs, outputs, n: int = 10, title: str | None = None, shape: tuple[int, int] | None = None,
                          labels: tuple[str, str] = ("input", "output")):
    """A 2 x n grid (a matplotlib Figure): ``inputs[:n]`` (e.g. pixel images) above ``outputs[:n]``
    (e.g. output spike counts), each shown as a gray image scaled to its own range.

    inputs, outputs: ``[m, H, W]`` or flat ``[m, D]`` arrays or tensors, m >= 1, each item of
    ``H * W`` values. shape: ``(H, W)`` to draw both in (None: the inputs' own ``H x W``, or
    ``image_shape(D)`` for flat inputs; see the module docstring).
    """
    from matplotlib.figure import Figure

    a, b = _array(inputs), _array(outputs)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"inputs and outputs must hold the same number (>= 1) of images, got {len(a)} and {len(b)}")
    if shape is None:
        shape = tuple(a.shape[1:]) if a.ndim == 3 else image_shape(a[0].size)
    if len(shape) != 2 or a[0].size != shape[0] * shape[1] or b[0].size != shape[0] * shape[1]:
        raise ValueError(f"each image must have {shape[0]} x {shape[1]} values (shape {tuple(shape)}), got "
                         f"{a[0].size} (inputs) and {b[0].size} (outputs)")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("images contain NaN or infinite values")
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = min(n, len(a))
    aspect = shape[1] / shape[0]
    width = 1.1 * min(max(aspect, 1.0), 8.0)   # a row-like image gets a wider cell, within reason
    fig = Figure(figsize=(width * n, 2.4 if aspect >= 1 else 2.4 / max(aspect, 0.25)))
    axes = fig.subplots(2, n, squeeze=False)
    for row, (data, label) in enumerate(zip((a, b), labels)):
        for col in range(n):
            ax = axes[row][col]
            ax.imshow(data[col].reshape(shape), cmap="gray", aspect="equal" if 1 / 8 <= aspect <= 8 else "auto")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(label)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig

"""Reconstruction grid (the paper's Figures 5B / 6B): inputs in the top row, outputs below."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from models.files import PLOT_FORMATS, atomic_path, check_output_file


def plot_reconstructions(inputs, outputs, path: str | os.PathLike, n: int = 10, title: str | None = None,
                         side: int = 28) -> Path:
    """Save ``reconstruction_figure(...)`` at ``path`` (atomically), in the format its suffix
    names (``models.files.PLOT_FORMATS``: png, pdf or svg); returns the path."""
    path = check_output_file(path, "plot path", PLOT_FORMATS)
    fig = reconstruction_figure(inputs, outputs, n, title, side)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=100)
    return path


def reconstruction_figure(inputs, outputs, n: int = 10, title: str | None = None, side: int = 28,
                          labels: tuple[str, str] = ("input", "output")):
    """A 2 x n grid (a matplotlib Figure): ``inputs[:n]`` (e.g. pixel images) above ``outputs[:n]``
    (e.g. output spike counts), each shown as a ``side x side`` gray image scaled to its own range.

    inputs, outputs: ``[m, side * side]`` or ``[m, side, side]`` arrays or tensors, m >= 1.
    """
    from matplotlib.figure import Figure

    a = np.asarray(inputs.cpu() if hasattr(inputs, "cpu") else inputs, dtype=np.float64)
    b = np.asarray(outputs.cpu() if hasattr(outputs, "cpu") else outputs, dtype=np.float64)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"inputs and outputs must hold the same number (>= 1) of images, got {len(a)} and {len(b)}")
    if a[0].size != side * side or b[0].size != side * side:
        raise ValueError(f"each image must have {side} x {side} values, got {a[0].size} and {b[0].size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("images contain NaN or infinite values")
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = min(n, len(a))
    fig = Figure(figsize=(1.1 * n, 2.4))
    axes = fig.subplots(2, n, squeeze=False)
    for row, (data, label) in enumerate(zip((a, b), labels)):
        for col in range(n):
            ax = axes[row][col]
            ax.imshow(data[col].reshape(side, side), cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(label)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig

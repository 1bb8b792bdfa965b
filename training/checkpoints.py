"""Training checkpoints: tensors + JSON metadata in one safetensors file, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from models.io import read_safetensors, save_safetensors

FORMAT = "spikesynth-checkpoint"


def save_checkpoint(path: str | os.PathLike, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write ``tensors`` (name -> tensor, moved to the CPU) and ``meta`` (JSON-serialisable)
    to ``path`` in one atomic rename: an interrupted write leaves the previous checkpoint.
    The same state always gives the same bytes."""
    data = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    return save_safetensors(path, data, {"format": FORMAT, "meta": json.dumps(meta)})


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Read a checkpoint written by ``save_checkpoint``: ``(tensors, meta)``. Raises
    FileNotFoundError if missing and ValueError (naming the file, and the tensor) if it is not a
    readable spikesynth checkpoint or a floating-point tensor holds NaN or infinite values."""
    tensors, meta = read_safetensors(path, "checkpoint")
    try:
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        meta = json.loads(meta["meta"])
        if not isinstance(meta, dict):
            raise ValueError(f"its metadata is a JSON {type(meta).__name__}, not an object")
    except (ValueError, KeyError, RecursionError) as exc:
        raise ValueError(f"{path}: not a readable spikesynth checkpoint ({type(exc).__name__}: {exc})") from None
    for name, t in sorted(tensors.items()):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{path}: tensor {name} contains NaN or infinite values; the run it comes from "
                             f"diverged or the file is damaged, so it cannot be resumed (rerun with --force)")
    return tensors, meta

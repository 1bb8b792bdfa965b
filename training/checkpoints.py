"""Training checkpoints: tensors + JSON metadata in one safetensors file, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import save_file

from models.io import read_safetensors
from models.files import atomic_path

FORMAT = "spikesynth-checkpoint"


def save_checkpoint(path: str | os.PathLike, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write ``tensors`` (name -> tensor, moved to the CPU) and ``meta`` (JSON-serialisable)
    to ``path`` in one atomic rename: an interrupted write leaves the previous checkpoint."""
    data = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(data, str(tmp), metadata={"format": FORMAT, "meta": json.dumps(meta)})
    return Path(path)


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Read a checkpoint written by ``save_checkpoint``: ``(tensors, meta)``. Raises
    FileNotFoundError if missing and ValueError if it is not a readable spikesynth checkpoint."""
    tensors, meta = read_safetensors(path, "checkpoint")
    try:
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        return tensors, json.loads(meta["meta"])
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable spikesynth checkpoint ({exc})") from None

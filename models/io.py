"""Model files: spec + weights in safetensors, loaded without executing code.

A model file holds tensors ``W0, W1, ...`` (``[post, pre]``, as the spec's
``weight_shapes``), when the spec has ``bias`` also ``b0, b1, ...`` (``[post]``), and
string metadata: ``format`` (``spikesynth-model``), ``kind`` (``snn`` or ``ann``),
``spec`` (the spec's JSON) and ``extra`` (JSON). Files written before spec version 2
(no biases, a version-1 spec) still load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .files import atomic_path
from .spec import NetworkSpec

FORMAT = "spikesynth-model"


def save_model(path: str | os.PathLike, spec: NetworkSpec, weights: list[torch.Tensor], kind: str = "snn",
               extra: dict | None = None, biases: list[torch.Tensor] | None = None) -> Path:
    """Write spec + weights (``[post, pre]`` each) and, when the spec has ``bias``, the
    biases (``[post]`` each, required then) to a safetensors file, atomically."""
    check_weights(spec, weights, source="weights to save")
    check_biases(spec, biases, source="biases to save")
    tensors = {f"W{i}": torch.as_tensor(w).detach().cpu().contiguous() for i, w in enumerate(weights)}
    tensors.update({f"b{i}": torch.as_tensor(b).detach().cpu().contiguous() for i, b in enumerate(biases or [])})
    meta = {"format": FORMAT, "kind": kind, "spec": spec.to_json(), "extra": json.dumps(extra or {})}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    return Path(path)


def check_weights(spec: NetworkSpec, weights: list[torch.Tensor], source: str) -> None:
    """Raise ValueError unless ``weights`` match the spec's layer shapes and are finite."""
    shapes = spec.weight_shapes()
    if len(weights) != len(shapes):
        raise ValueError(f"{source}: spec {list(spec.sizes)} needs {len(shapes)} weight matrices, found {len(weights)}")
    for i, (w, shape) in enumerate(zip(weights, shapes)):
        if tuple(w.shape) != shape:
            raise ValueError(f"{source}: W{i} has shape {list(w.shape)} but spec {list(spec.sizes)} "
                             f"needs {list(shape)} — is this a model for another architecture?")
        if not bool(torch.isfinite(torch.as_tensor(w)).all()):
            raise ValueError(f"{source}: W{i} contains NaN or infinite values")


def check_biases(spec: NetworkSpec, biases: list[torch.Tensor] | None, source: str) -> None:
    """Raise ValueError unless ``biases`` is None for a spec without ``bias``, or one finite
    ``[post]`` tensor per layer for a spec with it."""
    if not spec.bias:
        if biases is not None:
            raise ValueError(f"{source}: biases given but the spec has bias=false")
        return
    shapes = spec.bias_shapes()
    if not isinstance(biases, (list, tuple)) or len(biases) != len(shapes):
        got = f"{len(biases)} biases" if isinstance(biases, (list, tuple)) else repr(type(biases).__name__)
        raise ValueError(f"{source}: the spec has bias=true, so biases must list {len(shapes)} vectors "
                         f"(one [post] per layer), got {got}")
    for i, (b, shape) in enumerate(zip(biases, shapes)):
        if tuple(b.shape) != shape:
            raise ValueError(f"{source}: b{i} has shape {list(b.shape)} but spec {list(spec.sizes)} "
                             f"needs {list(shape)}")
        if not bool(torch.isfinite(torch.as_tensor(b)).all()):
            raise ValueError(f"{source}: b{i} contains NaN or infinite values")


def read_safetensors(path: str | os.PathLike, what: str) -> tuple[dict, dict]:
    """Read a safetensors file without executing code: ``(tensors, string metadata)``.
    FileNotFoundError if it is missing, ValueError (naming ``what`` and the file) if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        tensors = load_file(str(path))
        with open(path, "rb") as fh:
            header = json.loads(fh.read(int.from_bytes(fh.read(8), "little")))
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable safetensors {what} ({exc})") from None
    return tensors, header.get("__metadata__", {})


def load_model(path: str | os.PathLike, kind: str | None = None):
    """Read a model file. Returns ``(spec, weights, meta)``; ``weights`` is a list
    of ``[post, pre]`` tensors, ``meta`` has ``kind``, ``extra`` and ``biases`` (a list of
    ``[post]`` tensors when the spec has ``bias``, else None). Raises
    ValueError for a file that is not a spikesynth model or disagrees with its spec."""
    path = Path(path)
    tensors, meta = read_safetensors(path, "model file")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a spikesynth model file (format {meta.get('format')!r})")
    if kind is not None and meta.get("kind") != kind:
        raise ValueError(f"{path}: holds a {meta.get('kind')!r} model, expected {kind!r}")
    spec = NetworkSpec.from_json(meta.get("spec", ""))
    names = [f"W{i}" for i in range(spec.n_layers)]
    bias_names = [f"b{i}" for i in range(spec.n_layers)] if spec.bias else []
    if set(tensors) != set(names + bias_names):
        raise ValueError(f"{path}: holds tensors {sorted(tensors)}, the spec's {spec.n_layers} layers "
                         f"need {names + bias_names}")
    weights = [tensors[n] for n in names]
    check_weights(spec, weights, source=str(path))
    biases = [tensors[n] for n in bias_names] if spec.bias else None
    check_biases(spec, biases, source=str(path))
    return spec, weights, {"kind": meta.get("kind"), "extra": json.loads(meta.get("extra", "{}")), "biases": biases}

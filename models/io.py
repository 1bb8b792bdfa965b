"""Model files: spec + weights in safetensors, loaded without executing code.

A model file holds tensors ``W0, W1, ...`` (``[post, pre]``, as the spec's
``weight_shapes``, floating point), when the spec has ``bias`` also ``b0, b1, ...`` (``[post]``),
and string metadata: ``format`` (``spikesynth-model``), ``kind`` (``snn``, ``ann``, ``audiocoder``
or ``classifier``), ``spec`` (the spec's JSON) and ``extra`` (a JSON object). Files written before
spec version 2 (no biases, a version-1 spec) still load. The same model always gives the same
bytes (``safetensors_chunks``), so a file's hash (``models.files.file_key``) is a cache key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from .files import check_complete, write_bytes_atomic
from .spec import NetworkSpec

FORMAT = "spikesynth-model"


def safetensors_chunks(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> tuple[bytes, memoryview]:
    """The bytes of a safetensors file of ``tensors`` and string ``metadata``, reproducible:
    safetensors lays the tensors out in a fixed order but writes its header's keys in a hash
    order that changes from process to process, so the header is written again with sorted
    keys (padded to 8 bytes as safetensors pads it). Returns ``(length + header, data)``."""
    raw = save(tensors, metadata=metadata)
    n = int.from_bytes(raw[:8], "little")
    header = json.dumps(json.loads(raw[8:8 + n]), sort_keys=True, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header, memoryview(raw)[8 + n:]


def save_safetensors(path: str | os.PathLike, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> Path:
    """Write ``tensors`` (contiguous CPU tensors) and string ``metadata`` to ``path`` as a
    reproducible safetensors file, atomically, with the umask's permissions."""
    return write_bytes_atomic(path, *safetensors_chunks(tensors, metadata))


def save_model(path: str | os.PathLike, spec: NetworkSpec, weights: list[torch.Tensor], kind: str = "snn",
               extra: dict | None = None, biases: list[torch.Tensor] | None = None) -> Path:
    """Write spec + weights (``[post, pre]`` each, floating point) and, when the spec has
    ``bias``, the biases (``[post]`` each, required then) to a safetensors file, atomically;
    the same arguments always give the same bytes."""
    check_weights(spec, weights, source="weights to save")
    check_biases(spec, biases, source="biases to save")
    tensors = {f"W{i}": torch.as_tensor(w).detach().cpu().contiguous() for i, w in enumerate(weights)}
    tensors.update({f"b{i}": torch.as_tensor(b).detach().cpu().contiguous() for i, b in enumerate(biases or [])})
    meta = {"format": FORMAT, "kind": kind, "spec": spec.to_json(), "extra": json.dumps(extra or {})}
    return save_safetensors(path, tensors, meta)


def _check_layer_tensors(spec: NetworkSpec, tensors, shapes, letter: str, what: str, source: str,
                         hint: str = "") -> None:
    """ValueError (naming ``source`` and e.g. ``W0``) unless every tensor ``letter{i}`` is floating
    point, of shape ``shapes[i]`` and finite."""
    for i, (t, shape) in enumerate(zip(tensors, shapes)):
        t = torch.as_tensor(t)
        if not t.is_floating_point():
            raise ValueError(f"{source}: {letter}{i} has dtype {t.dtype}; {what} must be floating point (e.g. float32)")
        if tuple(t.shape) != shape:
            raise ValueError(f"{source}: {letter}{i} has shape {list(t.shape)} but spec {list(spec.sizes)} "
                             f"needs {list(shape)}{hint}")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{source}: {letter}{i} contains NaN or infinite values")


def check_weights(spec: NetworkSpec, weights: list[torch.Tensor], source: str) -> None:
    """Raise ValueError unless ``weights`` match the spec's layer shapes and are finite
    floating-point tensors (bool, integer and complex weights are refused)."""
    shapes = spec.weight_shapes()
    if len(weights) != len(shapes):
        raise ValueError(f"{source}: spec {list(spec.sizes)} needs {len(shapes)} weight matrices, found {len(weights)}")
    _check_layer_tensors(spec, weights, shapes, "W", "weights", source,
                         " — is this a model for another architecture?")


def check_biases(spec: NetworkSpec, biases: list[torch.Tensor] | None, source: str) -> None:
    """Raise ValueError unless ``biases`` is None for a spec without ``bias``, or one finite
    floating-point ``[post]`` tensor per layer for a spec with it (as ``check_weights``)."""
    if not spec.bias:
        if biases is not None:
            raise ValueError(f"{source}: biases given but the spec has bias=false")
        return
    shapes = spec.bias_shapes()
    if not isinstance(biases, (list, tuple)) or len(biases) != len(shapes):
        got = f"{len(biases)} biases" if isinstance(biases, (list, tuple)) else repr(type(biases).__name__)
        raise ValueError(f"{source}: the spec has bias=true, so biases must list {len(shapes)} vectors "
                         f"(one [post] per layer), got {got}")
    _check_layer_tensors(spec, biases, shapes, "b", "biases", source)


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
    except (SafetensorError, OSError, ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: not a readable safetensors {what} ({type(exc).__name__}: {exc})") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return tensors, meta if isinstance(meta, dict) else {}


def parse_json(text: str, path: str | os.PathLike, field: str):
    """``json.loads(text)`` of the metadata ``field`` of file ``path``; ValueError naming both
    for invalid or too deeply nested JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: its {field!r} metadata is not valid JSON "
                         f"({'nested too deeply' if isinstance(exc, RecursionError) else exc})") from None


def load_model(path: str | os.PathLike, kind: str | None = None):
    """Read a model file. Returns ``(spec, weights, meta)``; ``weights`` is a list
    of ``[post, pre]`` tensors, ``meta`` has ``kind``, ``extra`` and ``biases`` (a list of
    ``[post]`` tensors when the spec has ``bias``, else None). Raises ValueError (naming the
    file) for a file that is not a spikesynth model, disagrees with its spec, or lies in an
    incomplete output folder (``models.files.check_complete``)."""
    path = Path(path)
    check_complete(path)
    tensors, meta = read_safetensors(path, "model file")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a spikesynth model file (format {meta.get('format')!r})")
    if kind is not None and meta.get("kind") != kind:
        raise ValueError(f"{path}: holds a {meta.get('kind')!r} model, expected {kind!r}")
    try:
        spec = NetworkSpec.from_dict(parse_json(meta.get("spec", ""), path, "spec"))
    except ValueError as exc:
        raise ValueError(exc if str(exc).startswith(str(path)) else f"{path}: {exc}") from None
    extra = parse_json(meta.get("extra", "{}"), path, "extra")
    if not isinstance(extra, dict):
        raise ValueError(f"{path}: its 'extra' metadata must be a JSON object, got {type(extra).__name__}")
    names = [f"W{i}" for i in range(spec.n_layers)]
    bias_names = [f"b{i}" for i in range(spec.n_layers)] if spec.bias else []
    if set(tensors) != set(names + bias_names):
        raise ValueError(f"{path}: holds tensors {sorted(tensors)}, the spec's {spec.n_layers} layers "
                         f"need {names + bias_names}")
    weights = [tensors[n] for n in names]
    check_weights(spec, weights, source=str(path))
    biases = [tensors[n] for n in bias_names] if spec.bias else None
    check_biases(spec, biases, source=str(path))
    return spec, weights, {"kind": meta.get("kind"), "extra": extra, "biases": biases}

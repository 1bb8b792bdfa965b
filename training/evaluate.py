"""The one evaluation path: images -> input spikes (the spec's encoder) -> the mirror or Brian2 ->
spike counts -> metrics. ``spikesynth evaluate``, ``simulate``, the trainers' test evaluation, the
figures and the fixed-point sweep all score through ``evaluate``; the mirror and Brian2 are two
back-ends of the same call (``models.backends``), so they see the same spikes for one seed.

With ``workers`` (or ``scheduler``) a Brian2 evaluation runs on Dask workers (``brian2_chunks``):
the spikes are encoded here once, cut into chunks of consecutive images, each chunk is its own
Brian2 run on a worker, and the counts are put back together in order, so the report is the one
of a single run over all images.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from models.ann import relu_mlp
from models.backends import Network, Run, check_backend, layer_counts, run
from models.encode import SPIKES, check_values_fit, encode, target_counts
from models.events import energy_report, synaptic_ops
from models.spec import NetworkSpec

from .data import load_images
from .metrics import per_image_mse
from .settings import check_choice, check_device, check_int

#: Weight bit widths of the fixed-point sweep (``bit_sweep``).
BITS = (8, 6, 4)
#: Images per ANN forward pass (memory only).
ANN_BATCH = 1000
KINDS = ("snn", "ann")


def check_images(images, n_values: int | None = None) -> torch.Tensor:
    """Flatten images ``[n, ...]`` to float32 ``[n, D]``; ValueError unless there is at least one,
    every value is finite and in [0, 1] and (when given) ``D == n_values``."""
    images = torch.as_tensor(np.asarray(images) if not isinstance(images, torch.Tensor) else images)
    if images.dim() < 2 or len(images) == 0:
        raise ValueError(f"images must be [n, ...] with n >= 1, got shape {list(images.shape)}")
    if n_values is not None and images[0].numel() != n_values:
        raise ValueError(f"images must hold {n_values} pixels each for this model, got shape {list(images.shape)}")
    flat = images.reshape(len(images), -1).to(torch.float32)
    if not bool(torch.isfinite(flat).all()) or (float(flat.min()) < 0 or float(flat.max()) > 1):
        raise ValueError("images must be finite pixel values in [0, 1]")
    return flat


def _mse(reference: torch.Tensor, output: torch.Tensor) -> float | None:
    """Mean z-scored MSE over images, or None when the maps differ in size (nothing to compare)."""
    if reference.shape[1] != output.shape[1]:
        return None
    return float(per_image_mse(reference, output).mean())


def evaluate(net: Network, images, kind: str = "snn", backend: str = "mirror", target: str = "cpp_standalone",
             seed: int = 0, device: str = "cpu", progress: bool = False, workers: int | None = None,
             scheduler: str | None = None) -> tuple[dict, torch.Tensor]:
    """Score ``net`` on images ``[n, ...]`` in [0, 1] and return ``(report, outputs)``.

    snn: the images' input spikes (``models.encode.encode``, seeded with ``seed``) run in the
    float64 mirror (on ``device``) or in Brian2 (``backend='brian2'``, ``target``); outputs are the
    output layer's spike counts ``[n, N_out]`` (float32). ann: outputs are ``relu_mlp``'s.
    report: ``n``, ``pixel_mse`` (images against outputs) and ``spike_mse`` (the autoencoder's
    target against the output spike counts, ``models.encode.target_counts``: the input spikes, or
    for an encoder with more units than values, such as ``receptive_fields``, the values' rate code;
    None for an ANN), each z-scored per image and averaged over images and pixels
    (None when the two maps differ in size); for an SNN also ``backend``, ``target``,
    ``fixed_point`` (its parameters, or None), ``spikes_per_image`` (mean: input, then every layer),
    ``seconds`` (the simulation), synaptic operations and the energy estimate (``models.events``).
    workers / scheduler: run Brian2 in chunks on a local Dask cluster of that many worker processes
    or on the cluster of that scheduler (``brian2_chunks``; ``seconds`` is then the wall time of
    all chunks): the same report otherwise.
    """
    distributed = workers is not None or scheduler is not None
    if distributed:
        from . import sweeps

        sweeps.check_options(workers, scheduler)
        if kind != "snn" or backend != "brian2":
            raise ValueError("workers and scheduler run Brian2 chunks: they need an SNN and backend 'brian2' "
                             f"(got kind {kind!r}, backend {backend!r})")
        sweeps.require_distributed()
    check_choice(kind, "kind", KINDS)
    x = check_images(images, net.spec.sizes[0] if kind == "ann" else None)
    if kind == "ann":
        if backend != "mirror":
            raise ValueError("an ANN model runs in torch only (backend 'mirror')")
        check_device(device)
        weights = [torch.as_tensor(w).to(device) for w in net.weights]
        with torch.no_grad():
            outputs = torch.cat([relu_mlp(weights, x[a:a + ANN_BATCH].to(device)).cpu()
                                 for a in range(0, len(x), ANN_BATCH)])
        return {"n": len(x), "pixel_mse": _mse(x, outputs), "spike_mse": None}, outputs
    check_backend(backend, target)
    check_values_fit(x, net.spec, "the images do not fit the model's encoder")
    if distributed:
        spikes = encode(x, net.spec, seed=seed)   # here, once: the spikes layer_counts gives one Brian2 run
        inputs = spikes.sum(0, dtype=torch.int64).numpy()
        result = brian2_chunks(net, spikes, target, workers, scheduler, progress)
    else:
        inputs, result = layer_counts(net, x, seed=seed, backend=backend, target=target, device=device,
                                      progress=progress)
    outputs = torch.as_tensor(result.counts[-1], dtype=torch.float32)
    targets = target_counts(x, net.spec, inputs)
    report = {"n": len(x), "pixel_mse": _mse(x, outputs),
              "spike_mse": None if targets is None else _mse(torch.as_tensor(targets), outputs),
              "backend": backend, "target": target if backend == "brian2" else None,
              "fixed_point": net.describe(),
              "spikes_per_image": [float(inputs.sum(1).mean())] + [float(c.sum(1).mean()) for c in result.counts],
              "seconds": result.seconds}
    synops = synaptic_ops([inputs.sum(1)] + [c.sum(1) for c in result.counts[:-1]], net.spec.sizes)
    report.update(energy_report(synops, net.spec.sizes))
    return report, outputs


def evaluate_model(spec: NetworkSpec, weights: list[torch.Tensor], images, kind: str = "snn", seed: int = 0,
                   device: str = "cpu", progress: bool = False, biases: list | None = None) -> tuple[dict, torch.Tensor]:
    """``evaluate`` of spec + weights (+ biases) in the mirror: ``(report, outputs)``."""
    return evaluate(Network(spec, weights, biases), images, kind, seed=seed, device=device, progress=progress)


def load_split(dataset: str, split: str = "test", data_dir: str | os.PathLike | None = None,
               limit: int | None = None, limit_name: str = "limit") -> torch.Tensor:
    """The first ``limit`` images (all if None) of a dataset split (a name or your own images, see
    ``training.data.load_images``) as float32 in [0, 1], ``[n, H, W]`` or ``[n, D]``; a bad limit
    is a ValueError naming ``limit_name`` (e.g. the option ``--n``)."""
    images, _ = load_images(dataset, split, data_dir, as_float=True)
    if limit is not None:
        if not (isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= len(images)):
            raise ValueError(f"{limit_name} must be an integer in [1, {len(images)}] (the {dataset} {split} split), "
                             f"got {limit!r}")
        images = images[:limit]
    return torch.from_numpy(np.ascontiguousarray(images))


def evaluate_file(model: str | os.PathLike, dataset: str = "mnist", split: str = "test",
                  data_dir: str | os.PathLike | None = None, limit: int | None = None, seed: int = 0,
                  device: str = "cpu", progress: bool = False, backend: str = "mirror",
                  target: str = "cpp_standalone", weight_bits: int | None = None):
    """Load a model file and ``evaluate`` it on the first ``limit`` images (all if None) of a
    dataset split. Returns ``(report, kind, images, outputs)``: the report and scored outputs
    ``[n, N]``, the model's kind and the images in [0, 1]. Everything is checked before the run."""
    check_device(device)
    check_backend(backend, target)
    from models.io import load_model

    spec, weights, meta = load_model(model)
    if spec.encoder.name == SPIKES:
        raise ValueError(f"{model}: this model's input is given as spikes (the inner autoencoder of a stack, trained "
                         f"with --stack-on): evaluate the stacked model (spikesynth stack OUTER {model} --out FILE)")
    net = Network(spec, weights, meta["biases"]).with_bits(weight_bits)
    images = load_split(dataset, split, data_dir, limit)
    if meta["kind"] == "snn":
        check_values_fit(images, spec, f"the {split} images of {dataset} do not fit the model {model}")
    report, outputs = evaluate(net, images, meta["kind"], backend, target, seed, device, progress)
    return report, meta["kind"], images, outputs


def bit_sweep(net: Network, images, bits: Sequence[int] = BITS, seed: int = 0,
              progress: bool = True) -> Iterator[tuple[str, Network, dict]]:
    """``net`` in float64, then in fixed point with each of ``bits`` weight bits (``FixedPoint``
    defaults otherwise), each evaluated in the mirror on ``images`` ``[n, ...]`` with the same
    input spikes (``seed``). Yields ``(name, network, report)``: name ``float64`` or ``"{bits}-bit"``."""
    for b in (None, *bits):
        sweep_net = net.with_bits(b)
        report, _ = evaluate(sweep_net, images, seed=seed, progress=progress)
        yield ("float64" if b is None else f"{b}-bit"), sweep_net, report


def _pack(spikes: torch.Tensor) -> tuple:
    """0/1 spikes ``[T, n, N]`` as bits (what a chunk sends to its worker): ``(bits, N, dtype)``."""
    return np.packbits(spikes.numpy().astype(bool), axis=-1), spikes.shape[-1], str(spikes.dtype).split(".")[-1]


def _unpack(bits: np.ndarray, n_in: int, dtype: str) -> torch.Tensor:
    return torch.from_numpy(np.unpackbits(bits, axis=-1, count=n_in).astype(dtype))


def _chunk_counts(net: Network, packed: tuple, target: str, slot: int) -> list:
    """On a worker: one chunk's Brian2 run (build folder ``slot``); its spike counts per layer."""
    return run(net, _unpack(*packed), "brian2", target, progress=False, build_slot=slot).counts


def brian2_chunks(net: Network, spikes: torch.Tensor, target: str = "cpp_standalone", workers: int | None = None,
                  scheduler: str | None = None, progress: bool = True, chunks: int | None = None) -> Run:
    """Run 0/1 input spikes ``[T, n, sizes[0]]`` through ``net`` in Brian2 (``target``) on Dask
    workers: a local cluster of ``workers`` processes (``training.sweeps.cluster``) or the cluster of
    ``scheduler``. The items are cut into ``chunks`` chunks of consecutive items (default: as many
    as there are workers; at most n), chunk i runs as its own Brian2 run on a worker (cpp_standalone in build slot i, so
    the chunks of one machine do not wait for one build folder), and the counts come back in order:
    those of one run over all items (every item starts from rest). Returns a ``Run`` whose
    ``seconds`` is the wall time from the first chunk sent to the last count received."""
    import time

    from . import sweeps

    check_backend("brian2", target)
    if chunks is not None:
        check_int(chunks, "chunks")
    if not (isinstance(spikes, torch.Tensor) and spikes.dim() == 3 and spikes.shape[1] >= 1):
        raise ValueError(f"spikes must be a tensor [T, n, N] with n >= 1, got {getattr(spikes, 'shape', spikes)!r}")
    with sweeps.cluster(workers, scheduler, same_code=sweeps.SOURCE_PACKAGES) as client:
        bounds = sweeps.chunk_bounds(spikes.shape[1], chunks or workers or sweeps.worker_count(client))
        start = time.perf_counter()
        shared_net = client.scatter(net, broadcast=True, hash=False)
        tasks = [sweeps.Task(f"images {a}-{b - 1}", _chunk_counts,
                             (shared_net, client.scatter(_pack(spikes[:, a:b]), hash=False), target, i))
                 for i, (a, b) in enumerate(bounds)]
        results = sweeps.run_tasks(client, tasks, threads=None, progress=progress, desc=f"brian2 {target} chunks")
        seconds = time.perf_counter() - start
    counts = [np.concatenate([results[t.name][layer] for t in tasks]) for layer in range(net.spec.n_layers)]
    return Run(counts, seconds, "brian2", target)

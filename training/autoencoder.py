"""Train an autoencoder on MNIST / Fashion-MNIST end to end: the API behind ``spikesynth train``.

``train_autoencoder(cfg, out_dir)`` draws Poisson spikes per batch, trains with the
``paper`` online rule or ``bptt`` (or an AE-ANN with ``ann-sgd`` / ``ann-adam``), keeps a
per-batch history (loss, pixel MSE, and for the spiking trainers Spike-MSE and the XOR
mask's error density), writes checkpoints every N batches,
resumes from them bit-identically, evaluates on the test split, and writes
``out_dir/model.safetensors`` and ``out_dir/metrics.json``.

An output folder is checked before any work (``models.files.output_folder``: writable, no
target file a folder, no other run writing there). The trained state is saved as a checkpoint
before the evaluation and removed only once the model and its metrics are written, marked
incomplete (``models.files.unfinished``) until both are: a run killed or failing (a full
disk) at the end keeps its work for ``--resume``.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from encoders.rate import check_seed, make_generator
from models.encode import encode
from models.io import save_model
from models.files import output_folder, unfinished, write_text_atomic
from models.spec import NetworkSpec, autoencoder_spec
from models.torch_snn import init_weights

from .ann_train import AnnConfig, ann_batch
from .adam import AdamState
from .bptt import BPTTConfig, bptt_batch, cosine_lr
from .checkpoints import load_checkpoint, save_checkpoint
from .data import load_images
from .defaults import DEFAULT_BATCH, DEFAULT_LR, DEFAULT_WEIGHT_DECAY, IMAGE_DATASETS, TRAINERS
from .evaluate import check_images, evaluate_model
from .loop import batches
from .metrics import per_image_mse
from .online import OnlineConfig, online_batch
from .settings import (check_bool, check_choice, check_device, check_int, check_optional_int, checked,
                       positive_int)

EVAL_SEED = 0  # seed of the input spikes of the test evaluation after training
# bumped when a checkpoint of an earlier version would not resume to the same weights
# (2: the Poisson draw of 23 Nov 2026 and the error_density history)
CHECKPOINT_VERSION = 2
MODEL_FILE, METRICS_FILE, CHECKPOINT_FILE = "model.safetensors", "metrics.json", "checkpoint.safetensors"
OUTPUT_FILES = (MODEL_FILE, METRICS_FILE, CHECKPOINT_FILE)
# settings that may change between an interrupted run and its resumption
_RESUMABLE = ("checkpoint_every", "eval_limit")


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    dataset: ``mnist`` or ``fashion-mnist``; hidden: hidden layer size; steps: T;
    alpha: leak per step in [0, 1); max_rate: Poisson rate in Hz (None: 300 MNIST, 500 Fashion);
    trainer: ``paper``, ``bptt``, ``ann-sgd`` or ``ann-adam``; batch_size: None for the
    trainer's default (100 as the official code; bptt 16, tuned here); lr: None for the
    trainer's default (paper 5e-4, bptt 2e-3 decayed over the run on a cosine, ann-sgd 0.1,
    ann-adam 5e-3); weight_decay: None for the
    default (0, except ann-sgd 1e-4); mask: XOR mask in the loss (spiking trainers);
    trace_reset: ``fraction`` or ``exact`` (paper trainer); train_limit: use the first N
    training images (None: all); seed: weights, spikes and shuffling; checkpoint_every:
    write a checkpoint every N batches (0: never); eval_limit: test images to evaluate
    (None: all, 0: skip); device: ``cpu`` or ``cuda``; float64: train in double precision.
    """

    dataset: str = "mnist"
    hidden: int = 196
    steps: int = 15
    alpha: float = 0.1
    max_rate: float | None = None
    trainer: str = "paper"
    batch_size: int | None = None
    epochs: int = 1
    lr: float | None = None
    weight_decay: float | None = None
    mask: bool = True
    trace_reset: str = "fraction"
    train_limit: int | None = None
    seed: int = 1
    checkpoint_every: int = 0
    eval_limit: int | None = None
    device: str = "cpu"
    float64: bool = False

    def __post_init__(self) -> None:
        check_choice(self.dataset, "dataset", IMAGE_DATASETS)
        check_choice(self.trainer, "trainer", TRAINERS)
        if self.batch_size is None:
            object.__setattr__(self, "batch_size", DEFAULT_BATCH[self.trainer])
        checked(self, hidden=positive_int, steps=positive_int, batch_size=positive_int, epochs=positive_int,
                checkpoint_every=lambda v, n: check_int(v, n, 0),
                train_limit=lambda v, n: check_optional_int(v, n, 1),
                eval_limit=lambda v, n: check_optional_int(v, n, 0),
                mask=check_bool, float64=check_bool, device=lambda v, n: check_device(v),
                seed=lambda v, n: check_seed(v))
        self.spec()            # validates alpha and max_rate
        self.optimizer_config()  # validates lr, weight decay, trace_reset

    @property
    def is_ann(self) -> bool:
        return self.trainer.startswith("ann-")

    def spec(self) -> NetworkSpec:
        """The network spec of this run (784-hidden-784)."""
        return autoencoder_spec(self.dataset, self.hidden, self.steps, self.alpha, self.max_rate)

    def optimizer_config(self):
        """The trainer's settings: ``OnlineConfig``, ``BPTTConfig`` or ``AnnConfig``."""
        lr = DEFAULT_LR[self.trainer] if self.lr is None else self.lr
        wd = DEFAULT_WEIGHT_DECAY[self.trainer] if self.weight_decay is None else self.weight_decay
        if self.is_ann:
            return AnnConfig(optimizer=self.trainer[4:], lr=lr, weight_decay=wd)
        if self.trainer == "paper":
            return OnlineConfig(lr=lr, weight_decay=wd, mask=self.mask, trace_reset=self.trace_reset)
        return BPTTConfig(lr=lr, weight_decay=wd, mask=self.mask)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    """spec: the network spec; weights: ``[post, pre]`` tensors (CPU); history: per batch
    ``loss``, ``spike_mse`` and ``error_density`` (spiking only: the share of output spikes that
    differ from the target, the XOR mask's density) and ``pixel_mse`` (batch images against
    output spike counts or ANN outputs) lists; metrics: what ``metrics.json`` holds (config, timing, test metrics);
    test_outputs: the outputs ``[n, N]`` scored in ``metrics["test"]`` (None when not evaluated)."""

    spec: NetworkSpec
    weights: list
    history: dict
    metrics: dict = field(default_factory=dict)
    test_outputs: torch.Tensor | None = None


def _shuffle(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The order of the training images in an epoch: a permutation fixed by (seed, epoch)."""
    # modulo 2**32: torch's CPU generator keeps a seed's low 32 bits, so this is the same
    # permutation as the unreduced key, within the seeds make_generator accepts
    return torch.randperm(n, generator=make_generator((seed * 1_000_003 + epoch) % 2**32))


def _checkpoint_tensors(weights, adam: AdamState, rng_state: torch.Tensor) -> dict:
    tensors = {f"W{i}": w for i, w in enumerate(weights)}
    tensors.update({f"m1_{i}": m for i, m in enumerate(adam.m1)})
    tensors.update({f"m2_{i}": m for i, m in enumerate(adam.m2)})
    tensors["rng"] = rng_state
    return tensors


def train_autoencoder(cfg: TrainConfig, out_dir: str | os.PathLike | None = None,
                      data_dir: str | os.PathLike | None = None, resume: bool = False, progress: bool = True,
                      on_batch: Callable[[int, dict], None] | None = None,
                      images: tuple | None = None, force: bool = False) -> TrainResult:
    """Train an autoencoder as ``cfg`` says; see the module docstring.

    out_dir: where ``model.safetensors``, ``metrics.json`` and checkpoints go (None: nothing
    written, no checkpoints). data_dir: the folder holding the datasets (default
    ``$SPIKESYNTH_DATA``). resume: continue from ``out_dir/checkpoint.safetensors`` (it must
    come from the same configuration); under a fixed seed the final weights equal those of
    an uninterrupted run. on_batch(batch_number, record): called after each batch (1-based,
    counted over epochs) with that batch's history record. images: ``(train, test)`` pixel
    arrays ``[n, 28, 28]`` in [0, 1] to use instead of ``cfg.dataset``'s files (e.g. the
    bundled sample), ``train_limit`` and ``eval_limit`` still applying. force: start over in an
    ``out_dir`` holding the checkpoint of an unfinished run, discarding it (without ``resume``
    or ``force`` such a folder is refused, before any work).
    Raises OSError naming where the trained weights are kept when the outputs cannot be written.
    """
    if out_dir is None:
        if resume or cfg.checkpoint_every:
            raise ValueError("checkpoints and --resume need an output directory")
        return _train(cfg, None, data_dir, None, progress, on_batch, images)
    with output_folder(out_dir, OUTPUT_FILES, what="output folder") as out:
        path = out / CHECKPOINT_FILE
        saved = None
        if resume:
            saved = _check_checkpoint(path, cfg)
        elif path.exists():
            if not force:
                raise ValueError(f"{out} holds {CHECKPOINT_FILE}, the checkpoint of an unfinished run: continue it "
                                 f"with --resume, or start over with --force (which discards it)")
            path.unlink()
        return _train(cfg, out, data_dir, saved, progress, on_batch, images)


def _train(cfg: TrainConfig, out: Path | None, data_dir, saved, progress: bool, on_batch, images) -> TrainResult:
    """The body of ``train_autoencoder``: ``out`` checked and locked (or None), ``saved`` the
    checked checkpoint ``(tensors, meta)`` to resume from (or None)."""
    spec, opt_cfg = cfg.spec(), cfg.optimizer_config()
    dtype = torch.float64 if cfg.float64 else torch.float32
    device = torch.device(cfg.device)

    given_test = None
    if images is not None:
        images, given_test = (check_images(torch.as_tensor(a), spec.sizes[0]).numpy() for a in images)
    else:
        images, _ = load_images(cfg.dataset, "train", data_dir, as_float=True)
    if cfg.train_limit is not None:
        if cfg.train_limit > len(images):
            raise ValueError(f"train_limit must be in [1, {len(images)}], got {cfg.train_limit}")
        images = images[:cfg.train_limit]
    images = torch.from_numpy(images).reshape(len(images), -1)

    gen = make_generator(cfg.seed)
    weights = [w.to(device) for w in init_weights(spec, gen, scale=0.01 if cfg.is_ann else 0.1, dtype=dtype)]
    adam = AdamState.zeros_like(weights)
    history: dict = {"loss": [], "pixel_mse": []} if cfg.is_ann else {"loss": [], "spike_mse": [], "pixel_mse": [],
                                                                      "error_density": []}
    done, elapsed = 0, 0.0
    if saved is not None:
        done, elapsed, history = _restore(out / CHECKPOINT_FILE, saved, weights, adam, gen)

    start, cpu_start = time.perf_counter() - elapsed, time.process_time()
    neuron = spec.neuron
    loop = batches(len(images), cfg.batch_size, cfg.epochs, functools.lru_cache(maxsize=2)(
        lambda epoch: _shuffle(len(images), cfg.seed, epoch)), desc=f"train {cfg.trainer}", progress=progress,
        start=done)
    total = loop.total

    # Spikes are drawn in this thread: a worker thread drawing ahead competed with the products.
    for batch in loop:
        number, x = batch.number, images[batch.items]
        if cfg.is_ann:
            xd = x.to(device=device, dtype=dtype)
            loss, output = ann_batch(weights, xd, xd, opt_cfg, adam)
            record = {"loss": loss, "pixel_mse": float(per_image_mse(x, output.cpu()).mean())}
        else:
            spikes = encode(x, spec, generator=gen).to(device=device, dtype=dtype)
            if cfg.trainer == "paper":
                stats = online_batch(weights, spikes, spikes, neuron, opt_cfg, checked=True)
            else:
                lr = cosine_lr(opt_cfg.lr, number - 1, total)
                stats = bptt_batch(weights, spikes, spikes, neuron, replace(opt_cfg, lr=lr), adam, checked=True)
            out_counts = stats.counts[-1].cpu()
            record = {"loss": stats.loss,
                      "spike_mse": float(per_image_mse(spikes.sum(0).cpu(), out_counts).mean()),
                      "pixel_mse": float(per_image_mse(x, out_counts).mean()),
                      "error_density": stats.error_density}
        for key, value in record.items():
            history[key].append(value)
        loop.bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()})
        if cfg.checkpoint_every and number % cfg.checkpoint_every == 0 and number < total:
            _save_checkpoint_or_say(out / CHECKPOINT_FILE, *_state(cfg, number, weights, adam, gen, start, history))
        if on_batch is not None:
            on_batch(number, record)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    weights = [w.detach().cpu() for w in weights]
    # the work, kept until the model and its metrics are written (None: the write failed)
    final = _state(cfg, total, weights, adam, gen, start, history)
    kept = _try_save_checkpoint(out / CHECKPOINT_FILE, *final) if out is not None else None
    metrics = {"config": cfg.to_dict(), "spec": spec.to_dict(), "train_seconds": train_seconds,
               "train_cpu_seconds": train_cpu,  # of this process since its start or resumption
               "batches": total, "images_per_second": total * cfg.batch_size / train_seconds if train_seconds else None,
               "train_images": len(images), "final_batch": {k: v[-1] for k, v in history.items()}}
    test_outputs = None
    if cfg.eval_limit != 0:
        test = given_test if given_test is not None else load_images(cfg.dataset, "test", data_dir, as_float=True)[0]
        test = torch.from_numpy(test[:cfg.eval_limit] if cfg.eval_limit else test)
        metrics["test"], test_outputs = evaluate_model(spec, weights, test, "ann" if cfg.is_ann else "snn", seed=EVAL_SEED,
                                                       device=cfg.device, progress=progress)
    result = TrainResult(spec=spec, weights=weights, history=history, metrics=metrics, test_outputs=test_outputs)
    if out is not None:
        try:
            write_outputs(out, result, "ann" if cfg.is_ann else "snn")
        except OSError as exc:
            raise _write_failed(out, exc, kept or _rescue(*final)) from exc
        (out / CHECKPOINT_FILE).unlink(missing_ok=True)
    return result


def _state(cfg: TrainConfig, number: int, weights, adam: AdamState, gen: torch.Generator, start: float,
           history: dict) -> tuple[dict, dict]:
    """The checkpoint ``(tensors, meta)`` of the run after ``number`` batches."""
    meta = {"version": CHECKPOINT_VERSION, "config": cfg.to_dict(), "batches_done": number,
            "adam_step": adam.step, "elapsed_s": time.perf_counter() - start, "history": history}
    return _checkpoint_tensors(weights, adam, gen.get_state()), meta


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _save_checkpoint_or_say(path: Path, tensors: dict, meta: dict) -> None:
    """A periodic checkpoint; OSError saying which earlier checkpoint is kept if it cannot be written."""
    try:
        save_checkpoint(path, tensors, meta)
    except OSError as exc:
        kept = (f"the previous checkpoint {path} is kept: free space and rerun with --resume" if path.exists()
                else "no checkpoint is kept")
        raise OSError(f"could not write the checkpoint {path} after batch {meta['batches_done']} "
                      f"({_reason(exc)}); {kept}") from exc


def _try_save_checkpoint(path: Path, tensors: dict, meta: dict) -> Path | None:
    try:
        return save_checkpoint(path, tensors, meta)
    except OSError:
        return None


def _rescue(tensors: dict, meta: dict) -> Path | None:
    """Save the trained state where there may still be room: the system's temporary folder."""
    name = f"spikesynth-rescued-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.safetensors"
    return _try_save_checkpoint(Path(tempfile.gettempdir()) / name, tensors, meta)


def _write_failed(out: Path, exc: OSError, kept: Path | None) -> OSError:
    """The error of a failed final write, saying where the trained weights are."""
    where = f" ({exc.filename})" if exc.filename else ""
    text = f"could not write the trained model into {out}: {_reason(exc)}{where}; "
    if kept == out / CHECKPOINT_FILE:
        text += (f"the trained weights are kept in {kept}: free space (or fix the folder) and rerun the same "
                 f"command with --resume, which writes the model without training again")
    elif kept is not None:
        text += (f"the trained weights are saved in {kept}: free space, move that file to {out / CHECKPOINT_FILE} "
                 f"and rerun the same command with --resume")
    else:
        text += "and the trained weights could not be saved anywhere"
    return OSError(text)


def _check_checkpoint(path: Path, cfg: TrainConfig) -> tuple[dict, dict]:
    """Load a checkpoint to resume ``cfg`` from, before any work: ``(tensors, meta)``. ValueError
    (naming the file) if it is unreadable, holds NaN, comes from another version or other settings."""
    tensors, meta = load_checkpoint(path)
    if meta.get("version", 1) != CHECKPOINT_VERSION:
        raise ValueError(f"{path} was written by another version of spikesynth (checkpoint version "
                         f"{meta.get('version', 1)}, this one reads {CHECKPOINT_VERSION}) and would not resume to "
                         f"the same weights; rerun without --resume")
    saved = {k: v for k, v in meta.get("config", {}).items() if k not in _RESUMABLE}
    wanted = {k: v for k, v in cfg.to_dict().items() if k not in _RESUMABLE}
    if saved != wanted:
        diff = sorted(k for k in set(saved) | set(wanted) if saved.get(k) != wanted.get(k))
        raise ValueError(f"{path} was written by a run with different settings ({', '.join(diff)}); "
                         f"rerun with the same settings or without --resume")
    return tensors, meta


def _restore(path: Path, saved: tuple[dict, dict], weights, adam: AdamState, gen: torch.Generator):
    """Copy a checked checkpoint into weights, Adam state and generator; returns (batches done, seconds, history)."""
    tensors, meta = saved
    for group, target in (("W", weights), ("m1_", adam.m1), ("m2_", adam.m2)):
        for i, t in enumerate(target):
            saved_t = tensors.get(f"{group}{i}")
            if saved_t is None or saved_t.shape != t.shape:
                raise ValueError(f"{path}: tensor {group}{i} is missing or has the wrong shape")
            t.copy_(saved_t)
    adam.step = int(meta["adam_step"])
    gen.set_state(tensors["rng"])
    return int(meta["batches_done"]), float(meta["elapsed_s"]), meta["history"]


def write_outputs(out_dir: str | os.PathLike, result: TrainResult, kind: str) -> None:
    """Write ``model.safetensors`` (spec + weights) and ``metrics.json`` (metrics + per-batch
    history) into ``out_dir``, each atomically, as one unit: the folder is marked incomplete
    (``models.files.unfinished``) from before the first rename until after the second."""
    out = Path(out_dir)
    with unfinished(out, f"spikesynth train, writing {MODEL_FILE} and {METRICS_FILE}"):
        save_model(out / MODEL_FILE, result.spec, result.weights, kind=kind,
                   extra={"trainer": result.metrics["config"]["trainer"]})
        write_text_atomic(out / METRICS_FILE, json.dumps({**result.metrics, "history": result.history}, indent=1))

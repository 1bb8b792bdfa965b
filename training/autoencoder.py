"""Train an autoencoder on MNIST / Fashion-MNIST or your own images end to end: the API behind
``spikesynth train``.

``train_autoencoder(cfg, out_dir)`` draws the input spikes per batch (the config's encoder, Poisson
by default), trains a network of any depth with the
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

The target of a spiking autoencoder is ``models.encode.target_spikes``: its input spikes, or, for
an encoder with more units than values (``receptive_fields``), the values' rate code. With
``stack_on`` the autoencoder is the inner one of a stack (``models.stacking``): its input and
target are the code-layer spikes of the ``stack_on`` model for the training images.

Every setting and the data (both splits) are checked before any training starts.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

import encoders
from encoders.rate import check_seed, make_generator
from models.backends import Network
from models.encode import check_values_fit, encode, input_units, target_kind, target_spikes
from models.io import save_model
from models.files import file_key, output_folder, unfinished, write_text_atomic
from models.spec import EncoderSpec, NetworkSpec, NeuronSpec, Params
from models.stacking import check_source, inner_spec, source_spikes, stack
from models.torch_snn import init_weights

from .ann_train import AnnConfig, ann_batch
from .adam import AdamState
from .bptt import BPTTConfig, bptt_batch, cosine_lr
from .checkpoints import load_checkpoint, save_checkpoint
from .data import load_images
from .data.custom import is_custom
from .defaults import (DEFAULT_BATCH, DEFAULT_HIDDEN, DEFAULT_LR, DEFAULT_WEIGHT_DECAY, IMAGE_DATASETS, IMAGE_ENCODERS,
                       N_PIXELS, TRACE_RESETS, TRAINERS)
from .evaluate import check_images, evaluate, evaluate_model
from .loop import batches
from .metrics import per_image_mse
from .online import OnlineConfig, online_batch
from .settings import (check, check_bool, check_choice, check_device, check_int, check_memory, check_optional_int,
                       checked, positive_int)

EVAL_SEED = 0  # seed of the input spikes of the test evaluation after training
# bumped when a checkpoint of an earlier version would not resume to the same weights
# (2: the Poisson draw of 23 Nov 2026 and the error_density history)
CHECKPOINT_VERSION = 2
MODEL_FILE, METRICS_FILE, CHECKPOINT_FILE = "model.safetensors", "metrics.json", "checkpoint.safetensors"
OUTPUT_FILES = (MODEL_FILE, METRICS_FILE, CHECKPOINT_FILE)
# settings that may change between an interrupted run and its resumption
_RESUMABLE = ("checkpoint_every", "eval_limit")


def check_dataset(name) -> str:
    """``name`` if it is a built-in image dataset (``IMAGE_DATASETS``) or the path of your own
    images (``training.data.custom.is_custom``: an ``.npz`` file or a folder; read and checked by
    ``load_images``); ValueError otherwise."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    check(isinstance(name, str) and (name in IMAGE_DATASETS or is_custom(name)),
          f"dataset must be one of {IMAGE_DATASETS} or the path of your own images (an .npz file or a folder "
          f"with train/ and test/), got {name!r}")
    return name


def check_hidden(value, name: str = "hidden") -> int | tuple:
    """One hidden layer size (an int >= 1) or several (a sequence of them; one entry is returned
    as an int, so ``(196,)`` and ``196`` are the same config)."""
    if isinstance(value, (list, tuple)):
        check(len(value) >= 1, f"{name} must list at least one hidden layer size, got {value!r}")
        sizes = tuple(check_int(v, f"{name}[{i}]", 1) for i, v in enumerate(value))
        return sizes[0] if len(sizes) == 1 else sizes
    return check_int(value, name, 1)


def check_sizes(value, name: str = "sizes") -> tuple | None:
    """None, or every layer size of an autoencoder, input first: at least three integers >= 1."""
    if value is None:
        return None
    check(isinstance(value, (list, tuple)) and len(value) >= 3,
          f"{name} must list at least three layer sizes (input, hidden..., output), got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", 1) for i, v in enumerate(value))


def check_encoder_params(value, name: str = "encoder_params") -> tuple:
    """Encoder parameters as a sorted tuple of ``(key, value)`` pairs (hashable, so a config can
    be a set member), from a mapping or from pairs; values are finite numbers, strings or
    booleans (``models.spec.Params``). ValueError for a repeated key or anything else."""
    items = value.items() if isinstance(value, Mapping) else value
    check(isinstance(items, (list, tuple)) or isinstance(value, Mapping),
          f"{name} must be a mapping or a sequence of (key, value) pairs, got {value!r}")
    pairs = []
    for item in items:
        check(isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str),
              f"{name} must hold (key, value) pairs with string keys, got {item!r}")
        pairs.append((item[0], item[1]))
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    check(not repeated, f"{name}: parameter(s) {repeated} given more than once")
    Params(dict(pairs))   # the values' checks
    return tuple(sorted(pairs, key=lambda kv: kv[0]))


def _plain(value):
    """Tuples as lists, recursively (what a config looks like after a JSON round trip)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


#: The fields added after the first release, each left out of ``to_dict`` at its default, so the
#: default configs' dicts (metrics.json, checkpoints, the figures' cache keys) stay as they were.
_LATER_FIELDS = {"encoder": "poisson", "encoder_params": (), "sizes": None, "stack_on": None}


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    dataset: ``mnist``, ``fashion-mnist`` or the path of your own images (an ``.npz`` file or a
    folder of PNG/JPEG, ``training.data.custom``; any image size: the layer sizes follow the data);
    hidden: the hidden layer size, or several (a tuple, e.g. ``(400, 196, 400)``: a deeper
    network); steps: T; alpha: leak per step in [0, 1);
    max_rate: the rate in Hz of the ``poisson`` or ``regular`` encoder (None: 300 MNIST and your
    own images, 500 Fashion-MNIST);
    trainer: ``paper``, ``bptt``, ``ann-sgd`` or ``ann-adam``; batch_size: None for the
    trainer's default (100 as the official code; bptt 16, tuned here); lr: None for the
    trainer's default (paper 5e-4, bptt 2e-3 decayed over the run on a cosine, ann-sgd 0.1,
    ann-adam 5e-3); weight_decay: None for the
    default (0, except ann-sgd 1e-4); mask: XOR mask in the loss (spiking trainers);
    trace_reset: ``fraction`` or ``exact`` (paper trainer); train_limit: use the first N
    training images (None: all); seed: weights, spikes and shuffling; checkpoint_every:
    write a checkpoint every N batches (0: never); eval_limit: test images to evaluate
    (None: all, 0: skip); device: ``cpu`` or ``cuda``; float64: train in double precision.
    encoder: the input encoder of a spiking autoencoder, one of ``IMAGE_ENCODERS`` (``poisson``,
    ``regular``, ``latency``, ``receptive_fields``); encoder_params: its parameters as
    ``(key, value)`` pairs (or a mapping), e.g. ``(("tau", 4.0), ("threshold", 0.1))``; ``steps``
    and ``dt`` come from the spec, a poisson/regular ``max_rate`` from ``max_rate`` unless given here.
    sizes: every layer size, input first (None: from the data, the encoder and ``hidden``); when
    given, ``hidden`` is taken from it, and its first and last sizes are checked against the data.
    stack_on: the model file of an autoencoder to stack on: this run trains the inner autoencoder
    on its code-layer spikes (``models.stacking``; steps and alpha must be that model's).
    """

    dataset: str = "mnist"
    hidden: int | tuple = DEFAULT_HIDDEN
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
    encoder: str = "poisson"
    encoder_params: tuple = ()
    sizes: tuple | None = None
    stack_on: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dataset", check_dataset(self.dataset))
        check_choice(self.trainer, "trainer", TRAINERS)
        if self.batch_size is None:
            object.__setattr__(self, "batch_size", DEFAULT_BATCH[self.trainer])
        checked(self, hidden=check_hidden, steps=positive_int, batch_size=positive_int, epochs=positive_int,
                checkpoint_every=lambda v, n: check_int(v, n, 0),
                train_limit=lambda v, n: check_optional_int(v, n, 1),
                eval_limit=lambda v, n: check_optional_int(v, n, 0),
                mask=check_bool, float64=check_bool, device=lambda v, n: check_device(v),
                seed=lambda v, n: check_seed(v), encoder_params=check_encoder_params, sizes=check_sizes)
        check_choice(self.encoder, "encoder", IMAGE_ENCODERS)
        if self.sizes is not None:
            inner = check_hidden(self.sizes[1:-1])
            check(self.hidden in (DEFAULT_HIDDEN, inner),
                  f"give sizes or hidden, not both: sizes {list(self.sizes)} has hidden {inner!r}, hidden is "
                  f"{self.hidden!r}")
            object.__setattr__(self, "hidden", inner)
        if self.stack_on is not None:
            check(isinstance(self.stack_on, (str, os.PathLike)) and str(self.stack_on),
                  f"stack_on must be the path of a model file, got {self.stack_on!r}")
            object.__setattr__(self, "stack_on", os.fspath(self.stack_on))
            check(not self.is_ann, "stack_on trains a spiking autoencoder (trainer paper or bptt), "
                                   f"not {self.trainer!r}")
            check(self.encoder == "poisson" and not self.encoder_params and self.max_rate is None,
                  "with stack_on the input is the stacked-on model's code-layer spikes: give no encoder, "
                  "encoder_params or max_rate (its own encoder makes them)")
        if self.is_ann:
            check(self.encoder == "poisson" and not self.encoder_params,
                  f"encoder and encoder_params are settings of the spiking trainers, not of {self.trainer!r}")
            check(self.mask, f"mask=False (--no-mask) turns off the XOR mask of the spiking trainers' loss; "
                             f"{self.trainer!r} has no mask")
        check_choice(self.trace_reset, "trace_reset", TRACE_RESETS)
        check(self.trace_reset == "fraction" or self.trainer == "paper",
              f"trace_reset (--trace-reset) {self.trace_reset!r} is a setting of the paper trainer's traces; "
              f"{self.trainer!r} keeps no traces")
        self.spec()            # validates alpha, the encoder and its params, sizes, the stack_on model
        self.optimizer_config()  # validates lr, weight decay, trace_reset

    @property
    def is_ann(self) -> bool:
        return self.trainer.startswith("ann-")

    @property
    def hidden_sizes(self) -> tuple:
        """The hidden layer sizes as a tuple (one or more)."""
        return self.hidden if isinstance(self.hidden, tuple) else (self.hidden,)

    def encoder_spec(self) -> EncoderSpec:
        """The input encoder: ``encoder`` with ``encoder_params``; a ``poisson`` or ``regular``
        encoder's ``max_rate`` is ``max_rate`` (None: 300 Hz, 500 Hz for Fashion-MNIST, the official
        code's) unless ``encoder_params`` sets it. ValueError for ``max_rate`` given to an encoder
        without one, or given twice."""
        params = dict(self.encoder_params)
        takes_rate = "max_rate" in encoders.encoder_class(self.encoder).__dataclass_fields__
        if self.max_rate is not None:
            check(takes_rate, f"max_rate is a parameter of the poisson and regular encoders; give the "
                              f"{self.encoder} encoder's parameters as encoder_params (--encoder-param KEY=VALUE)")
            check("max_rate" not in params, "give max_rate or encoder_params' max_rate, not both")
        if takes_rate and "max_rate" not in params:
            params["max_rate"] = float(self.max_rate if self.max_rate is not None else
                                       500.0 if self.dataset == "fashion-mnist" else 300.0)
        return EncoderSpec(self.encoder, params)

    def source(self) -> Network | None:
        """The ``stack_on`` model (``models.backends.Network``; None without one), checked to be
        a spiking autoencoder with a code layer that takes values, not spikes."""
        if self.stack_on is None:
            return None
        net = Network.from_file(self.stack_on, kind="snn")
        check_source(net.spec, f"--stack-on {self.stack_on}")
        return net

    def spec(self, n_values: int | None = None, source: Network | None = None) -> NetworkSpec:
        """The network spec of this run for items of ``n_values`` values (images of ``n_values``
        pixels; None: the last of ``sizes`` when given, else 784, the 28 x 28 of MNIST and
        Fashion-MNIST): sizes ``(input units, *hidden, n_values)`` with the input units of the
        encoder (``n_values``; ``n_values * n_bins`` for ``receptive_fields``), the paper's neuron
        with ``alpha``, T = ``steps``, dt = 1 ms. With ``stack_on``: the inner autoencoder of
        ``source`` (loaded from ``stack_on`` when None), ``models.stacking.inner_spec``.
        ValueError (naming the setting) when ``sizes`` does not fit the data or the stacked-on model."""
        if self.stack_on is not None:
            return self._stacked_spec(source if source is not None else self.source())
        given = n_values is not None
        if not given:
            n_values = self.sizes[-1] if self.sizes is not None else N_PIXELS
        encoder = self.encoder_spec()
        try:
            n_in = n_values if self.is_ann else input_units(encoder, n_values, self.steps)
        except ValueError as exc:
            raise ValueError(f"encoder {encoder.name!r} with parameters {dict(encoder.params)} "
                             f"(--encoder, --encoder-param): {exc}") from None
        sizes = (n_in, *self.hidden_sizes, n_values)
        if self.sizes is not None:
            check(self.sizes[-1] == n_values,
                  f"sizes (--sizes) {list(self.sizes)} end with {self.sizes[-1]}, but the images of {self.dataset} "
                  f"have {n_values} values each: an autoencoder's output layer has one neuron per value")
            check(self.sizes[0] == n_in,
                  f"sizes (--sizes) {list(self.sizes)} start with {self.sizes[0]}, but the {encoder.name} encoder "
                  f"turns the {n_values} values of each image{'' if given else ' (the last size)'} into {n_in} "
                  f"input units")
        return NetworkSpec(sizes=sizes, neuron=NeuronSpec(alpha=self.alpha), steps=self.steps, encoder=encoder)

    def _stacked_spec(self, source: Network) -> NetworkSpec:
        outer, what = source.spec, f"--stack-on {self.stack_on}"
        spec = inner_spec(outer, self.hidden_sizes, what)
        h = spec.sizes[0]
        if self.sizes is not None:
            check(self.sizes[0] == h and self.sizes[-1] == h,
                  f"sizes (--sizes) {list(self.sizes)} do not fit {what}: its code (hidden) layer has {h} neurons "
                  f"(sizes {list(outer.sizes)}), so the stacked autoencoder's sizes must start and end with {h}")
        check(self.steps == outer.steps,
              f"steps (--steps) {self.steps} differs from the {outer.steps} of {what}: the stacked autoencoder "
              f"reads its spikes [T, n, {h}] step by step")
        theirs = (f"alpha {outer.neuron.alpha}" if outer.neuron == NeuronSpec(alpha=outer.neuron.alpha)
                  else f"the neuron {outer.neuron}")
        check(NeuronSpec(alpha=self.alpha) == outer.neuron,
              f"alpha (--alpha) {self.alpha} gives another neuron than {what}'s ({theirs}): a stacked network runs "
              f"every layer with one neuron")
        return spec

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
        """The settings as JSON-able values (tuples as lists); the fields added after the first
        release (``encoder``, ``encoder_params``, ``sizes``, ``stack_on``) only when they differ
        from their defaults, so a default config's dict is what it always was."""
        d = asdict(self)
        for name, default in _LATER_FIELDS.items():
            if d[name] == default:
                del d[name]
        return _plain(d)


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
    arrays ``[n, ...]`` in [0, 1] of any one item size (``[n, H, W]`` or ``[n, D]``) to use instead
    of ``cfg.dataset``'s files (e.g. the bundled sample), ``train_limit`` and ``eval_limit`` still
    applying. force: start over in an
    ``out_dir`` holding the checkpoint of an unfinished run, discarding it (without ``resume``
    or ``force`` such a folder is refused, before any work).
    Raises OSError naming where the trained weights are kept when the outputs cannot be written.
    """
    if out_dir is None:
        if resume or cfg.checkpoint_every:
            raise ValueError("checkpoints and --resume need an output directory")
        return _train(cfg, None, data_dir, None, progress, on_batch, images)
    if cfg.stack_on is not None and Path(out_dir).resolve() == Path(cfg.stack_on).resolve().parent:
        raise ValueError(f"output folder {out_dir}: holds the --stack-on model {cfg.stack_on}, which this run's "
                         f"{MODEL_FILE} and {METRICS_FILE} would replace; choose another --out")
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


def _load_data(cfg: TrainConfig, data_dir, images) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The training images (the first ``train_limit``) flattened to float32 ``[n, D]``, and the test
    images (the first ``eval_limit``; None when ``eval_limit`` is 0), both read and checked before
    any training: ``images`` given as ``(train, test)`` arrays of any one item size, else the
    splits of ``cfg.dataset`` (``load_images``)."""
    if images is not None:
        train, test = (check_images(torch.as_tensor(a)).numpy() for a in images)
        check(train.shape[1] == test.shape[1], f"images: the training images have {train.shape[1]} values each, "
                                               f"the test images {test.shape[1]}; both must have the same size")
    else:
        train, _ = load_images(cfg.dataset, "train", data_dir, as_float=True)
        test = load_images(cfg.dataset, "test", data_dir, as_float=True)[0] if cfg.eval_limit != 0 else None
    if cfg.train_limit is not None:
        if cfg.train_limit > len(train):
            raise ValueError(f"train_limit must be in [1, {len(train)}], got {cfg.train_limit}")
        train = train[:cfg.train_limit]
    if test is not None and cfg.eval_limit != 0:
        if cfg.eval_limit is not None and cfg.eval_limit > len(test):
            raise ValueError(f"eval_limit (--eval-limit) must be in [0, {len(test)}] (the test images of "
                             f"{cfg.dataset if images is None else 'images'}), got {cfg.eval_limit}")
        test = torch.from_numpy(test[:cfg.eval_limit] if cfg.eval_limit else test)
    else:
        test = None
    return torch.from_numpy(train).reshape(len(train), -1), test


def _check_source_input(source: Network, n_values: int, cfg: TrainConfig) -> None:
    """ValueError unless the images fit the input layer of the ``stack_on`` model."""
    spec = source.spec
    units = input_units(spec.encoder, n_values, spec.steps, spec.dt)
    check(units == spec.sizes[0], f"--stack-on {cfg.stack_on} takes {spec.sizes[0]} input units, but its "
                                  f"{spec.encoder.name} encoder turns the {n_values} values of each image of "
                                  f"{cfg.dataset} into {units}")


def _train(cfg: TrainConfig, out: Path | None, data_dir, saved, progress: bool, on_batch, images) -> TrainResult:
    """The body of ``train_autoencoder``: ``out`` checked and locked (or None), ``saved`` the
    checked checkpoint ``(tensors, meta)`` to resume from (or None)."""
    opt_cfg = cfg.optimizer_config()
    dtype = torch.float64 if cfg.float64 else torch.float32
    device = torch.device(cfg.device)
    source = cfg.source()
    source_key = None if source is None else file_key(cfg.stack_on)
    if saved is not None and source_key is not None and saved[1].get("stack_on_key") != source_key:
        raise ValueError(f"{out / CHECKPOINT_FILE} was not trained on the --stack-on model {cfg.stack_on} as it is now "
                         f"(its file key {source_key}, the checkpoint's {saved[1].get('stack_on_key')}): that model "
                         f"changed since; rerun with --force to train on it from the start")
    images, test = _load_data(cfg, data_dir, images)
    n_values = images.shape[1]
    if source is not None:
        _check_source_input(source, n_values, cfg)
    try:
        spec = cfg.spec(n_values, source)
    except ValueError as exc:   # e.g. a layer size out of range: say which data gave it
        raise ValueError(f"{cfg.dataset} (images of {n_values} values): {exc}") from None
    if str(cfg.device) == "cpu":   # a GPU's memory is its own (and torch says so when it runs out)
        check_memory(sum(a * b for a, b in spec.weight_shapes()), 8 if cfg.float64 else 4,
                     f"the network {list(spec.sizes)}")
    if not cfg.is_ann:   # every value in the encoder's domain, before any training (not at a late batch)
        encoding = source.spec if source is not None else spec
        how = (f"the encoder of --stack-on {cfg.stack_on}" if source is not None else
               f"--encoder {encoding.encoder.name} with {dict(encoding.encoder.params)} (--encoder-param)")
        for split, values in (("training", images), ("test", test)):
            if values is not None:
                check_values_fit(values, encoding, f"the {split} images of {cfg.dataset} do not fit {how}")
    # what the output is trained to give: its input spikes, or the values' rate code
    target = None if cfg.is_ann else target_kind(spec, n_values)
    pixel = spec.sizes[-1] == n_values  # the output has one neuron per value: a pixel MSE

    gen = make_generator(cfg.seed)
    weights = [w.to(device) for w in init_weights(spec, gen, scale=0.01 if cfg.is_ann else 0.1, dtype=dtype)]
    adam = AdamState.zeros_like(weights)
    history: dict = {"loss": [], "pixel_mse": []} if cfg.is_ann else {"loss": [], "spike_mse": [], "pixel_mse": [],
                                                                      "error_density": []}
    if not pixel:
        del history["pixel_mse"]
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
            values = x if source is None else source_spikes(source, x, generator=gen)
            spikes = encode(values, spec, generator=gen).to(device=device, dtype=dtype)
            goal = spikes if target == "input" else target_spikes(x, spec).to(device=device, dtype=dtype)
            if cfg.trainer == "paper":
                stats = online_batch(weights, spikes, goal, neuron, opt_cfg, checked=True)
            else:
                lr = cosine_lr(opt_cfg.lr, number - 1, total)
                stats = bptt_batch(weights, spikes, goal, neuron, replace(opt_cfg, lr=lr), adam, checked=True)
            out_counts = stats.counts[-1].cpu()
            record = {"loss": stats.loss, "spike_mse": float(per_image_mse(goal.sum(0).cpu(), out_counts).mean())}
            if pixel:
                record["pixel_mse"] = float(per_image_mse(x, out_counts).mean())
            record["error_density"] = stats.error_density
        for key, value in record.items():
            history[key].append(value)
        loop.bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()})
        if cfg.checkpoint_every and number % cfg.checkpoint_every == 0 and number < total:
            _save_checkpoint_or_say(out / CHECKPOINT_FILE, *_state(cfg, number, weights, adam, gen, start, history,
                                                                   source_key))
        if on_batch is not None:
            on_batch(number, record)
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    weights = [w.detach().cpu() for w in weights]
    # the work, kept until the model and its metrics are written (None: the write failed)
    final = _state(cfg, total, weights, adam, gen, start, history, source_key)
    kept = _try_save_checkpoint(out / CHECKPOINT_FILE, *final) if out is not None else None
    metrics = {"config": cfg.to_dict(), "spec": spec.to_dict(), "train_seconds": train_seconds,
               "train_cpu_seconds": train_cpu,  # of this process since its start or resumption
               "batches": total, "images_per_second": cfg.epochs * len(images) / train_seconds if train_seconds else None,
               "train_images": len(images), "final_batch": {k: v[-1] for k, v in history.items()}}
    if source_key is not None:
        metrics["stack_on_key"] = source_key
    test_outputs = None
    if test is not None:
        kind = "ann" if cfg.is_ann else "snn"
        if source is None:
            metrics["test"], test_outputs = evaluate_model(spec, weights, test, kind, seed=EVAL_SEED,
                                                           device=cfg.device, progress=progress)
        else:  # on the stacked-on model's code-layer spikes, and the stacked network on the images
            maps = source_spikes(source, test, seed=EVAL_SEED, device=cfg.device)
            metrics["test"], test_outputs = evaluate_model(spec, weights, maps, kind, seed=EVAL_SEED,
                                                           device=cfg.device, progress=progress)
            metrics["stacked_test"], _ = evaluate(stack(source, Network(spec, weights)), test, seed=EVAL_SEED,
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
           history: dict, source_key: str | None = None) -> tuple[dict, dict]:
    """The checkpoint ``(tensors, meta)`` of the run after ``number`` batches."""
    meta = {"version": CHECKPOINT_VERSION, "config": cfg.to_dict(), "batches_done": number,
            "adam_step": adam.step, "elapsed_s": time.perf_counter() - start, "history": history}
    if source_key is not None:   # which stack_on model's spikes it trained on (checked on --resume)
        meta["stack_on_key"] = source_key
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


def checkpoint_version(path: str | os.PathLike) -> int:
    """The format version of the checkpoint at ``path`` (1 when it names none); ``CHECKPOINT_VERSION``
    is the only one that resumes."""
    return load_checkpoint(path)[1].get("version", 1)


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
    config = result.metrics["config"]
    extra = {"trainer": config["trainer"]}
    if config.get("stack_on"):
        extra["stacked_on"] = config["stack_on"]
        extra["stacked_on_key"] = result.metrics["stack_on_key"]   # checked by spikesynth stack
    with unfinished(out, f"spikesynth train, writing {MODEL_FILE} and {METRICS_FILE}"):
        save_model(out / MODEL_FILE, result.spec, result.weights, kind=kind, extra=extra)
        write_text_atomic(out / METRICS_FILE, json.dumps({**result.metrics, "history": result.history}, indent=1))

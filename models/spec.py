"""The network spec: the single source of truth for the mirror and the Brian2 network.

Everything about the neuron (leak, threshold, reset, clipping, time step, update
order) lives here once. The torch mirror (``models.torch_snn``), the Brian2
network (``models.brian_snn``) and model files (``models.io``) all read it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from encoders.checks import check as _check
from encoders.checks import check_bool, check_int, check_number

SPEC_VERSION = 1
RESETS = ("zero",)
#: Upper bounds of a network spec, so that a damaged or mistyped spec fails here, naming the
#: field, and not as a huge allocation later: time steps per presentation (10 s at dt = 1 ms;
#: the paper uses 15-60), neurons per layer (the paper's largest: 39 x 1,500 inputs) and
#: weights per layer (4 GB as float32; the paper's largest: 58,500 x 2,048).
MAX_STEPS = 10_000
MAX_LAYER_SIZE = 1_000_000
MAX_WEIGHTS = 1_000_000_000


@dataclass(frozen=True)
class NeuronSpec:
    """Discrete-time LIF neuron of the paper, per step:

    ``V = min((1 - alpha) * V + I, v_th)`` (the ``min`` only when ``clip``),
    spike where ``V >= v_th``, then ``V = 0`` where it spiked (``reset='zero'``).

    alpha: leak per time step (dt / tau), in [0, 1); 0 is a non-leaky IF neuron.
    v_th: firing threshold (dimensionless membrane units), > 0.
    """

    alpha: float = 0.1
    v_th: float = 1.0
    reset: str = "zero"
    clip: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", check_number(self.alpha, "alpha", 0.0, 1.0, hi_open=True))
        object.__setattr__(self, "v_th", check_number(self.v_th, "v_th", 0.0, lo_open=True))
        _check(self.reset in RESETS, f"reset must be one of {RESETS}, got {self.reset!r}")
        object.__setattr__(self, "clip", check_bool(self.clip, "clip"))

    @property
    def decay(self) -> float:
        """Membrane decay factor per step, ``1 - alpha`` (dimensionless)."""
        return 1.0 - self.alpha


class Params(Mapping):
    """Read-only, hashable encoder parameters: a copy of a mapping of names (str) to finite
    numbers, strings or booleans (NaN would break equality and JSON). Equal to a dict with
    the same items."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping) -> None:
        _check(isinstance(items, Mapping), f"encoder params must be a mapping, got {type(items).__name__}")
        for key, value in items.items():
            _check(isinstance(key, str) and isinstance(value, (str, int, float, bool))
                   and not (isinstance(value, float) and not math.isfinite(value)),
                   f"encoder params must map names to finite numbers, strings or booleans, got {key!r}: {value!r}")
        self._items = dict(items)

    def __getitem__(self, key: str):
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"Params({self._items!r})"


@dataclass(frozen=True)
class EncoderSpec:
    """Which encoder turns the input values into spikes, and its parameters
    (for ``poisson``: ``max_rate`` in Hz; ``dt`` comes from the network spec).
    ``params`` may be given as any mapping; it is kept as a read-only ``Params`` copy."""

    name: str = "poisson"
    params: Mapping = field(default_factory=lambda: {"max_rate": 300.0})

    def __post_init__(self) -> None:
        _check(isinstance(self.name, str) and self.name, f"encoder name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "params", Params(self.params))


@dataclass(frozen=True)
class NetworkSpec:
    """A feed-forward spiking network.

    sizes: neurons per layer, input first, e.g. ``(784, 196, 784)``; each at most
    ``MAX_LAYER_SIZE``, and at most ``MAX_WEIGHTS`` weights between two layers.
    dt: simulation time step in seconds (the paper: 1e-3).
    steps: time steps per presentation (T), at most ``MAX_STEPS``.
    All layers update within the same step: the spikes of layer l at step t
    drive layer l+1 at step t (no synaptic delay).
    """

    sizes: tuple = (784, 196, 784)
    neuron: NeuronSpec = field(default_factory=NeuronSpec)
    dt: float = 1e-3
    steps: int = 15
    encoder: EncoderSpec = field(default_factory=EncoderSpec)

    def __post_init__(self) -> None:
        sizes = tuple(self.sizes) if isinstance(self.sizes, (list, tuple)) else self.sizes
        object.__setattr__(self, "sizes", sizes)
        _check(isinstance(sizes, tuple) and len(sizes) >= 2,
               f"sizes must list at least two layer sizes (input and output), got {self.sizes!r}")
        try:
            sizes = tuple(check_int(n, "layer size", 1, MAX_LAYER_SIZE) for n in sizes)
        except ValueError:
            raise ValueError(f"every layer size must be an integer in [1, {MAX_LAYER_SIZE}], "
                             f"got {self.sizes!r}") from None
        for i, (pre, post) in enumerate(zip(sizes, sizes[1:])):
            _check(pre * post <= MAX_WEIGHTS, f"sizes: layers {i} and {i + 1} ({pre} x {post}) need {pre * post} "
                                              f"weights, more than {MAX_WEIGHTS} (MAX_WEIGHTS)")
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "dt", check_number(self.dt, "dt (s)", 0.0, lo_open=True))
        object.__setattr__(self, "steps", check_int(self.steps, "steps", 1, MAX_STEPS))
        _check(isinstance(self.neuron, NeuronSpec), "neuron must be a NeuronSpec")
        _check(isinstance(self.encoder, EncoderSpec), "encoder must be an EncoderSpec")

    @property
    def n_layers(self) -> int:
        """Number of weight layers (``len(sizes) - 1``)."""
        return len(self.sizes) - 1

    def weight_shapes(self) -> list[tuple[int, int]]:
        """Shape of each weight matrix, ``[post, pre]`` (as ``torch.nn.Linear``)."""
        return [(self.sizes[i + 1], self.sizes[i]) for i in range(self.n_layers)]

    def with_(self, **changes: Any) -> "NetworkSpec":
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)

    # --- serialisation -------------------------------------------------
    def to_dict(self) -> dict:
        """The spec as plain JSON-able values (lists and dicts), with ``version``."""
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        d["encoder"]["params"] = dict(self.encoder.params)
        d["version"] = SPEC_VERSION
        return d

    def to_json(self) -> str:
        """``to_dict`` as JSON text with sorted keys (stable, so usable as a cache key)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "NetworkSpec":
        """The spec of a ``to_dict`` result; ValueError for a malformed or unknown one."""
        _check(isinstance(d, dict), f"a network spec must be a JSON object, got {type(d).__name__}")
        d = dict(d)
        version = d.pop("version", SPEC_VERSION)
        _check(version == SPEC_VERSION, f"unsupported spec version {version!r} (this spikesynth reads {SPEC_VERSION})")
        known = {"sizes", "neuron", "dt", "steps", "encoder"}
        unknown = set(d) - known
        _check(not unknown, f"unknown field(s) in network spec: {sorted(unknown)}")
        try:
            neuron = NeuronSpec(**d.pop("neuron", {}))
            encoder = EncoderSpec(**d.pop("encoder", {}))
        except TypeError as exc:
            raise ValueError(f"malformed network spec: {exc}") from None
        return cls(neuron=neuron, encoder=encoder, **d)

    @classmethod
    def from_json(cls, text: str) -> "NetworkSpec":
        """The spec of ``to_json`` text; ValueError for invalid JSON or a malformed spec."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"network spec is not valid JSON: {exc}") from None
        return cls.from_dict(d)


def autoencoder_spec(dataset: str = "mnist", hidden: int = 196, steps: int = 15, alpha: float = 0.1,
                     max_rate: float | None = None) -> NetworkSpec:
    """The paper's 784-hidden-784 spiking autoencoder. max_rate defaults to
    300 Hz for MNIST and 500 Hz for Fashion-MNIST (the official code)."""
    if max_rate is None:
        max_rate = 500.0 if dataset == "fashion-mnist" else 300.0
    return NetworkSpec(sizes=(784, hidden, 784), neuron=NeuronSpec(alpha=alpha), steps=steps,
                       encoder=EncoderSpec("poisson", {"max_rate": float(max_rate)}))

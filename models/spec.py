"""The network spec: the single source of truth for the mirror and the Brian2 network.

Everything about the neuron (leak, threshold, reset, clipping, time step, update
order) lives here once. The torch mirror (``models.torch_snn``), the Brian2
network (``models.brian_snn``) and model files (``models.io``) all read it.

Version 2 (``SPEC_VERSION``) added ``threshold_test``, ``reset='subtract'``,
``reset_timing``, ``decay_form`` and the network's ``bias``; a version-1 spec reads as
version 2 with those at their defaults, which are the version-1 neuron.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from encoders.checks import check as _check
from encoders.checks import check_bool, check_choice, check_int, check_number

SPEC_VERSION = 2
#: Versions ``NetworkSpec.from_dict`` reads.
READS_VERSIONS = (1, 2)
THRESHOLD_TESTS = (">=", ">")
RESETS = ("zero", "subtract")
RESET_TIMINGS = ("same", "next")
DECAY_FORMS = ("linear", "exp")
# the fields of a version-1 spec (the others take their defaults)
_V1_NEURON_FIELDS = {"alpha", "v_th", "reset", "clip"}
_V1_NETWORK_FIELDS = {"sizes", "neuron", "dt", "steps", "encoder"}
#: Upper bounds of a network spec, so that a damaged or mistyped spec fails here, naming the
#: field, and not as a huge allocation later: time steps per presentation (10 s at dt = 1 ms;
#: the paper uses 15-60), neurons per layer (the paper's largest: 39 x 1,500 inputs) and
#: weights per layer (4 GB as float32; the paper's largest: 58,500 x 2,048).
MAX_STEPS = 10_000
MAX_LAYER_SIZE = 1_000_000
MAX_WEIGHTS = 1_000_000_000


@dataclass(frozen=True)
class NeuronSpec:
    """Discrete-time LIF neuron, per step t and layer, with ``I_t`` the summed synaptic
    input of the step (plus the layer's bias when the network has one):

    1. ``V = (1 - alpha) * V_{t-1} + I_t``, then, for ``reset='subtract'`` with
       ``reset_timing='next'``, ``V = V - s_{t-1} * v_th`` (the reset of the previous
       step's spike, applied after the leak);
    2. ``V = min(V, v_th)`` when ``clip``;
    3. spike ``s_t`` where ``V >= v_th`` (``threshold_test='>='``) or ``V > v_th`` (``'>'``);
       ``V`` here is the recorded (pre-reset) potential;
    4. reset where it spiked: ``reset='zero'``: ``V = 0``; ``reset='subtract'`` with
       ``reset_timing='same'``: ``V = V - v_th``; with ``'next'``: nothing now (step 1 of t+1).

    For ``reset='zero'`` both timings give the same spikes and potentials (a zeroed
    membrane stays 0 under the leak: ``V_{t+1} = (1 - s_t) (1 - alpha) V_t + I_{t+1}``).
    The defaults are the paper's neuron (the official code's clip, ``>=``, reset to 0).

    alpha: leak per time step, in [0, 1); 0 is a non-leaky IF neuron. The simulation uses
    the per-step decay ``1 - alpha`` (a float) whatever ``decay_form`` says.
    v_th: firing threshold (dimensionless membrane units), > 0.
    decay_form: how alpha relates to a membrane time constant tau (seconds) at step dt,
    used only by ``tau`` and ``alpha_from_tau``: ``linear``: ``alpha = dt / tau``
    (forward Euler, the paper, norse); ``exp``: ``alpha = 1 - exp(-dt / tau)`` (exact
    integration, Brian2's ``method='exact'``, snntorch's ``beta = exp(-dt / tau)``).
    ``clip`` with ``threshold_test='>'`` is refused: the clipped V never exceeds v_th.

    The other frameworks' discrete LIFs (snntorch 1.0 ``snn.Leaky``, norse 1.1
    ``lif_box_feed_forward_step``), read from their source; ``H(x)`` is their spike
    function's forward pass, ``x > 0`` in both (snntorch's ATan default, its
    ``surrogate_disable`` and its ``Heaviside``; norse's ``heaviside`` and ``super``),
    ``m_{t-1}`` the membrane the framework returned at the previous step (0 at the start):

    ======================  ===================================================  ==========  =====================
    framework               update of step t (in this order)                     returns m   spec
    ======================  ===================================================  ==========  =====================
    snntorch Leaky,         ``r = H(m_{t-1} - th)``; subtract:                   pre-reset   ``>``, ``next``,
    ``reset_delay=True``    ``m = (beta m_{t-1} + I_t) - r th``; zero:           (the V      clip off,
    (its default)           ``m = beta ((1 - r) m_{t-1}) + I_t``;                above)      alpha = 1 - beta
                            ``spk = H(m - th)``
    snntorch Leaky,         ``r = H(m_{t-1} - th)``; ``m`` as above;             post-reset  ``>``, ``same``,
    ``reset_delay=False``   ``spk = H(m - th)``; subtract:                                   clip off
                            ``m = m - (spk - r) th``; zero: ``m = m - (spk - r) m``
    norse ``lif_box``       ``v = v + dt tau_mem_inv (i + v_leak - v)``;         post-reset  ``>``, ``same``,
    feed-forward step       ``z = H(v - v_th)``; reset_value:                                clip off, ``linear``,
                            ``v = (1 - z) v + z v_reset``; reset_subtract:                   I = alpha * i
                            ``v = (1 - z) v + z (v - v_th)``                                 (v_leak = v_reset = 0)
    ======================  ===================================================  ==========  =====================

    snntorch with ``reset_delay=False``: r is 1 only when a subtraction left ``m > th`` (a
    pre-reset V above ``2 th``); the next step then subtracts th before its test (a spike where
    ``beta m + I - th > th``) and adds it back if none, which no spec describes; everywhere else
    (always with ``reset='zero'``) it is the spec given. norse's ``v + a (i - v)`` is ``(1 - a) v + a i`` up to rounding (exact
    for dyadic values), so a bridge scales norse's input weights by alpha.
    """

    alpha: float = 0.1
    v_th: float = 1.0
    reset: str = "zero"
    clip: bool = True
    threshold_test: str = ">="
    reset_timing: str = "same"
    decay_form: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", check_number(self.alpha, "alpha", 0.0, 1.0, hi_open=True))
        object.__setattr__(self, "v_th", check_number(self.v_th, "v_th", 0.0, lo_open=True))
        check_choice(self.reset, "reset", RESETS)
        object.__setattr__(self, "clip", check_bool(self.clip, "clip"))
        check_choice(self.threshold_test, "threshold_test", THRESHOLD_TESTS)
        check_choice(self.reset_timing, "reset_timing", RESET_TIMINGS)
        check_choice(self.decay_form, "decay_form", DECAY_FORMS)
        _check(not (self.clip and self.threshold_test == ">"),
               "clip=True with threshold_test '>' never spikes (the clip holds V at v_th, which '>' "
               "never exceeds): use threshold_test '>=' or clip=False")

    @property
    def decay(self) -> float:
        """Membrane decay factor per step, ``1 - alpha`` (dimensionless)."""
        return 1.0 - self.alpha

    @property
    def is_paper(self) -> bool:
        """True for the paper's update rule (``>=``, reset to zero, in the same step): the one
        the trainers implement (alpha, v_th, clip and decay_form may be anything)."""
        return (self.threshold_test, self.reset, self.reset_timing) == (">=", "zero", "same")

    def tau(self, dt: float) -> float:
        """The membrane time constant in seconds at step ``dt`` (s) under ``decay_form``
        (``inf`` for alpha 0)."""
        dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
        if self.alpha == 0.0:
            return math.inf
        return dt / self.alpha if self.decay_form == "linear" else -dt / math.log1p(-self.alpha)


def alpha_from_tau(tau: float, dt: float, decay_form: str = "linear") -> float:
    """The per-step leak alpha of time constant ``tau`` (s, > dt for ``linear``; ``math.inf``
    gives 0) at step ``dt`` (s): ``dt / tau`` or ``1 - exp(-dt / tau)`` (see ``NeuronSpec``)."""
    dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    check_choice(decay_form, "decay_form", DECAY_FORMS)
    if tau == math.inf:
        return 0.0
    if decay_form == "linear":
        return dt / check_number(tau, "tau (s)", dt, lo_open=True)
    return -math.expm1(-dt / check_number(tau, "tau (s)", 0.0, lo_open=True))


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
    ``params`` may be given as any mapping; it is kept as a read-only ``Params`` copy. Not given
    (None), they are the paper's ``{"max_rate": 300.0}`` for ``poisson`` and none for any other
    encoder (which then takes its own defaults)."""

    name: str = "poisson"
    params: Mapping | None = None

    def __post_init__(self) -> None:
        _check(isinstance(self.name, str) and self.name, f"encoder name must be a non-empty string, got {self.name!r}")
        params = self.params
        if params is None:
            params = {"max_rate": 300.0} if self.name == "poisson" else {}
        object.__setattr__(self, "params", Params(params))


@dataclass(frozen=True)
class NetworkSpec:
    """A feed-forward spiking network.

    sizes: neurons per layer, input first, e.g. ``(784, 196, 784)``; each at most
    ``MAX_LAYER_SIZE``, and at most ``MAX_WEIGHTS`` weights between two layers.
    dt: simulation time step in seconds (the paper: 1e-3).
    steps: time steps per presentation (T), at most ``MAX_STEPS``.
    bias: every weight layer also has a bias ``b_l`` ``[sizes[l + 1]]`` (NIR ``Affine``),
    added to the layer's synaptic input at every step: ``I_t = W_l s_t + b_l``.
    All layers update within the same step: the spikes of layer l at step t
    drive layer l+1 at step t (no synaptic delay).
    """

    sizes: tuple = (784, 196, 784)
    neuron: NeuronSpec = field(default_factory=NeuronSpec)
    dt: float = 1e-3
    steps: int = 15
    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    bias: bool = False

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
        object.__setattr__(self, "bias", check_bool(self.bias, "bias"))

    @property
    def n_layers(self) -> int:
        """Number of weight layers (``len(sizes) - 1``)."""
        return len(self.sizes) - 1

    def weight_shapes(self) -> list[tuple[int, int]]:
        """Shape of each weight matrix, ``[post, pre]`` (as ``torch.nn.Linear``)."""
        return [(self.sizes[i + 1], self.sizes[i]) for i in range(self.n_layers)]

    def bias_shapes(self) -> list[tuple[int]]:
        """Shape of each bias, ``[post]``; empty when the spec has no bias."""
        return [(self.sizes[i + 1],) for i in range(self.n_layers)] if self.bias else []

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
        """The spec of a ``to_dict`` result (version 2, or version 1: the fields version 2
        added take their defaults); ValueError for a malformed or unknown one."""
        _check(isinstance(d, dict), f"a network spec must be a JSON object, got {type(d).__name__}")
        d = dict(d)
        version = d.pop("version", SPEC_VERSION)
        _check(version in READS_VERSIONS and not isinstance(version, bool),
               f"unsupported spec version {version!r} (this spikesynth reads {', '.join(map(str, READS_VERSIONS))})")
        known = _V1_NETWORK_FIELDS if version == 1 else {f.name for f in fields(cls)}
        unknown = set(d) - known
        _check(not unknown, f"unknown field(s) in version-{version} network spec: {sorted(unknown)}")
        neuron = d.pop("neuron", {})
        _check(isinstance(neuron, dict), f"neuron must be a JSON object, got {type(neuron).__name__}")
        if version == 1:
            unknown = set(neuron) - _V1_NEURON_FIELDS
            _check(not unknown, f"unknown field(s) in version-1 neuron spec: {sorted(unknown)}")
            _check(neuron.get("reset", "zero") == "zero",
                   f"a version-1 spec resets to 'zero' only, got reset {neuron.get('reset')!r}")
        try:
            neuron = NeuronSpec(**neuron)
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

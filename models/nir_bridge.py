"""NIR (the Neuromorphic Intermediate Representation, ``nir`` 1.0) to and from spec + weights.

Export (``to_nir_graph``, ``export_nir``): ``Input -> Linear (Affine when the spec has bias) ->
LIF (IF for alpha 0) -> ... -> Output``, every neuron parameter an array ``[N]``, so that
``nir.read`` type-checks the file. For a step ``dt`` (default the spec's) a LIF gets
``tau = spec.neuron.tau(dt)``, ``r = 1 / alpha`` (NIR's ``tau dv/dt = -v + r I`` then gives
the spec's input scale ``alpha * r = 1`` per step), ``v_leak = 0``, ``v_reset = 0``,
``v_threshold = v_th``; an IF gets ``r = 1``. What NIR cannot say is in the graph's metadata
(``METADATA_KEYS``): the step, the exact alpha, ``threshold_test`` (NIR tests ``>``), the clip,
the reset (NIR's ``v_reset`` is a reset to a value), its timing, ``decay_form`` and the whole
spec as JSON.

Import (``read_nir``, ``from_nir``, ``import_nir``): a feed-forward chain of ``Linear``/``Affine``
and ``LIF``/``IF`` nodes, scalar or per-neuron parameters (snntorch 1.0 and norse 1.1 write
scalars that fail ``nir``'s own type inference), read under a ``convention``: the framework
that wrote the graph, which says how its ``tau`` and ``r`` encode the per-step decay and input
scale (NIR has no time step) and which reset, timing and threshold test its neurons have
(``CONVENTIONS``, docs/nir.md). The decay is recovered as the very float the framework held
where the file determines it (``recover``); per-neuron input scales are folded into the rows of
W and b; per-neuron (or per-layer) thresholds that are powers of two apart are folded exactly
by scaling each neuron's membrane; different time constants are refused. Anything else is
refused with a ValueError naming the file and the node, before anything is written.

``nir`` (and ``h5py``) are the optional extra ``interop``; this module imports them only when
called (ImportError with the install line when missing).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from encoders.checks import check as _check
from encoders.checks import check_choice, check_int, check_number
from encoders.rate import full_rate

from .files import atomic_path, check_output_file
from .io import check_biases, check_weights, save_model
from .spec import EncoderSpec, NetworkSpec, NeuronSpec

#: The frameworks whose NIR conventions ``from_nir`` knows.
CONVENTIONS = ("spikesynth", "snntorch", "norse")
#: snntorch 1.0's ``export_to_nir`` and ``import_from_nir`` write and read every graph at this
#: step: ``tau = 1e-4 / (1 - beta)``, ``r = tau / 1e-4``, whatever step the user had in mind.
SNNTORCH_DT = 1e-4
#: What the metadata of an exported graph holds (``to_nir_graph``).
METADATA_KEYS = {
    "generator": "'spikesynth'",
    "spikesynth_spec": "the network spec as JSON (NetworkSpec.to_json): steps, encoder, bias, the neuron",
    "dt": "the time step (s) for which tau and r are written",
    "alpha": "the leak per step (exact float; tau = dt / alpha or -dt / log(1 - alpha))",
    "decay_form": "'linear' (tau = dt / alpha) or 'exp' (tau = -dt / log(1 - alpha))",
    "threshold_test": "'>=' or '>' (NIR's LIF tests v > v_threshold)",
    "clip": "whether V is clipped at v_th before the test",
    "reset": "'zero' (NIR's v_reset = 0) or 'subtract' (V - v_th; NIR cannot say it)",
    "reset_timing": "'same' (the step of the spike) or 'next' (after the next step's leak)",
}
#: The suffixes (without the dot) of the files ``export_nir`` and ``import_nir`` write.
NIR_FORMATS = ("nir",)
MODEL_FORMATS = ("safetensors",)
#: Time steps T of an imported spec when the graph does not say (NIR has no T).
DEFAULT_STEPS = 100
#: Node types refused, with the reason.
_REFUSED = {
    "CubaLIF": "a current-based LIF has a synaptic current (tau_syn) that the spec's neuron does not have",
    "CubaLI": "a current-based leaky integrator has a synaptic current and no spikes",
    "LI": "a leaky integrator without spikes is not a spec neuron",
    "I": "an integrator without spikes is not a spec neuron",
    "Conv1d": "convolutions are not supported (fully connected layers only)",
    "Conv2d": "convolutions are not supported (fully connected layers only)",
    "SumPool2d": "pooling is not supported (fully connected layers only)",
    "AvgPool2d": "pooling is not supported (fully connected layers only)",
    "Flatten": "only 1-D layers are supported (no Flatten)",
    "Delay": "synaptic delays are not supported (all layers update within the same step)",
    "Scale": "a Scale node is not supported (fold it into the weights)",
    "Threshold": "a bare Threshold node is not supported (use LIF or IF)",
    "Identity": "an Identity node is not supported",
    "NIRGraph": "a subgraph (snntorch exports a recurrent RLeaky or RSynaptic layer this way): "
                "recurrent networks are not supported",
}


def _nir():
    """The ``nir`` package, or ImportError with the install line."""
    try:
        import nir
    except ImportError as exc:
        raise ImportError(f"NIR support needs the 'nir' and 'h5py' packages ({exc}): "
                          f"pip install 'spikesynth[interop]'") from None
    return nir


def _array(x) -> np.ndarray:
    """A NIR parameter (numpy array or scalar, torch tensor, number) as a numpy array."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# --- export -----------------------------------------------------------------------

def to_nir_graph(spec: NetworkSpec, weights: list, biases: list | None = None, dt: float | None = None):
    """The NIR graph of spec + weights (``[post, pre]`` per layer, their dtype kept) + biases
    (``[post]``, when the spec has bias). dt: the step (s) for which tau and r are written
    (default ``spec.dt``; snntorch's ``import_from_nir`` reads graphs at ``SNNTORCH_DT``,
    norse's ``from_nir`` at its ``dt``); the metadata keeps the spec whatever it is."""
    nir = _nir()
    check_weights(spec, weights, source="weights to export")
    check_biases(spec, biases, source="biases to export")
    dt = spec.dt if dt is None else check_number(dt, "dt (s)", 0.0, lo_open=True)
    neuron = spec.neuron
    nodes, names = {"input": nir.Input(input_type=np.array([spec.sizes[0]]))}, ["input"]
    for i, w in enumerate(weights):
        n = spec.sizes[i + 1]
        w = torch.as_tensor(w).detach().cpu().numpy()
        if spec.bias:
            nodes[f"fc{i + 1}"] = nir.Affine(weight=w, bias=torch.as_tensor(biases[i]).detach().cpu().numpy())
        else:
            nodes[f"fc{i + 1}"] = nir.Linear(weight=w)
        full = lambda value: np.full(n, value, dtype=np.float64)  # noqa: E731
        if neuron.alpha == 0.0:
            nodes[f"if{i + 1}"] = nir.IF(r=full(1.0), v_threshold=full(neuron.v_th), v_reset=full(0.0))
        else:
            nodes[f"lif{i + 1}"] = nir.LIF(tau=full(neuron.tau(dt)), r=full(1.0 / neuron.alpha), v_leak=full(0.0),
                                           v_threshold=full(neuron.v_th), v_reset=full(0.0))
        names += list(nodes)[-2:]
    nodes["output"] = nir.Output(output_type=np.array([spec.sizes[-1]]))
    names.append("output")
    metadata = {"generator": "spikesynth", "spikesynth_spec": spec.to_json(), "dt": float(dt),
                "alpha": neuron.alpha, "decay_form": neuron.decay_form, "threshold_test": neuron.threshold_test,
                "clip": neuron.clip, "reset": neuron.reset, "reset_timing": neuron.reset_timing}
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), metadata=metadata)


def export_nir(path: str | os.PathLike, spec: NetworkSpec, weights: list, biases: list | None = None,
               dt: float | None = None) -> Path:
    """Write ``to_nir_graph(spec, weights, biases, dt)`` to ``path`` with ``nir.write``, atomically
    (the path, which must end in ``.nir``, is checked before any work). Returns the path."""
    path = check_output_file(path, "NIR output file", NIR_FORMATS)
    graph = to_nir_graph(spec, weights, biases, dt)
    with atomic_path(path) as tmp:
        _nir().write(tmp, graph)
    return path


# --- reading ----------------------------------------------------------------------

def read_nir(path: str | os.PathLike):
    """``nir.read(path)`` without nir's type inference (which refuses the scalar parameters
    snntorch and norse write; ``from_nir`` checks every shape itself). FileNotFoundError when
    missing; ValueError naming the file, and the node where one is at fault, for a file that is
    not HDF5, not a NIR graph, or holds a node nir cannot build."""
    nir = _nir()
    import h5py
    from nir.serialization import hdf2dict

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"NIR file not found: {path}")
    try:
        with h5py.File(path, "r") as f:
            if not isinstance(f.get("node"), h5py.Group):
                what = ("it has no 'node' group" if "node" not in f else
                        f"its 'node' is an HDF5 {type(f['node']).__name__}, not a group")
                raise ValueError(f"{path}: an HDF5 file but not a NIR graph ({what}; top level: "
                                 f"{sorted(f.keys())[:8]})")
            data = hdf2dict(f["node"])
    except OSError as exc:
        raise ValueError(f"{path}: not a readable NIR (HDF5) file ({exc})") from None
    if data.get("type") != "NIRGraph" or not isinstance(data.get("nodes"), dict):
        raise ValueError(f"{path}: the NIR file's top node is a {data.get('type')!r}, not a NIRGraph")
    for name, node in data["nodes"].items():     # name the node nir cannot build
        try:
            nir.dict2NIRNode(_copy_tree(node))
        except Exception as exc:  # nir raises AssertionError, KeyError, TypeError, ValueError
            kind = node.get("type") if isinstance(node, dict) else None
            raise ValueError(f"{path}: node {name!r} (type {kind!r}) cannot be read by nir {nir.version}: "
                             f"{type(exc).__name__}: {exc}") from None
    try:
        return nir.read(path, type_check=False)
    except Exception as exc:
        raise ValueError(f"{path}: nir.read failed: {type(exc).__name__}: {exc}") from None


def _copy_tree(node):
    return {k: _copy_tree(v) for k, v in node.items()} if isinstance(node, dict) else node


# --- conventions and exact recovery ---------------------------------------------------

@dataclass(frozen=True)
class Convention:
    """How a framework writes its LIF into NIR and which neuron it runs (docs/nir.md).

    name: one of ``CONVENTIONS``; reset, reset_timing, threshold_test, clip, decay_form: the
    update rule of its neuron (the defaults of ``from_nir``'s reset and timing; how tau gives the
    per-step decay); default_dt: the spec's dt when none is given (None: tau means nothing without
    the step, ``from_nir`` needs ``dt``). How each reads the decay and input scale: docs/nir.md."""

    name: str
    reset: str
    reset_timing: str
    threshold_test: str
    clip: bool
    default_dt: float | None
    decay_form: str


#: ``CONVENTIONS`` as ``Convention``s (``spikesynth``: the defaults without spikesynth metadata;
#: with it, the metadata's rule).
CONVENTION = {
    "spikesynth": Convention("spikesynth", "zero", "same", ">", False, None, "linear"),
    "snntorch": Convention("snntorch", "subtract", "next", ">", False, 1e-3, "exp"),
    "norse": Convention("norse", "zero", "same", ">", False, None, "linear"),
}


def _float_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _neighbours(x, dtype, span: int = 4) -> list:
    """``x`` and the ``span`` floats of ``dtype`` either side of it."""
    x = dtype.type(x)
    out, lo, hi = [x], x, x
    for _ in range(span):
        lo, hi = np.nextafter(lo, dtype.type(-np.inf)), np.nextafter(hi, dtype.type(np.inf))
        out += [lo, hi]
    return out


def _decimals(guess: float, digits: int, dtype) -> list:
    """Floats of ``dtype`` near ``guess`` that are decimals of ``digits`` significant digits, as
    a framework holds them when typed (a Python float cast to the tensor's dtype; in a float64
    file the float32 one first, as ``.double()`` of a float32 model holds it)."""
    if not math.isfinite(guess) or guess == 0.0:
        return []
    base = float(f"{guess:.{digits - 1}e}")
    step = 10.0 ** (math.floor(math.log10(abs(base))) - digits + 1)
    values = [float(f"{v:.{digits - 1}e}") for v in (base, base - step, base + step)]
    out = [np.float64(np.float32(v)) for v in values] if dtype == np.float64 else []
    return out + [dtype.type(v) for v in values]


def recover(forward, target, guess) -> tuple:
    """The float ``x`` (of ``target``'s dtype) that the exporter's own arithmetic ``forward(x)``
    (a function of a 1-element array of that dtype, evaluated by the same library calls as the
    exporter) turns into ``target`` exactly. Where several floats do (the file cannot tell them
    apart), the shortest decimal is taken (a value typed by hand), a float32 one first in a
    float64 file (``.double()`` of a float32 model). Returns ``(x, n)``: n the number of floats
    within 4 ulps of x that give ``target`` (1: x is the one the framework held; more: ambiguous;
    0: no float gives target, x = guess, the framework's own import formula)."""
    target = np.asarray(target)
    dtype = _float_dtype(target)
    want = target.astype(dtype).reshape(-1)[:1]

    def hits(c) -> bool:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            got = np.asarray(forward(np.array([c], dtype=dtype))).astype(dtype).reshape(-1)[:1]
        return bool(np.array_equal(got, want))

    guess = float(guess)
    found = None
    for digits in range(1, 10 if dtype == np.float32 else 18):
        good = [c for c in _decimals(guess, digits, dtype) if hits(c)]
        if good:
            found = good[0]
            break
    if found is None:
        good = [c for c in _neighbours(guess, dtype) if hits(c)] if math.isfinite(guess) else []
        if not good:
            return dtype.type(guess), 0
        found = good[0]
    n = len({float(c) for c in _neighbours(found, dtype) if hits(c)})
    return dtype.type(found), n


def _snntorch_tau(beta: np.ndarray) -> np.ndarray:
    return SNNTORCH_DT / (1 - beta)           # snntorch/export_nir.py, in beta's numpy dtype


def _norse_tau(dt: float):
    def forward(tmi: np.ndarray) -> np.ndarray:
        return (dt / torch.from_numpy(tmi)).numpy()   # norse/torch/utils/export_nir.py (torch arithmetic)
    return forward


def _norse_alpha(dt: float, tmi) -> float:
    """norse's per-step factor ``dt * tau_mem_inv`` as LIFBoxCell computes it (torch, tmi's dtype)."""
    return float((dt * torch.from_numpy(np.array([tmi]))).numpy()[0])


# --- import -----------------------------------------------------------------------

@dataclass
class Imported:
    """A network read from NIR: ``spec``, ``weights`` (``[post, pre]``), ``biases`` (``[post]``
    per layer, or None), and what the reading did: ``exact`` (False where a value could not be
    carried bit for bit, see ``notes``), ``notes`` (folds, choices, approximations) and
    ``nodes`` (the NIR node names of each layer: ``(weights, neurons)``)."""

    spec: NetworkSpec
    weights: list
    biases: list | None
    exact: bool = True
    notes: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    convention: str = "spikesynth"

    def extra(self, source: str = "") -> dict:
        """Provenance for the model file's ``extra``."""
        return {"nir": {"source": source, "convention": self.convention, "exact": self.exact, "notes": self.notes,
                        "nodes": [list(n) for n in self.nodes]}}


def _chain(graph, where: str) -> list[tuple[str, object]]:
    """The nodes from the one Input to the one Output as ``[(name, node)]``; ValueError naming
    the node for anything but a single path."""
    nir = _nir()
    nodes = graph.nodes
    _check(isinstance(nodes, dict) and nodes, f"{where}: the graph has no nodes")
    for name, node in nodes.items():
        kind = type(node).__name__
        if isinstance(node, nir.NIRGraph) or kind in _REFUSED:
            raise ValueError(f"{where}: node {name!r} ({kind}): {_REFUSED.get(kind, _REFUSED['NIRGraph'])}")
        if not isinstance(node, (nir.Input, nir.Output, nir.Linear, nir.Affine, nir.LIF, nir.IF)):
            raise ValueError(f"{where}: node {name!r} ({kind}): unknown node type; supported: Input, Linear, "
                             f"Affine, LIF, IF, Output")
    inputs = [n for n, node in nodes.items() if isinstance(node, nir.Input)]
    outputs = [n for n, node in nodes.items() if isinstance(node, nir.Output)]
    _check(len(inputs) == 1, f"{where}: the graph must have exactly one Input node, found {len(inputs)}: {inputs}")
    _check(len(outputs) == 1, f"{where}: the graph must have exactly one Output node, found {len(outputs)}: {outputs}")
    succ, pred = {n: [] for n in nodes}, {n: [] for n in nodes}
    for edge in graph.edges:
        _check(len(edge) == 2, f"{where}: malformed edge {edge!r}")
        a, b = (str(e) for e in edge)
        for end in (a, b):
            _check(end in nodes, f"{where}: edge ({a!r}, {b!r}) names node {end!r}, which the graph does not have")
        _check(b not in succ[a], f"{where}: edge ({a!r}, {b!r}) appears twice")
        succ[a].append(b)
        pred[b].append(a)
    for name in nodes:
        if len(pred[name]) > 1:
            raise ValueError(f"{where}: node {name!r} ({type(nodes[name]).__name__}) has {len(pred[name])} incoming "
                             f"edges (from {pred[name]}): only a feed-forward chain is supported (no recurrence, "
                             f"no merging)")
        if len(succ[name]) > 1:
            raise ValueError(f"{where}: node {name!r} ({type(nodes[name]).__name__}) has {len(succ[name])} outgoing "
                             f"edges (to {succ[name]}): only a feed-forward chain is supported (no branching)")
    chain, name, seen = [], inputs[0], set()
    _check(not pred[name], f"{where}: Input node {name!r} has an incoming edge")
    while True:
        if name in seen:
            raise ValueError(f"{where}: node {name!r} ({type(nodes[name]).__name__}) closes a cycle: "
                             f"recurrent networks are not supported")
        seen.add(name)
        chain.append((name, nodes[name]))
        if not succ[name]:
            break
        name = succ[name][0]
    if chain[-1][0] != outputs[0]:
        last = chain[-1][0]
        raise ValueError(f"{where}: the chain from Input {inputs[0]!r} ends at node {last!r} "
                         f"({type(nodes[last]).__name__}), not at the Output node {outputs[0]!r}")
    missing = [n for n in nodes if n not in seen]
    if missing:
        raise ValueError(f"{where}: node {missing[0]!r} ({type(nodes[missing[0]]).__name__}) is not on the chain "
                         f"from the Input to the Output")
    return chain


def _io_size(name: str, node, key: str, where: str) -> int:
    kind = type(node).__name__
    types = getattr(node, "input_type" if key == "input" else "output_type", None) or {}
    value = types.get(key)
    shape = [] if value is None else _array(value).astype(np.int64).reshape(-1).tolist()
    if len(shape) == 2 and shape[0] == 1:   # a leading batch of 1, as exporters write for a batched sample
        shape = shape[1:]
    _check(len(shape) == 1 and shape[0] >= 1, f"{where}: node {name!r} ({kind}): shape {shape} is not a 1-D "
                                               f"layer [N] (or [1, N])")
    return int(shape[0])


def _param(node, attr: str, n: int, name: str, where: str) -> np.ndarray:
    """A neuron parameter as a ``[n]`` array (a scalar or a 1-element one broadcast), its dtype kept."""
    kind = type(node).__name__
    value = getattr(node, attr, None)
    _check(value is not None, f"{where}: node {name!r} ({kind}): has no {attr}")
    a = _array(value)
    _check(a.dtype.kind in "fiu", f"{where}: node {name!r} ({kind}): {attr} has dtype {a.dtype}, not a number")
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    _check(a.ndim == 0 or a.shape in ((1,), (n,)),
           f"{where}: node {name!r} ({kind}): {attr} has shape {list(a.shape)}; the layer has {n} neurons, so it "
           f"must be a scalar, [1] or [{n}]")
    _check(not np.isnan(a).any(), f"{where}: node {name!r} ({kind}): {attr} contains NaN")
    _check(bool(np.isfinite(a).all()), f"{where}: node {name!r} ({kind}): {attr} is infinite, got "
                                       f"{np.unique(a[~np.isfinite(a)])[:2].tolist()} (it must be finite)")
    return np.broadcast_to(a.reshape(-1), (n,)).copy()


def _matrix(node, attr: str, name: str, where: str, ndim: int) -> np.ndarray:
    kind = type(node).__name__
    a = _array(getattr(node, attr, None))
    _check(a.dtype.kind in "fiu", f"{where}: node {name!r} ({kind}): {attr} has dtype {a.dtype}, not a number")
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    _check(a.ndim == ndim, f"{where}: node {name!r} ({kind}): {attr} has shape {list(a.shape)}, expected "
                           f"{'[post, pre]' if ndim == 2 else '[post]'}")
    _check(bool(np.isfinite(a).all()), f"{where}: node {name!r} ({kind}): {attr} contains NaN or infinite values")
    return a


def _metadata_spec(graph, where: str) -> NetworkSpec | None:
    """The spec spikesynth wrote into the graph's metadata, or None for another generator."""
    meta = getattr(graph, "metadata", None) or {}
    if meta.get("generator") != "spikesynth" or "spikesynth_spec" not in meta:
        return None
    try:
        return NetworkSpec.from_json(str(meta["spikesynth_spec"]))
    except ValueError as exc:
        raise ValueError(f"{where}: the graph's spikesynth_spec metadata is not a valid spec: {exc}") from None


def _meta_number(meta: dict, key: str, where: str, default: float, lo: float = -math.inf, hi: float = math.inf,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    """The number ``key`` of the graph's metadata (``default`` when absent), checked with
    ``check_number``; ValueError naming the file and the key for anything else (a string, an
    array, NaN, out of range)."""
    if key not in meta:
        return default
    value = meta[key]
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    try:
        return check_number(value, f"metadata {key!r}", lo, hi, lo_open, hi_open)
    except ValueError as exc:
        raise ValueError(f"{where}: the graph's {exc}") from None


def _pow2_factor(ref: float, v: float) -> float | None:
    """f with ``f * v == ref`` exactly and f a power of two, else None."""
    f = ref / v
    mantissa, _ = math.frexp(f)
    return f if mantissa == 0.5 and f * v == ref else None


def from_nir(graph, convention: str, dt: float | None = None, reset: str | None = None,
             reset_timing: str | None = None, steps: int | None = None, source: str | None = None) -> Imported:
    """The spikesynth network of a NIR graph (a ``nir.NIRGraph``, or a path read with ``read_nir``)
    read under ``convention`` (``CONVENTIONS``; see ``CONVENTION`` and docs/nir.md).

    dt: the spec's time step (s); for ``norse`` also norse's step (to_nir's and LIFBoxCell's),
    for ``spikesynth`` without spikesynth metadata the step at which tau is read (alpha = dt / tau);
    required there, optional for ``snntorch`` (its beta is per step; default 1e-3) and for a graph
    spikesynth exported (default: its metadata's). reset, reset_timing: the spec's (default: the
    convention's, or the metadata's). steps: the spec's T (default: the metadata's, else
    ``DEFAULT_STEPS``). The encoder of the spec: ``poisson`` with ``max_rate = 1 / dt`` (a value
    of 1 spikes every step), or the exported one. ValueError naming ``source`` and the node for
    anything the spec cannot carry."""
    nir = _nir()
    check_choice(convention, "convention", CONVENTIONS)
    conv = CONVENTION[convention]
    if not isinstance(graph, nir.NIRGraph):
        source = str(graph) if source is None else source
        graph = read_nir(graph)
    where = source or "NIR graph"
    meta_spec = _metadata_spec(graph, where) if convention == "spikesynth" else None
    meta = getattr(graph, "metadata", None) or {}
    meta_dt = meta_alpha = None
    if meta_spec is not None:       # the step tau was written for, and the exact alpha: numbers, checked
        meta_dt = _meta_number(meta, "dt", where, meta_spec.dt, 0.0, lo_open=True)
        meta_alpha = _meta_number(meta, "alpha", where, meta_spec.neuron.alpha, 0.0, 1.0, hi_open=True)
    if dt is not None:
        dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    elif meta_spec is not None:
        dt = meta_spec.dt
    elif conv.default_dt is not None:
        dt = conv.default_dt
    else:
        raise ValueError(f"{where}: the {convention} convention needs the time step dt (s): NIR graphs do not "
                         f"carry one" + (" (norse's default is 1e-3)" if convention == "norse" else
                                         " and this graph has no spikesynth metadata"))
    notes: list[str] = []   # "inexact: ..." where a value could not be carried bit for bit

    # the chain: Input, (weights, neurons) pairs, Output
    chain = _chain(graph, where)
    body = chain[1:-1]
    _check(body, f"{where}: the graph has no layer between its Input and Output")
    _check(len(body) % 2 == 0, f"{where}: node {body[-1][0]!r} ({type(body[-1][1]).__name__}): the chain must "
                               f"alternate weights (Linear/Affine) and neurons (LIF/IF), ending with neurons")
    pairs = []
    for (wname, wnode), (nname, nnode) in zip(body[0::2], body[1::2]):
        if not isinstance(wnode, (nir.Linear, nir.Affine)):
            raise ValueError(f"{where}: node {wname!r} ({type(wnode).__name__}): expected a Linear or Affine node "
                             f"here (the chain alternates weights and neurons)")
        if not isinstance(nnode, (nir.LIF, nir.IF)):
            raise ValueError(f"{where}: node {nname!r} ({type(nnode).__name__}): expected a LIF or IF node after "
                             f"the weights {wname!r}")
        pairs.append((wname, wnode, nname, nnode))

    # weights and shapes
    sizes = [_io_size(chain[0][0], chain[0][1], "input", where)]
    weights, biases = [], []
    for wname, wnode, nname, nnode in pairs:
        w = _matrix(wnode, "weight", wname, where, 2)
        if w.shape[1] != sizes[-1]:
            raise ValueError(f"{where}: node {wname!r} ({type(wnode).__name__}): weight has shape {list(w.shape)} "
                             f"but its input has {sizes[-1]} neurons (shape mismatch)")
        b = None
        if isinstance(wnode, nir.Affine):
            b = _matrix(wnode, "bias", wname, where, 1)
            _check(b.shape == (w.shape[0],), f"{where}: node {wname!r} (Affine): bias has shape {list(b.shape)}, "
                                             f"the weight {list(w.shape)} needs [{w.shape[0]}]")
        sizes.append(w.shape[0])
        weights.append(w)
        biases.append(b)
    out_name, out_node = chain[-1]
    n_out = _io_size(out_name, out_node, "output", where)
    _check(n_out == sizes[-1], f"{where}: node {out_name!r} (Output): shape [{n_out}] but the last layer has "
                               f"{sizes[-1]} neurons (shape mismatch)")

    # neurons: decay, input scale and threshold per layer
    alphas, scales, thresholds = [], [], []
    for (wname, wnode, nname, nnode), n in zip(pairs, sizes[1:]):
        kind = type(nnode).__name__
        tag = f"{where}: node {nname!r} ({kind})"
        r = _param(nnode, "r", n, nname, where)
        v_th = _param(nnode, "v_threshold", n, nname, where)
        v_reset = _param(nnode, "v_reset", n, nname, where)
        _check(bool(np.isfinite(v_th).all() and (v_th > 0).all()), f"{tag}: v_threshold must be finite and > 0, "
                                                                    f"got {np.unique(v_th)[:4].tolist()}")
        _check(bool((v_reset == 0).all()), f"{tag}: v_reset must be 0 (the spec resets to 0 or by subtraction), got "
                                           f"{np.unique(v_reset)[:4].tolist()}")
        if isinstance(nnode, nir.IF):
            _check(bool(np.isfinite(r).all()), f"{tag}: r must be finite, got {np.unique(r)[:4].tolist()}")
            alphas.append(0.0)
            scales.append(None if (r == 1).all() else r.astype(np.float64))
        else:
            tau = _param(nnode, "tau", n, nname, where)
            v_leak = _param(nnode, "v_leak", n, nname, where)
            _check(bool((v_leak == 0).all()), f"{tag}: v_leak must be 0 (the spec's membrane rests at 0), got "
                                              f"{np.unique(v_leak)[:4].tolist()}")
            _check(bool((tau > 0).all()), f"{tag}: tau must be > 0, got {np.unique(tau)[:4].tolist()}")
            taus = np.unique(tau)
            _check(len(taus) == 1, f"{tag}: its neurons have {len(taus)} different time constants tau "
                                   f"({taus[:4].tolist()}...); a spikesynth network has one neuron (one decay) "
                                   f"for all its layers")
            alpha, scale = _decay_and_scale(conv, taus[:1], r, dt, meta_dt, meta_alpha, meta_spec, tag,
                                            notes)
            alphas.append(alpha)
            scales.append(scale)
        thresholds.append(v_th.astype(np.float64))
        if not np.isfinite(alphas[-1]) or not 0.0 <= alphas[-1] < 1.0:
            raise ValueError(f"{tag}: its per-step leak alpha = {alphas[-1]!r} is outside the spec's [0, 1)")
    for (_, _, nname, nnode), a in zip(pairs[1:], alphas[1:]):
        if a != alphas[0]:
            raise ValueError(f"{where}: node {nname!r} ({type(nnode).__name__}): its per-step leak alpha = {a!r} "
                             f"differs from node {pairs[0][2]!r}'s {alphas[0]!r}; a spikesynth network has one "
                             f"neuron for all its layers")
    alpha = alphas[0]

    # thresholds: one value, or powers of two apart (folded exactly into each neuron's membrane)
    counts = Counter(float(v) for th in thresholds for v in th)
    v_th = max(counts, key=lambda v: (counts[v], v))
    folds = []
    for (_, _, nname, nnode), th in zip(pairs, thresholds):
        f = np.ones_like(th)
        for v in np.unique(th):
            factor = _pow2_factor(v_th, float(v))
            if factor is None:
                raise ValueError(f"{where}: node {nname!r} ({type(nnode).__name__}): threshold {float(v)!r} differs "
                                 f"from the network's {v_th!r} by a factor that is not a power of two; a spikesynth "
                                 f"network has one threshold, and only power-of-two ratios fold exactly (by "
                                 f"scaling the neuron's weights, bias and membrane)")
            f[th == v] = factor
        folds.append(None if (f == 1).all() else f)
    if any(f is not None for f in folds):
        notes.append(f"thresholds that differ by powers of two folded into the weights and biases (v_th = {v_th!r}; "
                     f"spikes exact, those neurons' membrane potentials scaled by the same power of two)")

    # the rule
    reset_given = reset is not None or reset_timing is not None
    if meta_spec is not None:
        base = meta_spec.neuron
        rule = dict(threshold_test=base.threshold_test, clip=base.clip, decay_form=base.decay_form,
                    reset=base.reset, reset_timing=base.reset_timing)
    else:
        rule = dict(threshold_test=conv.threshold_test, clip=conv.clip, reset=conv.reset,
                    reset_timing=conv.reset_timing,
                    decay_form=conv.decay_form)
    if reset is not None:
        rule["reset"] = check_choice(reset, "reset", ("zero", "subtract"))
    if reset_timing is not None:
        rule["reset_timing"] = check_choice(reset_timing, "reset_timing", ("same", "next"))
    if reset_given and meta_spec is not None:
        notes.append(f"reset {rule['reset']} / {rule['reset_timing']} given, the exported spec has "
                     f"{meta_spec.neuron.reset} / {meta_spec.neuron.reset_timing}")
    if convention == "snntorch" and rule["reset"] == "subtract" and rule["reset_timing"] == "same":
        notes.append("inexact: snntorch reset_delay=False with reset by subtraction: the same spikes only while no "
                     "pre-reset membrane exceeds 2 v_th (beyond it snntorch subtracts again at the next step, which "
                     "no spec describes; see NeuronSpec)")
    neuron = NeuronSpec(alpha=alpha, v_th=v_th, **rule)

    # weights: input scale and threshold folds into the rows; one dtype for all
    has_bias = any(b is not None and bool((b != 0).any()) for b in biases) or bool(meta_spec and meta_spec.bias)
    folded = any(s is not None for s in scales) or any(f is not None for f in folds)
    dtype = np.float64 if folded else np.result_type(*weights, *[b for b in biases if b is not None and has_bias])
    out_w, out_b = [], []
    for (wname, _, nname, nnode), w, b, scale, f in zip(pairs, weights, biases, scales, folds):
        w = w.astype(dtype)
        b = np.zeros(w.shape[0], dtype) if b is None else b.astype(dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            if scale is not None:
                w, b = w * scale[:, None], b * scale
            if f is not None:
                w, b = w * f[:, None], b * f
        _check(bool(np.isfinite(w).all() and np.isfinite(b).all()),
               f"{where}: node {nname!r} ({type(nnode).__name__}): its input scale or threshold fold overflows the "
               f"weights of node {wname!r} (a product beyond float64's range)")
        out_w.append(torch.from_numpy(np.ascontiguousarray(w)))
        out_b.append(torch.from_numpy(np.ascontiguousarray(b)))
    if any(s is not None for s in scales):
        notes.append("inexact: per-step input scales other than 1 folded into the weights and biases (each "
                     "product rounded once in float64; the framework scales the summed input instead)")
    if not has_bias and any(b is not None for b in biases):
        notes.append("Affine biases that are all 0 read as no bias")

    if steps is None:
        steps = meta_spec.steps if meta_spec is not None else DEFAULT_STEPS
    steps = check_int(steps, "steps", 1)
    if meta_spec is not None:
        encoder = meta_spec.encoder
    else:
        encoder = EncoderSpec("poisson", {"max_rate": full_rate(dt)})
    spec = NetworkSpec(sizes=tuple(sizes), neuron=neuron, dt=dt, steps=steps, encoder=encoder, bias=has_bias)
    return Imported(spec=spec, weights=out_w, biases=out_b if has_bias else None,
                    exact=not any(n.startswith("inexact") for n in notes), notes=notes,
                    nodes=[(p[0], p[2]) for p in pairs], convention=convention)


def _decay_and_scale(conv: Convention, tau: np.ndarray, r: np.ndarray, dt: float, meta_dt: float | None,
                     meta_alpha: float | None, meta_spec: NetworkSpec | None, tag: str, notes: list):
    """The per-step leak alpha (float64) of a LIF node with time constant ``tau`` (1 element, the
    file's dtype) and its per-neuron input scale (None where exactly 1), under ``conv``; meta_dt,
    meta_alpha: the spikesynth metadata's checked step and alpha (with ``meta_spec``)."""
    dtype = _float_dtype(tau)
    t = tau.astype(dtype)[0]
    r = r.astype(_float_dtype(r))
    if conv.name == "snntorch":
        guess = (1 - SNNTORCH_DT / np.array([t], dtype=dtype))[0]   # snntorch's import_from_nir formula
        beta, n = recover(_snntorch_tau, np.array([t], dtype=dtype), guess)
        _note_recovery(n, f"{tag}: beta", float(beta), notes, "1e-4 / (1 - beta)")
        beta = float(beta)
        _check(0.0 <= beta <= 1.0, f"{tag}: tau = {float(t)!r} gives beta = {beta!r}, outside snntorch's [0, 1]")
        alpha = 1.0 - beta
        if 1.0 - alpha != beta:
            notes.append(f"inexact: {tag}: beta = {beta!r} is not 1 - alpha for any float64 alpha (a float64 beta "
                         f"below 0.5 with its last bit set); decay {1.0 - alpha!r} used")
        with np.errstate(divide="ignore", invalid="ignore"):
            as_exported = r == (np.array([t], dtype=dtype) / SNNTORCH_DT).astype(dtype)   # r = tau / 1e-4
            scale = r.astype(np.float64) * SNNTORCH_DT / float(t)
        return alpha, None if as_exported.all() else np.where(as_exported, 1.0, scale)
    if conv.name == "norse":
        guess = (dt / torch.from_numpy(np.array([t], dtype=dtype))).numpy()[0]
        tmi, n = recover(_norse_tau(dt), np.array([t], dtype=dtype), guess)
        _note_recovery(n, f"{tag}: tau_mem_inv", float(tmi), notes, f"{dt!r} / tau_mem_inv")
        alpha = _norse_alpha(dt, tmi)
        scale = alpha * r.astype(np.float64)
        return alpha, scale
    # spikesynth: the metadata's exact alpha when tau is what the export wrote for it
    decay_form = meta_spec.neuron.decay_form if meta_spec is not None else "linear"
    tau_dt = meta_dt if meta_spec is not None else dt

    def forward(a: np.ndarray) -> np.ndarray:
        try:
            return np.array([NeuronSpec(alpha=float(a[0]), decay_form=decay_form).tau(tau_dt)], dtype=np.float64)
        except ValueError:      # alpha outside [0, 1)
            return np.array([np.nan])

    alpha = None
    if meta_spec is not None:
        if 0.0 < meta_alpha < 1.0 and forward(np.array([meta_alpha]))[0] == float(t):
            alpha = meta_alpha
        else:
            notes.append(f"{tag}: tau = {float(t)!r} is not what the export wrote for the metadata's alpha "
                         f"{meta_alpha!r}: alpha recovered from tau")
    if alpha is None:
        guess = tau_dt / float(t) if decay_form == "linear" else -math.expm1(-tau_dt / float(t))
        _check(0.0 <= guess < 1.0, f"{tag}: tau = {float(t)!r} at dt = {tau_dt!r} s gives a per-step leak alpha = "
                                   f"{guess!r}, outside the spec's [0, 1) (is dt right?)")
        a, n = recover(forward, np.array([float(t)]), guess)
        _note_recovery(n, f"{tag}: alpha", float(a), notes, f"tau({tau_dt!r} s, {decay_form})")
        alpha = float(a)
    as_exported = r == np.float64(1.0) / alpha          # r = 1 / alpha
    return alpha, None if as_exported.all() else np.where(as_exported, 1.0, r.astype(np.float64) * alpha)


def _note_recovery(n: int, what: str, value: float, notes: list, formula: str) -> None:
    if n == 0:
        notes.append(f"inexact: {what} = {value!r}: no float gives the file's tau as {formula} (not written by this "
                     f"convention's exporter?); the framework's own import formula used")
    elif n > 1:
        notes.append(f"inexact: {what} = {value!r}: {n} floats give the file's tau as {formula}; the shortest "
                     f"decimal taken (the others differ from it by ulps)")


def import_nir(path: str | os.PathLike, out: str | os.PathLike, convention: str, dt: float | None = None,
               reset: str | None = None, reset_timing: str | None = None, steps: int | None = None) -> Imported:
    """Read the NIR file ``path`` under ``convention`` (``from_nir``) and write the model file
    ``out`` (``models.io.save_model``, atomic; the output path, which must end in
    ``.safetensors``, is checked first, and nothing is written when the graph is refused).
    Returns the ``Imported``."""
    out = check_output_file(out, "model output file", MODEL_FORMATS)
    imported = from_nir(path, convention, dt=dt, reset=reset, reset_timing=reset_timing, steps=steps,
                        source=str(path))
    save_model(out, imported.spec, imported.weights, kind="snn", extra=imported.extra(Path(path).name),
               biases=imported.biases)
    return imported


def describe(imported: Imported) -> str:
    """A few lines on an ``Imported`` for the CLI."""
    s, n = imported.spec, imported.spec.neuron
    lines = [f"sizes {list(s.sizes)}, dt {s.dt!r} s, steps {s.steps}, bias {str(s.bias).lower()}",
             f"neuron: alpha {n.alpha!r} (decay {n.decay!r}), v_th {n.v_th!r}, test {n.threshold_test}, "
             f"reset {n.reset} ({n.reset_timing}), clip {str(n.clip).lower()}",
             f"exact: {str(imported.exact).lower()}"]
    return "\n".join(lines + [f"note: {note}" for note in imported.notes])


"""The NIR bridge (models.nir_bridge) and ``spikesynth nir`` (skipped without nir): export then
import gives the same spec and weights bit for bit; the graph nir.read gives back holds the spec's
parameters; the exact recovery of a framework's decay float; per-neuron input scales folded;
and every graph the spec cannot carry refused with an error naming the file and the node,
nothing written."""

import dataclasses
import math

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")
h5py = pytest.importorskip("h5py")

from models.io import load_model, save_model  # noqa: E402
from models.nir_bridge import (METADATA_KEYS, SNNTORCH_DT, _norse_tau, _snntorch_tau, export_nir,  # noqa: E402
                               from_nir, import_nir, read_nir, recover, to_nir_graph)
from models.spec import EncoderSpec, NetworkSpec, NeuronSpec  # noqa: E402
from models.torch_snn import SpikingNetwork, init_weights  # noqa: E402
from training.cli import main  # noqa: E402

F64 = torch.float64
SPECS = {
    "paper": NetworkSpec(sizes=(12, 7, 12), steps=9),
    "bias-subtract-next": NetworkSpec(sizes=(10, 8, 6, 4), neuron=NeuronSpec(alpha=0.3, v_th=0.75, reset="subtract",
                                                                              reset_timing="next", clip=False,
                                                                              threshold_test=">"),
                                      dt=5e-4, steps=20, bias=True,
                                      encoder=EncoderSpec("poisson", {"max_rate": 123.0})),
    "exp-decay": NetworkSpec(sizes=(5, 3), neuron=NeuronSpec(alpha=0.0951, decay_form="exp"), dt=2e-3, steps=4),
    "if": NetworkSpec(sizes=(6, 4, 2), neuron=NeuronSpec(alpha=0.0, v_th=2.5), steps=5, bias=True),
}


def model(spec, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    weights = [w.to(dtype) for w in init_weights(spec, g, scale=0.7)]
    biases = [(torch.rand(s, generator=g, dtype=F64) * 0.2 - 0.05).to(dtype) for s in spec.bias_shapes()] or None
    return weights, biases


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_export_import_round_trip_is_bit_for_bit(tmp_path, name, dtype):
    spec = SPECS[name]
    weights, biases = model(spec, dtype=dtype)
    path = export_nir(tmp_path / "net.nir", spec, weights, biases)
    graph = nir.read(path)                           # nir's own reader, with its type inference
    names = list(graph.nodes)
    kinds = [type(graph.nodes[n]).__name__ for n in ["input"] + [e[1] for e in graph.edges]]
    layer = ("Affine" if spec.bias else "Linear", "IF" if spec.neuron.alpha == 0 else "LIF")
    assert kinds == ["Input", *layer * spec.n_layers, "Output"] and len(names) == len(kinds)
    assert set(graph.metadata) == set(METADATA_KEYS)
    for i in range(spec.n_layers):                   # the graph's parameters are the spec's
        node = graph.nodes[f"{'if' if spec.neuron.alpha == 0 else 'lif'}{i + 1}"]
        n = spec.sizes[i + 1]
        assert np.array_equal(node.v_threshold, np.full(n, spec.neuron.v_th))
        if spec.neuron.alpha:
            assert np.array_equal(node.tau, np.full(n, spec.neuron.tau(spec.dt)))
            assert np.array_equal(node.r, np.full(n, 1 / spec.neuron.alpha))   # alpha * r: input scale 1
        fc = graph.nodes[f"fc{i + 1}"]
        assert fc.weight.dtype == np.dtype(str(dtype).removeprefix("torch."))
        assert np.array_equal(fc.weight, weights[i].numpy())
    imported = from_nir(path, "spikesynth")
    assert imported.spec == spec and imported.exact and not imported.notes
    assert all(a.dtype == b.dtype and torch.equal(a, b) for a, b in zip(imported.weights, weights))
    assert (imported.biases is None) == (biases is None)
    assert all(a.dtype == b.dtype and torch.equal(a, b) for a, b in zip(imported.biases or [], biases or []))


@pytest.mark.parametrize("name", ["paper", "exp-decay"])
def test_export_for_another_time_step_keeps_the_spec(tmp_path, name):
    spec = SPECS[name]
    weights, _ = model(spec)
    path = export_nir(tmp_path / "net.nir", spec, weights, dt=SNNTORCH_DT)
    graph = nir.read(path)
    assert graph.metadata["dt"] == SNNTORCH_DT
    if name == "paper":   # tau = dt / alpha for the linear decay
        assert np.array_equal(graph.nodes["lif1"].tau, np.full(7, SNNTORCH_DT / spec.neuron.alpha))
    assert from_nir(path, "spikesynth").spec == spec
    assert from_nir(path, "spikesynth", dt=2e-3).spec == spec.with_(dt=2e-3)   # --dt: the step; alpha stays


def test_a_graph_without_metadata_reads_nir_semantics(tmp_path):
    # a graph from elsewhere (no spikesynth metadata): alpha = dt / tau at the given dt, NIR's '>'
    # and reset to v_reset = 0, no clip; the alpha exported is recovered exactly
    spec = NetworkSpec(sizes=(8, 6, 4), neuron=NeuronSpec(alpha=0.07, clip=False), dt=1e-3, steps=11)
    weights, _ = model(spec)
    graph = to_nir_graph(spec, weights)
    graph.metadata = {}
    with pytest.raises(ValueError, match="needs the time step dt"):
        from_nir(graph, "spikesynth")
    imported = from_nir(graph, "spikesynth", dt=1e-3)
    n = imported.spec.neuron
    assert n.alpha == 0.07 and (n.threshold_test, n.reset, n.reset_timing, n.clip) == (">", "zero", "same", False)
    assert imported.spec.steps == 100 and imported.spec.encoder == EncoderSpec("poisson", {"max_rate": 1000.0})
    assert all(torch.equal(a, b) for a, b in zip(imported.weights, weights))
    # the exported network and the imported one: the same spikes ('>' against '>=': ties only)
    x = (torch.rand(15, 5, 8, generator=torch.Generator().manual_seed(1)) < 0.5).to(F64)
    a = SpikingNetwork(spec, weights, dtype=F64)(x).spikes
    b = SpikingNetwork(imported.spec, imported.weights, dtype=F64)(x).spikes
    assert all(torch.equal(u, v) for u, v in zip(a, b)) and float(a[-1].mean()) > 0.02


def test_recover_finds_the_float_the_framework_held():
    # snntorch writes tau = 1e-4 / (1 - beta) in beta's dtype: every beta typed by hand (and every
    # float32 one run in float64) comes back as that float; a learned beta in [0.5, 1) too
    rng = np.random.default_rng(0)
    typed = [k / 100 for k in range(1, 100)] + [0.995, 0.999, 0.9999]
    for dtype in (np.float32, np.float64):
        betas = [dtype(b) for b in typed] + list(rng.uniform(0.5, 1.0, 300).astype(dtype))
        for beta in betas:
            tau = _snntorch_tau(np.array([beta], dtype))
            x, n = recover(_snntorch_tau, tau, (1 - SNNTORCH_DT / tau)[0])
            assert x == beta and x.dtype == dtype and n >= 1
    for beta in (np.float64(np.float32(b)) for b in typed):   # .double() of a float32 snntorch model
        tau = _snntorch_tau(np.array([beta]))
        x, _ = recover(_snntorch_tau, tau, (1 - SNNTORCH_DT / tau)[0])
        assert x == beta
    # below 0.5, 1 - beta rounds: several betas give one tau, the file cannot tell them apart
    beta = np.float32(0.0123456)
    tau = _snntorch_tau(np.array([beta], np.float32))
    x, n = recover(_snntorch_tau, tau, (1 - SNNTORCH_DT / tau)[0])
    assert n > 1 and _snntorch_tau(np.array([x], np.float32))[0] == tau[0]
    # norse writes tau = dt / tau_mem_inv (torch: reciprocal, then times dt)
    forward = _norse_tau(1e-3)
    for tmi in (10.0, 50.0, 100.0, 1 / 0.015, 333.3, 1234.5678):
        for dtype in (np.float32, np.float64):
            t = np.array([tmi], dtype)
            x, n = recover(forward, forward(t), (1e-3 / torch.from_numpy(forward(t))).numpy()[0])
            assert x == t[0]
    # a tau no float gives: the framework's own import formula, n = 0
    assert recover(_snntorch_tau, np.array([np.nan]), 0.25)[1] == 0


def _lif(n, tau=0.01, r=None, v_th=1.0, **kw):
    r = np.full(n, tau / 1e-3) if r is None else r
    args = dict(tau=np.full(n, tau), r=r, v_leak=np.zeros(n), v_threshold=np.full(n, v_th), v_reset=np.zeros(n))
    args.update(kw)
    return nir.LIF(**args)


def _graph(nodes, edges=None, type_check=False):
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])) if edges is None else edges,
                        type_check=type_check)


def _chain(n_in=4, n_hidden=3, n_out=2, **lif):
    g = np.random.default_rng(0)
    return {"input": nir.Input(np.array([n_in])), "fc1": nir.Linear(g.normal(size=(n_hidden, n_in))),
            "lif1": _lif(n_hidden, **lif), "fc2": nir.Linear(g.normal(size=(n_out, n_hidden))),
            "lif2": _lif(n_out, **lif), "output": nir.Output(np.array([n_out]))}


def test_per_neuron_input_scales_fold_into_the_rows():
    # r that differs per neuron (NIR's input scale alpha * r): each neuron's row of W scaled
    nodes = _chain()
    r = np.array([10.0, 20.0, 5.0])              # alpha = dt / tau = 0.1: scales 1, 2, 0.5
    nodes["lif1"] = _lif(3, r=r)
    imported = from_nir(_graph(nodes), "spikesynth", dt=1e-3)
    assert imported.spec.neuron.alpha == pytest.approx(0.1, abs=0)
    scale = torch.tensor(r * imported.spec.neuron.alpha)
    w = torch.from_numpy(nodes["fc1"].weight)
    assert torch.equal(imported.weights[0], w * scale[:, None])
    assert torch.equal(imported.weights[1], torch.from_numpy(nodes["fc2"].weight))


def test_int_and_one_element_parameters(tmp_path):
    nodes = _chain()
    nodes["lif1"] = nir.LIF(tau=np.array([0.01]), r=np.array([10.0]), v_leak=np.array([0]),
                            v_threshold=np.array([1]), v_reset=np.array([0.0]))
    imported = from_nir(_graph(nodes), "spikesynth", dt=1e-3)
    assert imported.spec.sizes == (4, 3, 2)


# --- refusals: each names the file and the node, nothing written ----------------------------------

def _write(path, graph, compression="gzip"):
    nir.write(path, graph, compression=compression)
    return path


def _refused(tmp_path, graph_or_file, match, convention="spikesynth", extra=()):
    path = graph_or_file if not isinstance(graph_or_file, nir.NIRGraph) else \
        _write(tmp_path / "bad.nir", graph_or_file, compression=None)
    out = tmp_path / "out.safetensors"
    with pytest.raises(ValueError, match=match) as info:
        import_nir(path, out, convention, dt=1e-3)
    assert str(path) in str(info.value) and not out.exists()
    assert main(["nir", "import", str(path), "--convention", convention, "--dt", "1e-3", "--out", str(out),
                 *extra]) == 1
    assert not out.exists() and not list(tmp_path.glob(".out.safetensors.*"))


def test_refuses_recurrence(tmp_path, capsys):
    nodes = _chain()
    names = list(nodes)
    edges = list(zip(names, names[1:])) + [("lif1", "fc1")]
    _refused(tmp_path, _graph(nodes, edges), r"node 'fc1' \(Linear\) has 2 incoming edges")
    nodes = _chain(n_hidden=3, n_out=3)
    nodes["fc2"] = nir.Linear(np.eye(3))
    edges = list(zip(names, names[1:])) + [("lif1", "lif2")]
    _refused(tmp_path, _graph(nodes, edges), r"node 'lif1' \(LIF\) has 2 outgoing edges")
    nodes = _chain()
    nodes["fc9"], nodes["lif9"] = nir.Linear(np.eye(3)), _lif(3)
    edges = list(zip(names, names[1:])) + [("fc9", "lif9"), ("lif9", "fc9")]
    _refused(tmp_path, _graph(nodes, edges), r"node 'fc9' \(Linear\) is not on the chain")
    sub = _graph({"input": nir.Input(np.array([3])), "lif": _lif(3), "output": nir.Output(np.array([3]))})
    nodes = _chain()
    nodes["lif1"] = sub
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(NIRGraph\): a subgraph .* recurrent")
    assert "bad.nir" in capsys.readouterr().err


def test_refuses_other_nodes(tmp_path):
    nodes = _chain()
    nodes["fc1"] = nir.Conv1d(input_shape=4, weight=np.ones((3, 1, 2)), stride=1, padding=0, dilation=1, groups=1,
                              bias=np.zeros(3))
    _refused(tmp_path, _graph(nodes), r"node 'fc1' \(Conv1d\): convolutions")
    nodes = _chain()
    nodes["lif1"] = nir.CubaLIF(tau_syn=np.full(3, 0.005), tau_mem=np.full(3, 0.01), r=np.full(3, 10.0),
                                v_leak=np.zeros(3), v_threshold=np.ones(3))
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(CubaLIF\): .*synaptic current")
    nodes = _chain()
    nodes["lif1"] = nir.LI(tau=np.full(3, 0.01), r=np.full(3, 10.0), v_leak=np.zeros(3))
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LI\)")
    # an unknown node type in the file: nir cannot build it
    path = _write(tmp_path / "unknown.nir", _graph(_chain()))
    with h5py.File(path, "r+") as f:
        del f["node/nodes/lif2/type"]
        f["node/nodes/lif2"].create_dataset("type", data="QuantumLIF", dtype=h5py.string_dtype())
    _refused(tmp_path, path, r"node 'lif2' \(type 'QuantumLIF'\) cannot be read")


def test_refuses_bad_structure(tmp_path):
    nodes = _chain()
    nodes["fc2"] = nir.Linear(np.ones((2, 5)))
    _refused(tmp_path, _graph(nodes), r"node 'fc2' \(Linear\): weight has shape \[2, 5\] but its input has 3")
    nodes = _chain()
    nodes["output"] = nir.Output(np.array([3]))
    _refused(tmp_path, _graph(nodes), r"node 'output' \(Output\): shape \[3\] but the last layer has 2")
    nodes = dict(_chain())
    nodes["input2"] = nir.Input(np.array([4]))
    names = [n for n in nodes if n != "input2"]
    _refused(tmp_path, _graph(nodes, list(zip(names, names[1:])) + [("input2", "fc1")]),
             r"exactly one Input node, found 2")
    nodes = _chain()
    order = ["input", "fc1", "fc2", "lif1", "lif2", "output"]
    _refused(tmp_path, _graph({k: nodes[k] for k in order}), r"node 'fc2' \(Linear\): expected a LIF or IF")
    nodes = _chain()
    nodes = {k: nodes[k] for k in ("input", "fc1", "lif1", "fc2", "output")}
    _refused(tmp_path, _graph(nodes), r"node 'fc2' \(Linear\): the chain must alternate")
    nodes = _chain()
    nodes["input"] = nir.Input(np.array([2, 2]))
    _refused(tmp_path, _graph(nodes), r"node 'input' \(Input\): shape \[2, 2\] is not a 1-D layer")
    nodes = _chain()
    _refused(tmp_path, _graph(nodes, [("input", "fc1"), ("fc1", "lif1"), ("fc2", "lif2"), ("lif2", "output")]),
             r"ends at node 'lif1'")


def test_refuses_bad_parameters(tmp_path):
    nodes = _chain()
    tau = np.full(3, 0.01)
    tau[1] = np.nan
    nodes["lif1"] = _lif(3, tau=0.01)
    nodes["lif1"].tau = tau
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): tau contains NaN")
    nodes = _chain()
    nodes["lif2"].v_threshold = np.ones(3)
    _refused(tmp_path, _graph(nodes), r"node 'lif2' \(type 'LIF'\) cannot be read .*same shape")
    with pytest.raises(ValueError, match=r"node 'lif2' \(LIF\): v_threshold has shape \[3\]; the layer has 2"):
        from_nir(_graph(nodes), "spikesynth", dt=1e-3)     # in memory: nir's constructor check bypassed
    nodes = _chain()
    for attr in ("tau", "r", "v_leak", "v_threshold", "v_reset"):
        setattr(nodes["lif2"], attr, np.full((2, 1), getattr(nodes["lif2"], attr)[0]))
    _refused(tmp_path, _graph(nodes), r"node 'lif2' \(LIF\): r has shape \[2, 1\]")
    nodes = _chain()
    nodes["fc1"].weight[0, 0] = np.inf
    _refused(tmp_path, _graph(nodes), r"node 'fc1' \(Linear\): weight contains NaN or infinite")
    nodes = _chain()
    nodes["lif1"].tau = np.array([0.01, 0.02, 0.01])
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): its neurons have 2 different time constants")
    nodes = _chain()
    nodes["lif2"].tau = np.full(2, 0.02)
    _refused(tmp_path, _graph(nodes), r"node 'lif2' \(LIF\): its per-step leak alpha .* differs from node 'lif1'")
    nodes = _chain()
    nodes["lif1"].v_leak = np.full(3, 0.1)
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): v_leak must be 0")
    nodes = _chain()
    nodes["lif1"].v_reset = np.full(3, -0.5)
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): v_reset must be 0")
    nodes = _chain()
    nodes["lif1"].v_threshold = np.array([1.0, 1.0, 3.0])
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): threshold 3.0 .* not a power of two")
    nodes = _chain()
    nodes["lif1"].tau = np.full(3, 1e-3)       # alpha = dt / tau = 1: outside [0, 1)
    nodes["lif2"].tau = np.full(2, 1e-3)
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): tau = 0.001 at dt = 0.001 s gives a per-step leak alpha = 1.0, outside")


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_refuses_infinite_neuron_parameters_naming_the_node(tmp_path):
    # checked per node before anything is derived: no RuntimeWarning, no message about a later symptom
    for attr in ("r", "tau", "v_threshold", "v_leak", "v_reset"):
        nodes = _chain()
        value = getattr(nodes["lif1"], attr).copy()
        value[0] = np.inf
        setattr(nodes["lif1"], attr, value)
        _refused(tmp_path, _graph(nodes), rf"node 'lif1' \(LIF\): {attr} is infinite")
    nodes = _chain()
    nodes["lif1"] = nir.IF(r=np.full(3, -np.inf), v_threshold=np.ones(3), v_reset=np.zeros(3))
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(IF\): r is infinite")
    for convention in ("snntorch", "norse"):
        nodes = _chain()
        nodes["lif2"].tau = np.full(2, np.inf)
        _refused(tmp_path, _graph(nodes), r"node 'lif2' \(LIF\): tau is infinite", convention=convention)
    # a finite input scale whose fold into the weights overflows float64
    nodes = _chain()
    nodes["fc1"].weight = nodes["fc1"].weight * 1e10
    nodes["lif1"].r = np.full(3, 1e300)
    _refused(tmp_path, _graph(nodes), r"node 'lif1' \(LIF\): its input scale or threshold fold overflows the "
                                      r"weights of node 'fc1'")


def _with_metadata(tmp_path, **changes):
    """A graph spikesynth exported, its metadata changed (None: the key removed)."""
    spec = SPECS["paper"]
    graph = to_nir_graph(spec, model(spec)[0])
    for key, value in changes.items():
        if value is None:
            del graph.metadata[key]
        else:
            graph.metadata[key] = value
    return _write(tmp_path / "meta.nir", graph, compression=None)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("key, value", [
    ("dt", 0.0), ("dt", -1.0), ("dt", np.nan), ("dt", np.inf), ("dt", "abc"), ("dt", np.array([1e-3, 2e-3])),
    ("alpha", "abc"), ("alpha", np.array([0.1, 0.2])), ("alpha", np.nan), ("alpha", 1.5), ("alpha", -0.1),
], ids=lambda v: repr(v)[:20])
def test_refuses_bad_metadata_numbers_naming_the_key(tmp_path, capsys, key, value):
    # a metadata dt of 0 gave alpha 0 and all weights 0 with exit 0; arrays were a TypeError traceback
    path = _with_metadata(tmp_path, **{key: value})
    _refused(tmp_path, path, rf"the graph's metadata '{key}' must be a finite number")
    out = tmp_path / "m.safetensors"
    capsys.readouterr()
    assert main(["nir", "import", str(path), "--convention", "spikesynth", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and f"metadata '{key}'" in err and not out.exists()


def test_metadata_numbers_as_written_and_absent_are_read(tmp_path):
    spec = SPECS["paper"]
    imported = from_nir(_with_metadata(tmp_path, dt=np.float64(spec.dt), alpha=np.array(0.1)), "spikesynth")
    assert imported.spec == spec and imported.exact and not imported.notes
    imported = from_nir(_with_metadata(tmp_path, dt=None, alpha=None), "spikesynth")   # the spec's
    assert imported.spec == spec and imported.exact


def test_refuses_files_that_are_not_nir(tmp_path):
    junk = tmp_path / "junk.nir"
    junk.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    _refused(tmp_path, junk, "not a readable NIR")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("spikes", data=np.zeros(3))
    _refused(tmp_path, other, "not a NIR graph")
    dataset = tmp_path / "node_ds.nir"          # 'node' a dataset, not a group: was an AttributeError
    with h5py.File(dataset, "w") as f:
        f["node"] = 1
    _refused(tmp_path, dataset, r"not a NIR graph \(its 'node' is an HDF5 Dataset, not a group")
    with pytest.raises(FileNotFoundError):
        read_nir(tmp_path / "missing.nir")
    assert main(["nir", "import", str(tmp_path / "missing.nir"), "--convention", "norse", "--dt", "1e-3",
                 "--out", str(tmp_path / "o.safetensors")]) == 1


def test_missing_dt_is_refused_where_the_convention_needs_it(tmp_path, capsys):
    path = _write(tmp_path / "foreign.nir", _graph(_chain()))
    out = tmp_path / "m.safetensors"
    assert main(["nir", "import", str(path), "--convention", "norse", "--out", str(out)]) == 1
    assert "needs the time step" in capsys.readouterr().err and not out.exists()
    assert main(["nir", "import", str(path), "--convention", "spikesynth", "--out", str(out)]) == 1
    assert not out.exists()
    assert main(["nir", "import", str(path), "--convention", "snntorch", "--out", str(out)]) == 0  # dt 1e-3
    assert load_model(out)[0].dt == 1e-3


# --- the CLI --------------------------------------------------------------------------------

def test_cli_export_import_and_run(tmp_path, capsys):
    spec = SPECS["bias-subtract-next"]
    weights, biases = model(spec, seed=3)
    m = save_model(tmp_path / "m.safetensors", spec, weights, biases=biases)
    net = tmp_path / "net.nir"
    assert main(["nir", "export", "--model", str(m), "--out", str(net)]) == 0
    assert "wrote" in capsys.readouterr().out
    back = tmp_path / "back.safetensors"
    assert main(["nir", "import", str(net), "--convention", "spikesynth", "--out", str(back), "--json"]) == 0
    report = __import__("json").loads(capsys.readouterr().out)
    assert report["exact"] and report["spec"]["neuron"]["reset"] == "subtract"
    spec2, weights2, meta = load_model(back, kind="snn")
    assert spec2 == spec and all(torch.equal(a, b) for a, b in zip(weights, weights2))
    assert all(torch.equal(a, b) for a, b in zip(biases, meta["biases"]))
    assert meta["extra"]["nir"]["convention"] == "spikesynth" and meta["extra"]["nir"]["source"] == "net.nir"
    # --reset / --reset-timing override the metadata, said in the notes
    over = tmp_path / "over.safetensors"
    assert main(["nir", "import", str(net), "--convention", "spikesynth", "--reset", "zero", "--out", str(over)]) == 0
    assert load_model(over)[0].neuron.reset == "zero" and "given" in capsys.readouterr().out
    # a bad output location is refused before the work
    (tmp_path / "dir.nir").mkdir()
    assert main(["nir", "export", "--model", str(m), "--out", str(tmp_path / "dir.nir")]) == 1
    assert main(["nir"]) == 2


def test_output_suffixes_are_required(tmp_path, capsys):
    # nir import wrote safetensors into any name (x.txt); export writes .nir files only
    spec = SPECS["paper"]
    m = save_model(tmp_path / "m.safetensors", spec, model(spec)[0])
    net = export_nir(tmp_path / "net.nir", spec, model(spec)[0])
    capsys.readouterr()
    for out in ("x.txt", "x", "x.safetensors.tmp"):
        assert main(["nir", "import", str(net), "--convention", "spikesynth", "--out", str(tmp_path / out)]) == 1
        err = capsys.readouterr().err
        assert "--out" in err and ".safetensors" in err and not (tmp_path / out).exists()
        with pytest.raises(ValueError, match=r"must end in \.safetensors"):
            import_nir(net, tmp_path / out, "spikesynth")
    for out in ("x.h5", "x.safetensors"):
        assert main(["nir", "export", "--model", str(m), "--out", str(tmp_path / out)]) == 1
        err = capsys.readouterr().err
        assert "--out" in err and ".nir" in err and not (tmp_path / out).exists()
        with pytest.raises(ValueError, match=r"must end in \.nir"):
            export_nir(tmp_path / out, spec, model(spec)[0])
    assert main(["nir", "export", "--model", str(m), "--out", str(tmp_path / "UPPER.NIR")]) == 0


def test_imported_model_runs_in_brian2_like_the_mirror(tmp_path):
    from models.brian_snn import run_brian

    spec = dataclasses.replace(SPECS["bias-subtract-next"], steps=12)
    weights, biases = model(spec, seed=4)
    path = export_nir(tmp_path / "net.nir", spec, weights, biases)
    out = tmp_path / "m.safetensors"
    import_nir(path, out, "spikesynth")
    spec2, weights2, meta = load_model(out)
    x = (torch.rand(12, 4, spec.sizes[0], generator=torch.Generator().manual_seed(0)) < 0.5).to(F64)
    ref = SpikingNetwork(spec2, weights2, dtype=F64, biases=meta["biases"])(x)
    rec = run_brian(spec2, weights2, x, target="numpy", biases=meta["biases"], progress=False)
    assert all(torch.equal(rec.dense(i), s) for i, s in enumerate(ref.spikes))
    assert float(ref.spikes[-1].mean()) > 0.02 and math.isfinite(spec2.dt)


def test_outputs_that_are_inputs_or_in_a_running_trainings_folder_are_refused(tmp_path, capsys):
    from filelock import FileLock

    from models.files import LOCK_FILE

    spec = SPECS["paper"]
    m = save_model(tmp_path / "m.nir", spec, model(spec)[0])       # a model file under a .nir name
    before = m.read_bytes()
    capsys.readouterr()
    assert main(["nir", "export", "--model", str(m), "--out", str(m)]) == 1
    assert "is the input" in capsys.readouterr().err and m.read_bytes() == before
    busy = tmp_path / "training"
    busy.mkdir()
    net = export_nir(tmp_path / "net.nir", spec, model(spec)[0])
    with FileLock(busy / LOCK_FILE):          # a training writing there
        assert main(["nir", "import", str(net), "--convention", "spikesynth", "--out",
                     str(busy / "model.safetensors")]) == 1
    assert "another spikesynth run is writing" in capsys.readouterr().err
    assert not (busy / "model.safetensors").exists()
    assert main(["nir", "import", str(net), "--convention", "spikesynth", "--out", str(busy / "model.safetensors")]) == 0

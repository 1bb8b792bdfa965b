"""NIR against the real peers (skipped where snntorch, norse or nir is missing): networks of 2 and 3
weight layers built in snntorch 1.0 (``snn.Leaky``, both resets, with and without ``reset_delay``,
``nn.Linear`` with and without bias) and norse 1.1 (``LIFBoxCell``, both resets, norse's own
``Affine`` export), exported with each framework's own NIR export, imported by spikesynth and run
in Brian2 (numpy) and the mirror on the same input spikes: the same output spikes, every layer,
as the framework's own forward pass. Everything runs in float64, so that a different summation
order (nn.Linear's dense product against the mirror's sparse one, Brian2's synapse by synapse)
moves a membrane by ~1e-16 and cannot flip a spike; the weights are random (not dyadic).
And the way back: spikesynth exports imported by snntorch's ``import_from_nir`` and norse's
``from_nir``, with the differences they make pinned."""

import numpy as np
import pytest
import torch

nir = pytest.importorskip("nir")

from models.brian_snn import run_brian  # noqa: E402
from models.nir_bridge import export_nir, from_nir, read_nir  # noqa: E402
from models.spec import NetworkSpec, NeuronSpec  # noqa: E402
from models.torch_snn import SpikingNetwork  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:nirtorch.*")
F64 = torch.float64
STEPS, BATCH = 30, 6
SHAPES = {2: (24, 16, 10), 3: (24, 16, 12, 10)}


def input_spikes(n_in, seed=1, p=0.3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(STEPS, BATCH, n_in, generator=g, dtype=F64) < p).to(F64)


def linears(sizes, bias, seed, gain=1.0, cap=None):
    """float64 nn.Linear layers, random weights; cap: each row's positive inputs (bias included)
    sum to at most cap, so that one step's input never exceeds it."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for a, b in zip(sizes, sizes[1:]):
        lin = torch.nn.Linear(a, b, bias=bias).to(F64)
        with torch.no_grad():
            lin.weight.copy_((torch.rand(b, a, generator=g, dtype=F64) * 1.4 - 0.4) * gain / a ** 0.5)
            if bias:
                lin.bias.copy_((torch.rand(b, generator=g, dtype=F64) - 0.3) * 0.2 * gain)
            if cap is not None:
                pos = lin.weight.clamp(min=0).sum(1) + (lin.bias.clamp(min=0) if bias else 0)
                lin.weight.mul_((cap / pos).clamp(max=1)[:, None])
                if bias:
                    lin.bias.mul_((cap / pos).clamp(max=1))
        out.append(lin)
    return out


def mirror_and_brian(imported, x, brian):
    ref = SpikingNetwork(imported.spec, imported.weights, dtype=F64, biases=imported.biases)(x).spikes
    rec = run_brian(imported.spec, imported.weights, x, target="numpy", biases=imported.biases,
                    progress=False) if brian else None
    return ref, rec


def assert_same_spikes(framework, imported, x, brian):
    mirror, rec = mirror_and_brian(imported, x, brian)
    assert len(framework) == len(mirror) == imported.spec.n_layers
    for layer, (a, b) in enumerate(zip(framework, mirror)):
        assert a.dtype == F64 and torch.equal(a, b), f"layer {layer + 1}: mirror differs from the framework"
        assert 0.03 < float(a.mean()) < 0.7, f"layer {layer + 1} spikes too little or too much: {float(a.mean())}"
        if rec is not None:
            assert torch.equal(rec.dense(layer), a), f"layer {layer + 1}: Brian2 differs from the framework"


# --- snntorch -------------------------------------------------------------------------------

def _spike(x):
    # snntorch's spike functions compute (x > 0).float(): float32 spikes, which a float64 nn.Linear
    # refuses; this one has the same forward pass in the membrane's dtype
    return (x > 0).to(x.dtype)


def snntorch_net(sizes, reset, delay, bias, beta=0.9, threshold=1.0, seed=0, scalar=False, cap=None, gain=1.0):
    snn = pytest.importorskip("snntorch")
    layers = []
    for i, lin in enumerate(linears(sizes, bias, seed, gain=gain, cap=cap)):
        n = lin.out_features
        b = torch.as_tensor(beta) if scalar else torch.full((n,), beta)   # float32, as snntorch users make it
        if isinstance(threshold, list):   # per layer, per neuron
            th = threshold[i].to(torch.float32)
        else:
            th = torch.as_tensor(threshold) if scalar else torch.full((n,), threshold)
        layers += [lin, snn.Leaky(beta=b, threshold=th, spike_grad=_spike, init_hidden=True, reset_mechanism=reset,
                                  reset_delay=delay, output=i == len(sizes) - 2)]
    return torch.nn.Sequential(*layers).to(F64)


def run_snntorch(net, x):
    """Every Leaky layer's spikes ``[T, batch, N]`` from snntorch's own forward pass, step by step."""
    snn = pytest.importorskip("snntorch")
    from snntorch import utils

    utils.reset(net)
    leaky = [m for m in net if isinstance(m, snn.Leaky)]
    out = [[] for _ in leaky]
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: out[k].append(o[0] if isinstance(o, tuple) else o))
             for k, m in enumerate(leaky)]
    try:
        with torch.no_grad():
            for t in range(x.shape[0]):
                net(x[t])
    finally:
        for h in hooks:
            h.remove()
    return [torch.stack(s) for s in out]


def snntorch_export(net, n_in):
    pytest.importorskip("snntorch")
    from snntorch.export_nir import export_to_nir

    return export_to_nir(net, torch.zeros(n_in, dtype=F64))


CASES = [(depth, reset, delay, bias) for depth in (2, 3) for reset in ("subtract", "zero")
         for delay in (True, False) for bias in (True, False)]


@pytest.mark.parametrize("depth, reset, delay, bias", CASES,
                         ids=[f"{d}layers-{r}-{'delay' if dl else 'nodelay'}-{'bias' if b else 'nobias'}"
                              for d, r, dl, b in CASES])
def test_snntorch_export_runs_exactly(tmp_path, depth, reset, delay, bias):
    sizes = SHAPES[depth]
    # reset_delay=False with subtraction is the spec's rule while no pre-reset V exceeds 2 v_th
    # (NeuronSpec): a step's input is capped at v_th there
    cap = 1.0 if (reset, delay) == ("subtract", False) else None
    net = snntorch_net(sizes, reset, delay, bias, seed=depth * 10 + bias, cap=cap, gain=1.6 if cap else 1.0)
    path = tmp_path / "snntorch.nir"
    nir.write(path, snntorch_export(net, sizes[0]))
    imported = from_nir(path, "snntorch", reset=reset, reset_timing="next" if delay else "same")
    neuron = imported.spec.neuron
    assert neuron.decay == float(np.float32(0.9)) and neuron.alpha == 1 - float(np.float32(0.9))  # beta, exactly
    assert (neuron.threshold_test, neuron.clip, neuron.reset) == (">", False, reset)
    # exact in general, except subtraction without the delay: the same spikes only below 2 v_th (the cap)
    assert imported.spec.bias == bias and imported.exact == (cap is None)
    assert all(w.dtype == F64 for w in imported.weights)
    x = input_spikes(sizes[0])
    assert_same_spikes(run_snntorch(net, x), imported, x, brian=depth == (3 if bias else 2))


def test_snntorch_default_convention_is_its_default_leaky(tmp_path):
    # snn.Leaky's defaults: reset by subtraction, reset_delay=True; --convention snntorch without
    # --reset / --reset-timing reads it so
    sizes = SHAPES[2]
    net = snntorch_net(sizes, "subtract", True, False, beta=0.95, seed=3)
    imported = from_nir(snntorch_export(net, sizes[0]), "snntorch")
    assert (imported.spec.neuron.reset, imported.spec.neuron.reset_timing) == ("subtract", "next")
    assert imported.spec.neuron.decay == float(np.float32(0.95))
    x = input_spikes(sizes[0], seed=4)
    assert_same_spikes(run_snntorch(net, x), imported, x, brian=False)


def test_snntorch_scalar_parameters(tmp_path):
    # snntorch 1.0 writes a scalar beta/threshold as 0-d arrays: its export_to_nir then fails in
    # nir's type inference (snntorch issue 410) and nir.write needs compression=None; the graph
    # before that inference (what export_to_nir builds) imports like the per-neuron one
    snn = pytest.importorskip("snntorch")
    import nirtorch
    from snntorch.export_nir import _extract_snntorch_module, export_to_nir

    sizes = SHAPES[3]
    net = snntorch_net(sizes, "zero", True, True, scalar=True, seed=5)
    with pytest.raises(ValueError, match="type mismatch"):
        export_to_nir(net, torch.zeros(sizes[0], dtype=F64))
    graph = nirtorch.extract_nir_graph(net, _extract_snntorch_module, torch.zeros(sizes[0], dtype=F64),
                                       model_name="snntorch", ignore_submodules_of=[snn.RLeaky, snn.RSynaptic])
    assert np.asarray(graph.nodes["1"].tau).shape == ()
    path = tmp_path / "scalar.nir"
    nir.write(path, graph, compression=None)
    with pytest.raises(ValueError):
        nir.read(path)                                # nir's own type inference refuses it
    x = input_spikes(sizes[0], seed=6)
    framework = run_snntorch(net, x)
    for source in (graph, path):
        imported = from_nir(source, "snntorch", reset="zero")
        assert imported.spec.sizes == sizes
        assert_same_spikes(framework, imported, x, brian=source is path)


def test_snntorch_per_neuron_thresholds_fold_exactly(tmp_path):
    # thresholds that are powers of two apart fold into each neuron's weights and bias (its
    # membrane scaled by the same power of two): the spikes stay exact, both resets
    g = torch.Generator().manual_seed(7)
    th1 = torch.tensor([1.0, 2.0, 0.5, 4.0])[torch.randint(0, 4, (16,), generator=g)]
    th2 = torch.full((10,), 2.0)
    for reset in ("zero", "subtract"):
        sizes = SHAPES[2]
        net = snntorch_net(sizes, reset, True, True, threshold=[th1, th2], seed=8, gain=2.0)
        imported = from_nir(snntorch_export(net, sizes[0]), "snntorch", reset=reset)
        assert imported.spec.neuron.v_th == 2.0 and imported.exact
        assert any("powers of two" in note for note in imported.notes)
        x = input_spikes(sizes[0], seed=9)
        assert_same_spikes(run_snntorch(net, x), imported, x, brian=reset == "subtract")
    net = snntorch_net(SHAPES[2], "zero", True, False, threshold=[th1 * 1.5 ** (th1 > 1), th2], seed=8)
    with pytest.raises(ValueError, match=r"node '1' \(LIF\): threshold .* not a power of two"):
        from_nir(snntorch_export(net, SHAPES[2][0]), "snntorch")


def test_snntorch_refuses_per_neuron_betas_and_layers_that_differ():
    sizes = SHAPES[2]
    net = snntorch_net(sizes, "zero", True, False, seed=1)
    with torch.no_grad():
        net[1].beta[3] = 0.8
    with pytest.raises(ValueError, match=r"node '1' \(LIF\): its neurons have 2 different time constants"):
        from_nir(snntorch_export(net, sizes[0]), "snntorch")
    net = snntorch_net(sizes, "zero", True, False, seed=1)
    with torch.no_grad():
        net[3].beta.fill_(0.8)
    with pytest.raises(ValueError, match=r"node '3' \(LIF\): its per-step leak alpha .* differs from node '1'"):
        from_nir(snntorch_export(net, sizes[0]), "snntorch")


# --- norse ----------------------------------------------------------------------------------

def norse_net(sizes, reset, bias, tau_mem_inv=200.0, seed=0, gain=1.0):
    norse = pytest.importorskip("norse.torch")
    from norse.torch.functional.reset import reset_subtract, reset_value

    p = norse.LIFBoxParameters(tau_mem_inv=torch.tensor(tau_mem_inv, dtype=F64), v_leak=torch.tensor(0.0, dtype=F64),
                               v_th=torch.tensor(1.0, dtype=F64), v_reset=torch.tensor(0.0, dtype=F64),
                               reset_method=reset_subtract if reset == "subtract" else reset_value)
    layers = []
    for lin in linears(sizes, bias, seed, gain=gain):
        layers += [lin, norse.LIFBoxCell(p)]     # norse's input i: I = dt tau_mem_inv i per step
    return norse.SequentialState(*layers).to(F64)


def run_norse(net, x):
    norse = pytest.importorskip("norse.torch")
    cells = [m for m in net if isinstance(m, norse.LIFBoxCell)]
    out = [[] for _ in cells]
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: out[k].append(o[0])) for k, m in enumerate(cells)]
    state = None
    try:
        with torch.no_grad():
            for t in range(x.shape[0]):
                _, state = net(x[t], state)
    finally:
        for h in hooks:
            h.remove()
    return [torch.stack(s) for s in out]


def norse_export(net, n_in, dt=1e-3):
    pytest.importorskip("norse")
    from norse.torch.utils.export_nir import to_nir

    return to_nir(net, torch.zeros(n_in, dtype=F64), dt=dt)


NORSE_CASES = [(depth, reset, bias) for depth in (2, 3) for reset in ("zero", "subtract") for bias in (True, False)]


@pytest.mark.parametrize("depth, reset, bias", NORSE_CASES,
                         ids=[f"{d}layers-{r}-{'bias' if b else 'nobias'}" for d, r, b in NORSE_CASES])
def test_norse_export_runs_exactly(tmp_path, depth, reset, bias):
    sizes = SHAPES[depth]
    net = norse_net(sizes, reset, bias, seed=depth * 10 + bias, gain=5.0)
    graph = norse_export(net, sizes[0])
    assert all(type(graph.nodes[k]).__name__ == "Affine" for k in ("0", "2"))   # norse 1.1: Affine, zero bias
    path = tmp_path / "norse.nir"
    nir.write(path, graph, compression=None)          # norse's scalars: nir.write's gzip refuses them
    with pytest.raises(ValueError, match="needs the time step"):
        from_nir(path, "norse")
    imported = from_nir(path, "norse", dt=1e-3, reset=reset)
    neuron = imported.spec.neuron
    assert neuron.alpha == 1e-3 * 200.0 and (neuron.threshold_test, neuron.reset, neuron.reset_timing) == (
        ">", reset, "same")
    assert imported.spec.bias == bias and not imported.exact   # the input scale alpha is folded into W
    x = input_spikes(sizes[0], seed=2)
    assert_same_spikes(run_norse(net, x), imported, x, brian=depth == (3 if bias else 2))


def test_norse_time_step_is_the_convention():
    # norse writes tau = dt / tau_mem_inv for its own dt; the same dt recovers its alpha = dt * tau_mem_inv
    sizes = SHAPES[2]
    net = norse_net(sizes, "zero", True, tau_mem_inv=300.0, seed=4, gain=5.0)
    graph = norse_export(net, sizes[0], dt=5e-4)
    imported = from_nir(graph, "norse", dt=5e-4)
    assert imported.spec.neuron.alpha == float(5e-4 * torch.tensor(300.0, dtype=F64))
    assert imported.spec.dt == 5e-4
    norse = pytest.importorskip("norse.torch")
    for m in net:
        if isinstance(m, norse.LIFBoxCell):
            m.dt = 5e-4
    x = input_spikes(sizes[0], seed=5)
    assert_same_spikes(run_norse(net, x), imported, x, brian=False)


def test_norse_integrate_and_fire_exports_if_nodes(tmp_path):
    # norse's IAFCell (v = v + i, no leak) exports as NIR IF (r = 1): alpha 0, input scale 1, exact
    norse = pytest.importorskip("norse.torch")
    sizes = SHAPES[3]
    p = norse.IAFParameters(v_th=torch.tensor(1.0, dtype=F64), v_reset=torch.tensor(0.0, dtype=F64))
    layers = []
    for lin in linears(sizes, True, seed=31, gain=0.6):
        layers += [lin, norse.IAFCell(p)]
    net = norse.SequentialState(*layers).to(F64)
    graph = norse_export(net, sizes[0])
    assert [type(graph.nodes[k]).__name__ for k in ("1", "3", "5")] == ["IF"] * 3
    imported = from_nir(graph, "norse", dt=1e-3)
    assert imported.spec.neuron.alpha == 0.0 and imported.exact
    x = input_spikes(sizes[0], seed=32)
    cells = [m for m in net if isinstance(m, norse.IAFCell)]
    out = [[] for _ in cells]
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: out[k].append(o[0])) for k, m in enumerate(cells)]
    state = None
    with torch.no_grad():
        for t in range(STEPS):
            _, state = net(x[t], state)
    for h in hooks:
        h.remove()
    assert_same_spikes([torch.stack(s) for s in out], imported, x, brian=True)


@pytest.mark.parametrize("framework", ["snntorch", "norse"])
def test_ties_with_the_threshold_follow_the_framework(framework):
    # dyadic weights (k / 8) and a dyadic decay keep every membrane exact in any summation order,
    # and many land on v_th = 1 exactly: there the frameworks' '>' decides, which the convention
    # carries (and '>=' would not give their spikes)
    from dataclasses import replace

    sizes = SHAPES[3]
    if framework == "snntorch":
        net, den = snntorch_net(sizes, "zero", True, True, beta=0.75, seed=11), 16    # alpha = 1 / 4
    else:
        net, den = norse_net(sizes, "zero", True, tau_mem_inv=250.0, seed=11), 4      # alpha = 1e-3 * 250 = 1 / 4
    g = torch.Generator().manual_seed(12)
    with torch.no_grad():
        for lin in (m for m in net if isinstance(m, torch.nn.Linear)):     # inputs per step k / 16
            lin.weight.copy_(torch.randint(-3, 6, lin.weight.shape, generator=g).to(F64) / den)
            lin.bias.copy_(torch.randint(-2, 3, lin.bias.shape, generator=g).to(F64) / den)
    x = input_spikes(sizes[0], seed=13, p=0.5)
    if framework == "snntorch":
        framework_spikes = run_snntorch(net, x)
        imported = from_nir(snntorch_export(net, sizes[0]), "snntorch", reset="zero")
    else:
        framework_spikes = run_norse(net, x)
        imported = from_nir(norse_export(net, sizes[0]), "norse", dt=1e-3)
        assert imported.spec.neuron.alpha == 0.25
    rec = SpikingNetwork(imported.spec, imported.weights, dtype=F64, biases=imported.biases)(x)
    assert sum(int((v == 1.0).sum()) for v in rec.v) > 50
    assert_same_spikes(framework_spikes, imported, x, brian=True)
    wrong = replace(imported.spec.neuron, threshold_test=">=")
    other = SpikingNetwork(imported.spec.with_(neuron=wrong), imported.weights, dtype=F64, biases=imported.biases)(x)
    assert not all(torch.equal(a, b) for a, b in zip(other.spikes, framework_spikes))


# --- the way back: spikesynth exports in snntorch and norse ----------------------------------------

def _our_model(seed=0, dt=1e-3):
    spec = NetworkSpec(sizes=SHAPES[2], neuron=NeuronSpec(alpha=0.125), dt=dt, steps=STEPS)
    weights = [lin.weight.detach().float() for lin in linears(spec.sizes, False, seed, gain=1.5)]   # float32
    return spec, weights


def test_snntorch_imports_our_export(tmp_path, capsys):
    # snntorch's import_from_nir reads tau at its fixed 1e-4 s and builds Leaky(reset 'zero',
    # reset_delay=False, '>'): exported with --dt 1e-4, our paper neuron (clip, '>=', reset to 0;
    # '>=' and '>' differ only where V == v_th exactly) gives the same spikes
    snn = pytest.importorskip("snntorch")
    from snntorch.import_nir import import_from_nir

    spec, weights = _our_model()
    path = export_nir(tmp_path / "ours.nir", spec, weights, dt=1e-4)
    module = import_from_nir(nir.read(path)).to(F64)
    leaky = [m for m in module.modules() if isinstance(m, snn.Leaky)]
    assert len(leaky) == 2
    for m in leaky:
        assert (m.reset_mechanism, m.reset_delay, m.init_hidden) == ("zero", False, True)
        beta = torch.unique(m.beta)              # our export writes every parameter per neuron
        assert len(beta) == 1 and float(beta) == pytest.approx(1 - spec.neuron.alpha, abs=1e-15)
        m.spike_grad = _spike
    x = input_spikes(spec.sizes[0], seed=3)
    out = [[] for _ in leaky]
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: out[k].append(o[0] if isinstance(o, tuple) else o))
             for k, m in enumerate(leaky)]
    from snntorch import utils

    utils.reset(module)
    with torch.no_grad():
        for t in range(STEPS):
            module(x[t])
    for h in hooks:
        h.remove()
    mirror = SpikingNetwork(spec, weights, dtype=F64)(x).spikes
    for a, b in zip(out, mirror):
        assert torch.equal(torch.stack(a), b)
    assert 0.03 < float(mirror[-1].mean()) < 0.7

    # at the spec's own dt = 1e-3 snntorch still steps at 1e-4: its beta is 1 - alpha / 10 and it
    # divides the threshold by r * 1e-4 / tau = 0.1 (its "hack_w_scale"): another network
    path = export_nir(tmp_path / "ours-1ms.nir", spec, weights)
    module = import_from_nir(nir.read(path))
    leaky = [m for m in module.modules() if isinstance(m, snn.Leaky)]
    assert float(torch.unique(leaky[0].beta)) == pytest.approx(1 - spec.neuron.alpha * 1e-4 / spec.dt)
    assert float(torch.unique(leaky[0].threshold)) == pytest.approx(spec.neuron.v_th / (1e-4 / spec.dt))
    capsys.readouterr()


def test_norse_imports_our_export(tmp_path, caplog):
    # norse's from_nir builds LIFBoxCell(tau_mem_inv = 1 / tau) in float32 and ignores r (it logs a
    # warning): its neuron gets alpha times our input. Pinned: norse's network is ours with every
    # weight scaled by its alpha = dt / tau, and its spikes are those of that network
    norse = pytest.importorskip("norse.torch")
    spec, weights = _our_model(seed=2)
    path = export_nir(tmp_path / "ours.nir", spec, weights)
    module = norse.from_nir(nir.read(path), dt=spec.dt)
    assert any("r" in record.getMessage() for record in caplog.records)
    cells = [m for m in module.modules() if isinstance(m, norse.LIFBoxCell)]
    assert len(cells) == 2
    alpha_norse = spec.dt * cells[0].p.tau_mem_inv           # float32 [N], as LIFBoxCell computes it
    assert len(torch.unique(alpha_norse)) == 1
    alpha_norse = float(alpha_norse[0])
    assert alpha_norse == pytest.approx(spec.neuron.alpha, rel=1e-6)
    linear = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    assert all(torch.equal(m.weight.double(), w.double()) for m, w in zip(linear, weights))
    # the network norse runs, in spikesynth's terms: alpha_norse, input scaled by alpha_norse, '>', no clip
    theirs = NetworkSpec(sizes=spec.sizes, neuron=NeuronSpec(alpha=alpha_norse, clip=False, threshold_test=">"),
                         steps=STEPS)
    x = input_spikes(spec.sizes[0], seed=6, p=0.6)
    cells_out = [[] for _ in cells]
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: cells_out[k].append(o[0])) for k, m in enumerate(cells)]
    state = None
    with torch.no_grad():
        for t in range(STEPS):
            _, state = module(x[t].float(), state)
    for h in hooks:
        h.remove()
    scaled = [w.double() * torch.tensor(alpha_norse, dtype=torch.float32).double() for w in weights]
    expected = SpikingNetwork(theirs, scaled, dtype=F64)(x).spikes
    for a, b in zip(cells_out, expected):
        assert torch.equal(torch.stack(a).double(), b)
    assert float(expected[0].mean()) > 0.01
    ours = SpikingNetwork(spec, weights, dtype=F64)(x).spikes
    assert not torch.equal(ours[0], expected[0])     # ... which is not our network


def test_read_nir_reads_both_frameworks_files(tmp_path):
    sizes = SHAPES[2]
    snn_path, norse_path = tmp_path / "s.nir", tmp_path / "n.nir"
    nir.write(snn_path, snntorch_export(snntorch_net(sizes, "zero", True, True), sizes[0]))
    nir.write(norse_path, norse_export(norse_net(sizes, "zero", True), sizes[0]), compression=None)
    for path in (snn_path, norse_path):
        graph = read_nir(path)
        assert {type(n).__name__ for n in graph.nodes.values()} >= {"Input", "LIF", "Output"}


def test_snntorch_to_brian2_from_the_command_line(tmp_path, capsys):
    # the README's example: an snntorch network, its own NIR export, `spikesynth nir import`, then
    # `spikesynth simulate --input-spikes` in Brian2: every layer's spikes are snntorch's
    from training.cli import main

    sizes = SHAPES[3]
    net = snntorch_net(sizes, "subtract", True, True, beta=0.8, seed=21)      # snn.Leaky's defaults
    nir.write(tmp_path / "net.nir", snntorch_export(net, sizes[0]))
    x = input_spikes(sizes[0], seed=22)
    np.save(tmp_path / "in.npy", x.numpy().astype(np.uint8))
    model = tmp_path / "net.safetensors"
    assert main(["nir", "import", str(tmp_path / "net.nir"), "--convention", "snntorch", "--out", str(model)]) == 0
    out = tmp_path / "brian2.npz"
    assert main(["simulate", "--model", str(model), "--input-spikes", str(tmp_path / "in.npy"), "--target", "numpy",
                 "--save-spikes", str(out)]) == 0
    capsys.readouterr()
    with np.load(out) as saved:
        for i, s in enumerate(run_snntorch(net, x)):
            assert np.array_equal(saved[f"layer{i + 1}"], s.numpy().astype(np.uint8)), f"layer {i + 1}"
            assert 0.03 < s.mean() < 0.7

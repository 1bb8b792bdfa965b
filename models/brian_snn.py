"""The spec's LIF network as Brian2 equations, scheduled to reproduce the mirror exactly.

``run_brian(spec, weights, input_spikes, ...)`` builds the network from the same two
things as the mirror (``SpikingNetwork(spec, weights)``; with ``fixed_point``,
``QuantizedNetwork(spec, weights, fixed_point)``), plus the biases when the spec has them.

One ``NeuronGroup`` per layer (``dv/dt = -v/tau`` with ``tau = -dt / log(decay)``,
``method='exact'``, so the generated code is ``v = decay * v`` with the spec's own
float), ``Synapses`` with ``on_pre='v_post += w'`` and no delay, input from a
``SpikeGeneratorGroup`` filled by ``encoders.brian.SpikeBatch``. Many images run back to
back: image k occupies steps ``[k*T, (k+1)*T)`` and every membrane (and a pending reset)
is reset to 0 at each image boundary.

Schedule (``schedule='exact'``): within one step the leak runs first (``groups``);
then, all in the ``thresholds`` slot and ordered, the generator emits the input
spikes, layer 1 receives them, adds its bias (``v += b``, when the spec has one), applies a
pending reset (``v -= pending * v_th``, for ``reset='subtract'`` with ``reset_timing='next'``),
is clipped (only where that can change what is observed: a finite lower bound, a subtracting
reset, or the upper bound when v is recorded), recorded, thresholded (``v >= v_th`` or
``v > v_th``); its spikes reach layer 2 in the same step, and so on; resets run in
``resets`` (``v = 0``, ``v = v - v_th``, or ``pending = 1`` for a reset at the next step).
Brian2's default schedule (``schedule='brian2-default'``) delays each layer by one step instead.

The fixed-point mode runs a ``models.quantized.QuantizedNetwork``'s integer
arithmetic (leak as a ``run_regularly`` fixed-point multiply, saturation) instead; it
supports every update rule of the spec.

An interrupted run (Ctrl-C: Brian2 then stops the run early, and a cpp_standalone binary
stops and exits 0) raises ``KeyboardInterrupt`` instead of returning a truncated recording.
cpp_standalone builds are guarded by a file lock per build folder (and one for the
precompiled header), and every run reads its results from a folder of its own, so
processes sharing a cache give the results they would give one after another.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from encoders.brian import SpikeBatch
from encoders.checks import check_choice, check_int

from .files import cache_root
from .io import check_biases, check_weights
from .quantized import FixedPoint, QuantizedNetwork
from .spec import NetworkSpec, NeuronSpec
from .torch_snn import check_spikes

#: Brian2 code generation targets (``target``): runtime numpy or cython, or cpp_standalone.
TARGETS = ("numpy", "cython", "cpp_standalone")
SCHEDULES = ("exact", "brian2-default")

#: The float LIF neuron: Brian2's exact integrator turns this into ``v = decay * v``.
LIF_EQUATIONS = """dv/dt = -v/tau : 1
tau = -dt/log(decay) : second"""
#: The fixed-point neuron: integer membrane, leak applied by a run_regularly operation.
FIXED_EQUATIONS = "v : 1"
FIXED_LEAK = "v = floor((v * decay + leak_divisor / 2) / leak_divisor)"
#: A reset decided at this step and applied at the next (``reset_timing='next'``).
PENDING_EQUATION = "pending : 1"
PENDING_RESET = "v = v - pending * v_th\npending = 0"
#: The layer's bias (``NetworkSpec.bias``), added at every step after the synaptic input.
BIAS_EQUATION = "b : 1 (constant)"
BIAS_CURRENT = "v = v + b"
#: A variable back to 0 at each image boundary, on the step clock: a clock of its own (a
#: ``run_regularly`` dt) would put the clocks' initialisation into main.cpp in a different
#: order in every process, and cpp_standalone would recompile it on every run. (A membrane
#: may become -0.0 here, equal to the mirror's 0.0 in every comparison and sum.)
IMAGE_RESET = "{var} = int(t_in_timesteps % {steps} != 0) * {var}"
#: Compiler flags for cython and cpp_standalone: Brian2's defaults without -ffast-math,
#: so that the generated C++ does the same IEEE arithmetic as the mirror.
COMPILE_ARGS = ["-w", "-O3", "-march=native", "-std=c++11"]
#: The standard headers that Brian2's generated C++ includes (brianlib, objects.h, every code
#: object); cpp_standalone force-includes them precompiled, see ``_precompiled_header``.
STD_HEADERS = ("algorithm", "cassert", "climits", "cmath", "csignal", "cstdint", "cstdlib", "ctime", "fstream",
               "iostream", "iterator", "limits", "map", "random", "set", "string", "tuple", "utility", "vector")


@dataclass(frozen=True)
class _Layer:
    """What Brian2 needs to know about one layer (float or fixed point)."""

    weights: np.ndarray    # float64 [post, pre]
    bias: np.ndarray | None  # float64 [post], or None
    equations: str
    leak: str | None       # run_regularly code for the leak, or None (it is in the equations)
    namespace: dict        # decay, v_th (and leak_divisor in fixed point)
    lower: float           # membrane saturation (may be -inf)
    upper: float           # v_th when clipping, else the register max (may be +inf)


def _numpy64(tensors) -> list[np.ndarray] | None:
    return None if tensors is None else [torch.as_tensor(t).detach().cpu().to(torch.float64).numpy() for t in tensors]


def _layers(spec: NetworkSpec, weights, fixed_point: FixedPoint | None, biases) -> list[_Layer]:
    """The layers of spec + weights (+ biases), float or in ``fixed_point`` (checked here)."""
    if fixed_point is not None:
        if not isinstance(fixed_point, FixedPoint):
            raise ValueError(f"fixed_point must be a FixedPoint or None, got {type(fixed_point).__name__}")
        q = QuantizedNetwork(spec, weights, fixed_point, biases)
        q_biases = _numpy64(q.biases) or [None] * spec.n_layers
        return [_Layer(w, b, FIXED_EQUATIONS, FIXED_LEAK,
                       {"decay": float(q.decay), "leak_divisor": float(q.leak_divisor), "v_th": float(q.thresholds[i])},
                       float(fixed_point.v_min), float(q.upper(i)))
                for i, (w, b) in enumerate(zip(_numpy64(q.weights), q_biases))]
    if not isinstance(weights, (list, tuple)):
        raise ValueError(f"weights must be a list of [post, pre] tensors, got {type(weights).__name__}")
    check_weights(spec, weights, source="network weights")
    check_biases(spec, biases, source="network biases")
    neuron = spec.neuron
    upper = neuron.v_th if neuron.clip else np.inf
    return [_Layer(w, b, LIF_EQUATIONS, None, {"decay": neuron.decay, "v_th": neuron.v_th}, -np.inf, upper)
            for w, b in zip(_numpy64(weights), _numpy64(biases) or [None] * spec.n_layers)]


def _pending(neuron: NeuronSpec) -> bool:
    """Whether the reset is carried to the next step (only a subtracting one: see ``NeuronSpec``)."""
    return neuron.reset == "subtract" and neuron.reset_timing == "next"


def _needs_saturation(neuron: NeuronSpec, layer: _Layer, record_v: bool) -> bool:
    """Whether the clip/saturation can change what is observed. Above the upper bound a
    neuron that resets to 0 fires and is reset whether clipped or not (when the bound itself
    passes the threshold test), so then only a finite lower bound or the recorded v need it;
    a subtracting reset keeps what the clip left."""
    if np.isfinite(layer.lower):
        return True
    if not np.isfinite(layer.upper):
        return False
    v_th = layer.namespace["v_th"]
    fires_at_bound = layer.upper >= v_th if neuron.threshold_test == ">=" else layer.upper > v_th
    return record_v or neuron.reset == "subtract" or not fires_at_bound


@dataclass
class BrianRecording:
    """Spikes (and optionally membrane potentials) recorded from Brian2.

    events[l]: ``(step, neuron)`` int64 arrays of layer l+1's spikes, ``step`` counted
    from the start of the run (image ``step // steps``, time step ``step % steps``).
    v[l]: ``[T, batch, N]`` float64 pre-reset potentials (after clipping), only when recorded.
    seconds: wall time of ``run_brian`` (for cpp_standalone including code generation and
    compilation; always including handing the input events over and reading the results back).
    """

    events: list
    sizes: tuple
    steps: int
    batch: int
    v: list | None
    seconds: float

    def _layer_events(self, layer: int):
        """``events[layer]``; ValueError for a layer outside ``[0, len(events))`` (a negative
        index would silently count from the end)."""
        if not (isinstance(layer, int) and 0 <= layer < len(self.events)):
            raise ValueError(f"layer must be a weight layer in [0, {len(self.events)}), got {layer!r}")
        return self.events[layer]

    def dense(self, layer: int, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """0/1 spikes of weight layer ``layer`` (0-based) for images ``[start, stop)`` (default
        all) as float64 ``[T, stop - start, N]``."""
        stop = self.batch if stop is None else stop
        step, neuron = self._layer_events(layer)  # in time order, as the monitor recorded them
        a, b = np.searchsorted(step, [start * self.steps, stop * self.steps])
        step, neuron = step[a:b] - start * self.steps, neuron[a:b]
        out = torch.zeros(self.steps, stop - start, self.sizes[layer + 1], dtype=torch.float64)
        out[torch.as_tensor(step % self.steps), torch.as_tensor(step // self.steps), torch.as_tensor(neuron)] = 1.0
        return out

    def counts(self, layer: int) -> np.ndarray:
        """Spike counts per image of weight layer ``layer`` (0-based): int64 ``[batch, N]``."""
        step, neuron = self._layer_events(layer)
        n = self.sizes[layer + 1]
        flat = np.bincount((step // self.steps) * n + neuron, minlength=self.batch * n)
        return flat.reshape(self.batch, n)


def cache_dir() -> Path:
    """Where Brian2 builds go: ``models.io.cache_root() / "brian2"``
    (never inside the repository)."""
    return cache_root() / "brian2"


def _precompiled_header(compile_args: list[str]) -> Path:
    """``STD_HEADERS`` as one header ``std.h``, precompiled (``std.h.gch``) with ``compile_args``
    by make's compiler (``$CXX``, default g++) under ``cache_dir() / "pch"``, built once (a few
    seconds) under a file lock, so that concurrent processes build it once and none reads a
    half-written one. Force-included (``-include``) in every file of a cpp_standalone project, it is
    loaded instead of the headers being parsed again in each of the ~25 files: a code object
    compiles in about 0.3 s instead of 1 s. The generated machine code is the same. Returns the
    header's path."""
    compiler = os.environ.get("CXX", "g++")
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True).stdout
    text = "".join(f"#include <{name}>\n" for name in STD_HEADERS)
    key = hashlib.sha1(repr((compiler, version, compile_args, text)).encode()).hexdigest()[:12]
    header = cache_dir() / "pch" / key / "std.h"
    precompiled = header.with_name("std.h.gch")
    if precompiled.exists():
        return header
    header.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(header.with_name("build.lock"))):
        if not precompiled.exists():
            partial = header.with_name(f"std.h.{os.getpid()}")
            if not header.exists():  # never rewritten: every object file of a build depends on it
                partial.write_text(text)
                os.replace(partial, header)
            subprocess.run([compiler, "-x", "c++-header", *compile_args, str(header), "-o", str(partial)], check=True)
            os.replace(partial, precompiled)
    return header


def _build(b2, neuron: NeuronSpec, layers: list[_Layer], spikes: SpikeBatch, stop: int, record_v: bool,
           schedule: str):
    """Create the Brian2 objects, the generator emitting images ``[0, stop)`` of ``spikes``;
    returns (objects, generator, spike monitors, state monitors). The input's spikes are not
    recorded: the generator emits exactly the given spikes."""
    exact = schedule == "exact"
    pending = _pending(neuron)
    threshold = f"v {neuron.threshold_test} v_th"
    reset = "v = 0" if neuron.reset == "zero" else ("pending = 1" if pending else "v = v - v_th")
    clock = b2.Clock(dt=spikes.dt * b2.second, name="step")
    gen = spikes.group(0, stop, clock=clock, name="input")
    gen.when, gen.order = "thresholds", 0
    objects, spike_mons, v_mons, source = [gen], [], [], gen
    for i, layer in enumerate(layers):
        base, name = 10 * (i + 1), f"layer{i + 1}"
        extra = [PENDING_EQUATION] * pending + [BIAS_EQUATION] * (layer.bias is not None)
        equations = "\n".join([layer.equations] + extra)
        n_post, n_pre = layer.weights.shape
        group = b2.NeuronGroup(n_post, equations, threshold=threshold, reset=reset,
                               method="exact" if layer.leak is None else None, namespace=layer.namespace,
                               clock=clock, name=name)
        # image boundary: every membrane (and pending reset) back to 0 before anything else in the step
        image_reset = "\n".join(IMAGE_RESET.format(var=var, steps=spikes.steps)
                                for var in ["v"] + ["pending"] * pending)
        group.run_regularly(image_reset, when="start", order=-1, name=f"{name}_image_reset")
        if layer.leak is not None:
            group.run_regularly(layer.leak, when="groups", name=f"{name}_leak")
        syn = b2.Synapses(source, group, "w : 1", on_pre="v_post += w", clock=clock, name=f"syn{i + 1}")
        syn.connect(i=np.repeat(np.arange(n_pre, dtype=np.int32), n_post),
                    j=np.tile(np.arange(n_post, dtype=np.int32), n_pre))
        syn.w = layer.weights.T.ravel()  # pre-major, as connected
        objects += [group, syn]
        if layer.bias is not None:
            group.b = layer.bias
            group.run_regularly(BIAS_CURRENT, name=f"{name}_bias", **_slot(exact, base + 2))
        if pending:
            group.run_regularly(PENDING_RESET, name=f"{name}_pending_reset", **_slot(exact, base + 3))
        if _needs_saturation(neuron, layer, record_v):
            group.run_regularly(_clip_code(layer), name=f"{name}_saturate", **_slot(exact, base + 4))
        if exact:
            syn.pre.when, syn.pre.order = "thresholds", base + 1
            group.thresholder["spike"].when, group.thresholder["spike"].order = "thresholds", base + 6
        if record_v:
            mon = b2.StateMonitor(group, "v", record=True, name=f"{name}_v", **_slot(exact, base + 5))
            v_mons.append(mon)
            objects.append(mon)
        mon = b2.SpikeMonitor(group, when="end", name=f"{name}_spikes")
        spike_mons.append(mon)
        objects.append(mon)
        source = group
    return objects, gen, spike_mons, v_mons


def _slot(exact: bool, order: int) -> dict:
    """when/order of the bias, pending reset, saturation and v recording of a layer. Under Brian2's
    default schedule (pathways in 'synapses', after the thresholds) they sit just before the thresholder."""
    return {"when": "thresholds" if exact else "before_thresholds", "order": order}


def _clip_code(layer: _Layer) -> str:
    lo = "-inf" if not np.isfinite(layer.lower) else repr(float(layer.lower))
    hi = "inf" if not np.isfinite(layer.upper) else repr(float(layer.upper))
    return f"v = clip(v, {lo}, {hi})"


def _events(monitor, dt: float):
    """(step, neuron) int64 arrays of a SpikeMonitor."""
    return (np.round(np.asarray(monitor.t_[:]) / dt).astype(np.int64), np.asarray(monitor.i[:], dtype=np.int64))


def _states(monitor, steps: int, batch: int) -> np.ndarray:
    """A StateMonitor's ``v`` ``[N, batch*T]`` as ``[T, batch, N]``."""
    v = np.asarray(monitor.v[:], dtype=np.float64)
    if v.shape[1] != batch * steps:
        raise RuntimeError(f"{monitor.name} recorded {v.shape[1]} steps, the run has {batch * steps}: "
                           f"incomplete results")
    return np.ascontiguousarray(v.reshape(v.shape[0], batch, steps).transpose(2, 1, 0))


@contextlib.contextmanager
def _heap_frozen():
    """Brian2 runs a full garbage collection at every ``Network.run`` (0.2-0.4 s each with torch
    and sympy loaded, so per chunk of a runtime run): collect once, then keep the objects that
    exist now out of the collector's sight (``gc.freeze``) until the run is over. Nothing changes
    when the caller has frozen objects itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _interrupted() -> KeyboardInterrupt:
    return KeyboardInterrupt("the Brian2 run was interrupted (SIGINT) before its end")


def _run_runtime(b2, target, neuron, layers, spikes: SpikeBatch, record_v, schedule, chunk_images, progress):
    """Runtime mode: the images in chunks of ``chunk_images`` (one ``Network.run`` each, so
    the numpy target's SpikeGeneratorGroup never holds a long spike list). A run that
    stopped before its planned end (Brian2's answer to SIGINT) raises KeyboardInterrupt."""
    b2.prefs.codegen.target = target
    steps, batch, dt = spikes.steps, spikes.batch, spikes.dt
    objects, gen, spike_mons, v_mons = _build(b2, neuron, layers, spikes, min(chunk_images, batch), record_v, schedule)
    net = b2.Network(*objects)
    for start in tqdm(range(0, batch, chunk_images), desc=f"brian2 {target}", unit="chunk", disable=not progress):
        stop = min(start + chunk_images, batch)
        if start:
            spikes.refill(gen, start, stop)
        net.run((stop - start) * steps * dt * b2.second)
        # (a stopped run leaves the clock's time, an array view, in net.t_; a finished one a float)
        if int(round(float(np.asarray(net.t_).reshape(-1)[0]) / dt)) != stop * steps:
            raise _interrupted()
    return [_events(m, dt) for m in spike_mons], [_states(m, steps, batch) for m in v_mons]


def _killed_by_sigint(exc: RuntimeError) -> bool:
    """Whether Brian2's "Project compilation failed (error code: N)" says that make's shell died of
    SIGINT (``os.system``, which Brian2 runs make with, ignores SIGINT in this process)."""
    found = re.search(r"compilation failed \(error code: (\d+)\)", str(exc))
    if not found:
        return False
    status = int(found.group(1))
    return (status & 0x7F) == signal.SIGINT or (status >> 8) == 128 + signal.SIGINT


def _completed_fraction(results: Path) -> float | None:
    """The fraction of its run that a cpp_standalone binary completed (its last_run_info.txt), or None."""
    try:
        return float((results / "last_run_info.txt").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _run_standalone(b2, spec: NetworkSpec, layers, spikes: SpikeBatch, record_v, schedule, progress,
                    build_slot: int = 0):
    """cpp_standalone: one build folder per network structure (and ``build_slot``) in the user
    cache (make recompiles only the files whose generated code changed), all images in one run.
    Code generation, compilation and the run hold the folder's file lock; the results go to a
    folder of this run's own, read after the lock is released and then removed."""
    neuron, steps, batch, dt = spec.neuron, spikes.steps, spikes.batch, spikes.dt
    kind = "fixed" if layers[0].leak is not None else "float"
    structure = (tuple(spec.sizes), record_v, schedule, kind)
    if not (neuron.is_paper and not spec.bias):  # the paper's neuron keeps its earlier key (and warm builds)
        structure += (neuron.threshold_test, neuron.reset, _pending(neuron), neuron.clip, spec.bias)
    directory = cache_dir() / "standalone" / hashlib.sha1(repr(structure).encode()).hexdigest()[:12]
    if build_slot:   # a folder (and lock) of its own: runs in other slots build and run meanwhile
        directory = directory.with_name(f"{directory.name}-{build_slot}")
    directory.parent.mkdir(parents=True, exist_ok=True)
    results_name = f"results-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    results = directory / results_name
    bar = tqdm(total=3, desc="brian2 cpp_standalone", disable=not progress)
    lock, standalone = FileLock(str(directory) + ".lock"), False
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            bar.set_postfix_str("waiting for another process's build in the same folder")
            lock.acquire()
        try:
            # Objects of an earlier build in this process still hold their names until collected;
            # new ones would get suffixed names (different files) and force a full recompilation.
            gc.collect()
            b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
            standalone = True
            # the device's own flags, unlike the preference's, skip Brian2's per-flag test compile (0.8 s here)
            b2.get_device().extra_compile_args = [f"-include{_precompiled_header(COMPILE_ARGS)}"]
            bar.set_postfix_str("generating code")
            objects, _, spike_mons, v_mons = _build(b2, neuron, layers, spikes, batch, record_v, schedule)
            net = b2.Network(*objects)
            net.run(batch * steps * dt * b2.second)
            bar.update()
            bar.set_postfix_str("compiling and running")
            b2.Network._globally_stopped = False  # set by Brian2's SIGINT handler during the binary's run
            printed = io.StringIO()   # what Brian2 prints of a failed binary: to stderr, never into --json's stdout
            try:
                with contextlib.redirect_stdout(printed):
                    b2.device.build(directory=str(directory), results_directory=results_name, compile=True,
                                    run=True, clean=False, with_output=False)
            except RuntimeError as exc:
                if b2.Network._globally_stopped or _killed_by_sigint(exc):
                    raise _interrupted() from None
                sys.stderr.write(printed.getvalue())
                raise
            fraction = _completed_fraction(results)
            if b2.Network._globally_stopped or (fraction is not None and fraction < 1.0):
                raise _interrupted()
            if fraction is None:
                raise RuntimeError(f"the cpp_standalone run wrote no {results / 'last_run_info.txt'}: "
                                   f"incomplete results")
        finally:
            lock.release()
        bar.update()
        bar.set_postfix_str("reading results")
        result = [_events(m, dt) for m in spike_mons], [_states(m, steps, batch) for m in v_mons]
        bar.update()
        return result
    finally:
        bar.close()
        if standalone:
            b2.device.reinit()
            b2.set_device("runtime")
        shutil.rmtree(results, ignore_errors=True)


def run_brian(spec: NetworkSpec, weights: list[torch.Tensor], input_spikes: torch.Tensor, target: str = "cython",
              fixed_point: FixedPoint | None = None, biases: list[torch.Tensor] | None = None,
              record_v: bool = False, schedule: str = "exact", chunk_images: int = 250,
              progress: bool = True, build_slot: int = 0) -> BrianRecording:
    """Run 0/1 input spikes ``[T, batch, sizes[0]]`` through the Brian2 network of ``spec`` with
    ``weights`` (``[post, pre]`` per layer) and, when the spec has ``bias``, ``biases``
    (``[post]`` per layer), images back to back: the float network (agreeing spike for spike
    with ``SpikingNetwork(spec, weights, dtype=torch.float64)``: Brian2 computes in float64),
    or with ``fixed_point`` the integer one (agreeing exactly with
    ``QuantizedNetwork(spec, weights, fixed_point)``).

    target: ``numpy`` or ``cython`` (runtime mode, run in chunks of ``chunk_images`` images)
    or ``cpp_standalone`` (one compiled run, built under ``cache_dir()``).
    record_v: also record the pre-reset membrane potentials (memory ``T * batch * neurons``).
    schedule: ``exact`` (agrees with the mirror) or ``brian2-default`` (Brian2's own order).
    build_slot: cpp_standalone only: slot k > 0 builds in a folder of its own (the structure's
    folder name plus ``-k``), so that runs of one structure in k slots build and run at once
    instead of waiting for one folder's lock (``training.evaluate`` gives chunk i of a run on
    Dask workers slot i); the same results in every slot.
    Bad arguments raise ValueError before anything is simulated; an interrupted run
    (SIGINT) raises KeyboardInterrupt.
    """
    if not isinstance(spec, NetworkSpec):
        raise ValueError(f"spec must be a NetworkSpec, got {type(spec).__name__} (run_brian takes the spec and "
                         f"the weights, e.g. run_brian(net.spec, list(net.weights), spikes))")
    check_choice(target, "target", TARGETS)
    check_choice(schedule, "schedule", SCHEDULES)
    check_int(chunk_images, "chunk_images")
    check_int(build_slot, "build_slot", 0)
    layers = _layers(spec, weights, fixed_point, biases)
    check_spikes(input_spikes, spec.sizes[0], values=False)   # the values: SpikeBatch's check
    start = time.perf_counter()
    spikes = SpikeBatch(input_spikes, spec.dt, name="input spikes")
    import brian2 as b2

    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(COMPILE_ARGS)
    with _heap_frozen():
        if target == "cpp_standalone":
            events, v = _run_standalone(b2, spec, layers, spikes, record_v, schedule, progress, build_slot)
        else:
            events, v = _run_runtime(b2, target, spec.neuron, layers, spikes, record_v, schedule, chunk_images,
                                     progress)
    return BrianRecording(events=events, sizes=tuple(spec.sizes), steps=spikes.steps, batch=spikes.batch,
                          v=v if record_v else None, seconds=time.perf_counter() - start)

"""The spec's LIF network as Brian2 equations, scheduled to reproduce the mirror exactly.

One ``NeuronGroup`` per layer (``dv/dt = -v/tau`` with ``tau = -dt / log(decay)``,
``method='exact'``, so the generated code is ``v = decay * v`` with the spec's own
float), ``Synapses`` with ``on_pre='v_post += w'`` and no delay, input from a
``SpikeGeneratorGroup``. Many images run back to back: image k occupies steps
``[k*T, (k+1)*T)`` and every membrane is reset to 0 at each image boundary.

Schedule (``schedule='exact'``): within one step the leak runs first (``groups``);
then, all in the ``thresholds`` slot and ordered, the generator emits the input
spikes, layer 1 receives them, is clipped (only where that can change what is observed:
a finite lower bound, or the upper one when v is recorded), recorded, thresholded; its spikes reach
layer 2 in the same step, and so on; resets run in ``resets``. Brian2's default
schedule (``schedule='brian2-default'``) delays each layer by one step instead.

The fixed-point mode runs a ``models.quantized.QuantizedNetwork``'s integer
arithmetic (leak as a ``run_regularly`` fixed-point multiply, saturation) instead.
"""

from __future__ import annotations

import gc
import hashlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .files import cache_root
from .quantized import QuantizedNetwork
from .torch_snn import SpikingNetwork, check_spikes

BACKENDS = ("numpy", "cython", "cpp_standalone")
SCHEDULES = ("exact", "brian2-default")

#: The float LIF neuron: Brian2's exact integrator turns this into ``v = decay * v``.
LIF_EQUATIONS = """dv/dt = -v/tau : 1
tau = -dt/log(decay) : second"""
#: The fixed-point neuron: integer membrane, leak applied by a run_regularly operation.
FIXED_EQUATIONS = "v : 1"
FIXED_LEAK = "v = floor((v * decay + leak_divisor / 2) / leak_divisor)"
#: The membrane back to 0 at each image boundary, on the step clock: a clock of its own (a
#: ``run_regularly`` dt) would put the clocks' initialisation into main.cpp in a different
#: order in every process, and cpp_standalone would recompile it on every run. (A membrane
#: may become -0.0 here, equal to the mirror's 0.0 in every comparison and sum.)
IMAGE_RESET = "v = int(t_in_timesteps % {steps} != 0) * v"
#: Compiler flags for cython and cpp_standalone: Brian2's defaults without -ffast-math,
#: so that the generated C++ does the same IEEE arithmetic as the mirror.
COMPILE_ARGS = ["-w", "-O3", "-march=native", "-std=c++11"]
#: The standard headers that Brian2's generated C++ includes (brianlib, objects.h, every code
#: object); cpp_standalone force-includes them precompiled, see ``_precompiled_header``.
STD_HEADERS = ("algorithm", "cassert", "climits", "cmath", "csignal", "cstdint", "cstdlib", "ctime", "fstream",
               "iostream", "iterator", "limits", "map", "random", "set", "string", "tuple", "utility", "vector")


@dataclass(frozen=True)
class _Layer:
    """What Brian2 needs to know about one layer (from either mirror)."""

    weights: np.ndarray    # float64 [post, pre]
    equations: str
    leak: str | None       # run_regularly code for the leak, or None (it is in the equations)
    namespace: dict
    lower: float           # membrane saturation (may be -inf)
    upper: float           # v_th when clipping, else the register max (may be +inf)


def _layers(model) -> list[_Layer]:
    if isinstance(model, QuantizedNetwork):
        fmt = model.fmt
        return [_Layer(q.numpy().astype(np.float64), FIXED_EQUATIONS, FIXED_LEAK,
                       {"decay": float(model.decay), "leak_divisor": float(model.leak_divisor),
                        "v_th": float(model.thresholds[i])},
                       float(fmt.v_min), float(model.upper(i)))
                for i, q in enumerate(model.weights)]
    if isinstance(model, SpikingNetwork):
        neuron = model.spec.neuron
        upper = neuron.v_th if neuron.clip else np.inf
        return [_Layer(w.detach().cpu().to(torch.float64).numpy(), LIF_EQUATIONS, None,
                       {"decay": neuron.decay, "v_th": neuron.v_th}, -np.inf, upper)
                for w in model.weights]
    raise ValueError(f"model must be a SpikingNetwork or a QuantizedNetwork, got {type(model).__name__}")


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
    seconds). Force-included (``-include``) in every file of a cpp_standalone project, it is
    loaded instead of the headers being parsed again in each of the ~25 files: a code object
    compiles in about 0.3 s instead of 1 s. The generated machine code is the same. Returns the
    header's path."""
    compiler = os.environ.get("CXX", "g++")
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True).stdout
    text = "".join(f"#include <{name}>\n" for name in STD_HEADERS)
    key = hashlib.sha1(repr((compiler, version, compile_args, text)).encode()).hexdigest()[:12]
    header = cache_dir() / "pch" / key / "std.h"
    precompiled = header.with_name("std.h.gch")
    if not precompiled.exists():
        header.parent.mkdir(parents=True, exist_ok=True)
        partial = header.with_name(f"std.h.{os.getpid()}")
        if not header.exists():  # never rewritten: every object file of a build depends on it
            partial.write_text(text)
            os.replace(partial, header)
        subprocess.run([compiler, "-x", "c++-header", *compile_args, str(header), "-o", str(partial)], check=True)
        os.replace(partial, precompiled)
    return header


def _input_events(spikes: torch.Tensor):
    """(step, neuron) int64 arrays of 0/1 spikes ``[T, batch, N]`` (already checked), images back
    to back (``step`` counted from the first image), in time order then neuron order."""
    steps, batch, n = spikes.shape
    step, neuron = np.nonzero(spikes.permute(1, 0, 2).reshape(batch * steps, n).numpy())
    return step.astype(np.int64), neuron.astype(np.int64)


def _generator_spikes(b2, events, dt: float, start: int, stop: int):
    """``(indices, times)`` for the SpikeGeneratorGroup: the ``events`` (see ``_input_events``)
    with ``start <= step < stop``; times in Brian2 seconds."""
    step, neuron = events
    a, b = np.searchsorted(step, [start, stop])
    return neuron[a:b].astype(np.int32), step[a:b] * dt * b2.second


def _build(b2, layers, sizes, steps, dt, indices, times, record_v, schedule):
    """Create the Brian2 objects; returns (objects, generator, spike monitors, state monitors).
    The input's spikes are not recorded: the generator emits exactly ``(indices, times)``."""
    exact = schedule == "exact"
    clock_dt = dt * b2.second
    clock = b2.Clock(dt=clock_dt, name="step")
    gen = b2.SpikeGeneratorGroup(sizes[0], indices, times, clock=clock, sorted=True, name="input")
    gen.when, gen.order = "thresholds", 0
    objects, spike_mons, v_mons, source = [gen], [], [], gen
    for i, layer in enumerate(layers):
        base = 10 * (i + 1)
        group = b2.NeuronGroup(sizes[i + 1], layer.equations, threshold="v >= v_th", reset="v = 0",
                               method="exact" if layer.leak is None else None, namespace=layer.namespace,
                               clock=clock, name=f"layer{i + 1}")
        # image boundary: every membrane back to 0 before anything else in the step
        group.run_regularly(IMAGE_RESET.format(steps=steps), when="start", order=-1, name=f"layer{i + 1}_image_reset")
        if layer.leak is not None:
            group.run_regularly(layer.leak, when="groups", name=f"layer{i + 1}_leak")
        syn = b2.Synapses(source, group, "w : 1", on_pre="v_post += w", clock=clock, name=f"syn{i + 1}")
        n_post, n_pre = layer.weights.shape
        syn.connect(i=np.repeat(np.arange(n_pre, dtype=np.int32), n_post),
                    j=np.tile(np.arange(n_post, dtype=np.int32), n_pre))
        syn.w = layer.weights.T.ravel()  # pre-major, as connected
        objects += [group, syn]
        # Above the threshold the neuron fires and is reset to 0 whether clipped or not
        # (upper >= v_th), so only a finite lower bound or the recorded v need the saturation.
        if np.isfinite(layer.lower) or (record_v and np.isfinite(layer.upper)):
            group.run_regularly(_clip_code(layer), name=f"layer{i + 1}_saturate", **_slot(exact, base + 2))
        if exact:
            syn.pre.when, syn.pre.order = "thresholds", base + 1
            group.thresholder["spike"].when, group.thresholder["spike"].order = "thresholds", base + 4
        if record_v:
            mon = b2.StateMonitor(group, "v", record=True, name=f"layer{i + 1}_v",
                                  **_slot(exact, base + 3))
            v_mons.append(mon)
            objects.append(mon)
        mon = b2.SpikeMonitor(group, when="end", name=f"layer{i + 1}_spikes")
        spike_mons.append(mon)
        objects.append(mon)
        source = group
    return objects, gen, spike_mons, v_mons


def _slot(exact: bool, order: int) -> dict:
    """when/order of the saturation and the v recording of a layer. Under Brian2's default
    schedule (pathways in 'synapses', after the thresholds) they sit just before the thresholder."""
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
    return np.ascontiguousarray(v.reshape(v.shape[0], batch, steps).transpose(2, 1, 0))


def _run_runtime(b2, backend, layers, sizes, events, steps, batch, dt, record_v, schedule, chunk_images,
                 progress):
    """Runtime mode: the images in chunks of ``chunk_images`` (one ``Network.run`` each, so
    the numpy target's SpikeGeneratorGroup never holds a long spike list)."""
    b2.prefs.codegen.target = backend
    first = min(chunk_images, batch)
    objects, gen, spike_mons, v_mons = _build(b2, layers, sizes, steps, dt,
                                              *_generator_spikes(b2, events, dt, 0, first * steps), record_v, schedule)
    net = b2.Network(*objects)
    for start in tqdm(range(0, batch, chunk_images), desc=f"brian2 {backend}", unit="chunk", disable=not progress):
        stop = min(start + chunk_images, batch)
        if start:
            gen.set_spikes(*_generator_spikes(b2, events, dt, start * steps, stop * steps), sorted=True)
        net.run((stop - start) * steps * dt * b2.second)
    return [_events(m, dt) for m in spike_mons], [_states(m, steps, batch) for m in v_mons]


def _run_standalone(b2, layers, sizes, events, steps, batch, dt, record_v, schedule, progress):
    """cpp_standalone: one build per network structure in the user cache (make recompiles only
    the files whose generated code changed), all images in one run."""
    kind = "fixed" if layers[0].leak is not None else "float"
    key = hashlib.sha1(repr((tuple(sizes), record_v, schedule, kind)).encode()).hexdigest()[:12]
    directory = cache_dir() / "standalone" / key
    bar = tqdm(total=3, desc="brian2 cpp_standalone", disable=not progress)
    # Objects of an earlier build in this process still hold their names until collected;
    # new ones would get suffixed names (different files) and force a full recompilation.
    gc.collect()
    b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    # the device's own flags, unlike the preference's, skip Brian2's per-flag test compile (0.8 s here)
    b2.get_device().extra_compile_args = [f"-include{_precompiled_header(COMPILE_ARGS)}"]
    try:
        bar.set_postfix_str("generating code")
        objects, _, spike_mons, v_mons = _build(b2, layers, sizes, steps, dt,
                                                *_generator_spikes(b2, events, dt, 0, batch * steps), record_v, schedule)
        net = b2.Network(*objects)
        net.run(batch * steps * dt * b2.second)
        bar.update()
        bar.set_postfix_str("compiling and running")
        b2.device.build(directory=str(directory), compile=True, run=True, clean=False, with_output=False)
        bar.update()
        bar.set_postfix_str("reading results")
        result = [_events(m, dt) for m in spike_mons], [_states(m, steps, batch) for m in v_mons]
        bar.update()
        return result
    finally:
        bar.close()
        b2.device.reinit()
        b2.set_device("runtime")


def run_brian(model, input_spikes: torch.Tensor, backend: str = "cython", record_v: bool = False,
              schedule: str = "exact", chunk_images: int = 250, progress: bool = True) -> BrianRecording:
    """Run 0/1 input spikes ``[T, batch, sizes[0]]`` through the Brian2 version of ``model``
    (a float ``SpikingNetwork`` or a fixed-point ``QuantizedNetwork``), images back to back.
    Brian2 computes in float64, so spike-for-spike agreement is with a float64 mirror.

    backend: ``numpy`` or ``cython`` (runtime mode, run in chunks of ``chunk_images`` images)
    or ``cpp_standalone`` (one compiled run, built under ``cache_dir()``).
    record_v: also record the pre-reset membrane potentials (memory ``T * batch * neurons``).
    schedule: ``exact`` (agrees with the mirror) or ``brian2-default`` (Brian2's own order).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if not (isinstance(chunk_images, int) and chunk_images > 0):
        raise ValueError(f"chunk_images must be a positive integer, got {chunk_images!r}")
    layers = _layers(model)
    spec = model.spec
    check_spikes(input_spikes, spec.sizes[0])
    spikes = input_spikes.detach().cpu()
    steps, batch = spikes.shape[:2]
    if not bool(spikes.any()):
        raise ValueError("input_spikes holds no spike at all: nothing to simulate")
    import brian2 as b2

    b2.prefs.codegen.cpp.extra_compile_args_gcc = list(COMPILE_ARGS)
    start = time.perf_counter()
    input_events = _input_events(spikes)
    if backend == "cpp_standalone":
        events, v = _run_standalone(b2, layers, spec.sizes, input_events, steps, batch, spec.dt, record_v, schedule,
                                    progress)
    else:
        events, v = _run_runtime(b2, backend, layers, spec.sizes, input_events, steps, batch, spec.dt, record_v,
                                 schedule, chunk_images, progress)
    return BrianRecording(events=events, sizes=tuple(spec.sizes), steps=steps, batch=batch,
                          v=v if record_v else None, seconds=time.perf_counter() - start)

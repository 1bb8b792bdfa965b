"""Hardware-style fixed-point version of the spec's LIF network (the quantised mirror).

Integer arithmetic, per layer l and step:

* weights: signed ``weight_bits`` integers ``q = round(W / s_l)`` with the per-layer
  scale ``s_l = max|W_l| / (2**(weight_bits - 1) - 1)`` (symmetric, so nothing is clipped);
* leak: ``V = floor((V * d + 2**(leak_bits - 1)) / 2**leak_bits)`` with the integer
  decay ``d = round((1 - alpha) * 2**leak_bits)`` (a fixed-point multiply, rounding half up);
* input: ``V = V + sum(q * s_in)`` (plus the bias ``beta_l = round(b_l / s_l)`` when the spec
  has ``bias``; held at membrane precision) accumulated exactly, then, for ``reset='subtract'``
  with ``reset_timing='next'``, ``V = V - s_{t-1} * theta_l``; then saturated into the signed
  ``membrane_bits`` register ``[-2**(m-1), 2**(m-1) - 1]`` (and clipped at the threshold
  when the spec clips), instead of overflowing;
* spike where ``V >= theta_l`` (``V > theta_l`` for ``threshold_test='>'``) with
  ``theta_l = round(v_th / s_l)``, then the spec's reset: ``V = 0``, or ``V = V - theta_l``
  (``subtract``, now or, for ``next``, at the next step as above).

Every update rule the spec admits (threshold test x reset x timing x clip x bias) is
integer arithmetic here, so all are supported; what does not fit the registers (a threshold
or a bias beyond the membrane's range) is refused with a ValueError.

Values are integers held in float64 tensors (exact: ``|V * d| < 2**47 < 2**53``), so the Brian2 network
(``models.brian_snn``) runs the same arithmetic and agrees spike for spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from encoders.checks import check_int

from .io import check_biases, check_weights
from .spec import NetworkSpec
from .torch_snn import Recording, check_spikes, run_feedforward


@dataclass(frozen=True)
class FixedPoint:
    """Bit widths of the fixed-point neuron: signed weights, signed membrane register,
    fractional bits of the leak multiplier."""

    weight_bits: int = 8
    membrane_bits: int = 16
    leak_bits: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight_bits", check_int(self.weight_bits, "weight_bits", 2, 16))
        object.__setattr__(self, "membrane_bits", check_int(self.membrane_bits, "membrane_bits", self.weight_bits + 1, 32))
        object.__setattr__(self, "leak_bits", check_int(self.leak_bits, "leak_bits", 1, 16))

    @property
    def v_min(self) -> int:
        """Lowest membrane value, ``-2**(membrane_bits - 1)``."""
        return -(2 ** (self.membrane_bits - 1))

    @property
    def v_max(self) -> int:
        """Highest membrane value, ``2**(membrane_bits - 1) - 1``."""
        return 2 ** (self.membrane_bits - 1) - 1


def quantize_weights(w: torch.Tensor, bits: int) -> tuple[torch.Tensor, float]:
    """Symmetric per-tensor quantisation of a weight matrix.

    Returns ``(q, scale)``: float64 integer values ``q = round(w / scale)`` in
    ``[-(2**(bits-1) - 1), 2**(bits-1) - 1]`` (same shape as ``w``) and ``scale`` so that
    ``w ~= q * scale``. An all-zero matrix gets scale 1.
    """
    w = torch.as_tensor(w, dtype=torch.float64)
    q_max = 2 ** (bits - 1) - 1
    w_max = float(w.abs().max()) if w.numel() else 0.0
    scale = w_max / q_max if w_max > 0 else 1.0
    return torch.round(w / scale), scale


class QuantizedNetwork:
    """The fixed-point mirror of a spec + float weights (+ biases when the spec has ``bias``;
    see the module docstring).

    weights: float64 integer matrices ``[post, pre]``; biases: float64 integer vectors
    ``[post]`` (or None); scales[l]: membrane units per integer step of layer l;
    thresholds[l]: integer threshold; decay: integer leak multiplier. Brian2 builds the same
    network from the float weights and ``fmt``: ``models.brian_snn.run_brian(spec, weights, ...,
    fixed_point=fmt)``.
    """

    def __init__(self, spec: NetworkSpec, weights: list[torch.Tensor], fmt: FixedPoint = FixedPoint(),
                 biases: list[torch.Tensor] | None = None):
        check_weights(spec, weights, source="weights to quantise")
        check_biases(spec, biases, source="biases to quantise")
        if not isinstance(fmt, FixedPoint):
            raise ValueError(f"fixed_point must be a FixedPoint, got {type(fmt).__name__}")
        self.spec, self.fmt = spec, fmt
        pairs = [quantize_weights(w, fmt.weight_bits) for w in weights]
        self.weights = [q for q, _ in pairs]
        self.scales = [s for _, s in pairs]
        self.thresholds = [int(round(spec.neuron.v_th / s)) for s in self.scales]
        for layer, theta in enumerate(self.thresholds):
            if not 1 <= theta <= fmt.v_max:
                raise ValueError(f"layer {layer + 1}: threshold {theta} (v_th / scale) does not fit the "
                                 f"{fmt.membrane_bits}-bit membrane [1, {fmt.v_max}]; use more membrane_bits")
        self.biases = None
        if biases is not None:
            self.biases = [torch.round(torch.as_tensor(b, dtype=torch.float64) / s) for b, s in zip(biases, self.scales)]
            for layer, q in enumerate(self.biases):
                if q.numel() and float(q.abs().max()) > fmt.v_max:
                    raise ValueError(f"layer {layer + 1}: bias {int(q.abs().max())} (b / scale) does not fit the "
                                     f"{fmt.membrane_bits}-bit membrane [{fmt.v_min}, {fmt.v_max}]; "
                                     f"use more membrane_bits")
        self.decay = int(round(spec.neuron.decay * 2 ** fmt.leak_bits))

    @property
    def leak_divisor(self) -> int:
        """``2**leak_bits``: the leak is ``floor((V * decay + leak_divisor / 2) / leak_divisor)``."""
        return 2 ** self.fmt.leak_bits

    def upper(self, layer: int) -> int:
        """Highest membrane value of a layer: its threshold when the spec clips, else the register max."""
        return self.thresholds[layer] if self.spec.neuron.clip else self.fmt.v_max

    def step(self, layer: int, v: torch.Tensor, current: torch.Tensor, last_spikes: torch.Tensor | None = None):
        """One fixed-point step of a layer: ``(v_pre, spikes, v_next)``, each ``[batch, N]``
        float64 integers (``v_pre`` saturated, before the reset). current: the integer input
        (bias included); last_spikes: as ``models.torch_snn.lif_step``'s."""
        neuron, theta, div = self.spec.neuron, self.thresholds[layer], self.leak_divisor
        v_pre = torch.floor((v * self.decay + div // 2) / div) + current
        pending = neuron.reset == "subtract" and neuron.reset_timing == "next"
        if pending and last_spikes is not None:
            v_pre = v_pre - last_spikes * theta
        v_pre = torch.clamp(v_pre, min=self.fmt.v_min, max=self.upper(layer))
        spikes = (v_pre >= theta if neuron.threshold_test == ">=" else v_pre > theta).to(v_pre.dtype)
        if neuron.reset == "zero":
            v_next = v_pre * (1.0 - spikes)
        elif not pending:
            v_next = v_pre - spikes * theta
        else:
            v_next = v_pre
        return v_pre, spikes, v_next

    @torch.no_grad()
    def forward(self, input_spikes: torch.Tensor) -> Recording:
        """Run 0/1 input spikes ``[T, batch, sizes[0]]``; returns a ``Recording`` whose
        ``v`` is in integer membrane units of each layer (multiply by ``scales[l]``)."""
        check_spikes(input_spikes, self.spec.sizes[0])
        return run_feedforward(input_spikes, self.weights, self.step, self.biases)

    __call__ = forward

    def describe(self) -> dict:
        """The fixed-point parameters as plain numbers (for reports)."""
        out = {"weight_bits": self.fmt.weight_bits, "membrane_bits": self.fmt.membrane_bits,
               "leak_bits": self.fmt.leak_bits, "decay": self.decay, "leak_divisor": self.leak_divisor,
               "decay_value": self.decay / self.leak_divisor, "scales": self.scales,
               "thresholds": self.thresholds,
               "max_abs_weight": [int(q.abs().max()) for q in self.weights]}
        if self.biases is not None:
            out["max_abs_bias"] = [int(q.abs().max()) if q.numel() else 0 for q in self.biases]
        return out

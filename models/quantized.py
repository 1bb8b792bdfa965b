"""Hardware-style fixed-point version of the spec's LIF network (the quantised mirror).

Integer arithmetic, per layer l and step:

* weights: signed ``weight_bits`` integers ``q = round(W / s_l)`` with the per-layer
  scale ``s_l = max|W_l| / (2**(weight_bits - 1) - 1)`` (symmetric, so nothing is clipped);
* leak: ``V = floor((V * d + 2**(leak_bits - 1)) / 2**leak_bits)`` with the integer
  decay ``d = round((1 - alpha) * 2**leak_bits)`` (a fixed-point multiply, rounding half up);
* input: ``V = V + sum(q * s_in)`` accumulated exactly, then saturated into the signed
  ``membrane_bits`` register ``[-2**(m-1), 2**(m-1) - 1]`` (and clipped at the threshold
  when the spec clips), instead of overflowing;
* spike where ``V >= theta_l`` with ``theta_l = round(v_th / s_l)``, then ``V = 0``.

Values are integers held in float64 tensors (exact: ``|V * d| < 2**47 < 2**53``), so the Brian2 network
(``models.brian_snn``) runs the same arithmetic and agrees spike for spike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from encoders.checks import check_int

from .io import check_weights
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
    """The fixed-point mirror of a spec + float weights (see the module docstring).

    weights: float64 integer matrices ``[post, pre]``; scales[l]: membrane units per
    integer step of layer l; thresholds[l]: integer threshold; decay: integer leak multiplier.
    """

    def __init__(self, spec: NetworkSpec, weights: list[torch.Tensor], fmt: FixedPoint = FixedPoint()):
        check_weights(spec, weights, source="weights to quantise")
        self.spec, self.fmt = spec, fmt
        pairs = [quantize_weights(w, fmt.weight_bits) for w in weights]
        self.weights = [q for q, _ in pairs]
        self.scales = [s for _, s in pairs]
        self.thresholds = [int(round(spec.neuron.v_th / s)) for s in self.scales]
        for layer, theta in enumerate(self.thresholds):
            if not 1 <= theta <= fmt.v_max:
                raise ValueError(f"layer {layer + 1}: threshold {theta} (v_th / scale) does not fit the "
                                 f"{fmt.membrane_bits}-bit membrane [1, {fmt.v_max}]; use more membrane_bits")
        self.decay = int(round(spec.neuron.decay * 2 ** fmt.leak_bits))

    @property
    def leak_divisor(self) -> int:
        """``2**leak_bits``: the leak is ``floor((V * decay + leak_divisor / 2) / leak_divisor)``."""
        return 2 ** self.fmt.leak_bits

    def upper(self, layer: int) -> int:
        """Highest membrane value of a layer: its threshold when the spec clips, else the register max."""
        return self.thresholds[layer] if self.spec.neuron.clip else self.fmt.v_max

    def step(self, layer: int, v: torch.Tensor, current: torch.Tensor):
        """One fixed-point step of a layer: ``(v_pre, spikes, v_next)``, each ``[batch, N]``
        float64 integers (``v_pre`` saturated, before the reset)."""
        div = self.leak_divisor
        v_pre = torch.floor((v * self.decay + div // 2) / div) + current
        v_pre = torch.clamp(v_pre, min=self.fmt.v_min, max=self.upper(layer))
        spikes = (v_pre >= self.thresholds[layer]).to(v_pre.dtype)
        return v_pre, spikes, v_pre * (1.0 - spikes)

    @torch.no_grad()
    def forward(self, input_spikes: torch.Tensor) -> Recording:
        """Run 0/1 input spikes ``[T, batch, sizes[0]]``; returns a ``Recording`` whose
        ``v`` is in integer membrane units of each layer (multiply by ``scales[l]``)."""
        check_spikes(input_spikes, self.spec.sizes[0])
        return run_feedforward(input_spikes, self.weights, self.step)

    __call__ = forward

    def describe(self) -> dict:
        """The fixed-point parameters as plain numbers (for reports)."""
        return {"weight_bits": self.fmt.weight_bits, "membrane_bits": self.fmt.membrane_bits,
                "leak_bits": self.fmt.leak_bits, "decay": self.decay, "leak_divisor": self.leak_divisor,
                "decay_value": self.decay / self.leak_divisor, "scales": self.scales,
                "thresholds": self.thresholds,
                "max_abs_weight": [int(q.abs().max()) for q in self.weights]}

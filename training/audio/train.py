"""Training the spiking audiocoder (AC-SNN), section 3.2 of the paper.

Pipeline: a training clip is paired with an MNIST training image (Dataset A: one fixed
image per digit; Dataset B: a random image of the clip's digit per clip). The trained
MNIST autoencoder's encoder (W1) turns the image's Poisson spikes into a hidden spike map
``[Th, 196]`` (the first ``Th`` of its steps); the audiocoder ``N_in - H - 196`` learns,
with the online membrane-potential rule (``training.online``), to emit that map, repeated
over its presentation, from the clip's cochleagram spikes. Synthesis chains the audiocoder
with the autoencoder's decoder (W2): one feed-forward network ``N_in - H - 196 - 784``
whose output spike counts are the image.
"""

from __future__ import annotations

import numpy as np
import torch

from encoders.rate import make_generator
from models.encode import encode

from .config import AudiocoderConfig, audiocoder_spec
from .targets import repeat_targets


def _check_features(features, n_inputs: int) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(features, dtype=np.float32))
    if x.dim() != 2 or x.shape[1] != n_inputs:
        raise ValueError(f"features must be [n_clips, {n_inputs}], got {list(x.shape)}")
    if not bool(torch.isfinite(x).all()) or (x.numel() and (float(x.min()) < 0 or float(x.max()) > 1)):
        raise ValueError("features must be finite values in [0, 1]")
    return x


def online_config(cfg: AudiocoderConfig):
    """The online rule's settings for the audiocoder: Adam at ``cfg.lr`` with weight decay,
    ``cfg.target_scale``; the code's fractional trace reset, normalised by the widest layer so
    it stays in [0, 1]."""
    from ..online import OnlineConfig

    return OnlineConfig(lr=cfg.lr, weight_decay=cfg.weight_decay, reset_norm=float(max(cfg.hidden, 196)),
                        target_scale=cfg.target_scale)


def train_audiocoder(features, targets: torch.Tensor, cfg: AudiocoderConfig, seed: int = 0,
                     device: str = "cpu", weights: list | None = None, progress: bool = True,
                     on_epoch=None) -> tuple[list, list]:
    """Train the AC-SNN with the online membrane-potential rule, one Adam update per step
    (moments restarting per batch or kept over the run: ``cfg.moments``).

    features: ``[n_clips, n_inputs]`` in [0, 1] (training clips only); targets: 0/1
    ``[th, n_clips, N_out]`` (``hidden_spike_maps`` of the paired images).
    weights: initial ``[W0 [H, n_inputs], W1 [N_out, H]]`` (default: ``init_weights`` of
    ``seed``). on_epoch(epoch, weights): called after each epoch (e.g. to checkpoint).
    Returns ``(weights on the CPU, per-epoch mean loss)``.
    """
    from models.torch_snn import init_weights

    from ..adam import AdamState, adam_step_
    from ..loop import batches, randperm_orders
    from ..online import online_pass

    x = _check_features(features, cfg.features.n_inputs)
    if targets.dim() != 3 or targets.shape[1] != len(x):
        raise ValueError(f"targets must be [th, {len(x)}, N_out], got {list(targets.shape)}")
    spec = audiocoder_spec(cfg, targets.shape[2])
    g = make_generator(seed)
    if weights is None:
        weights = init_weights(spec, g)
    weights = [w.detach().to(device=device, dtype=torch.float32).clone() for w in weights]
    ocfg = online_config(cfg)
    adam = AdamState.zeros_like(weights)

    def update(grads, step):
        if cfg.moments == "batch" and step == 1:   # the official code: moments restart every batch
            adam.reset_()
        adam.step += 1
        adam_step_(weights, grads, adam.m1, adam.m2, adam.step, ocfg)

    history, losses = [], []
    loop = batches(len(x), cfg.batch, cfg.epochs, randperm_orders(len(x), g), desc="AC-SNN", progress=progress)
    for batch in loop:
        idx = batch.items
        spikes = encode(x[idx], spec, generator=g).to(torch.float32)
        stats = online_pass(weights, spikes, repeat_targets(targets[:, idx], cfg.steps), spec.neuron, ocfg, update)
        losses.append(stats.loss)
        loop.bar.set_postfix(epoch=batch.epoch + 1, loss=f"{stats.loss:.4f}")
        if batch.last_in_epoch:
            history.append(float(np.mean(losses)))
            losses = []
            if on_epoch is not None:
                on_epoch(batch.epoch + 1, [w.cpu() for w in weights])
    return [w.cpu() for w in weights], history

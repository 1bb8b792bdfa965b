"""The AC-SNN's targets: the autoencoder's hidden spike maps of the paired MNIST images
(Dataset A: one fixed image per digit; Dataset B: a random image of the clip's digit per clip)."""

from __future__ import annotations

import numpy as np
import torch

from models.encode import encode
from models.spec import NetworkSpec
from models.torch_snn import SpikingNetwork

from .config import DATASETS, check_autoencoder


def check_th(th, ae_spec: NetworkSpec) -> None:
    """ValueError unless ``th`` (steps of the stored hidden map) is an integer in
    ``[1, ae_spec.steps]``."""
    if not (isinstance(th, int) and not isinstance(th, bool) and 1 <= th <= ae_spec.steps):
        raise ValueError(f"th must be an integer in [1, {ae_spec.steps}] (the autoencoder's steps), got {th!r}")


def hidden_spike_maps(ae_spec: NetworkSpec, ae_weights: list, images, th: int, seed: int = 0) -> torch.Tensor:
    """The autoencoder encoder's hidden spikes for ``images`` (``[n, 784]`` or ``[n, 28, 28]``,
    values in [0, 1]): Poisson input over ``ae_spec.steps`` steps at the spec's rate, layer 1
    only. Returns the first ``th`` steps, float32 0/1 ``[th, n, hidden]``."""
    check_autoencoder(ae_spec)
    check_th(th, ae_spec)
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(len(images), -1)
    encoder = SpikingNetwork(ae_spec.with_(sizes=ae_spec.sizes[:2]), [torch.as_tensor(ae_weights[0])])
    spikes = encode(x, ae_spec, seed=seed).to(torch.float32)
    return encoder(spikes).spikes[0][:th].float().contiguous()


def repeat_targets(targets: torch.Tensor, steps: int) -> torch.Tensor:
    """The target map ``[th, batch, N]`` shown repeatedly over ``steps`` steps:
    ``out[t] = targets[t % th]``, ``[steps, batch, N]``."""
    th = targets.shape[0]
    return targets[torch.arange(steps) % th]


# --- pairing ---------------------------------------------------------------------

def class_images(images, labels) -> np.ndarray:
    """Dataset A's fixed image per digit (the paper selected them by hand): for each digit
    0-9 the training image closest (Euclidean) to its digit's mean image. Returns indices ``[10]``."""
    x = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    labels = np.asarray(labels)
    out = np.empty(10, dtype=np.int64)
    for d in range(10):
        members = np.flatnonzero(labels == d)
        if len(members) == 0:
            raise ValueError(f"no image of digit {d} to pair with")
        dist = ((x[members] - x[members].mean(axis=0)) ** 2).sum(axis=1)
        out[d] = members[np.argmin(dist)]
    return out


def pair_images(digits, labels, dataset: str, seed: int = 0, class_idx=None) -> np.ndarray:
    """An MNIST training image index for each training clip of digit ``digits[i]``.

    dataset ``A``: every clip of a digit gets ``class_idx[digit]`` (``class_images``);
    ``B``: each clip gets its own random image of its digit (seeded, distinct within a
    digit while there are enough images). Returns int64 ``[n_clips]``.
    """
    digits = np.asarray(digits)
    labels = np.asarray(labels)
    if dataset == "A":
        if class_idx is None:
            raise ValueError("dataset A needs class_idx (from class_images)")
        return np.asarray(class_idx)[digits].astype(np.int64)
    if dataset != "B":
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    rng = np.random.default_rng(seed)
    out = np.empty(len(digits), dtype=np.int64)
    for d in np.unique(digits):
        clips = np.flatnonzero(digits == d)
        pool = np.flatnonzero(labels == d)
        if len(pool) == 0:
            raise ValueError(f"no image of digit {d} to pair with")
        out[clips] = rng.choice(pool, size=len(clips), replace=len(clips) > len(pool))
    return out


def reference_sets(pairs, digits, per_digit: int = 100, seed: int = 0) -> np.ndarray:
    """Dataset B's test references: for each digit a fixed (seeded) subset of ``per_digit``
    of the images paired with its training clips. Returns image indices ``[10, per_digit]``."""
    pairs, digits = np.asarray(pairs), np.asarray(digits)
    rng = np.random.default_rng(seed)
    out = []
    for d in range(10):
        pool = np.unique(pairs[digits == d])
        if len(pool) < per_digit:
            raise ValueError(f"digit {d} has {len(pool)} paired images, fewer than per_digit={per_digit}")
        out.append(np.sort(rng.choice(pool, size=per_digit, replace=False)))
    return np.stack(out)


def check_disjoint(train_clips, test_clips) -> None:
    """Raise ValueError if any recording is in both the training and the test clips."""
    shared = {str(c.path) for c in train_clips} & {str(c.path) for c in test_clips}
    if shared:
        raise ValueError(f"{len(shared)} test clip(s) are also in the training clips, e.g. {sorted(shared)[0]}")

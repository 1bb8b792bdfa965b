"""A small MNIST classifier that reads synthesized images (the digit-identity metric).

A bias-free ReLU MLP 784-256-10 trained on z-scored MNIST training images, so it reads
any map whose scale is arbitrary (spike counts, pixel values) after the same z-scoring.
Trained once and cached by its settings (a spikesynth model file, kind ``classifier``)
in the user cache dir.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from encoders.rate import check_seed, make_generator
from models.io import load_model, save_model
from models.files import cache_root, settings_key
from models.spec import NetworkSpec

from ..data import load_images
from ..settings import check_number, checked, positive_int
from ..metrics import zscore


@dataclass(frozen=True)
class ClassifierConfig:
    """hidden: hidden units; epochs, batch, lr: Adam training on MNIST train; seed: init and order."""

    hidden: int = 256
    epochs: int = 3
    batch: int = 128
    lr: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        checked(self, hidden=positive_int, epochs=positive_int, batch=positive_int,
                lr=lambda v, n: check_number(v, n, 0.0, lo_open=True), seed=lambda v, n: check_seed(v))


def _as_maps(maps) -> torch.Tensor:
    """A CPU tensor copy of ``maps`` (numpy array, read-only memory map or tensor)."""
    if isinstance(maps, torch.Tensor):
        return maps.detach().cpu().clone()
    return torch.from_numpy(np.array(maps))


def _mlp(weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits ``[n, 10]`` of z-scored images ``x [n, 784]``."""
    return torch.relu(x @ weights[0].T) @ weights[1].T


def train_classifier(images: np.ndarray, labels: np.ndarray, cfg: ClassifierConfig = ClassifierConfig(),
                     progress: bool = True) -> list[torch.Tensor]:
    """Train the MLP on ``images [n, 28, 28]`` (any scale; z-scored here) and ``labels [n]``
    (0-9). Returns ``[W0 [hidden, 784], W1 [10, hidden]]``."""
    from ..loop import batches, randperm_orders

    g = make_generator(cfg.seed)
    x = zscore(_as_maps(images)).float()
    y = torch.as_tensor(labels, dtype=torch.long)
    w = [torch.nn.Parameter(torch.randn(cfg.hidden, 784, generator=g) * (2 / 784) ** 0.5),
         torch.nn.Parameter(torch.randn(10, cfg.hidden, generator=g) * (1 / cfg.hidden) ** 0.5)]
    opt = torch.optim.Adam(w, lr=cfg.lr)
    for batch in batches(len(x), cfg.batch, cfg.epochs, randperm_orders(len(x), g), desc="MNIST classifier",
                         progress=progress):
        loss = torch.nn.functional.cross_entropy(_mlp(w, x[batch.items]), y[batch.items])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return [p.detach().clone() for p in w]


def classify(weights: list[torch.Tensor], maps) -> np.ndarray:
    """Predicted digits (int64 ``[n]``) of maps ``[n, 784]`` or ``[n, 28, 28]`` of any scale
    (z-scored per map first; a constant map becomes zeros and gets some fixed class)."""
    x = zscore(_as_maps(maps)).float()
    if x.shape[1] != 784:
        raise ValueError(f"maps must hold 784 pixels each, got {x.shape[1]}")
    with torch.no_grad():
        return _mlp([w.float() for w in weights], x).argmax(dim=1).numpy()


def load_or_train_classifier(data_dir: str | os.PathLike | None = None, cfg: ClassifierConfig = ClassifierConfig(),
                             cache_dir: str | os.PathLike | None = None, progress: bool = True):
    """The cached classifier for ``cfg`` (trained on MNIST train on the first call).
    Returns ``(weights, test_accuracy)``; the accuracy on MNIST test is stored with it."""
    settings = asdict(cfg)
    key = settings_key(settings)
    path = Path(cache_dir or cache_root()) / f"mnist-classifier-{key}.safetensors"
    if path.is_file():
        _, weights, meta = load_model(path, kind="classifier")
        return weights, float(meta["extra"]["test_accuracy"])
    images, labels = load_images("mnist", "train", data_dir)
    weights = train_classifier(images, labels, cfg, progress)
    test_images, test_labels = load_images("mnist", "test", data_dir)
    acc = float((classify(weights, test_images.reshape(len(test_images), -1)) == test_labels).mean())
    save_model(path, NetworkSpec(sizes=(784, cfg.hidden, 10)), weights, kind="classifier",
               extra={"settings": settings, "test_accuracy": acc})
    return weights, acc

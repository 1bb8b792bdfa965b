"""Shared fixtures."""

import os
from pathlib import Path
from urllib.error import URLError

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The dataset folder named by ``$SPIKESYNTH_DATA`` (holding mnist/, fashion-mnist/, fsdd/);
    tests that use it are skipped when the variable is unset or the folder is missing."""
    value = os.environ.get("SPIKESYNTH_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("SPIKESYNTH_DATA is not set to an existing dataset folder")
    return Path(value)


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """A machine with no datasets and no network: SPIKESYNTH_DATA unset, an empty user cache
    under ``tmp_path/cache``, no Debian Fashion-MNIST package, and downloads that fail."""
    import training.data.catalog as catalog
    import training.data.search as search

    monkeypatch.delenv("SPIKESYNTH_DATA", raising=False)
    monkeypatch.delenv("SPIKESYNTH_CACHE", raising=False)   # it would win over XDG_CACHE_HOME
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(search, "DEBIAN_FASHION_MNIST", tmp_path / "debian" / "fashion-mnist")

    def offline(url, timeout=None):
        raise URLError("network is unreachable (test)")
    monkeypatch.setattr(catalog, "urlopen", offline)
    return tmp_path


@pytest.fixture
def plotted(monkeypatch) -> dict:
    """The ``inputs`` and ``outputs`` (tensors) of the last reconstruction grid drawn by
    ``figures.reconstructions.plot_reconstructions`` (which still draws it)."""
    import torch

    import figures.reconstructions

    plot, seen = figures.reconstructions.plot_reconstructions, {}

    def recording(inputs, outputs, path, **kwargs):
        seen.update(inputs=torch.as_tensor(inputs), outputs=torch.as_tensor(outputs))
        return plot(inputs, outputs, path, **kwargs)

    monkeypatch.setattr(figures.reconstructions, "plot_reconstructions", recording)
    return seen


@pytest.fixture
def no_training(monkeypatch):
    """Make any training batch an error: a bad setting must fail before training starts."""
    import training.autoencoder as autoencoder

    def trained(*args, **kwargs):
        raise AssertionError("a training batch ran before the bad input was refused")

    for name in ("online_batch", "bptt_batch", "ann_batch"):
        monkeypatch.setattr(autoencoder, name, trained)

"""End to end on a tiny made-up FSDD: tones per digit -> AC-SNN -> images, and the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.image import imread
from scipy.io import wavfile

from models.io import save_model
from models.spec import autoencoder_spec
from models.torch_snn import init_weights
from training.audio.features import FeatureConfig
from training.audio import AudiocoderConfig, audio_experiment, load_audiocoder
from training.cli import main

TINY = AudiocoderConfig(features=FeatureConfig(frames=40, pool=4), hidden=16, steps=5, max_rate=200.0,
                        batch=5, epochs=1)


def tiny_mnist_and_classifier():
    """Random 'MNIST' ``(images [40, 28, 28] in {0, 1}, labels [40])`` and classifier weights."""
    g = np.random.default_rng(0)
    mnist = ((g.random((40, 28, 28)) > 0.7).astype(np.float32), np.repeat(np.arange(10), 4))
    return mnist, [torch.randn(8, 784, generator=torch.Generator().manual_seed(0)), torch.randn(10, 8)]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny FSDD (tones per digit), random AE-SNN / AE-ANN files, random 'MNIST' and
    classifier, and one experiment run over them (shared by the tests of this module)."""
    tmp = tmp_path_factory.mktemp("audio")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
        mp.delenv("SPIKESYNTH_DATA", raising=False)
        rec = tmp / "data" / "fsdd" / "recordings"
        rec.mkdir(parents=True)
        t = np.arange(400) / 8000
        for d in range(10):
            for i in range(7):          # indices 0-4 are the standard test split, 5-6 train
                tone = 0.3 * np.sin(2 * np.pi * (300 + 300 * d) * t)
                wavfile.write(rec / f"{d}_s_{i}.wav", 8000, tone.astype(np.float32))
        ae = autoencoder_spec(hidden=12, steps=4)
        ae_path = tmp / "ae.safetensors"
        save_model(ae_path, ae, init_weights(ae, torch.Generator().manual_seed(0), scale=0.3))
        ann = autoencoder_spec(hidden=12)
        ann_path = tmp / "ae-ann.safetensors"
        save_model(ann_path, ann, init_weights(ann, torch.Generator().manual_seed(1)), kind="ann",
                   extra={"trainer": "ann-adam"})
        mnist, classifier = tiny_mnist_and_classifier()
        res = audio_experiment(ae_path, TINY, tmp / "out", ths={"A": (2,), "B": (1,)}, data_dir=tmp / "data",
                               mnist=mnist, classifier_weights=classifier, progress=False,
                               ann_autoencoders=[ann_path], ann_ths=(1, None))
        yield tmp, ae_path, res


def test_tiny_experiment_writes_models_images_and_results(world):
    tmp, ae_path, res = world
    out = tmp / "out"
    assert (res["n_train"], res["n_test"]) == (20, 50)
    assert [(r["model"], r["dataset"], r["th"]) for r in res["runs"]] == [
        ("AC-SNN", "A", 2), ("AC-ANN-adam", "A", 1), ("AC-ANN-adam", "A", None),
        ("AC-SNN", "B", 1), ("AC-ANN-adam", "B", 1), ("AC-ANN-adam", "B", None)]
    assert (out / "B-ann-adam-thfull.png").is_file()
    for r in res["runs"]:
        assert 0 <= r["identity"] <= 1 and np.isfinite(r["mse"]) and r["n"] == 50
        assert len(r["train_loss"]) == TINY.epochs
    assert json.loads((out / "results.json").read_text())["runs"] == res["runs"]
    spec, weights, cfg, extra = load_audiocoder(out / "A-th2.safetensors")
    assert spec.sizes == (390, 16, 12, 784) and cfg == TINY and extra["dataset"] == "A"
    grid = imread(out / "A-th2.png")
    assert grid.shape[:2] == (5 * 28, 10 * 28)         # 5 test clips of each of the 10 digits


@pytest.mark.parametrize("ths", [(15, 10), {}, {"C": (2,)}, {"A": 2}, {"A": ()}])
def test_experiment_refuses_bad_th_maps(world, ths):
    tmp, ae_path, _ = world
    with pytest.raises(ValueError, match="ths must map datasets"):
        audio_experiment(ae_path, TINY, tmp / "bad", ths=ths, data_dir=tmp / "data", progress=False)


def test_experiment_refuses_a_th_longer_than_the_autoencoder_before_loading_clips(world, monkeypatch):
    import training.data as data
    tmp, ae_path, _ = world
    monkeypatch.setattr(data, "load_fsdd", lambda *a, **k: pytest.fail("clips loaded before the Th check"))
    with pytest.raises(ValueError, match=r"th must be an integer in \[1, "):
        audio_experiment(ae_path, TINY, tmp / "bad", ths={"A": (2, 99)}, data_dir=tmp / "data", progress=False)


def test_experiment_checks_its_output_folder_before_loading_clips(world, monkeypatch):
    import training.data as data
    tmp, ae_path, _ = world
    monkeypatch.setattr(data, "load_fsdd", lambda *a, **k: pytest.fail("clips loaded before the output check"))
    (tmp / "a-file").write_text("x")
    with pytest.raises(ValueError, match="out_dir .*a-file: is an existing file"):
        audio_experiment(ae_path, TINY, tmp / "a-file", ths={"A": (2,)}, data_dir=tmp / "data", progress=False)
    (tmp / "dirs" / "A-th2.png").mkdir(parents=True)
    with pytest.raises(ValueError, match="A-th2.png there is a folder"):
        audio_experiment(ae_path, TINY, tmp / "dirs", ths={"A": (2,)}, data_dir=tmp / "data", progress=False)
    with pytest.raises(ValueError, match="device"):
        audio_experiment(ae_path, TINY, tmp / "x", ths={"A": (2,)}, data_dir=tmp / "data", progress=False,
                         device="banana")


def test_an_interrupted_experiment_leaves_a_folder_readers_refuse(world, monkeypatch, tmp_path):
    import training.audio.experiment as experiment
    tmp, ae_path, _ = world
    mnist, classifier = tiny_mnist_and_classifier()

    def stop(maps, path, cols=10):
        raise KeyboardInterrupt
    monkeypatch.setattr(experiment, "save_image_grid", stop)
    with pytest.raises(KeyboardInterrupt):
        audio_experiment(ae_path, TINY, tmp_path, ths={"A": (2,)}, data_dir=tmp / "data", mnist=mnist,
                         classifier_weights=classifier, progress=False)
    assert (tmp_path / "A-th2.safetensors").is_file() and (tmp_path / "INCOMPLETE").is_file()
    with pytest.raises(ValueError, match="incomplete"):
        load_audiocoder(tmp_path / "A-th2.safetensors")


def test_figures_run_both_datasets_in_one_experiment(world, monkeypatch, tmp_path):
    # figures.audio runs A and B (each at its own Th values) in one audio_experiment call:
    # MNIST and the classifier are loaded once, and the folder's results.json holds every run
    import figures.audio as audio
    import training.audio as audiocoder
    import importlib
    import training.audio.classifier as classifier
    import training.data as data
    from figures.runner import Context

    tmp, ae_path, _ = world
    for name in ("training.autoencoder", "training.evaluate"):   # imported before load_images is
        importlib.import_module(name)                             # patched: they keep the real one
    ann = autoencoder_spec(hidden=12)
    sgd_path = tmp_path / "ae-ann-sgd.safetensors"
    save_model(sgd_path, ann, init_weights(ann, torch.Generator().manual_seed(2)), kind="ann",
               extra={"trainer": "ann-sgd"})
    models = {"ann-sgd": sgd_path, "ann-adam": tmp / "ae-ann.safetensors"}
    monkeypatch.setattr(audio, "trained_autoencoder",
                        lambda ctx, cfg: {"model": str(models.get(cfg.trainer, ae_path))})
    monkeypatch.setattr(audiocoder, "preset", lambda name: TINY)
    monkeypatch.setattr(audio, "SNN_THS", {"A": (2, 1), "B": (2,)})    # the tiny autoencoder has 4 steps
    mnist, weights = tiny_mnist_and_classifier()
    loads = []
    monkeypatch.setattr(data, "load_images", lambda *a, **k: loads.append("mnist") or mnist)
    monkeypatch.setattr(classifier, "load_or_train_classifier",
                        lambda *a, **k: loads.append("classifier") or (weights, 1.0))
    ctx = Context(out=tmp_path / "figures", data_dir=str(tmp / "data"), cache=tmp_path / "cache",
                  sizes={"fsdd_epochs": 1, "audio_train": None, "audio_test": None})
    results = audio.audio_results(ctx)
    assert sorted(loads) == ["classifier", "mnist"]
    assert [(r["dataset"], r["th"]) for r in results["runs"] if r["model"] == "AC-SNN"] == [
        (d, th) for d, ths in audio.SNN_THS.items() for th in ths]
    assert json.loads((Path(results["out_dir"]) / "results.json").read_text())["runs"] == results["runs"]
    assert audio.audio_results(ctx)["runs"] == results["runs"] and len(loads) == 2   # cached
    # an autoencoder retrained in place (same path, other weights) makes the experiment rerun
    save_model(sgd_path, ann, init_weights(ann, torch.Generator().manual_seed(3)), kind="ann",
               extra={"trainer": "ann-sgd"})
    assert audio.audio_results(ctx)["out_dir"] != results["out_dir"] and len(loads) == 4


def test_synthesize_cli_on_stereo_16khz_wav_and_bad_files(world, capsys):
    tmp, ae_path, _ = world
    out = tmp / "out"
    t = np.arange(800) / 16000
    stereo = np.stack([np.sin(2 * np.pi * 600 * t), np.sin(2 * np.pi * 900 * t)], axis=1) * 0.3
    wav = tmp / "stereo16k.wav"
    wavfile.write(wav, 16000, stereo.astype(np.float32))
    png = tmp / "img.png"
    assert main(["synthesize", "--audio", str(wav), "--model", str(out / "A-th2.safetensors"), "--out", str(png)]) == 0
    assert imread(png).shape[:2] == (28, 28)
    empty = tmp / "empty.wav"
    wavfile.write(empty, 8000, np.zeros(0, dtype=np.int16))
    assert main(["synthesize", "--audio", str(empty), "--model", str(out / "A-th2.safetensors"),
                 "--out", str(tmp / "e.png")]) == 1
    assert "empty.wav" in capsys.readouterr().err and not (tmp / "e.png").exists()
    assert main(["synthesize", "--audio", str(wav), "--model", str(ae_path), "--out", str(tmp / "x.png")]) == 1
    assert "audiocoder" in capsys.readouterr().err


def test_synthesize_memory_does_not_grow_with_the_file(world, tmp_path):
    # the whole file was read and resampled before the frame budget's cut: 6x the file, 6x the peak
    import tracemalloc

    _, _, _ = world
    model = world[0] / "out" / "A-th2.safetensors"
    peaks = []
    for seconds in (10, 60):
        wav = tmp_path / f"{seconds}s.wav"
        t = np.arange(44100 * seconds) / 44100
        wavfile.write(wav, 44100, (np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1) * 9000).astype(np.int16))
        del t
        tracemalloc.start()
        try:
            assert main(["synthesize", "--audio", str(wav), "--model", str(model), "--out", str(tmp_path / "x.png")]) == 0
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 1.2 * peaks[0] and peaks[0] < 20e6, peaks   # 10 s of it as float32 alone: 3.5 MB


def test_a_full_disk_while_synthesizing_is_one_line(world, tmp_path, capsys, monkeypatch):
    import errno

    import training.audio as audio

    def disk_full(maps, path, cols=10):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(audio, "save_image_grid", disk_full)
    wav = tmp_path / "a.wav"
    wavfile.write(wav, 8000, (np.sin(np.arange(800) / 3) * 0.3).astype(np.float32))
    png = tmp_path / "img.png"
    assert main(["synthesize", "--audio", str(wav), "--model", str(world[0] / "out" / "A-th2.safetensors"),
                 "--out", str(png)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"spikesynth synthesize: error: {png}: No space left on device"


def test_train_audiocoder_cli_overrides_the_preset(monkeypatch, tmp_path, capsys):
    import training.audio as audiocoder

    seen = {}

    def fake_experiment(autoencoder, cfg, out_dir, **kwargs):
        seen.update(cfg=cfg, **kwargs)
        return {"runs": [], "n_train": 0, "n_test": 0}

    monkeypatch.setattr(audiocoder, "audio_experiment", fake_experiment)
    assert main(["train", "audiocoder", "--autoencoder", str(tmp_path / "ae.safetensors"), "--preset", "cpu",
                 "--epochs", "2", "--target-scale", "1.5", "--moments", "batch", "--out-dir", str(tmp_path)]) == 0
    cfg = seen["cfg"]
    assert (cfg.epochs, cfg.target_scale, cfg.moments) == (2, 1.5, "batch")
    assert cfg.hidden == audiocoder.preset("cpu").hidden
    assert seen["ths"] == {"A": (15, 10), "B": (15, 10)}    # one call for both datasets (--datasets A B)
    assert main(["train", "audiocoder", "--autoencoder", "x", "--target-scale", "0"]) == 1
    assert "target_scale" in capsys.readouterr().err

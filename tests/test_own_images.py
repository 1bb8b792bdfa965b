"""Your own images from the command line: a folder of 32 x 32 PNGs and an ``.npz`` of flat images
train (AE-SNN and AE-ANN), evaluate (with the reconstruction grid), simulate and compare; broken
data is refused, naming the file, before any training; the Python API takes arrays of any size."""

import numpy as np
import pytest
from PIL import Image

from figures.reconstructions import image_shape, reconstruction_figure
from models.io import load_model
from tests.helpers_cli import fails, run_json
from training.autoencoder import TrainConfig, train_autoencoder


def blobs(n: int, side: int, seed: int) -> np.ndarray:
    """``n`` uint8 ``side x side`` images of one bright Gaussian blob each."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side]
    out = np.empty((n, side, side), np.uint8)
    for i in range(n):
        cx, cy = rng.uniform(side / 4, 3 * side / 4, 2)
        out[i] = np.round(255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (side / 2.5)))
    return out


@pytest.fixture
def png_folder(tmp_path):
    root = tmp_path / "pngs"
    for split, n, seed in (("train", 60, 0), ("test", 12, 1)):
        (root / split).mkdir(parents=True)
        for i, img in enumerate(blobs(n, 32, seed)):
            Image.fromarray(img).save(root / split / f"{i:03d}.png")
    return root


def test_a_folder_of_32x32_pngs_trains_evaluates_simulates_and_compares(tmp_path, capsys, png_folder, plotted):
    out = tmp_path / "ae"
    summary = run_json(capsys, ["train", "autoencoder", "--dataset", str(png_folder), "--hidden", "24", "--steps",
                                "8", "--batch-size", "10", "--lr", "5e-3", "--epochs", "2", "--out", str(out)])
    spec, _, _ = load_model(out / "model.safetensors")
    assert spec.sizes == (1024, 24, 1024) and summary["test"]["n"] == 12
    model = str(out / "model.safetensors")
    report = run_json(capsys, ["evaluate", "--model", model, "--dataset", str(png_folder), "--json",
                               "--plot", str(tmp_path / "grid.png")])
    assert report["spike_mse"] == summary["test"]["spike_mse"] and report["spikes_per_image"][-1] > 0
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    assert tuple(plotted["inputs"].shape) == (10, 32, 32) and tuple(plotted["outputs"].shape) == (10, 1024)
    sim = run_json(capsys, ["simulate", "--model", model, "--dataset", str(png_folder), "--n", "12", "--backend",
                            "mirror", "--json"])
    assert sim["spike_mse"] == report["spike_mse"]
    compared = run_json(capsys, ["compare", "--model", model, "--dataset", str(png_folder), "--n", "3",
                                 "--target", "numpy", "--json"])
    assert compared["agree"] and all(r["mirror_spikes"] > 0 for r in compared["layers"])
    ann = run_json(capsys, ["train", "ann", "--dataset", str(png_folder), "--hidden", "16", "--out",
                            str(tmp_path / "ann")])
    assert load_model(tmp_path / "ann" / "model.safetensors")[0].sizes == (1024, 16, 1024) and ann["test"]["n"] == 12


def test_an_npz_of_flat_images_trains_and_evaluates(tmp_path, capsys, plotted):
    rng = np.random.default_rng(2)
    path = tmp_path / "flat.npz"
    np.savez(path, train_images=rng.random((50, 35)).astype(np.float32), test_images=rng.random((10, 35)))
    out = tmp_path / "ae"
    run_json(capsys, ["train", "autoencoder", "--dataset", str(path), "--trainer", "bptt", "--hidden", "8",
                      "--steps", "6", "--out", str(out)])
    assert load_model(out / "model.safetensors")[0].sizes == (35, 8, 35)
    report = run_json(capsys, ["evaluate", "--model", str(out / "model.safetensors"), "--dataset", str(path),
                               "--json", "--plot", str(tmp_path / "grid.svg")])
    assert report["n"] == 10 and (tmp_path / "grid.svg").is_file()
    assert tuple(plotted["inputs"].shape) == (10, 35)      # drawn as 5 x 7 (image_shape)


def test_flat_images_are_drawn_in_the_most_nearly_square_shape():
    assert image_shape(784) == (28, 28) and image_shape(1024) == (32, 32) and image_shape(3072) == (48, 64)
    assert image_shape(35) == (5, 7) and image_shape(13) == (1, 13) and image_shape(1) == (1, 1)
    fig = reconstruction_figure(np.random.rand(3, 6, 10), np.random.rand(3, 60), n=3)
    assert fig.axes[0].images[0].get_array().shape == (6, 10)
    assert reconstruction_figure(np.random.rand(2, 35), np.random.rand(2, 35)).axes[0].images[0].get_array().shape \
        == (5, 7)
    with pytest.raises(ValueError, match="6 x 10 values"):
        reconstruction_figure(np.random.rand(3, 6, 10), np.random.rand(3, 59))


def test_the_api_takes_arrays_of_any_size():
    x = np.random.default_rng(3).random((40, 6, 5)).astype(np.float32)
    result = train_autoencoder(TrainConfig(hidden=8, steps=5, batch_size=20), images=(x, x[:10]), progress=False)
    assert result.spec.sizes == (30, 8, 30) and result.metrics["test"]["n"] == 10
    with pytest.raises(ValueError, match="the training images have 30 values each, the test images 20"):
        train_autoencoder(TrainConfig(hidden=8, steps=5), images=(x, x[:10, :4]), progress=False)


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("make, match", [
    (lambda d: write_npz(d / "nan.npz", train_images=np.full((5, 4, 4), np.nan), test_images=np.zeros((2, 4, 4))),
     r"nan.npz:train_images: images contain NaN"),
    (lambda d: write_npz(d / "nantest.npz", train_images=np.zeros((5, 4, 4)), test_images=np.full((2, 4, 4), np.nan)),
     r"nantest.npz:test_images: images contain NaN"),
    (lambda d: write_npz(d / "range.npz", train_images=np.full((5, 4, 4), 1.5), test_images=np.zeros((2, 4, 4))),
     r"range.npz:train_images: float images must lie in \[0, 1\]"),
    (lambda d: write_npz(d / "empty.npz", train_images=np.zeros((5, 4, 4)), test_images=np.zeros((0, 4, 4))),
     r"empty.npz:test_images: the test split is empty"),
    (lambda d: write_npz(d / "nokey.npz", train_images=np.zeros((5, 4, 4))), r"nokey.npz: missing array\(s\)"),
    (lambda d: str(d / "missing.npz"), r"missing.npz: no such .npz file"),
    ("mixed", r"b.png: image is 9x8 .* every image must have the same size"),
    ("emptyfolder", r"test: the test split holds no .png/.jpg/.jpeg images"),
])
@pytest.mark.parametrize("command", ["autoencoder", "ann"])
def test_broken_data_fails_before_training_naming_the_file(tmp_path, capsys, no_training, make, match, command):
    import re

    if make == "mixed":
        for split in ("train", "test"):
            (tmp_path / "mixed" / split).mkdir(parents=True)
            Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "mixed" / split / "a.png")
        Image.fromarray(np.zeros((8, 9), np.uint8)).save(tmp_path / "mixed" / "train" / "b.png")
        dataset = str(tmp_path / "mixed")
    elif make == "emptyfolder":
        (tmp_path / "imgs" / "train").mkdir(parents=True)
        (tmp_path / "imgs" / "test").mkdir()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "imgs" / "train" / "a.png")
        dataset = str(tmp_path / "imgs")
    else:
        dataset = make(tmp_path)
    err = fails(capsys, ["train", command, "--dataset", dataset, "--out", str(tmp_path / "out")])
    assert re.search(match, err), err
    assert not (tmp_path / "out" / "model.safetensors").exists()


@pytest.mark.parametrize("command", [["evaluate", "--model", "M"], ["simulate", "--model", "M", "--backend", "mirror"],
                                     ["compare", "--model", "M"]])
def test_the_readers_take_your_images_and_refuse_broken_ones(tmp_path, capsys, command):
    from models.spec import autoencoder_spec
    from models.io import save_model
    from models.torch_snn import init_weights

    spec = autoencoder_spec(hidden=4).with_(sizes=(16, 4, 16))
    save_model(tmp_path / "m.safetensors", spec, init_weights(spec))
    argv = [str(tmp_path / "m.safetensors") if a == "M" else a for a in command]
    bad = write_npz(tmp_path / "bad.npz", train_images=np.zeros((3, 4, 4)), test_images=np.full((2, 4, 4), 2.0))
    assert "bad.npz:test_images: float images must lie in [0, 1]" in fails(capsys, argv + ["--dataset", bad])
    wrong = write_npz(tmp_path / "wrong.npz", train_images=np.zeros((3, 5, 5)), test_images=np.zeros((2, 5, 5)))
    assert "25 values per item into 25 input units, but the spec's input layer has 16" in fails(
        capsys, argv + ["--dataset", wrong, *([] if command[0] == "evaluate" else ["--n", "2"])])
    assert "dataset must be one of" in fails(capsys, argv + ["--dataset", "mnistt"])


def test_images_too_large_or_empty_for_a_network_name_the_dataset(tmp_path, capsys):
    for name, shape in (("empty", (5, 0)), ("huge", (2, 1001, 1000))):
        data = tmp_path / f"{name}.npz"
        np.savez(data, train_images=np.zeros(shape, np.uint8), test_images=np.zeros(shape, np.uint8))
        err = fails(capsys, ["train", "autoencoder", "--dataset", str(data), "--hidden", "4", "--steps", "5",
                             "--out", str(tmp_path / name)])
        assert f"{data} (images of {int(np.prod(shape[1:]))} values): every layer size" in err, err

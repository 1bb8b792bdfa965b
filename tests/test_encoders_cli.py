"""``spikesynth encode``: listing, an MNIST image to a plot, errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import encoders
from training.cli import main
from tests.helpers_cli import SAMPLE, fails

DATA = os.environ.get("SPIKESYNTH_DATA")
needs_mnist = pytest.mark.skipif(not DATA or not (Path(DATA) / "mnist").is_dir(),
                                 reason="set SPIKESYNTH_DATA to a folder holding mnist/")


def test_list(capsys):
    assert main(["encode", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == list(encoders.available())


@needs_mnist
def test_encode_mnist_image_with_plot(tmp_path, capsys):
    png = tmp_path / "out.png"
    assert main(["encode", "--encoder", "poisson", "--dataset", "mnist", "--index", "0", "--steps", "15",
                 "--plot", str(png), "--data-dir", DATA]) == 0
    out = capsys.readouterr().out
    assert "spikes [15, 784]" in out and "label 7" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]       # no temporary files left


@needs_mnist
def test_encode_with_params_and_errors(capsys):
    assert main(["encode", "--encoder", "latency", "--param", "tau=4.0", "--param", "threshold=0.1",
                 "--steps", "20", "--data-dir", DATA]) == 0
    assert "'tau': 4.0" in capsys.readouterr().out
    assert main(["encode", "--encoder", "lif", "--data-dir", DATA]) == 1
    assert "encodes signals" in capsys.readouterr().err
    assert main(["encode", "--index", "10000", "--data-dir", DATA]) == 1
    assert "--index must be in [0, 9999]" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:   # the KEY=VALUE type of --encoder-param: a usage error
        main(["encode", "--param", "nonsense", "--data-dir", DATA])
    assert usage.value.code == 2 and "expected KEY=VALUE, got 'nonsense'" in capsys.readouterr().err
    assert main(["encode", "--param", "seed=3", "--data-dir", DATA]) == 1
    assert "--param seed: give it as --seed" in capsys.readouterr().err


def test_cli_module_imports_no_heavy_packages():
    code = "import sys, training.cli.encode; print(sorted({'torch', 'scipy', 'brian2', 'matplotlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", ["name", "static", "description"])
def test_class_variables_are_not_parameters(capsys, name):
    # the error for unknown names listed them as allowed, and passing one gave a TypeError
    with pytest.raises(ValueError, match=rf"unknown parameter\(s\) \['{name}'\]") as caught:
        encoders.get("poisson", **{name: "x"})
    assert "'name'" not in str(caught.value).split("allowed:")[1] and "max_rate" in str(caught.value)
    assert main(["encode", "--param", f"{name}=x"]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter" in err and "Traceback" not in err


def test_encode_draws_the_spikes_of_models_encode_for_a_dataset_path(capsys):
    import numpy as np

    from models.encode import encode
    from models.spec import EncoderSpec, NetworkSpec
    from training.data import SAMPLE_PATH

    assert main(["encode", "--dataset", str(SAMPLE_PATH), "--index", "4", "--seed", "3", "--max-rate", "250"]) == 0
    out = capsys.readouterr().out
    image = np.load(SAMPLE_PATH)["test_images"][4] / np.float32(255)
    spec = NetworkSpec(sizes=(784, 1, 784), encoder=EncoderSpec("poisson", {"max_rate": 250.0}))
    assert f"spikes [15, 784]: {int(encode(image[None], spec, seed=3).sum())} in total" in out


def test_no_module_but_the_entry_runs_as_a_script():
    root = Path(__file__).resolve().parents[1]
    scripts = [p.relative_to(root).as_posix() for package in ("training", "models", "encoders", "figures")
               for p in (root / package).rglob("*.py") if 'if __name__ == "__main__"' in p.read_text()]
    assert scripts == []


@pytest.mark.parametrize("args, match", [
    (["--param", "max_rate=300", "--max-rate", "200"], "give --max-rate or --param max_rate, not both"),
    (["--param", "max_rate=100", "--param", "max_rate=200"], r"--param: parameter\(s\) \['max_rate'\] given more"),
])
def test_contradictory_encoder_parameters_are_refused(args, match, capsys):
    import re

    err = fails(capsys, ["encode", "--encoder", "poisson", "--dataset", SAMPLE, *args])
    assert re.search(match, err), err

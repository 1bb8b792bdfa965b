import json
import re
import subprocess
import sys

import numpy as np
import pytest


import training.cli as cli


def test_help_lists_every_subcommand():
    out = subprocess.run([sys.executable, "-m", "training.cli", "--help"], capture_output=True, text=True, check=True)
    for name, _, _ in cli.COMMANDS:
        assert f"    {name} " in out.stdout


def test_help_imports_no_heavy_packages():
    code = ("import sys, training.cli; training.cli.build_parser(); "
            "print(sorted({'torch', 'numpy', 'scipy', 'brian2', 'matplotlib'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_light_brian2_targets_are_the_networks():
    from models.brian_snn import TARGETS
    from training.defaults import BRIAN2_TARGETS

    assert BRIAN2_TARGETS == TARGETS == cli.TARGETS


def test_the_light_nir_conventions_are_the_bridges():
    pytest.importorskip("nir")
    from models.nir_bridge import CONVENTIONS
    from training.cli import nir as cli_nir

    assert cli_nir.CONVENTIONS == CONVENTIONS


def test_unbuilt_subcommand_says_so(monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + [("ghost", "training.no_such_module", "not there")])
    assert cli.main(["ghost"]) == 2
    assert "spikesynth ghost: not built yet" in capsys.readouterr().err


def test_data_without_action_prints_help(capsys):
    assert cli.main(["data"]) == 2
    assert "info" in capsys.readouterr().out


def test_data_info_on_the_real_files(data_dir, isolated_data, capsys):
    assert cli.main(["data", "info", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "mnist train" in out and "60000 images from --data-dir" in out
    assert "train-images-idx3-ubyte.gz   known variant (MNIST train images rebuilt" in out
    assert "t10k-images-idx3-ubyte.gz    canonical" in out
    assert "fsdd" in out and "3000 clips, 6 speakers, digits 0-9, standard split 2700/300" in out
    # the shared data has no SHD/SSC files; everything else is found
    assert all(line.startswith(("shd ", "ssc ")) for line in out.splitlines() if "NOT FOUND" in line)
    assert "ERROR" not in out


def test_data_info_json_quick(data_dir, isolated_data, capsys):
    assert cli.main(["data", "info", "--data-dir", str(data_dir), "--quick", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(e["dataset"], e.get("split")) for e in report] == [
        ("mnist", "train"), ("mnist", "test"), ("fashion-mnist", "train"), ("fashion-mnist", "test"), ("fsdd", None),
        ("shd", None), ("ssc", None), ("mnist-sample", None)]
    assert all(e["found"] and e["source"] == "--data-dir" for e in report[:5])
    assert report[7]["count"] == {"train": 1000, "test": 1000}
    assert report[1]["count"] == 10000 and "status" not in report[1]["files"][0]


def test_data_info_with_nothing_found(isolated_data, capsys):
    assert cli.main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert out.count("NOT FOUND") == 5 + 2 + 3 and "spikesynth data fetch fashion-mnist" in out   # + SHD, SSC splits
    assert "SPIKESYNTH_DATA (not set)" in out


def test_data_info_reports_a_corrupt_file(tmp_path, isolated_data, capsys):
    folder = tmp_path / "d" / "mnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") * 3)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big"))
    assert cli.main(["data", "info", "--data-dir", str(tmp_path / "d")]) == 1
    assert "ERROR:" in capsys.readouterr().out


def test_data_fetch_offline(isolated_data, capsys):
    assert cli.main(["data", "fetch", "mnist"]) == 1
    err = capsys.readouterr().err
    assert "could not download mnist train-images-idx3-ubyte.gz (no network?)" in err
    assert "network is unreachable" in err and "three ways" in err


def test_data_fetch_skips_what_is_already_there(data_dir, isolated_data, capsys):
    assert cli.main(["data", "fetch", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.count("already available from --data-dir") == 4


def test_data_fetch_refuses_fsdd(isolated_data, capsys):
    assert cli.main(["data", "fetch", "fsdd"]) == 1
    assert "NAME must be one of" in capsys.readouterr().err


def test_one_vocabulary_device_is_the_torch_device(capsys):
    # the Brian2 target is --target; the old spellings get a hint naming it, before any work
    for argv in (["simulate", "--model", "m.safetensors", "--device", "cpp_standalone"],
                 ["compare", "--model", "m.safetensors", "--device=numpy"],
                 ["demo", "--backend", "cython"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "--target" in err and "torch device" in err
    # --device is checked the same way in every command that has it
    for argv in (["evaluate", "--model", "m.safetensors", "--device", "banana"],
                 ["simulate", "--model", "m.safetensors", "--device", "tpu"],
                 ["synthesize", "--audio", "a.wav", "--model", "m.safetensors", "--out", "x.png", "--device", "gpu"],
                 ["demo", "--device", "cuda:x"]):
        assert cli.main(argv) == 1
        assert "device must be 'cpu' or 'cuda[:N]'" in capsys.readouterr().err


def _idx(array) -> bytes:
    import numpy as np
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape) + array.tobytes()


@pytest.mark.parametrize("images, labels, match, quick_sees_it", [
    ((2, 28, 28), [1, 2, 3], "2 images but .* has 3 labels", True),
    ((2, 28, 28), [1, 200], "labels must be 0-9, found 200", False),
    ((2, 28, 27), [1, 2], r"images are \(28, 27\), expected 28 x 28", True),
])
def test_data_info_refuses_what_the_loader_refuses(tmp_path, isolated_data, capsys, images, labels, match,
                                                   quick_sees_it):
    import numpy as np
    folder = tmp_path / "d" / "mnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte").write_bytes(_idx(np.zeros(images)))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(_idx(labels))
    assert cli.main(["data", "info", "--data-dir", str(tmp_path / "d")]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and re.search(match, out), out
    assert cli.main(["data", "info", "--quick", "--data-dir", str(tmp_path / "d")]) == (1 if quick_sees_it else 0)
    assert bool(re.search(match, capsys.readouterr().out)) == quick_sees_it


@pytest.mark.parametrize("samples, match", [(np.zeros(0, np.int16), "empty"),
                                            (np.array([0.1, np.nan, 0.2], np.float32), "NaN")])
def test_data_info_refuses_wavs_the_front_end_refuses(tmp_path, isolated_data, capsys, samples, match):
    from scipy.io import wavfile
    rec = tmp_path / "fsdd" / "recordings"
    rec.mkdir(parents=True)
    for i in range(3):
        wavfile.write(rec / f"{i}_ann_{i}.wav", 8000, (np.ones(400) * 0.1).astype(np.float32))
    wavfile.write(rec / "7_bob_0.wav", 8000, samples)
    assert cli.main(["data", "info", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "every WAV reads" not in out and "7_bob_0.wav" in out and match in out and "1 of 4" in out, out


@pytest.mark.parametrize("argv", [["train", "autoencoder", "--out", "OUT"], ["train", "ann", "--out", "OUT"],
                                  ["train", "audiocoder", "--autoencoder", "A.safetensors", "--out-dir", "OUT"], ["figures", "fig1", "--out", "OUT"]])
def test_threads_are_checked_in_one_place_for_every_command(tmp_path, capsys, argv):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    assert cli.main(argv + ["--threads", "0"]) == 1
    assert "error: --threads must be a positive integer, got 0" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["simulate", "--model", "m.safetensors"], ["train", "autoencoder"], ["encode"],
                                     ["demo"], ["figures", "fig3"], ["train", "audiocoder"],
                                     ["synthesize", "--audio", "a.wav", "--model", "m.safetensors", "--out", "o.png"]])
@pytest.mark.parametrize("seed", ["18446744073709551616", "4294967296", "-1", "1.5"])
def test_a_seed_out_of_range_is_a_usage_error_naming_seed(command, seed, capsys):
    # torch keeps a seed's low 32 bits: 2**32 + k would silently repeat k's spikes
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--seed", seed])
    assert exit_info.value.code == 2 and "argument --seed" in capsys.readouterr().err


def test_the_cli_seed_limit_is_the_encoders():
    from encoders.rate import SEED_MAX
    from training.cli.options import SEED_MAX as CLI_SEED_MAX

    assert CLI_SEED_MAX == SEED_MAX
    assert cli.main(["encode", "--seed", str(SEED_MAX), "--list"]) == 0

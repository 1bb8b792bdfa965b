"""Output folders: a bad location fails before any work, a late write failure keeps the trained
weights, a killed write leaves a folder that every reader refuses until a rerun completes it."""

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

import models.files as files
from models.files import INCOMPLETE, LOCK_FILE
from models.io import load_model
from training.autoencoder import CHECKPOINT_FILE, METRICS_FILE, MODEL_FILE, TrainConfig, train_autoencoder
from training.checkpoints import load_checkpoint, save_checkpoint
from training.cli import main
from training.data import load_sample

ROOT = Path(__file__).resolve().parents[1]
DATA = os.environ.get("SPIKESYNTH_DATA")
needs_mnist = pytest.mark.skipif(not (DATA and os.path.isdir(os.path.join(DATA, "mnist"))),
                                 reason="set SPIKESYNTH_DATA to a directory holding mnist/")
TINY = dict(train_limit=100, batch_size=50, hidden=8, steps=3, eval_limit=20, seed=3)
TINY_ARGS = ["--train-limit", "100", "--batch-size", "50", "--hidden", "8", "--steps", "3", "--eval-limit", "20",
             "--seed", "3"]


def sample():
    """The bundled MNIST sample as ``(train, test)`` float32 images: no dataset folder needed."""
    return tuple(load_sample(split)[0].astype("float32") / 255 for split in ("train", "test"))


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any image data is loaded (i.e. if the work starts)."""
    import training.autoencoder as autoencoder

    def fail(*args, **kwargs):
        pytest.fail("the training data was loaded before the output location was checked")
    monkeypatch.setattr(autoencoder, "load_images", fail)


def one_error_line(capsys) -> str:
    """The one error line on stderr (progress bars aside), with no traceback."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert "Traceback" not in err and len(lines) == 1, err
    return lines[0]


# --- a bad output location: found before any work -----------------------------------

def test_out_that_is_an_existing_file_fails_before_training(tmp_path, capsys, no_training):
    (tmp_path / "taken").write_text("x")
    assert main(["train", "autoencoder", "--out", str(tmp_path / "taken"), *TINY_ARGS]) == 1
    assert "--out" in one_error_line(capsys) and (tmp_path / "taken").read_text() == "x"
    assert main(["train", "autoencoder", "--out", str(tmp_path / "taken" / "sub"), *TINY_ARGS]) == 1
    assert "taken" in one_error_line(capsys)


def test_a_model_file_that_is_a_folder_fails_before_training(tmp_path, capsys, no_training):
    (tmp_path / "run" / MODEL_FILE).mkdir(parents=True)
    assert main(["train", "autoencoder", "--out", str(tmp_path / "run"), *TINY_ARGS]) == 1
    assert f"{MODEL_FILE} there is a folder" in one_error_line(capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod does not stop root from writing")
def test_a_read_only_out_folder_fails_before_training(tmp_path, capsys, no_training):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert main(["train", "autoencoder", "--out", str(folder / "run"), *TINY_ARGS]) == 1
        assert "cannot write there" in one_error_line(capsys)
    finally:
        folder.chmod(0o755)


def test_a_read_only_file_system_fails_before_training(tmp_path, capsys, monkeypatch, no_training):
    # works as root too: every new file in the folder fails as on a read-only mount
    folder = tmp_path / "mounted"
    folder.mkdir()
    real = tempfile.mkstemp

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve().is_relative_to(folder.resolve()):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert main(["train", "autoencoder", "--out", str(folder), *TINY_ARGS]) == 1
    assert "Read-only file system" in one_error_line(capsys)


def test_a_second_run_into_a_folder_in_use_fails_at_once(tmp_path):
    from filelock import FileLock

    tmp_path.mkdir(exist_ok=True)
    with FileLock(tmp_path / LOCK_FILE).acquire(timeout=0):
        with pytest.raises(ValueError, match="another spikesynth run is writing there"):
            train_autoencoder(TrainConfig(**TINY), tmp_path, images=sample(), progress=False)


# --- a late write failure: one clear error, the weights kept --------------------------

@needs_mnist
def test_a_full_disk_at_the_final_write_keeps_the_weights_for_resume(tmp_path, capsys, monkeypatch):
    import training.autoencoder as autoencoder

    whole = train_autoencoder(TrainConfig(**TINY), tmp_path / "whole", DATA, progress=False)
    out = tmp_path / "full"

    def disk_full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    real = autoencoder.save_model
    monkeypatch.setattr(autoencoder, "save_model", disk_full)
    assert main(["train", "autoencoder", "--out", str(out), "--data-dir", DATA, *TINY_ARGS]) == 1
    err = one_error_line(capsys)
    assert "No space left on device" in err and str(out / CHECKPOINT_FILE) in err and "--resume" in err
    tensors, meta = load_checkpoint(out / CHECKPOINT_FILE)
    assert meta["batches_done"] == 2 and torch.equal(tensors["W1"], whole.weights[1])
    assert not (out / MODEL_FILE).exists()
    monkeypatch.setattr(autoencoder, "save_model", real)
    capsys.readouterr()
    assert main(["train", "autoencoder", "--out", str(out), "--data-dir", DATA, "--resume", *TINY_ARGS]) == 0
    _, saved, _ = load_model(out / MODEL_FILE)
    assert all(torch.equal(a, b) for a, b in zip(saved, whole.weights))
    assert not (out / CHECKPOINT_FILE).exists() and not (out / INCOMPLETE).exists()


def test_when_nothing_can_be_written_the_weights_go_to_a_rescue_file(tmp_path, monkeypatch):
    import training.autoencoder as autoencoder

    out, rescue = tmp_path / "full", tmp_path / "rescue"
    rescue.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(rescue))
    real = autoencoder.save_checkpoint

    def only_elsewhere(path, *args, **kwargs):
        if Path(path).parent == out:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    def disk_full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(autoencoder, "save_checkpoint", only_elsewhere)
    monkeypatch.setattr(autoencoder, "save_model", disk_full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        train_autoencoder(TrainConfig(**TINY), out, images=sample(), progress=False)
    (kept,) = rescue.glob("*.safetensors")
    assert str(kept) in str(caught.value) and "--resume" in str(caught.value)
    result = train_autoencoder(TrainConfig(**TINY), None, images=sample(), progress=False)
    assert torch.equal(load_checkpoint(kept)[0]["W0"], result.weights[0])


@needs_mnist
def test_ctrl_c_during_training_keeps_the_checkpoint_and_says_resume(tmp_path, capsys, monkeypatch):
    import training.autoencoder as autoencoder

    real, seen = autoencoder.online_batch, []

    def interrupt_the_second(*args, **kwargs):
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(autoencoder, "online_batch", interrupt_the_second)
    out = tmp_path / "run"
    assert main(["train", "autoencoder", "--out", str(out), "--data-dir", DATA, "--checkpoint-every", "1",
                 *TINY_ARGS]) == 130
    err = capsys.readouterr().err
    assert f"{out / CHECKPOINT_FILE} is kept" in err and "--resume" in err and "interrupted" in err
    assert load_checkpoint(out / CHECKPOINT_FILE)[1]["batches_done"] == 1 and not (out / MODEL_FILE).exists()


# --- a checkpoint in the folder -------------------------------------------------------

def _interrupted(out: Path) -> None:
    class Stop(Exception):
        pass

    def stop(number, record):
        raise Stop
    with pytest.raises(Stop):
        train_autoencoder(TrainConfig(checkpoint_every=1, **TINY), out, images=sample(), progress=False,
                          on_batch=stop)
    assert (out / CHECKPOINT_FILE).is_file()


def test_a_checkpoint_is_not_discarded_without_force(tmp_path, monkeypatch):
    import training.autoencoder as autoencoder

    _interrupted(tmp_path)
    before = (tmp_path / CHECKPOINT_FILE).read_bytes()
    with monkeypatch.context() as m:
        m.setattr(autoencoder, "check_images", lambda *a: pytest.fail("training started"))
        with pytest.raises(ValueError, match="unfinished run.*--resume.*--force"):
            train_autoencoder(TrainConfig(**TINY), tmp_path, images=sample(), progress=False)
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == before
    train_autoencoder(TrainConfig(**TINY), tmp_path, images=sample(), progress=False, force=True)
    assert (tmp_path / MODEL_FILE).is_file() and not (tmp_path / CHECKPOINT_FILE).exists()


def test_a_checkpoint_with_nan_weights_is_refused_before_training(tmp_path, monkeypatch):
    import training.autoencoder as autoencoder

    _interrupted(tmp_path)
    tensors, meta = load_checkpoint(tmp_path / CHECKPOINT_FILE)
    tensors["W1"][0, 0] = float("nan")
    save_checkpoint(tmp_path / CHECKPOINT_FILE, tensors, meta)
    monkeypatch.setattr(autoencoder, "check_images", lambda *a: pytest.fail("training started"))
    with pytest.raises(ValueError, match=f"{CHECKPOINT_FILE}: tensor W1 contains NaN"):
        train_autoencoder(TrainConfig(checkpoint_every=1, **TINY), tmp_path, images=sample(), progress=False,
                          resume=True)


# --- a killed write: an incomplete folder, refused, then completed ----------------------

KILLED_BETWEEN_THE_WRITES = """
import os, sys, time
from pathlib import Path
import numpy as np
from training.autoencoder import TrainConfig, train_autoencoder
from training.data import load_sample
out = Path(sys.argv[1])
real = os.replace
def pause_before_the_metrics(src, dst):
    if str(dst).endswith("metrics.json"):
        (out.parent / "ready").write_text("x")
        time.sleep(120)
    return real(src, dst)
os.replace = pause_before_the_metrics
images = tuple(load_sample(s)[0].astype("float32") / 255 for s in ("train", "test"))
train_autoencoder(TrainConfig(train_limit=100, batch_size=50, hidden=8, steps=3, eval_limit=20, seed=4), out,
                  images=images, progress=False)
"""


def test_a_kill_between_the_model_and_its_metrics_leaves_an_incomplete_folder(tmp_path, capsys):
    from figures.runner import Context

    ctx = Context(out=tmp_path / "figures", cache=tmp_path / "cache")
    out = ctx.model_dir({"x": 1})
    old = train_autoencoder(TrainConfig(**TINY), out, images=sample(), progress=False)   # seed 3: complete
    (out / "result.json").write_text(json.dumps({"key": {"x": 1}, "v": 1}))          # the cache's result of it
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BETWEEN_THE_WRITES, str(out)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        while not (out.parent / "ready").exists():
            assert proc.poll() is None, "the training process ended before its metrics write"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # a new model (seed 4) beside the old run's metrics (seed 3), and the full metrics temp file
    assert json.loads((out / METRICS_FILE).read_text())["config"]["seed"] == 3
    assert (out / INCOMPLETE).is_file() and list(out.glob(f".{METRICS_FILE}.*.tmp"))
    with pytest.raises(ValueError, match="incomplete"):
        load_model(out / MODEL_FILE)
    assert main(["evaluate", "--model", str(out / MODEL_FILE)]) == 1
    assert "incomplete" in one_error_line(capsys)
    # the figure cache does not reuse the folder's result but redoes it: --resume completes the
    # run from the checkpoint kept until the outputs were written
    cfg = TrainConfig(**{**TINY, "seed": 4})
    done = []

    def redo():
        done.append(train_autoencoder(cfg, out, images=sample(), progress=False, resume=True))
        return {"v": 2}
    assert ctx.cached({"x": 1}, redo)["v"] == 2 and ctx.cached({"x": 1}, redo)["v"] == 2 and len(done) == 1
    whole = train_autoencoder(cfg, None, images=sample(), progress=False)
    assert all(torch.equal(a, b) for a, b in zip(done[0].weights, whole.weights))
    assert not any(torch.equal(a, b) for a, b in zip(whole.weights, old.weights))
    _, saved, _ = load_model(out / MODEL_FILE)
    assert all(torch.equal(a, b) for a, b in zip(saved, whole.weights))
    assert json.loads((out / METRICS_FILE).read_text())["config"]["seed"] == 4
    assert not (out / INCOMPLETE).exists() and not list(out.glob(".*.tmp"))   # the stale temp file is gone


def test_stale_temporary_files_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = [tmp_path / f".model.safetensors.{dead}.ab12_x.tmp", tmp_path / ".metrics.json.k3j2hx9a.tmp"]
    live = tmp_path / f".model.safetensors.{os.getpid()}.zz9_q.tmp"
    recent = tmp_path / ".results.json.q8w7e6r5.tmp"      # no process id (an earlier version): kept for an hour
    for p in (*stale, live, recent, tmp_path / "keep.tmp"):
        p.write_bytes(b"x" * 100)
    hours_ago = time.time() - 2 * 3600
    os.utime(stale[1], (hours_ago, hours_ago))
    assert sorted(files.remove_stale_temps(tmp_path)) == sorted(stale)
    assert live.exists() and recent.exists() and (tmp_path / "keep.tmp").exists()


# --- the other commands: output paths and devices checked before the work ---------------

@pytest.fixture
def model_file(tmp_path):
    from models.io import save_model
    from models.spec import autoencoder_spec
    from models.torch_snn import init_weights

    spec = autoencoder_spec(hidden=4, steps=3)
    return save_model(tmp_path / "m" / MODEL_FILE, spec, init_weights(spec, torch.Generator().manual_seed(0)))


def _fail(what):
    def fail(*args, **kwargs):
        pytest.fail(f"{what} started before the arguments were checked")
    return fail


@pytest.mark.parametrize("plot, match", [("grid.jpg", "must end in .png, .pdf, .svg"), ("folder.png", "is a folder")])
def test_evaluate_checks_plot_before_evaluating(tmp_path, capsys, monkeypatch, model_file, plot, match):
    import training.evaluate

    (tmp_path / "folder.png").mkdir()
    monkeypatch.setattr(training.evaluate, "evaluate_file", _fail("the evaluation"))
    assert main(["evaluate", "--model", str(model_file), "--plot", str(tmp_path / plot)]) == 1
    line = one_error_line(capsys)
    assert "--plot" in line and match in line


@pytest.mark.parametrize("command", ["evaluate", "synthesize", "train audiocoder"])
@pytest.mark.parametrize("device", ["banana", "cuda:99"])
def test_bad_devices_are_one_line_before_the_work(tmp_path, capsys, monkeypatch, model_file, command, device):
    import training.audio
    import training.evaluate

    monkeypatch.setattr(training.evaluate, "evaluate_file", _fail("the evaluation"))
    monkeypatch.setattr(training.audio, "load_audiocoder", _fail("synthesis"))
    monkeypatch.setattr(training.audio, "audio_experiment", _fail("training"))
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"RIFF")
    argv = {"evaluate": ["evaluate", "--model", str(model_file)],
            "synthesize": ["synthesize", "--audio", str(wav), "--model", str(model_file), "--out", str(tmp_path / "x.png")],
            "train audiocoder": ["train", "audiocoder", "--autoencoder", str(model_file), "--out-dir", str(tmp_path / "a")],
            }[command]
    assert main(argv + ["--device", device]) == 1
    assert "device" in one_error_line(capsys)


def test_synthesize_checks_out_before_the_work(tmp_path, capsys, monkeypatch, model_file):
    import training.audio

    monkeypatch.setattr(training.audio, "load_audiocoder", _fail("synthesis"))
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"RIFF")
    (tmp_path / "taken.png").mkdir()
    for out in ("taken.png", "file/x.png"):
        (tmp_path / "file").write_text("x")
        assert main(["synthesize", "--audio", str(wav), "--model", str(model_file), "--out", str(tmp_path / out)]) == 1
        assert "--out" in one_error_line(capsys)


def test_train_audiocoder_checks_out_dir_before_the_work(tmp_path, capsys, monkeypatch, model_file):
    import training.audio

    monkeypatch.setattr(training.audio, "audio_experiment", _fail("training"))
    (tmp_path / "file").write_text("x")
    assert main(["train", "audiocoder", "--autoencoder", str(model_file), "--out-dir", str(tmp_path / "file")]) == 1
    assert "--out-dir" in one_error_line(capsys)


@pytest.mark.parametrize("option", ["--out", "--cache"])
def test_figures_check_out_and_cache_before_training(tmp_path, capsys, monkeypatch, option):
    import figures.runner

    monkeypatch.setattr(figures.runner, "trained_autoencoder", _fail("training"))
    (tmp_path / "file").write_text("x")
    paths = {"--out": tmp_path / "out", "--cache": tmp_path / "cache", option: tmp_path / "file"}
    assert main(["figures", "fig3", "--out", str(paths["--out"]), "--cache", str(paths["--cache"])]) == 1
    assert option in one_error_line(capsys)


def test_demo_checks_out_before_training(tmp_path, capsys, monkeypatch):
    import training.autoencoder

    monkeypatch.setattr(training.autoencoder, "train_autoencoder", _fail("training"))
    (tmp_path / "out" / "compare.png").mkdir(parents=True)
    assert main(["demo", "--out", str(tmp_path / "out")]) == 1
    assert "compare.png there is a folder" in one_error_line(capsys)


def test_compare_checks_plot_before_simulating(tmp_path, capsys, monkeypatch, model_file):
    import training.cli.simulate as simulate

    monkeypatch.setattr(simulate, "_load", _fail("the simulation"))
    assert main(["compare", "--model", str(model_file), "--n", "2", "--plot", str(tmp_path / "x.jpg")]) == 1
    assert "--plot" in one_error_line(capsys)


def test_encode_checks_plot_before_encoding(tmp_path, capsys, monkeypatch):
    import training.data

    monkeypatch.setattr(training.data, "load_images", _fail("encoding"))
    assert main(["encode", "--plot", str(tmp_path / "x.jpg")]) == 1
    assert "--plot" in one_error_line(capsys)

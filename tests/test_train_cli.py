import json
import os

import pytest
import numpy as np
import torch
from safetensors.torch import save_file

from models.io import load_model
from models.spec import autoencoder_spec
from training.autoencoder import CHECKPOINT_FILE, TrainConfig, train_autoencoder
from training.cli import main
from training.data import load_images
from training.evaluate import evaluate_model
from tests.helpers_cli import SAMPLE, fails

DATA = os.environ.get("SPIKESYNTH_DATA")
pytestmark = pytest.mark.skipif(not (DATA and os.path.isdir(os.path.join(DATA, "mnist"))),
                                reason="set SPIKESYNTH_DATA to a directory holding mnist/")
TINY = dict(train_limit=300, batch_size=50, hidden=16, steps=5, eval_limit=0, seed=3)


class Stop(Exception):
    pass


@pytest.mark.parametrize("trainer, extra", [("paper", {}), ("bptt", {}), ("ann-adam", {}),  # a second or two each
                                            ("paper", {"encoder": "latency"}), ("bptt", {"hidden": (24, 12, 24)}),
                                            ("paper", {"stack_on": "A"})],
                         ids=["paper", "bptt", "ann-adam", "latency", "deep", "stacked"])
def test_resume_after_interruption_gives_bit_identical_weights(tmp_path, trainer, extra):
    if "stack_on" in extra:   # B on the code-layer spikes of an A: its spikes drawn from the same generator
        train_autoencoder(TrainConfig(**TINY), tmp_path / "A", DATA, progress=False)
        extra = {"stack_on": str(tmp_path / "A" / "model.safetensors"), "hidden": 8}
    settings = {**TINY, **extra}
    whole = train_autoencoder(TrainConfig(trainer=trainer, **settings), tmp_path / "whole", DATA, progress=False)

    def interrupt(number, record):
        if number == 4:  # after the checkpoint of batch 3, before the end
            raise Stop

    cut = tmp_path / "cut"
    with pytest.raises(Stop):
        train_autoencoder(TrainConfig(trainer=trainer, checkpoint_every=3, **settings), cut, DATA, progress=False,
                          on_batch=interrupt)
    assert (cut / CHECKPOINT_FILE).is_file() and not (cut / "model.safetensors").exists()
    resumed = train_autoencoder(TrainConfig(trainer=trainer, checkpoint_every=3, **settings), cut, DATA,
                                resume=True, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(whole.weights, resumed.weights))
    assert resumed.history == whole.history
    assert not (cut / CHECKPOINT_FILE).exists()   # removed once the model is written
    _, saved, _ = load_model(cut / "model.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(saved, whole.weights))


def test_resume_refuses_a_checkpoint_of_other_settings(tmp_path):
    with pytest.raises(Stop):
        train_autoencoder(TrainConfig(checkpoint_every=1, **TINY), tmp_path, DATA, progress=False,
                          on_batch=lambda n, r: (_ for _ in ()).throw(Stop()))
    with pytest.raises(ValueError, match="different settings.*alpha"):
        train_autoencoder(TrainConfig(alpha=0.2, **TINY), tmp_path, DATA, resume=True, progress=False)


def test_resume_refuses_a_checkpoint_of_an_earlier_version(tmp_path):
    from training.checkpoints import load_checkpoint, save_checkpoint
    with pytest.raises(Stop):
        train_autoencoder(TrainConfig(checkpoint_every=1, **TINY), tmp_path, DATA, progress=False,
                          on_batch=lambda n, r: (_ for _ in ()).throw(Stop()))
    tensors, meta = load_checkpoint(tmp_path / CHECKPOINT_FILE)
    del meta["version"]                                   # as written before versions existed
    save_checkpoint(tmp_path / CHECKPOINT_FILE, tensors, meta)
    with pytest.raises(ValueError, match="another version of spikesynth.*without --resume"):
        train_autoencoder(TrainConfig(**TINY), tmp_path, DATA, resume=True, progress=False)


def test_train_and_evaluate_commands(tmp_path, capsys, plotted):
    out = tmp_path / "run"
    assert main(["train", "autoencoder", "--out", str(out), "--train-limit", "200", "--hidden", "16",
                 "--steps", "15", "--eval-limit", "50", "--data-dir", DATA]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["history"]["spike_mse"]) == 2 and metrics["test"]["n"] == 50
    assert all(0 < d < 1 for d in metrics["history"]["error_density"])   # the XOR mask's density
    spec, weights, meta = load_model(out / "model.safetensors")
    assert spec.sizes == (784, 16, 784) and spec.steps == 15 and meta["kind"] == "snn"
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out / "model.safetensors"), "--limit", "50", "--json",
                 "--data-dir", DATA, "--plot", str(tmp_path / "grid.png")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 50 and report["spike_mse"] == pytest.approx(metrics["test"]["spike_mse"])
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    # the grid shows the outputs that were scored, those of the 50-image evaluation (since the
    # Poisson draw does not depend on slicing, a redraw of the first 10 would now match too)
    images = torch.from_numpy(load_images("mnist", "test", DATA, as_float=True)[0][:50])
    scored, outputs = evaluate_model(spec, weights, images, seed=0)
    assert {k: v for k, v in scored.items() if k != "seconds"} == {k: report[k] for k in scored if k != "seconds"}
    assert outputs[:10].sum() > 0   # else a redraw would plot the same zeros
    assert torch.equal(plotted["inputs"], images[:10]) and torch.equal(plotted["outputs"], outputs[:10])


def test_ann_command_writes_an_ann_model(tmp_path):
    out = tmp_path / "ann"
    assert main(["train", "ann", "--optimizer", "sgd", "--out", str(out), "--train-limit", "100",
                 "--hidden", "8", "--eval-limit", "20", "--data-dir", DATA]) == 0
    _, _, meta = load_model(out / "model.safetensors")
    assert meta["kind"] == "ann"
    assert json.loads((out / "metrics.json").read_text())["test"]["spike_mse"] is None


@pytest.mark.parametrize("argv, match", [
    (["train", "autoencoder", "--alpha", "1.0"], "alpha must be a finite number in"),
    (["train", "autoencoder", "--train-limit", "70000"], "train_limit must be in"),
    (["train", "autoencoder", "--hidden", "0"], "hidden must be an integer"),
    (["train", "autoencoder", "--resume"], "checkpoint not found"),
    (["train", "autoencoder", "--device", "tpu"], "device must be"),
    (["train", "autoencoder", "--hidden", "196", "--sizes", "784,64,784"],
     "--hidden 196 contradicts --sizes 784,64,784 (hidden 64)"),
    (["train", "autoencoder", "--trainer", "bptt", "--trace-reset", "exact"],
     "trace_reset (--trace-reset) 'exact' is a setting of the paper trainer"),
])
def test_bad_training_settings_fail_clearly(tmp_path, capsys, argv, match):
    assert main(argv + ["--out", str(tmp_path), "--data-dir", DATA]) == 1
    assert match in capsys.readouterr().err


def test_evaluate_refuses_a_model_for_another_architecture(tmp_path, capsys):
    spec = autoencoder_spec("mnist", hidden=16)
    bad = tmp_path / "bad.safetensors"
    save_file({"W0": torch.zeros(32, 784), "W1": torch.zeros(784, 32)}, str(bad),
              metadata={"format": "spikesynth-model", "kind": "snn", "spec": spec.to_json(), "extra": "{}"})
    assert main(["evaluate", "--model", str(bad), "--data-dir", DATA]) == 1
    assert "another architecture" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(tmp_path / "missing.safetensors"), "--data-dir", DATA]) == 1


@pytest.mark.slow
def test_resume_after_killing_the_process(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    args = ["--train-limit", "2000", "--batch-size", "50", "--hidden", "16", "--steps", "5", "--eval-limit", "0",
            "--seed", "4", "--checkpoint-every", "2", "--data-dir", DATA, "--threads", "1"]
    out = tmp_path / "killed"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-m", "training.cli", "train", "autoencoder", "--out", str(out), *args],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (out / CHECKPOINT_FILE).exists() and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / CHECKPOINT_FILE).exists() and not (out / "model.safetensors").exists()
    threads = torch.get_num_threads()
    try:  # same thread count as the killed process: the same float summation order
        assert main(["train", "autoencoder", "--out", str(out), "--resume", *args]) == 0
        assert main(["train", "autoencoder", "--out", str(tmp_path / "whole"), *args]) == 0
    finally:
        torch.set_num_threads(threads)
    _, resumed, _ = load_model(out / "model.safetensors")
    _, whole, _ = load_model(tmp_path / "whole" / "model.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(resumed, whole))


def test_evaluate_rejects_images_of_the_wrong_size_or_range():
    spec = autoencoder_spec("mnist", hidden=4)
    weights = [torch.zeros(4, 784), torch.zeros(784, 4)]
    with pytest.raises(ValueError, match="input layer has 784"):
        evaluate_model(spec, weights, torch.zeros(3, 10, 10))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        evaluate_model(spec, weights, torch.full((3, 784), 2.0))


def test_evaluate_and_simulate_draw_the_same_input_spikes():
    # 250 images cross several encoding slices: the evaluation (spikesynth evaluate and simulate,
    # the mirror back-end in slices) and one encode call must give every image the same spikes
    from models.backends import Network, layer_counts
    from models.encode import encode
    from models.spec import autoencoder_spec
    from models.torch_snn import init_weights
    spec = autoencoder_spec(hidden=8, steps=4)
    images = torch.rand(250, 784, generator=torch.Generator().manual_seed(0))
    ins, _ = layer_counts(Network(spec, init_weights(spec, torch.Generator().manual_seed(1))), images, seed=5,
                          progress=False)
    assert np.array_equal(ins, encode(images, spec, seed=5).sum(0).numpy())
    assert not np.array_equal(ins, encode(images, spec, seed=6).sum(0).numpy())
    # the slices do not matter: one poisson call over all 250, and the first 30 images alone
    from encoders.rate import poisson
    whole = encode(images, spec, seed=5)
    assert torch.equal(whole, poisson(images, 4, 300.0, 1e-3, seed=5).to(torch.uint8))
    assert torch.equal(encode(images[:30], spec, seed=5), whole[:, :30])


def test_bptt_decays_its_step_size_on_a_cosine_over_the_run(monkeypatch):
    import training.autoencoder as autoencoder
    from training.bptt import cosine_lr
    seen, real = [], autoencoder.bptt_batch

    def recording(weights, x, y, neuron, cfg, state, checked=False):
        seen.append(cfg.lr)
        return real(weights, x, y, neuron, cfg, state, checked=checked)

    monkeypatch.setattr(autoencoder, "bptt_batch", recording)
    cfg = TrainConfig(trainer="bptt", **{**TINY, "epochs": 2})
    train_autoencoder(cfg, None, DATA, progress=False)
    total = 2 * TINY["train_limit"] // TINY["batch_size"]
    assert seen == [cosine_lr(cfg.optimizer_config().lr, i, total) for i in range(total)]
    assert seen[0] == 2e-3 and seen[-1] < seen[total // 2] < seen[0]


def test_every_trainer_takes_its_defaults_from_one_table():
    from training.defaults import DEFAULT_BATCH, DEFAULT_LR, DEFAULT_WEIGHT_DECAY, TRAINERS
    for trainer in TRAINERS:
        cfg = TrainConfig(trainer=trainer)
        opt = cfg.optimizer_config()
        assert (cfg.batch_size, opt.lr, opt.weight_decay) == (DEFAULT_BATCH[trainer], DEFAULT_LR[trainer],
                                                              DEFAULT_WEIGHT_DECAY[trainer]), trainer


def test_train_help_lists_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "autoencoder", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "bptt 16" in text and "paper 100" in text and "{fraction,exact}" in text


def test_eval_limit_beyond_the_test_split_is_refused_before_training(tmp_path, capsys, no_training):
    from training.data import SAMPLE_PATH

    assert main(["train", "autoencoder", "--dataset", str(SAMPLE_PATH), "--train-limit", "20", "--eval-limit", "1001",
                 "--out", str(tmp_path / "o")]) == 1
    assert "eval_limit (--eval-limit) must be in [0, 1000]" in capsys.readouterr().err


def test_consistent_hidden_and_sizes_are_one_config_and_mask_off_is_refused_for_an_ann():
    assert TrainConfig(hidden=64, sizes=(784, 64, 784)).hidden == 64
    with pytest.raises(ValueError, match="--no-mask.*'ann-sgd' has no mask"):
        TrainConfig(trainer="ann-sgd", mask=False)
    with pytest.raises(ValueError, match="'ann-adam' keeps no traces"):
        TrainConfig(trainer="ann-adam", trace_reset="exact")


def test_images_per_second_counts_the_images_of_every_epoch_not_full_batches():
    from training.data import SAMPLE_PATH

    cfg = TrainConfig(dataset=str(SAMPLE_PATH), trainer="ann-sgd", train_limit=30, batch_size=20, epochs=2,
                      hidden=8, eval_limit=0)
    metrics = train_autoencoder(cfg, progress=False).metrics   # 2 x (20 + 10) images, 4 batches
    assert metrics["batches"] == 4
    assert metrics["images_per_second"] * metrics["train_seconds"] == pytest.approx(60)


def test_a_network_too_large_for_the_memory_is_refused_before_training(capsys, no_training, tmp_path, monkeypatch):
    # 784 x 999,999 weights per layer: the system would kill the run mid-way, without a message
    import training.settings as settings
    from training.settings import check_memory

    with pytest.raises(ValueError, match=r"the net: 1,000 weights need at least 0.0 GiB .* 0.0 GiB of memory"):
        check_memory(1000, 4, "the net", available=10_000)
    check_memory(1000, 4, "the net", available=16_000)   # 4 copies of 4,000 bytes fit
    monkeypatch.setattr(settings, "available_memory", lambda: 16 * 2**30)   # a 16 GiB machine, whatever this one has
    err = fails(capsys, ["train", "autoencoder", "--dataset", SAMPLE, "--hidden", "999999", "--steps", "5",
                         "--out", str(tmp_path / "out")])
    assert "weights need at least" in err and "use smaller layers" in err


@pytest.mark.parametrize("seed, epoch", [(1, 0), (5000, 1), (2**32 - 1, 3)])
def test_the_epoch_order_is_the_unreduced_keys_permutation(seed, epoch):
    # the key seed * 1_000_003 + epoch is reduced mod 2**32 for make_generator's check; torch keeps a
    # seed's low 32 bits anyway, so checkpoints resume into the same order as with the full key
    from training.autoencoder import _shuffle

    key = seed * 1_000_003 + epoch
    assert key > 2**32 or seed == 1
    assert torch.equal(_shuffle(500, seed, epoch), torch.randperm(500, generator=torch.Generator().manual_seed(key)))

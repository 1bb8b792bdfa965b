"""Figures: the numbers behind each figure have the expected keys and sane values."""

import dataclasses
import json
import math

import pytest

from figures.runner import FIGURES, Context, autoencoder_config, is_cached, plan, trained_autoencoder
from training.cli import figures as cli

TINY = {"train_limit": 200, "test_limit": 50}


@pytest.fixture
def ctx(tmp_path, data_dir):
    from figures import style

    style.apply()
    return Context(out=tmp_path / "out", quick=True, data_dir=str(data_dir), cache=tmp_path / "cache", sizes=TINY)


def load(ctx, name):
    return json.loads((ctx.out / f"{name}.json").read_text())


def test_fig1_numbers(ctx):
    from figures import fig1

    fig1.make(ctx)
    numbers = load(ctx, "fig1")
    assert numbers["digit"] == 7 and numbers["steps"] == 15 and len(numbers["spikes_per_step"]) == 15
    # the Poisson count is within 5 sigma of its expectation
    assert abs(numbers["total_spikes"] - numbers["expected_total_spikes"]) < 5 * math.sqrt(numbers["expected_total_spikes"])
    assert numbers["corr_counts_pixels"] > 0.5
    for ext in ("png", "pdf"):
        assert (ctx.out / f"fig1.{ext}").stat().st_size > 1000


def test_fig3_trains_once_and_reuses_the_cache(ctx):
    from figures import fig3

    assert plan(ctx, [fig3]) == fig3.configs(ctx)
    fig3.make(ctx)
    rows = load(ctx, "fig3")["rows"]
    assert [r["alpha"] for r in rows] == list(fig3.ALPHAS)
    for r in rows:
        for key in ("train_spike_mse", "test_spike_mse", "train_pixel_mse", "test_pixel_mse"):
            assert 0 < r[key] < 2, (key, r)
    assert (ctx.out / "fig3.csv").read_text().startswith("alpha,")
    assert plan(ctx, [fig3]) == []      # everything cached: nothing to train again
    assert all(is_cached(ctx, c) for c in fig3.configs(ctx))


def test_cached_result_survives_and_interrupted_one_is_redone(ctx, monkeypatch):
    cfg = autoencoder_config(ctx, hidden=16, steps=5)
    calls = []

    def boom():
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ctx.cached({"x": 1}, boom)
    assert ctx.cached({"x": 1}, lambda: {"v": 2})["v"] == 2   # redone after the interruption
    assert ctx.cached({"x": 1}, lambda: {"v": 3})["v"] == 2   # finished results are reused
    first = trained_autoencoder(ctx, cfg)
    assert first["test"]["n"] == TINY["test_limit"]
    assert trained_autoencoder(ctx, cfg) == first


def test_unknown_figure_name_is_an_error(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    cli.configure_figures(parser)
    with pytest.raises(ValueError, match="unknown figure"):
        cli.run_figures(parser.parse_args(["fig99", "--out", str(tmp_path)]))


@pytest.mark.slow
def test_all_quick_figures(tmp_path, data_dir):
    from training.cli import main

    assert main(["figures", "all", "--quick", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c"),
                 "--data-dir", str(data_dir)]) == 0
    for name in FIGURES:
        assert (tmp_path / "out" / f"{name}.json").is_file(), name


def test_fig2_brian2_and_mirror_agree(ctx):
    from figures import fig2

    numbers = fig2.make(ctx)
    assert numbers["input_spikes"] > 5 and numbers["output_spikes_mirror"] > 0
    assert numbers["mismatches"] == 0 and numbers["max_abs_dv"] < 1e-9
    assert numbers["output_spikes_brian2"] == numbers["output_spikes_mirror"]


def test_agreement_and_events_numbers(ctx):
    from figures import agreement, events

    numbers = agreement.make(ctx)
    assert numbers["n"] == TINY["test_limit"] and numbers["total_mismatches"] == 0
    assert [r["layer"] for r in numbers["rows"]] == [1, 2] and numbers["rows"][0]["mirror_spikes"] > 0
    # a full-size context follows its test_limit too, up to the memory cap (same cached model)
    assert agreement.make(dataclasses.replace(ctx, quick=False))["n"] == min(TINY["test_limit"], agreement.MAX_IMAGES)
    numbers = events.make(ctx)
    assert [r["weights"] for r in numbers["rows"]] == ["float64", "8-bit", "6-bit", "4-bit"]
    assert numbers["ann_macs_per_image"] == 2 * 784 * 196
    for r in numbers["rows"]:
        assert 0 < r["pixel_mse"] < 2 and r["synops_per_image"] > 0 and r["snn_energy_j"] > 0


def test_encoders_numbers(ctx):
    from figures import encoders as fig

    rows = fig.make(ctx)["rows"]
    names = {r["encoder"] for r in rows}
    assert names == set(fig.SIGNAL_SWEEPS) | set(fig.STATIC)
    assert all(r["rmse"] >= 0 and r["spikes"] >= 0 for r in rows)
    # more steps, more spikes and a better reconstruction for the deterministic rate code
    regular = [r for r in rows if r["encoder"] == "regular"]
    assert regular[-1]["spikes"] > regular[0]["spikes"] and regular[-1]["rmse"] < regular[0]["rmse"]


def test_size_overrides():
    assert cli.parse_sizes(["fsdd_epochs=5", "audio_train=none"]) == {"fsdd_epochs": 5, "audio_train": None}
    with pytest.raises(ValueError, match="key must be one of"):
        cli.parse_sizes(["epochs=5"])
    with pytest.raises(ValueError, match="positive integer"):
        cli.parse_sizes(["train_limit=-3"])
    with pytest.raises(ValueError, match="positive integer"):
        cli.parse_sizes(["train_limit=none"])


def test_fig5_rows_and_reconstructions(ctx):
    from figures import fig5

    rows = fig5.make(ctx)["rows"]
    assert [r["model"] for r in rows] == list(fig5.METHODS)
    assert all(0 < r["test_pixel_mse"] < 3 and r["train_seconds"] > 0 for r in rows)
    assert load(ctx, "fig5b")["output_spike_counts_total"] >= 0
    assert (ctx.out / "fig5.csv").read_text().startswith("model,")


def test_reconstruction_grid_shows_the_scored_outputs(ctx, data_dir, monkeypatch, tmp_path):
    import torch

    import figures.reconstructions
    from figures.runner import save_reconstructions
    from training.autoencoder import TrainConfig, train_autoencoder

    cfg = TrainConfig(train_limit=300, hidden=32, eval_limit=150, seed=2)   # scored 100 + 50 at a time
    result = train_autoencoder(cfg, tmp_path / "ae", str(data_dir), progress=False)
    drawn, seen = figures.reconstructions.reconstruction_figure, {}

    def recording(inputs, outputs, n, title):
        seen["outputs"] = torch.as_tensor(outputs)
        return drawn(inputs, outputs, n, title)

    monkeypatch.setattr(figures.reconstructions, "reconstruction_figure", recording)
    save_reconstructions(ctx, "grid", str(tmp_path / "ae" / "model.safetensors"), "mnist", "t", n=10)
    assert seen["outputs"].sum() > 0   # a silent network would match any redraw
    assert torch.equal(seen["outputs"], result.test_outputs[:10])


def test_smooth_places_each_average_at_its_last_batch():
    from figures.runner import smooth
    assert smooth([1.0, 2.0, 3.0, 4.0, 5.0], window=2) == ([2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5])
    assert smooth([4.0, 2.0], window=10) == ([1, 2], [4.0, 2.0])   # fewer batches than the window
    assert smooth([7.0], window=1) == ([1], [7.0])


def test_limits_beyond_a_split_are_refused_before_training(tmp_path, data_dir, capsys, no_training):
    from training.cli import main

    argv = ["figures", "fig3", "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c"), "--data-dir", str(data_dir)]
    assert main(argv + ["--set", "train_limit=200", "--set", "test_limit=10001"]) == 1
    assert "--set test_limit=10001: the mnist test split has only 10000 images" in capsys.readouterr().err
    assert main(argv + ["--set", "train_limit=60001"]) == 1
    assert "--set train_limit=60001: the mnist train split has only 60000 images" in capsys.readouterr().err


def test_agreement_mismatches_draw_the_figure_and_fail_the_command(tmp_path, data_dir, capsys, monkeypatch):
    import models.backends as backends
    import models.compare as compare
    from training.cli import main

    real_run = backends.run
    monkeypatch.setattr(backends, "run", lambda net, spikes, backend, *a, **k:   # no Brian2 build here
                        real_run(net, spikes, "mirror", record=True, progress=False))
    monkeypatch.setattr(compare, "compare_recordings", lambda a, b: [   # two spikes differ in each layer
        {"layer": i + 1, "neurons": s.shape[2], "mirror_spikes": int(s.sum()), "brian2_spikes": int(s.sum()),
         "mismatches": 2, "max_abs_dv": None} for i, s in enumerate(a.spikes)])
    out = tmp_path / "o"
    assert main(["figures", "agreement", "--out", str(out), "--cache", str(tmp_path / "c"), "--data-dir",
                 str(data_dir), "--set", "train_limit=200", "--set", "test_limit=20"]) == 1
    assert (out / "agreement.png").is_file() and json.loads((out / "agreement.json").read_text())["total_mismatches"] == 4
    assert "error: agreement: the mirror and Brian2 (cython) disagree on 4 spike(s)" in capsys.readouterr().err


def test_fig2_check_fails_on_mismatches():
    from figures import fig2

    assert fig2.check({"mismatches": 0}) is None
    assert "disagree on 3 spike(s)" in fig2.check({"mismatches": 3})


def test_a_cached_checkpoint_of_another_version_is_trained_again(ctx, capsys):
    import torch

    from figures.runner import _cache_key
    from training.autoencoder import CHECKPOINT_FILE
    from training.checkpoints import save_checkpoint

    cfg = autoencoder_config(ctx, hidden=16, steps=5)
    directory = ctx.model_dir(_cache_key(cfg))
    directory.mkdir(parents=True)
    save_checkpoint(directory / CHECKPOINT_FILE, {"W0": torch.zeros(16, 784)}, {"version": 1, "config": cfg.to_dict()})
    result = trained_autoencoder(ctx, cfg)
    assert result["test"]["n"] == TINY["test_limit"] and not (directory / CHECKPOINT_FILE).exists()
    assert "is a checkpoint of format version 1, not 2: training mnist paper" in capsys.readouterr().err


def test_a_second_figures_run_into_the_same_folder_fails_at_once(tmp_path, capsys, no_training):
    from filelock import FileLock

    from models.files import LOCK_FILE
    from training.cli import main

    out = tmp_path / "o"
    out.mkdir()
    with FileLock(out / LOCK_FILE).acquire(timeout=0):   # another figures run holds it
        assert main(["figures", "fig1", "--out", str(out), "--cache", str(tmp_path / "c")]) == 1
    assert "--out " + str(out) + ": another spikesynth run is writing there" in capsys.readouterr().err
    assert not (out / "fig1.png").exists()

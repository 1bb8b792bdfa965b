"""Audio benchmarks (scripts, not tests; timings are only meaningful on an idle machine).

    python benchmarks/bench_audio.py                 # front ends: Lyon vs gammatone, clips/s and ratio
    python benchmarks/bench_audio.py --train cpu     # AC-SNN seconds per batch -> minutes for the preset

The front-end run times both front ends in this process on the same FSDD clips (the
gammatone filterbank is the baseline of the printed ratio). ``--train`` times a few
online-rule batches of the preset's network on random inputs of the preset's density
and extrapolates to its epochs over FSDD's 2,700 training clips.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.audio.features import FeatureConfig, prepare_audio  # noqa: E402
from training.audio import audiocoder_spec, online_config, preset, repeat_targets  # noqa: E402
from training.audio.cochleagram import FRONT_ENDS  # noqa: E402
from training.data import load_fsdd  # noqa: E402


def bench_front_ends(n_clips: int, data_dir) -> None:
    cfg = FeatureConfig()
    clips = load_fsdd(data_dir)[::max(1, 3000 // n_clips)][:n_clips]
    audio = [prepare_audio(c.audio, c.sample_rate, cfg.sample_rate) for c in clips]
    batch = np.zeros((len(audio), max(len(a) for a in audio)))
    for i, a in enumerate(audio):
        batch[i, :len(a)] = a
    seconds = sum(len(a) for a in audio) / cfg.sample_rate
    times = {}
    for name in ("gammatone", "lyon"):
        params = FeatureConfig(front_end=name).front_end_params()
        start = time.perf_counter()
        FRONT_ENDS[name][1](batch, params)
        times[name] = time.perf_counter() - start
        print(f"{name:>9}: {len(clips)} clips ({seconds:.1f} s of audio) in {times[name]:.2f} s "
              f"= {len(clips) / times[name]:.1f} clips/s")
    print(f"lyon / gammatone time ratio: {times['lyon'] / times['gammatone']:.1f}x")


def bench_training(name: str, batches: int, n_train: int = 2700) -> None:
    from models.torch_snn import init_weights
    from encoders.rate import poisson
    from training.online import online_batch

    cfg = preset(name)
    spec = audiocoder_spec(cfg)
    weights = init_weights(spec, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    features = torch.rand(cfg.batch, cfg.features.n_inputs, generator=g) * 0.14    # FSDD's mean value is ~0.07
    targets = (torch.rand(15, cfg.batch, 196, generator=g) < 0.08).float()         # ~8% of the hidden map spikes
    per_batch = []
    for i in range(batches + 1):
        start = time.perf_counter()
        spikes = poisson(features, cfg.steps, cfg.max_rate, cfg.dt, seed=i)
        online_batch(weights, spikes, repeat_targets(targets, cfg.steps), spec.neuron, online_config(cfg))
        if i:   # the first batch warms up
            per_batch.append(time.perf_counter() - start)
    sec = float(np.median(per_batch))
    total = sec * math.ceil(n_train / cfg.batch) * cfg.epochs
    print(f"preset {name}: {list(spec.sizes)}, {cfg.steps} steps, batch {cfg.batch}, {torch.get_num_threads()} threads: "
          f"{sec:.3f} s/batch -> {cfg.epochs} epochs over {n_train} clips = {total / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=100, help="FSDD clips for the front-end timing")
    parser.add_argument("--train", choices=("cpu", "paper"), help="time AC-SNN batches of this preset instead")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.train:
        bench_training(args.train, args.batches)
    else:
        bench_front_ends(args.clips, args.data_dir)


if __name__ == "__main__":
    main()

"""Training speed: one MNIST epoch (784-196-784, T=15, each trainer's default batch) with each trainer.

Prints seconds per epoch (wall clock; and the process's CPU seconds, a steadier number
on a shared machine when run with --threads 1), images per second and the process's peak
memory after each trainer, the speed-up over the official MATLAB code under GNU Octave (131 s per epoch on a
2-core machine, the issue's anchor) and the ratio to a baseline measured in this process:
one epoch of the AE-ANN with plain SGD on the same images.

    SPIKESYNTH_DATA=/path/to/data python benchmarks/bench_training.py [--images 60000] [--threads 2]
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OFFICIAL_SECONDS = 131.0   # official code, Octave, 2 cores, 60,000 MNIST images
TARGETS = {"paper": 22.0, "bptt": 40.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60000, help="training images (default: all 60,000)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--trainers", default="paper,bptt", help="comma-separated: paper,bptt")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    import torch

    from training.autoencoder import TrainConfig, train_autoencoder
    from training.defaults import DEFAULT_BATCH, TRAINERS, describe

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.images} images, T=15, "
          f"each trainer's default batch ({describe(DEFAULT_BATCH, TRAINERS)})")

    def epoch(trainer: str) -> tuple[float, float]:
        """Wall-clock and CPU seconds of the training loop (data loading excluded)."""
        cfg = TrainConfig(trainer=trainer, train_limit=args.images, eval_limit=0)
        result = train_autoencoder(cfg, data_dir=args.data_dir, progress=True)
        return result.metrics["train_seconds"], result.metrics["train_cpu_seconds"]

    scale = 60000 / args.images
    baseline, _ = epoch("ann-sgd")
    baseline *= scale
    print(f"baseline ann-sgd: {baseline:.2f} s/epoch, {60000 / baseline:.0f} images/s")
    for trainer in args.trainers.split(","):
        seconds, cpu = epoch(trainer)
        seconds, cpu = seconds * scale, cpu * scale
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        target = TARGETS.get(trainer)
        print(f"{trainer}: {seconds:.2f} s/epoch (60,000 images), {60000 / seconds:.0f} images/s, "
              f"{OFFICIAL_SECONDS / seconds:.2f}x the official code's {OFFICIAL_SECONDS:.0f} s, "
              f"{seconds / baseline:.2f}x the ann-sgd epoch, {cpu:.1f} CPU s/epoch, peak memory {peak_mb:.0f} MB"
              + (f", target <= {target:.0f} s: {'met' if seconds <= target else 'NOT met'}" if target else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

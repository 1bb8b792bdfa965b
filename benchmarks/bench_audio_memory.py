"""Peak memory of ``spikesynth synthesize`` against the length of the WAV file (a script, not a test).

    python benchmarks/bench_audio_memory.py                # 2 s and 10 min, 44.1 kHz stereo 16-bit
    python benchmarks/bench_audio_memory.py --long 300     # the long clip in seconds

Writes a random audiocoder model file (the ``cpu`` preset's sizes) and two synthetic WAV
files (a chirp plus noise, 44.1 kHz, stereo, 16-bit) into a temporary folder, runs
``python -m training.cli synthesize`` on each in its own process and prints each process's
peak resident set size (``ru_maxrss`` of that child, from ``os.wait4``) and the ratio long /
short. A process that imports the same modules and exits gives the baseline. Only the
front end's share depends on the clip: since the clip is cut to the frame budget before it is
resampled, the ratio stays near 1 whatever the file's length.

Linux counts a parent's resident memory at the fork in its child's ``ru_maxrss``, so the
measuring process imports nothing heavy: the files are made by a child (``--make``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATE = 44100


def write_wav(path: Path, seconds: float, seed: int = 0) -> None:
    """A stereo 16-bit chirp with noise (made in a child process, ``--make``: its float arrays,
    about 420 MB for 10 minutes, never count in the measured processes)."""
    import numpy as np
    from scipy.io import wavfile

    n = int(seconds * RATE)
    g = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    left = 0.3 * np.sin(2 * np.pi * (200 + 50 * (t % 4)) * t) + 0.01 * g.standard_normal(n)
    stereo = np.stack([left, np.roll(left, 7)], axis=1)
    wavfile.write(path, RATE, (stereo * 32767).astype(np.int16))


def write_model(path: Path) -> None:
    """A random audio-to-image model file with the ``cpu`` preset's sizes."""
    import torch

    from models.spec import autoencoder_spec
    from models.torch_snn import init_weights
    from training.audio import audiocoder_spec, preset, save_audiocoder

    cfg = preset("cpu")
    g = torch.Generator().manual_seed(0)
    ae = autoencoder_spec()
    ac = init_weights(audiocoder_spec(cfg, ae.sizes[1]), g)
    save_audiocoder(path, cfg, ae, ac, init_weights(ae, g))


def peak_rss_mb(argv: list[str]) -> float:
    """Run ``argv`` in a child process; its peak resident set size in MB (Linux: ru_maxrss in KiB)."""
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{err}")
    return usage.ru_maxrss / 1024


def make(folder: Path, short: float, long: float) -> None:
    """The model file and the two WAV files (in a child process: see the module docstring)."""
    write_model(folder / "model.safetensors")
    write_wav(folder / "short.wav", short)
    write_wav(folder / "long.wav", long)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=2.0, help="short clip, seconds (default 2)")
    parser.add_argument("--long", type=float, default=600.0, help="long clip, seconds (default 600)")
    parser.add_argument("--make", type=Path, metavar="DIR", help=argparse.SUPPRESS)   # the child's job
    args = parser.parse_args()
    if args.make:
        make(args.make, args.short, args.long)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "model.safetensors"
        peak_rss_mb([sys.executable, __file__, "--make", str(tmp), "--short", str(args.short), "--long", str(args.long)])
        baseline = peak_rss_mb([sys.executable, "-c", "import torch, scipy.signal, matplotlib.pyplot, "
                                "training.audio, training.cli.audio"])
        rows = []
        for label, seconds in (("short", args.short), ("long", args.long)):
            wav = tmp / f"{label}.wav"
            rss = peak_rss_mb([sys.executable, "-m", "training.cli", "synthesize", "--audio", str(wav),
                               "--model", str(model), "--out", str(tmp / f"{label}.png")])
            rows.append((label, seconds, wav.stat().st_size / 2**20, rss))
    print(f"baseline (imports only): peak RSS {baseline:7.1f} MB")
    for label, seconds, size, rss in rows:
        print(f"{label:5s} {seconds:7.1f} s WAV ({size:6.1f} MB): peak RSS {rss:7.1f} MB "
              f"({rss - baseline:+7.1f} MB over the baseline)")
    print(f"ratio long / short: {rows[1][3] / rows[0][3]:.2f} (peak RSS), "
          f"{(rows[1][3] - baseline) / max(rows[0][3] - baseline, 1e-9):.2f} (over the baseline)")


if __name__ == "__main__":
    main()

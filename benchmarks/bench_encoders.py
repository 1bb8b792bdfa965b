"""Encoder benchmark: throughput, and reconstruction error against spike-encoding 1.8.2.

    python benchmarks/bench_encoders.py [--quick] [--data-dir DIR]

Speed: encode + decode a batch of 1,000 signals x 1,000 steps with step_forward, bsa,
pwm and lif, and 10,000 MNIST test images (15 steps, 300 Hz) with poisson and
regular. Quality: RMSE of decode(encode(x)) on smooth signals in [0, 1] (a sine, a
chirp, a speech envelope from FSDD) for several parameter sets, each run through
this package and through spike-encoding with the same parameters.

When the reference package ``spike_encoding`` is importable (install
``spike-encoding==1.8.2`` into a separate environment and run this script with that
environment's python, ``PYTHONPATH=.``), every line also prints the ratio to it
(speed: ours / theirs, higher is better; RMSE: ours / theirs, lower is better);
the reference is timed on a few signals and scaled per signal-step. Without it the
comparison is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import encoders  # noqa: E402

try:
    import torch
    from spike_encoding.bens_spiker_algorithm import BensSpikerAlgorithm
    from spike_encoding.encoder_common import poisson as ref_poisson
    from spike_encoding.encoder_common import rate as ref_rate
    from spike_encoding.lif_based_encoding import LIFBasedEncoding
    from spike_encoding.pulse_width_modulation import PulseWidthModulation
    from spike_encoding.step_forward_converter import StepForwardConverter
    HAVE_REF = True
except ImportError as exc:
    HAVE_REF = False
    REF_ERROR = str(exc)


def quiet(fn):
    """Run ``fn()`` with the reference package's prints and warnings suppressed."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs of ``fn()`` in seconds, and its last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


# --- the reference, one encoder at a time: x [T, B] in [0, 1] -> reconstruction [T, B] ---

def ref_roundtrip(name: str, x: np.ndarray, p: dict) -> np.ndarray:
    """spike-encoding's encode + decode of every column of ``x`` with parameters ``p``
    (its own conventions: rows are signals, min-max normalisation inside)."""
    sig = torch.tensor(x.T.copy(), dtype=torch.float32)
    if name == "step_forward":
        enc = StepForwardConverter(threshold=torch.tensor([p["threshold"]]))
        rec = enc.decode(enc.encode(sig), initial_value=sig[:, 0])
        return np.asarray(rec).T
    rows = []
    for row in sig:
        if name == "bsa":
            enc = BensSpikerAlgorithm(threshold=torch.tensor([p["threshold"]]),
                                      filter_order=torch.tensor([p["filter_order"]], dtype=torch.int),
                                      filter_cutoff=torch.tensor([p["filter_cutoff"]]))
            rows.append(np.asarray(enc.decode(enc.encode(row.clone())))[0])
        elif name == "pwm":
            enc = PulseWidthModulation(frequency=torch.tensor([p["frequency"]]))
            rows.append(enc.decode(enc.encode(row.clone())).numpy()[0])
        else:
            enc = LIFBasedEncoding(threshold=torch.tensor([p["threshold"]]),
                                   membrane_constant=torch.tensor([p["membrane_constant"]]))
            rows.append(enc.decode(enc.encode(row.clone())).numpy()[0])
    return np.stack(rows, axis=1)


def our_roundtrip(name: str, x: np.ndarray, p: dict) -> np.ndarray:
    """This package's encode + decode of ``x [T, B]`` in [0, 1]. lif gets the signal
    scaled to [-1, 1], as spike-encoding's LIF encoder scales it, and is scaled back."""
    if name == "lif":
        enc = encoders.get("lif", **p)
        return (enc.decode(enc.encode(2 * x - 1)) + 1) / 2
    enc = encoders.get(name, **p)
    spikes = enc.encode(x)
    # step_forward and pwm decode from the signal's first value, which spike-encoding keeps
    # inside the encoder object at encode time; here it is passed explicitly
    return enc.decode(spikes, initial=x[0]) if name in ("step_forward", "pwm") else enc.decode(spikes)


# --- signals ------------------------------------------------------------------------

def minmax(x: np.ndarray) -> np.ndarray:
    """Scale each column of ``x`` to exactly [0, 1]."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    return (x - lo) / (hi - lo)


def smooth_batch(n: int, steps: int, seed: int = 0) -> np.ndarray:
    """``[steps, n]`` random sums of two sines (periods 50-500 steps), each in [0, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)[:, None]
    periods, phases = rng.uniform(50, 500, (2, n)), rng.uniform(0, 2 * np.pi, (2, n))
    x = np.sin(2 * np.pi * t / periods[0] + phases[0]) + 0.5 * np.sin(2 * np.pi * t / periods[1] + phases[1])
    return minmax(x)


def test_signals(steps: int, data_dir: str | None) -> dict[str, np.ndarray]:
    """The quality signals, each ``[steps, 1]`` in [0, 1]: sine, chirp, speech envelope."""
    from scipy.signal import butter, chirp, filtfilt, hilbert

    t = np.linspace(0, 1, steps)
    out = {"sine": np.sin(2 * np.pi * 5 * t), "chirp": chirp(t, f0=1, f1=25, t1=1)}
    try:
        from training.data import fsdd_files, read_wav
        path = fsdd_files(data_dir)[0][3]
        audio, rate = read_wav(path)
        b, a = butter(2, 30 / (rate / 2))
        env = filtfilt(b, a, np.abs(hilbert(audio)))
        out[f"speech envelope ({path.name})"] = np.interp(np.linspace(0, len(env) - 1, steps),
                                                          np.arange(len(env)), env)
    except (FileNotFoundError, ValueError) as exc:
        print(f"note: no FSDD speech envelope ({exc}); quality uses the sine and the chirp only")
    return {k: minmax(v[:, None]) for k, v in out.items()}


# --- sections -----------------------------------------------------------------------

PARAMS = {
    "step_forward": [dict(threshold=0.01), dict(threshold=0.05), dict(threshold=0.1)],
    "bsa": [dict(threshold=0.5, filter_order=10, filter_cutoff=0.2),
            dict(threshold=0.8, filter_order=12, filter_cutoff=0.01),
            dict(threshold=0.9, filter_order=40, filter_cutoff=0.02)],
    "pwm": [dict(frequency=10.0), dict(frequency=50.0), dict(frequency=100.0)],
    "lif": [dict(threshold=0.5, membrane_constant=0.9), dict(threshold=0.5, membrane_constant=0.2),
            dict(threshold=0.1, membrane_constant=0.5), dict(threshold=2.0, membrane_constant=0.95)],
}


def speed_signals(n: int, steps: int, n_ref: int) -> None:
    x = smooth_batch(n, steps)
    print(f"\n== signal encoders: encode + decode {n} signals x {steps} steps ==")
    for name, plist in PARAMS.items():
        p = plist[0]
        sec, _ = timed(lambda: our_roundtrip(name, x, p), repeat=2)          # best of 2: no import time
        rate = n * steps / sec
        line = f"{name:<13} {sec:8.3f} s  {rate / 1e6:8.3f} M signal-steps/s"
        if HAVE_REF:
            xr = x[:, :n_ref]
            ref_sec, _ = timed(lambda: quiet(lambda: ref_roundtrip(name, xr, p)))
            ref_rate_ = n_ref * steps / ref_sec
            line += f"   spike-encoding {ref_rate_ / 1e6:8.4f} M/s (timed on {n_ref})   ratio {rate / ref_rate_:8.1f}x"
        print(line, flush=True)


def speed_images(n_images: int, data_dir: str | None, n_ref: int) -> None:
    from training.data import load_images

    try:
        images = load_images("mnist", "test", data_dir=data_dir, as_float=True)[0][:n_images]
    except FileNotFoundError as exc:
        print(f"\nnote: MNIST not found ({exc}); image benchmark skipped")
        return
    print(f"\n== static encoders: {len(images)} MNIST images, 15 steps, 300 Hz, dt 1 ms ==")
    for name in ("poisson", "regular"):
        enc = encoders.get(name, max_rate=300.0, steps=15, **({"seed": 0} if name == "poisson" else {}))
        sec, _ = timed(lambda: enc.encode(images), repeat=2)
        line = f"{name:<13} {sec:8.3f} s  {len(images) / sec:10.0f} images/s"
        if HAVE_REF:
            # its poisson is vectorised (timed on all images); its deterministic rate loops
            # over every pixel in Python (timed on n_ref images)
            ref, m = (ref_poisson, len(images)) if name == "poisson" else (ref_rate, n_ref)
            sub = images[:m].reshape(m, -1) * 0.3
            ref_sec, _ = timed(lambda: ref(sub, 15), repeat=2 if name == "poisson" else 1)
            line += f"   spike-encoding {m / ref_sec:10.0f} images/s (timed on {m})   " \
                    f"ratio {len(images) / sec / (m / ref_sec):8.1f}x"
        print(line, flush=True)


def quality(steps: int, data_dir: str | None) -> None:
    signals = test_signals(steps, data_dir)
    print(f"\n== reconstruction RMSE on {steps}-step signals in [0, 1], same parameters ==")
    header = f"{'encoder':<13} {'parameters':<62} {'signal':<34} {'ours':>8}"
    print(header + (f" {'theirs':>8} {'ratio':>7}" if HAVE_REF else ""))
    for name, plist in PARAMS.items():
        ratios = []
        for p in plist:
            for sname, x in signals.items():
                ours = float(np.sqrt(np.mean((our_roundtrip(name, x, p) - x) ** 2)))
                line = f"{name:<13} {str(p):<62} {sname[:34]:<34} {ours:8.4f}"
                if HAVE_REF:
                    theirs = float(np.sqrt(np.mean((quiet(lambda: ref_roundtrip(name, x, p)) - x) ** 2)))
                    ratios.append(ours / theirs)
                    line += f" {theirs:8.4f} {ours / theirs:7.3f}"
                print(line, flush=True)
        if ratios:
            print(f"{name:<13} RMSE ratio ours/theirs: geometric mean {np.exp(np.mean(np.log(ratios))):.3f}, "
                  f"worst {max(ratios):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--data-dir", default=os.environ.get("SPIKESYNTH_DATA"),
                        help="folder holding mnist/ and fsdd/ (default: $SPIKESYNTH_DATA)")
    args = parser.parse_args()
    n, steps, n_images, n_ref = (50, 300, 500, 2) if args.quick else (1000, 1000, 10000, 5)
    if HAVE_REF:
        print("reference: spike-encoding is importable; ratios are printed")
    else:
        print(f"note: spike-encoding is not importable ({REF_ERROR}); comparisons skipped")
    speed_signals(n, steps, n_ref)
    speed_images(n_images, args.data_dir, n_ref=20 if args.quick else 100)
    quality(steps, args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Encoder benchmark: throughput, and spike parity and reconstruction error against
spike-encoding 1.8.2.

    python benchmarks/bench_encoders.py [--quick] [--data-dir DIR]

Speed: encode + decode a batch of 1,000 signals x 1,000 steps with step_forward, bsa,
pwm and lif, and 10,000 MNIST test images (15 steps, 300 Hz) with poisson and
regular. Parity: for several parameter sets, every signal encoder runs on two sets of
signals, through this package (without and with ``normalize``) and through
spike-encoding with the same parameters: "fresh" signals that do not fill [0, 1]
(0.5 + 0.4 sin and the like, where the package's built-in min-max normalisation
matters) and "filled" ones min-max scaled to exactly [0, 1] (a sine, a chirp, a speech
envelope from FSDD). Each row prints how many signals got identical spikes, how many
steps differ, and the reconstruction RMSE of both (each decoding its own spikes).

When the reference package ``spike_encoding`` is importable (``pip install
spike-encoding==1.8.2``; it is in this project's environment, or run the script with
another environment's python and ``PYTHONPATH=.``), the comparisons are printed; the
reference is timed on a few signals and scaled per signal-step. Without it they are
skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib.metadata
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

def ref_roundtrip(name: str, x: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """spike-encoding's encode + decode of every column of ``x [T, B]`` with parameters
    ``p`` (its own conventions: rows are signals; bsa, pwm and lif min-max normalise inside,
    step_forward does not): ``(spikes [T, B] in {-1, 0, 1}, reconstruction [T, B])``. The
    signal goes in as float64, as ours gets it (its normalisers compute in float32)."""
    sig = torch.tensor(x.T.copy(), dtype=torch.float64)
    if name == "step_forward":
        enc = StepForwardConverter(threshold=torch.tensor([p["threshold"]]))
        spikes = enc.encode(sig)
        rec = enc.decode(spikes, initial_value=sig[:, 0])
        return np.asarray(spikes[0] + spikes[1]).T, np.asarray(rec).T
    spikes, rows = [], []
    for row in sig:
        if name == "bsa":
            enc = BensSpikerAlgorithm(threshold=torch.tensor([p["threshold"]]),
                                      filter_order=torch.tensor([p["filter_order"]], dtype=torch.int),
                                      filter_cutoff=torch.tensor([p["filter_cutoff"]]))
            s = enc.encode(row.clone())
            spikes.append(s.numpy()[0])
            rows.append(np.asarray(enc.decode(s.clone()))[0])
            continue
        if name == "pwm":
            enc = PulseWidthModulation(frequency=torch.tensor([p["frequency"]]))
        else:
            enc = LIFBasedEncoding(threshold=torch.tensor([p["threshold"]]),
                                   membrane_constant=torch.tensor([p["membrane_constant"]]))
        s = enc.encode(row.clone())
        spikes.append((s[0] + s[1]).reshape(-1).numpy())
        rows.append(enc.decode(s).numpy()[0])
    return np.stack(spikes, axis=1), np.stack(rows, axis=1)


def our_roundtrip(name: str, x: np.ndarray, p: dict, normalize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """This package's encode + decode of ``x [T, B]`` (in [0, 1] unless ``normalize``):
    ``(spikes, reconstruction)``. step_forward and pwm decode from the signal's first value,
    which spike-encoding keeps inside the encoder object at encode time; here it is passed
    explicitly."""
    enc = encoders.get(name, normalize=normalize, **p)
    spikes = enc.encode(x)
    rec = enc.decode(spikes, initial=x[0]) if name in ("step_forward", "pwm") else enc.decode(spikes)
    return spikes, rec


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


def filled_signals(steps: int, data_dir: str | None) -> dict[str, np.ndarray]:
    """Signals min-max scaled to exactly [0, 1], each ``[steps]``: sine, chirp, speech envelope."""
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
        print(f"note: no FSDD speech envelope ({exc}); the filled set is the sine and the chirp only")
    return {k: minmax(v[:, None])[:, 0] for k, v in out.items()}


def fresh_signals(steps: int) -> dict[str, np.ndarray]:
    """Signals that do not fill [0, 1], each ``[steps]``."""
    t = np.arange(steps)
    return {"0.5 + 0.4 sin(2 pi t / 80)": 0.5 + 0.4 * np.sin(2 * np.pi * t / 80),
            "0.3 + 0.2 sin(2 pi t / 37 + 1)": 0.3 + 0.2 * np.sin(2 * np.pi * t / 37 + 1.0),
            "0.5 + 0.3 sin(t / 60) + 0.1 sin(t / 13)": 0.5 + 0.3 * np.sin(2 * np.pi * t / 60)
            + 0.1 * np.sin(2 * np.pi * t / 13)}


# --- sections -----------------------------------------------------------------------

PARAMS = {
    "step_forward": [dict(threshold=0.01), dict(threshold=0.05), dict(threshold=0.1)],
    "bsa": [dict(threshold=0.5, filter_order=10, filter_cutoff=0.2),
            dict(threshold=1.0, filter_order=10, filter_cutoff=0.2),
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


def parity(steps: int, data_dir: str | None) -> None:
    sets = {"fresh": fresh_signals(steps), "filled": filled_signals(steps, data_dir)}
    print(f"\n== parity with spike-encoding 1.8.2: {steps}-step signals, the same parameters ==")
    for set_name, signals in sets.items():
        print(f"{set_name}: " + "; ".join(signals))
    if not HAVE_REF:
        print("note: spike-encoding is not importable; parity skipped")
        return
    print("identical: signals whose spikes are the package's, of those run; steps differing: summed over them;")
    print("RMSE: mean over the signals of each side decoding its own spikes; ratio: ours / theirs, geometric mean")
    print(f"{'encoder':<13} {'parameters':<62} {'signals':<7} {'normalize':<9} {'identical':>9} "
          f"{'steps differing':>15} {'RMSE ours':>9} {'theirs':>8} {'ratio':>6}")
    summary = {}
    for name, plist in PARAMS.items():
        for p in plist:
            for set_name, signals in sets.items():
                x = np.stack(list(signals.values()), axis=1)                     # [T, n]
                ref_spikes, ref_rec = quiet(lambda: ref_roundtrip(name, x, p))
                theirs = np.sqrt(np.mean((ref_rec - x) ** 2, axis=0))
                for normalize in (False, True):
                    if not normalize and name in ("bsa", "pwm") and (x.min() < 0 or x.max() > 1):
                        continue                                                  # outside their domain
                    spikes, rec = our_roundtrip(name, x, p, normalize)
                    ours = np.sqrt(np.mean((rec - x) ** 2, axis=0))
                    differing = (spikes != ref_spikes).sum(axis=0)
                    ratio = ours / theirs
                    same = int((differing == 0).sum())
                    summary.setdefault((name, normalize), []).append((same, len(differing), ratio))
                    print(f"{name:<13} {str(p):<62} {set_name:<7} {str(normalize):<9} "
                          f"{same:>4}/{len(differing):<4} {int(differing.sum()):>15} {ours.mean():9.4f} "
                          f"{theirs.mean():8.4f} {np.exp(np.mean(np.log(ratio))):6.3f}", flush=True)
    print("\nsummary (all parameter sets and signals):")
    for (name, normalize), rows in summary.items():
        same = sum(r[0] for r in rows)
        total = sum(r[1] for r in rows)
        ratios = np.concatenate([r[2] for r in rows])
        print(f"{name:<13} normalize={str(normalize):<5}  identical spikes {same:>2}/{total:<2}  RMSE ratio ours/theirs: "
              f"geometric mean {np.exp(np.mean(np.log(ratios))):.3f}, best {ratios.min():.3f}, worst {ratios.max():.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--data-dir", default=os.environ.get("SPIKESYNTH_DATA"),
                        help="folder holding mnist/ and fsdd/ (default: $SPIKESYNTH_DATA)")
    args = parser.parse_args()
    n, steps, n_images, n_ref = (50, 300, 500, 2) if args.quick else (1000, 1000, 10000, 5)
    if HAVE_REF:
        print(f"reference: spike-encoding {importlib.metadata.version('spike-encoding')} is importable; "
              f"comparisons are printed")
    else:
        print(f"note: spike-encoding is not importable ({REF_ERROR}); comparisons skipped")
    speed_signals(n, steps, n_ref)
    speed_images(n_images, args.data_dir, n_ref=20 if args.quick else 100)
    parity(steps, args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Short AC-SNN trials: test identity, MSE and firing densities after every epoch.

    python benchmarks/audio_trials.py --autoencoder runs/ae-snn/model.safetensors --epochs 3
    python benchmarks/audio_trials.py --autoencoder ... --target-scale 1 --moments batch   # the old preset

Starts from the ``cpu`` preset; the options replace single settings. Trains on FSDD's
standard training split for one dataset and ``Th`` and, after each epoch, runs the
audio-to-image network on the 300 test clips: identity and MSE as in
``spikesynth train audiocoder``, plus the fraction of hidden and output (AC-SNN) neurons
firing per step and the mean number of image spikes. A script, not a test; docs/audio.md's
trial table comes from it (one row per option set).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from encoders.rate import poisson  # noqa: E402
from models.io import load_model  # noqa: E402
from models.torch_snn import SpikingNetwork  # noqa: E402
import training.audio as ac  # noqa: E402
from training.audio.features import feature_matrix  # noqa: E402
from training.audio.classifier import load_or_train_classifier  # noqa: E402
from training.data import load_fsdd, load_images  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--autoencoder", required=True, help="the MNIST AE-SNN model file (784-196-784)")
    parser.add_argument("--dataset", choices=ac.DATASETS, default="A")
    parser.add_argument("--th", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=3)
    for name, kind in (("lr", float), ("weight-decay", float), ("steps", int), ("hidden", int),
                       ("max-rate", float), ("target-scale", float)):
        parser.add_argument(f"--{name}", type=kind, help="replaces the cpu preset's value")
    parser.add_argument("--moments", choices=ac.MOMENTS, help="replaces the cpu preset's value")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    changes = {k: getattr(args, k) for k in ("lr", "weight_decay", "steps", "hidden", "max_rate", "target_scale",
                                             "moments") if getattr(args, k) is not None}
    cfg = ac.preset("cpu").with_(epochs=args.epochs, **changes)
    print(f"cpu preset with {changes or 'no changes'}, dataset {args.dataset}, Th {args.th}", flush=True)
    train, test = load_fsdd(args.data_dir, "train"), load_fsdd(args.data_dir, "test")
    f_train = feature_matrix(train, cfg.features)
    f_test = torch.as_tensor(feature_matrix(test, cfg.features))
    d_train, d_test = np.array([c.digit for c in train]), np.array([c.digit for c in test])
    images, labels = load_images("mnist", "train", args.data_dir, as_float=True)
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    classifier, _ = load_or_train_classifier(args.data_dir)
    ae_spec, ae_weights, _ = load_model(args.autoencoder, kind="snn")
    pairs = ac.pair_images(d_train, labels, args.dataset, class_idx=ac.class_images(flat, labels))
    refs = (flat[ac.class_images(flat, labels)][:, None] if args.dataset == "A"
            else flat[ac.reference_sets(pairs, d_train)])
    targets = ac.hidden_spike_maps(ae_spec, ae_weights, flat[pairs], args.th, seed=1)
    net_spec = ac.synthesis_spec(cfg, ae_spec)
    test_spikes = poisson(f_test, cfg.steps, cfg.max_rate, cfg.dt, seed=2)
    start = time.perf_counter()

    def report(epoch, weights):
        rec = SpikingNetwork(net_spec, [*weights, torch.as_tensor(ae_weights[1])])(test_spikes)
        counts = rec.spikes[-1].sum(0)
        m = ac.evaluate_images(counts, d_test, refs, classifier)
        print(f"epoch {epoch}: identity {m['identity']:.1%}, MSE {m['mse']:.3f}, hidden {rec.spikes[0].mean():.1%}, "
              f"output {rec.spikes[1].mean():.1%} (target {targets.mean():.1%}) of neurons per step, "
              f"{counts.sum(1).mean():.1f} image spikes; {(time.perf_counter() - start) / 60:.1f} min", flush=True)

    ac.train_audiocoder(f_train, targets, cfg, on_epoch=report)


if __name__ == "__main__":
    main()

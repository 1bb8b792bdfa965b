"""``spikesynth synthesize`` and ``spikesynth train audiocoder``: thin layers over
``training.audio`` (heavy imports happen inside the run functions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from training.cli import options


def configure_synthesize(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spikesynth synthesize``."""
    parser.add_argument("--audio", required=True, type=Path, help="a WAV file of a spoken digit (any rate; "
                        "stereo is mixed down, the rate is resampled to the model's front end)")
    parser.add_argument("--model", required=True, type=Path,
                        help="an audio-to-image model file written by `spikesynth train audiocoder`")
    parser.add_argument("--out", required=True, type=Path, help="the PNG image to write")
    parser.add_argument("--seed", type=options.seed, default=0, help="seed of the input Poisson spikes (default 0)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda[:N] (default cpu)")


def run_synthesize(args) -> int:
    """Synthesize one image from one WAV file; prints where it went."""
    import torch

    import training.audio as audio_api
    from models.files import check_output_file
    from training.audio.features import clip_features, read_clip

    if not args.audio.is_file():
        raise FileNotFoundError(f"--audio: no such file {args.audio}")
    check_output_file(args.out, "--out", ("png",))
    spec, weights, cfg, extra = audio_api.load_audiocoder(args.model)
    audio, rate = read_clip(args.audio, cfg.features)   # only the frames the features use
    feats = clip_features(audio, rate, cfg.features, name=str(args.audio)).reshape(1, -1)
    counts = audio_api.synthesize_counts(spec, weights, feats, seed=args.seed, device=args.device)
    audio_api.save_image_grid(counts, args.out, cols=1)
    spikes = int(torch.as_tensor(counts).sum())
    print(f"{args.out}: 28x28 image from {args.audio} ({spikes} output spikes over {spec.steps} steps; "
          f"model trained on dataset {extra.get('dataset', '?')}, Th={extra.get('th', '?')})")
    return 0


def configure_train_audiocoder(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``spikesynth train audiocoder``."""
    parser.add_argument("--autoencoder", required=True, type=Path,
                        help="the trained MNIST AE-SNN model file (784-196-784)")
    parser.add_argument("--preset", default="cpu", choices=("cpu", "paper"),
                        help="cpu: 39x60 inputs, 512 hidden, 30 steps at 1000 Hz; paper: 39x1500, 2048, 60 steps at 20 Hz "
                             "(default cpu)")
    parser.add_argument("--datasets", nargs="+", default=["A", "B"], choices=("A", "B"),
                        help="A: one image per digit; B: one random image per clip (default: A B)")
    parser.add_argument("--th", nargs="+", type=int, default=[15, 10],
                        help="stored hidden-map durations Th to sweep (default: 15 10)")
    parser.add_argument("--out-dir", type=Path, default=Path("runs/audio"),
                        help="where model files, images and results.json go (default runs/audio)")
    parser.add_argument("--ann-autoencoder", nargs="*", type=Path, default=[], metavar="FILE",
                        help="AE-ANN model files (`spikesynth train ann`): also train and test the AC-ANN "
                             "baseline with each one's optimizer at every Th (15 10 5 2 1 and unquantised)")
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--hidden", type=int, help="override the preset's hidden layer size")
    parser.add_argument("--target-scale", type=float, help="override the preset's target scale (a missed target "
                        "spike pulls the output potential to scale * v_th; cpu 2, paper 1)")
    parser.add_argument("--moments", choices=("batch", "run"), help="override when Adam's moments restart "
                        "(cpu: run, paper: batch)")
    parser.add_argument("--max-train", type=int, help="use at most this many training clips (balanced)")
    parser.add_argument("--max-test", type=int, help="use at most this many test clips (balanced)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR",
                        help="folder holding mnist/ and fsdd/recordings/ (default: $SPIKESYNTH_DATA, then the user cache)")
    parser.add_argument("--seed", type=options.seed, default=0)
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda[:N] (default cpu)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")


def run_train_audiocoder(args) -> int:
    """Train and test the AC-SNN for each dataset and Th; prints one line per run."""
    import training.audio as audio_api
    from models.files import check_output_dir

    cfg = audio_api.preset(args.preset)
    overrides = {k: getattr(args, k) for k in ("epochs", "hidden", "target_scale", "moments") if getattr(args, k) is not None}
    if overrides:
        cfg = cfg.with_(**overrides)
    check_output_dir(args.out_dir, what="--out-dir")
    results = audio_api.audio_experiment(args.autoencoder, cfg, args.out_dir, ths={d: tuple(args.th) for d in args.datasets},
                               data_dir=args.data_dir, seed=args.seed, device=args.device,
                               max_train=args.max_train, max_test=args.max_test,
                               ann_autoencoders=args.ann_autoencoder)
    print(f"{'model':<12} {'dataset':<8} {'Th':>4} {'test MSE':>9} {'identity':>9}")
    for run in results["runs"]:
        print(f"{run['model']:<12} {run['dataset']:<8} {run['th'] or 'full':>4} "
              f"{run['mse']:>9.4f} {run['identity']:>9.1%}")
    print(f"results: {args.out_dir / 'results.json'} ({results['n_train']} training, {results['n_test']} test clips)")
    return 0

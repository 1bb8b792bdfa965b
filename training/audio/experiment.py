"""The audio experiment of the paper: train and test the AC-SNN (and the AC-ANN baseline) per
dataset and Th on FSDD, writing models, image grids and ``results.json``."""

from __future__ import annotations

import numpy as np

from .config import DATASETS, TH_VALUES, AudiocoderConfig, check_autoencoder, synthesis_spec
from .synthesis import evaluate_images, save_audiocoder, save_image_grid, synthesize_counts
from .targets import check_disjoint, check_th, class_images, hidden_spike_maps, pair_images, reference_sets
from .train import train_audiocoder


def examples_per_digit(digits, per_digit: int = 5) -> np.ndarray:
    """Indices of the first ``per_digit`` clips of each digit, digit by digit (for figures)."""
    digits = np.asarray(digits)
    return np.concatenate([np.flatnonzero(digits == d)[:per_digit] for d in range(10)])


def balanced_subset(digits, limit: int | None) -> np.ndarray:
    """Indices of at most ``limit`` items, the first ``limit // 10`` of each digit (all when
    ``limit`` is None), in their original order."""
    digits = np.asarray(digits)
    if limit is None:
        return np.arange(len(digits))
    if limit < 10:
        raise ValueError(f"a clip limit must be at least 10 (one per digit), got {limit}")
    return np.sort(examples_per_digit(digits, limit // 10))


def audio_experiment(autoencoder, cfg: AudiocoderConfig, out_dir, ths: dict, data_dir=None, seed: int = 0,
                     device: str = "cpu", max_train: int | None = None, max_test: int | None = None, mnist=None,
                     classifier_weights=None, progress: bool = True, ann_autoencoders=(),
                     ann_ths=(*TH_VALUES, None)) -> dict:
    """Train and test the AC-SNN for each dataset and ``th``; returns and writes the results.

    autoencoder: path of the trained MNIST AE-SNN model file (784-196-784).
    ths: the datasets to run, in order, each with its Th values, e.g. ``{"A": (15, 10), "B": (15,)}``;
    the clips' features, MNIST and the classifier are loaded once for all of them.
    FSDD's standard split (test: recordings 0-4 of each speaker and digit; never trained on),
    optionally cut to ``max_train`` / ``max_test`` clips balanced over digits.
    mnist: ``(images [n, 28, 28] in [0, 1], labels)`` (default: MNIST train from ``data_dir``);
    classifier_weights: the digit-identity classifier (default: the cached one).
    ann_autoencoders: AE-ANN model files (``spikesynth train ann``); for each, the AC-ANN
    baseline (same hidden size, the AE-ANN's optimizer, lr 1e-4, weight decay 1e-4) is trained
    per dataset and per ``ann_ths`` entry (``None``: unquantised) and tested the same way.
    Writes into ``out_dir``: ``{dataset}-th{th}.safetensors`` (the audio-to-image network),
    ``{dataset}-th{th}.png`` (5 synthesized test images per digit) and ``results.json`` (the
    returned dict: one entry per run of this call, every dataset, with ``model`` ``AC-SNN`` or
    ``AC-ANN-sgd`` / ``AC-ANN-adam``; rewritten atomically after each run).
    ``out_dir`` and ``device`` are checked before any work (``models.files.output_folder``: no
    other run may write there meanwhile); the folder is marked incomplete (``INCOMPLETE``) from
    the first file written until the last, so a killed run leaves files that readers refuse.
    """
    from models.files import output_folder
    from models.io import load_model

    from ..settings import check_device

    check_device(device)
    ae_spec, ae_weights, _ = load_model(autoencoder, kind="snn")
    check_autoencoder(ae_spec)
    if not (isinstance(ths, dict) and ths
            and all(d in DATASETS and isinstance(v, (tuple, list)) and v for d, v in ths.items())):
        raise ValueError(f"ths must map datasets among {DATASETS} to non-empty tuples of Th values, "
                         f"e.g. {{'A': (15, 10)}}, got {ths!r}")
    for dataset_ths in ths.values():   # before the clips' features are computed
        for th in dataset_ths:
            check_th(th, ae_spec)
    names = ["results.json", *(f"{d}-th{th}.{ext}" for d, d_ths in ths.items() for th in d_ths
                               for ext in ("safetensors", "png"))]
    anns = [(path, load_model(path, kind="ann")) for path in ann_autoencoders]   # not after hours of training
    with output_folder(out_dir, names, what="out_dir") as out_dir:
        return _experiment(autoencoder, ae_spec, ae_weights, cfg, out_dir, ths, data_dir, seed, device, max_train,
                           max_test, mnist, classifier_weights, progress, anns, ann_ths)


def _experiment(autoencoder, ae_spec, ae_weights, cfg, out_dir, ths, data_dir, seed, device, max_train, max_test,
                mnist, classifier_weights, progress, anns, ann_ths) -> dict:
    """The body of ``audio_experiment``, its arguments checked, ``anns`` the loaded AE-ANN files
    ``(path, (spec, weights, meta))`` and ``out_dir`` locked."""
    from models.files import unfinished

    from .features import feature_matrix
    from .ann import AcAnnConfig, ann_targets, synthesize_ann, train_ac_ann
    from .classifier import load_or_train_classifier
    from ..data import load_fsdd, load_images

    train = load_fsdd(data_dir, "train")
    test = load_fsdd(data_dir, "test")
    train = [train[i] for i in balanced_subset([c.digit for c in train], max_train)]
    test = [test[i] for i in balanced_subset([c.digit for c in test], max_test)]
    check_disjoint(train, test)
    f_train = feature_matrix(train, cfg.features, progress=progress)
    f_test = feature_matrix(test, cfg.features, progress=progress)
    d_train = np.array([c.digit for c in train])
    d_test = np.array([c.digit for c in test])
    images, labels = mnist if mnist is not None else load_images("mnist", "train", data_dir, as_float=True)
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    if classifier_weights is None:
        classifier_weights, _ = load_or_train_classifier(data_dir, progress=progress)
    class_idx = class_images(flat, labels)
    spec = synthesis_spec(cfg, ae_spec)
    shown = examples_per_digit(d_test, 5)
    results = {"config": cfg.to_dict(), "autoencoder": str(autoencoder), "seed": seed,
               "n_train": len(train), "n_test": len(test), "runs": []}
    with unfinished(out_dir, "spikesynth train audiocoder, writing models, images and results.json"):
        for dataset, dataset_ths in ths.items():
            pairs = pair_images(d_train, labels, dataset, seed=seed, class_idx=class_idx)
            if dataset == "A":
                refs = flat[class_idx][:, None]
            else:
                k = min(100, min(len(np.unique(pairs[d_train == d])) for d in range(10)))
                refs = flat[reference_sets(pairs, d_train, k, seed)]
            for th in dataset_ths:
                targets = hidden_spike_maps(ae_spec, ae_weights, flat[pairs], th, seed=seed + 1)
                weights, history = train_audiocoder(f_train, targets, cfg, seed=seed, device=device, progress=progress)
                counts = synthesize_counts(spec, [*weights, ae_weights[1]], f_test, seed=seed + 2, device=device)
                metrics = evaluate_images(counts, d_test, refs, classifier_weights)
                run = {"model": "AC-SNN", "dataset": dataset, "th": th, "train_loss": history, **metrics}
                results["runs"].append(run)
                name = f"{dataset}-th{th}"
                save_audiocoder(out_dir / f"{name}.safetensors", cfg, ae_spec, weights, ae_weights,
                                {"dataset": dataset, "th": th, "autoencoder": str(autoencoder), "test": metrics})
                save_image_grid(counts[shown], out_dir / f"{name}.png")
                _write_json(out_dir / "results.json", results)
            for path, (_, ann_weights, meta) in anns:
                optimizer = str(meta["extra"].get("trainer", "ann-sgd")).removeprefix("ann-")
                acfg = AcAnnConfig(hidden=cfg.hidden, optimizer=optimizer, batch=cfg.batch, epochs=cfg.epochs)
                for th in ann_ths:
                    targets = ann_targets(ann_weights, flat[pairs], th)
                    weights, history = train_ac_ann(f_train, targets, acfg, seed=seed, device=device, progress=progress)
                    images_out = synthesize_ann(weights, ann_weights, f_test)
                    metrics = evaluate_images(images_out, d_test, refs, classifier_weights)
                    results["runs"].append({"model": f"AC-ANN-{optimizer}", "dataset": dataset, "th": th,
                                            "autoencoder": str(path), "train_loss": history, **metrics})
                    save_image_grid(images_out[shown], out_dir / f"{dataset}-ann-{optimizer}-th{th or 'full'}.png")
                    _write_json(out_dir / "results.json", results)
    return results


def _write_json(path, data) -> None:
    import json

    from models.files import write_text_atomic

    write_text_atomic(path, json.dumps(data, indent=1))

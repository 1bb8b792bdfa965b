import numpy as np
import pytest
import torch

from training.audio.classifier import ClassifierConfig, classify, load_or_train_classifier, train_classifier


def blocks(n_per_class, rng):
    """Class d lights pixels 70d .. 70d+69 (plus noise): trivially separable maps."""
    labels = np.repeat(np.arange(10), n_per_class)
    images = rng.random((len(labels), 784)).astype(np.float32) * 0.2
    for i, d in enumerate(labels):
        images[i, 70 * d:70 * d + 70] += 1.0
    return images.reshape(-1, 28, 28), labels


def test_classifier_learns_and_ignores_scale():
    rng = np.random.default_rng(0)
    images, labels = blocks(30, rng)
    w = train_classifier(images, labels, ClassifierConfig(hidden=32, epochs=8, batch=30), progress=False)
    test, test_labels = blocks(5, rng)
    assert (classify(w, test.reshape(-1, 784)) == test_labels).all()
    # spike counts are any multiple of an image: z-scoring makes the prediction scale-free
    assert (classify(w, torch.as_tensor(test.reshape(-1, 784)) * 17 + 3) == test_labels).all()
    with pytest.raises(ValueError, match="784 pixels"):
        classify(w, np.zeros((2, 100)))


def test_cached_classifier_is_reused(tmp_path, monkeypatch):
    import training.audio.classifier as clf
    rng = np.random.default_rng(1)
    images, labels = blocks(10, rng)
    monkeypatch.setattr(clf, "load_images", lambda name, split, data_dir=None: (images, labels))
    cfg = ClassifierConfig(hidden=8, epochs=2, batch=20)
    w, acc = load_or_train_classifier(cfg=cfg, cache_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("mnist-classifier-*.safetensors"))) == 1
    monkeypatch.setattr(clf, "train_classifier", lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    w2, acc2 = load_or_train_classifier(cfg=cfg, cache_dir=tmp_path, progress=False)
    assert acc2 == acc and all(torch.equal(a, b) for a, b in zip(w, w2))


@pytest.mark.parametrize("field, value", [("batch", 0), ("epochs", -1), ("hidden", 1.5), ("lr", float("nan")),
                                          ("seed", -1)])
def test_classifier_settings_are_checked_when_made(field, value):
    from training.audio.classifier import ClassifierConfig

    with pytest.raises(ValueError, match=field):
        ClassifierConfig(**{field: value})

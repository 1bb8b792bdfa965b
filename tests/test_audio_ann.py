import numpy as np
import pytest
import torch

from training.audio.ann import AcAnnConfig, ann_targets, quantize, synthesize_ann, train_ac_ann


def test_quantize_hand_computed():
    h = torch.tensor([0.0, 0.2, 0.49, 0.51, 1.0, 3.0])
    # 2 levels on [0, 1]: {0, 1}; 3 levels: {0, 0.5, 1}; above top clips to top
    assert quantize(h, 2, 1.0).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert quantize(h, 3, 1.0).tolist() == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="levels"):
        quantize(h, 1, 1.0)
    with pytest.raises(ValueError, match="top"):
        quantize(h, 4, 0.0)


def test_ann_targets_use_2_to_the_th_levels():
    w1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # hidden = relu of pixel 0, pixel 1, -pixel 0
    images = np.array([[0.3, 0.9], [0.6, 0.0]], dtype=np.float32)
    full = ann_targets([w1, None], images, None)
    assert torch.allclose(full, torch.tensor([[0.3, 0.9, 0.0], [0.6, 0.0, 0.0]]))
    one_bit = ann_targets([w1, None], images, 1)             # levels {0, 0.9}
    assert torch.allclose(one_bit, torch.tensor([[0.0, 0.9, 0.0], [0.9, 0.0, 0.0]]))
    assert len(torch.unique(ann_targets([w1, None], np.random.default_rng(0).random((50, 2)), 2))) <= 4


def test_ac_ann_learns_a_linear_map_and_decodes():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 6, generator=g)
    targets = torch.relu(x @ torch.rand(6, 3, generator=g))
    cfg = AcAnnConfig(hidden=16, optimizer="adam", lr=1e-2, weight_decay=0.0, batch=20, epochs=30)
    w, hist = train_ac_ann(x.numpy(), targets, cfg, progress=False)
    assert hist[-1] < 0.1 * hist[0]
    decoder = [None, torch.eye(3)]
    assert torch.allclose(synthesize_ann(w, decoder, x.numpy()), torch.relu(torch.relu(x @ w[0].T) @ w[1].T))


@pytest.mark.parametrize("field, value", [("batch", 0), ("epochs", -1), ("batch", 2.5), ("hidden", 0),
                                          ("optimizer", "rmsprop"), ("lr", 0.0), ("weight_decay", -1e-4)])
def test_ac_ann_settings_are_checked_when_made(field, value):
    from training.audio.ann import AcAnnConfig

    with pytest.raises(ValueError, match=field):
        AcAnnConfig(**{field: value})

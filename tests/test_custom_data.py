"""Your own images: .npz files and folders of PNG/JPEG files, any size, with clear errors."""

import numpy as np
import pytest
from PIL import Image

from training.data import load_images
from training.data.custom import is_custom, load_custom


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_uint8_and_float_in_either_shape(tmp_path):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (6, 5, 7), dtype=np.uint8)
    test = rng.integers(0, 256, (3, 5, 7), dtype=np.uint8)
    path = write_npz(tmp_path / "mine.npz", train_images=train, test_images=test, train_labels=np.arange(6))
    x, y = load_custom(path, "train")
    assert x.dtype == np.float32 and x.shape == (6, 5, 7) and np.array_equal(x, train / np.float32(255))
    assert y.tolist() == list(range(6))
    x, y = load_custom(path, "test")
    assert x.shape == (3, 5, 7) and y is None
    # the same through load_images, uint8 back exactly when as_float is False
    assert np.array_equal(load_images(str(path), "train")[0], train)
    flat = write_npz(tmp_path / "flat.npz", train_images=rng.random((4, 12)), test_images=rng.random((2, 12)))
    assert load_images(str(flat), "test", as_float=True)[0].shape == (2, 12)


@pytest.mark.parametrize("arrays, match", [
    ({"train_images": np.zeros((2, 4, 4), np.uint8)}, r"missing array\(s\) \['test_images'\]"),
    ({"train_images": np.zeros((0, 4, 4), np.uint8), "test_images": np.zeros((2, 4, 4), np.uint8)}, "empty"),
    ({"train_images": np.full((2, 4, 4), np.nan), "test_images": np.zeros((2, 4, 4))}, "NaN"),
    ({"train_images": np.full((2, 4, 4), 1.5), "test_images": np.zeros((2, 4, 4))}, r"in \[0, 1\]"),
    ({"train_images": np.zeros((2, 4, 4), np.int32), "test_images": np.zeros((2, 4, 4))}, "uint8"),
    ({"train_images": np.zeros((2, 4, 4)), "test_images": np.zeros((2, 5, 4))}, "same image size"),
    ({"train_images": np.zeros((2, 4, 4)), "test_images": np.zeros((2, 4, 4)), "train_labels": np.zeros(3)},
     "train_labels must be integers"),
])
def test_npz_errors_name_the_file(tmp_path, arrays, match):
    path = write_npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match) as info:
        load_custom(path, "train")
    assert str(path) in str(info.value)


def save_png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def test_folder_of_pngs_with_classes_and_the_grey_rule(tmp_path):
    root = tmp_path / "imgs"
    rng = np.random.default_rng(1)
    grey = {}
    for split, n in (("train", 3), ("test", 2)):
        for cls in ("cat", "dog"):
            for i in range(n):
                img = rng.integers(0, 256, (32, 32), dtype=np.uint8)
                grey[(split, cls, i)] = img
                save_png(root / split / cls / f"{i}.png", img)
    colour = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    save_png(root / "test" / "dog" / "9.png", colour)   # a colour image: ITU-R 601-2 luma
    x, y = load_custom(root, "train")
    assert x.shape == (6, 32, 32) and y.tolist() == [0, 0, 0, 1, 1, 1]      # classes in sorted order
    assert np.array_equal(x[4], grey[("train", "dog", 1)] / np.float32(255))
    x, y = load_custom(root, "test")
    assert y.tolist() == [0, 0, 1, 1, 1]
    c = colour.astype(np.int64)
    luma = (c[..., 0] * 299 + c[..., 1] * 587 + c[..., 2] * 114 + 500) // 1000
    assert np.abs(x[-1] * 255 - luma).max() <= 1
    assert is_custom(str(root)) and is_custom("a.npz") and not is_custom("mnist")


def test_folder_errors(tmp_path):
    root = tmp_path / "imgs"
    save_png(root / "train" / "a.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(FileNotFoundError, match="test"):
        load_custom(root, "train")
    (root / "test").mkdir()
    with pytest.raises(ValueError, match="holds no"):
        load_custom(root, "test")
    save_png(root / "train" / "b.png", np.zeros((8, 9), np.uint8))
    with pytest.raises(ValueError, match=r"b.png: image is 9x8 .* same size"):
        load_custom(root, "train")
    (root / "train" / "b.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="b.png: not a readable image"):
        load_custom(root, "train")
    with pytest.raises(FileNotFoundError, match="no such"):
        load_custom(tmp_path / "nowhere.npz", "train")


def test_test_classes_must_be_training_classes(tmp_path):
    root = tmp_path / "imgs"
    for split, cls in (("train", "cat"), ("test", "cat"), ("test", "dog")):   # dog: no training images
        save_png(root / split / cls / "0.png", np.zeros((8, 8), np.uint8))
    for split in ("train", "test"):
        with pytest.raises(ValueError, match=r"class folder\(s\) \['dog'\] not in .*train"):
            load_custom(root, split)
    zeros = np.zeros((2, 4, 4), np.uint8)
    path = write_npz(tmp_path / "l.npz", train_images=zeros, test_images=zeros, train_labels=np.array([0, 1]),
                     test_labels=np.array([1, 2]))
    with pytest.raises(ValueError, match=r"l.npz: test_labels holds label\(s\) \[2\] that train_labels never has"):
        load_custom(path, "train")


def _claim_size(path, width, height):
    """Rewrite a PNG's IHDR to claim ``width x height`` pixels (CRC fixed): a tiny decompression bomb."""
    import struct
    import zlib
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


def test_images_claiming_too_many_pixels_are_refused_naming_the_file(tmp_path, monkeypatch):
    # a 20000x20000 header was a PIL.Image.DecompressionBombError traceback
    root = tmp_path / "imgs"
    for split in ("train", "test"):
        save_png(root / split / "0.png", np.zeros((8, 8), np.uint8))
    save_png(root / "train" / "1.png", np.zeros((8, 8), np.uint8))
    _claim_size(root / "train" / "1.png", 20000, 20000)
    with pytest.raises(ValueError, match=r"1.png: image too large to read: its header claims 400,000,000 pixels"):
        load_custom(root, "train")
    # between Pillow's limit and twice it Pillow only warns, then decodes: refused too
    (root / "train" / "1.png").unlink()
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40)        # 8x8 = 64 pixels: a warning, not Pillow's error
    with pytest.raises(ValueError, match=r"0.png: image too large to read: its header claims 64 pixels, more "
                                         r"than Pillow's limit Image.MAX_IMAGE_PIXELS = 40"):
        load_custom(root, "train")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64)
    assert load_custom(root, "train")[0].shape == (1, 8, 8)

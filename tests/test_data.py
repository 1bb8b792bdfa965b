import gzip
import hashlib
import io
import shutil
import warnings
from urllib.error import URLError

import numpy as np
import pytest
from scipy.io import wavfile

import training.data.catalog as catalog
from training import data as D
from training.data.catalog import Canonical, DownloadError, checksum_status, fetch
from training.data import (fsdd_files, fsdd_split, idx_dims, load_fsdd, load_images, load_sample, locate_images,
                           read_idx, read_wav, search_dirs)


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file holding ``array``, written by hand from the format spec."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_tiny_mnist(folder, split="test", gz=True):
    """Two 28x28 images with known pixels and labels [3, 7]; returns (images, labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 0, 0], images[1, 27, 27], images[1, 5, 6] = 255, 51, 1
    labels = np.array([3, 7], np.uint8)
    img_base, lbl_base = D.idx_filenames(split)
    for base, arr in ((img_base, images), (lbl_base, labels)):
        if gz:
            (folder / f"{base}.gz").write_bytes(gzip.compress(idx_bytes(arr)))
        else:
            (folder / base).write_bytes(idx_bytes(arr))
    return images, labels


# --- the real files -----------------------------------------------------------------

LABEL_COUNTS = {
    ("mnist", "train"): [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    ("mnist", "test"): [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    ("fashion-mnist", "train"): [6000] * 10,
    ("fashion-mnist", "test"): [1000] * 10,
}
MEANS = {("mnist", "train"): 0.130711, ("mnist", "test"): 0.132515,
         ("fashion-mnist", "train"): 0.286040, ("fashion-mnist", "test"): 0.286849}
FIRST_LABELS = {("mnist", "train"): [5, 0, 4], ("mnist", "test"): [7, 2, 1],
                ("fashion-mnist", "train"): [9, 0, 0], ("fashion-mnist", "test"): [9, 2, 1]}


@pytest.mark.parametrize("name,split", sorted(LABEL_COUNTS))
def test_real_image_files(data_dir, name, split):
    images, labels = load_images(name, split, data_dir)
    n = 60000 if split == "train" else 10000
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == LABEL_COUNTS[(name, split)]
    assert labels[:3].tolist() == FIRST_LABELS[(name, split)]
    assert images.mean() / 255 == pytest.approx(MEANS[(name, split)], abs=1e-6)


def test_as_float_is_uint8_over_255(data_dir):
    images, _ = load_images("mnist", "test", data_dir)
    floats, _ = load_images("mnist", "test", data_dir, as_float=True)
    assert floats.dtype == np.float32 and floats.min() == 0.0 and floats.max() == 1.0
    np.testing.assert_array_equal(floats, images.astype(np.float32) / 255)


def test_checksum_status_of_real_files(data_dir):
    assert checksum_status("mnist", data_dir / "mnist" / "t10k-images-idx3-ubyte.gz")[0] == "canonical"
    status, detail = checksum_status("mnist", data_dir / "mnist" / "train-images-idx3-ubyte.gz")
    assert status == "known variant" and "rebuilt" in detail
    assert checksum_status("fashion-mnist", data_dir / "fashion-mnist" / "train-labels-idx1-ubyte.gz")[0] == "canonical"


# --- IDX reading: hand-made files -----------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_tiny_dataset_round_trip(tmp_path, isolated_data, gz):
    images, labels = write_tiny_mnist(tmp_path / "d" / "mnist", gz=gz)
    got_images, got_labels = load_images("mnist", "test", tmp_path / "d")
    np.testing.assert_array_equal(got_images, images)
    assert got_labels.tolist() == [3, 7]
    floats, _ = load_images("mnist", "test", tmp_path / "d", as_float=True)
    assert floats[0, 0, 0] == 1.0 and floats[1, 27, 27] == pytest.approx(0.2) and floats[1, 5, 6] == np.float32(1 / 255)


def test_bad_magic_and_dimensions(tmp_path):
    bad = tmp_path / "x-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"\x00" * 12)  # 0x0d: float32 IDX
    with pytest.raises(ValueError, match="x-idx1-ubyte.*bad magic"):
        read_idx(bad, 1)
    good = tmp_path / "y-idx1-ubyte"
    good.write_bytes(idx_bytes(np.arange(3)))
    with pytest.raises(ValueError, match="y-idx1-ubyte.*1 dimensions, expected 3"):
        read_idx(good, 3)
    assert read_idx(good, 1).tolist() == [0, 1, 2]


def test_idx_dims_reads_only_the_header(tmp_path):
    path = tmp_path / "a-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 2, 3)))[:20]))     # header + 4 pixel bytes
    assert idx_dims(path, 3) == [4, 2, 3]
    with pytest.raises(ValueError, match="a-idx3-ubyte.gz: IDX file has 3 dimensions, expected 1"):
        idx_dims(path, 1)


def test_truncated_idx_is_an_error_naming_the_file(tmp_path, isolated_data):
    write_tiny_mnist(tmp_path / "mnist")
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[:-100]))           # a valid gzip of a short IDX
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz: IDX length 1484 bytes.*truncated"):
        load_images("mnist", "test", tmp_path)
    path.write_bytes(gzip.compress(content)[:-20])             # a cut-off gzip stream
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: cannot read"):
        load_images("mnist", "test", tmp_path)


def test_corrupt_gzip_is_an_error_naming_the_file(tmp_path, isolated_data):
    write_tiny_mnist(tmp_path / "mnist")
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[12:16] = b"\xff\xff\xff\xff"                           # damage the deflate stream
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz"):
        load_images("mnist", "test", tmp_path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: cannot read"):
        load_images("mnist", "test", tmp_path)


def test_image_and_label_counts_must_agree(tmp_path, isolated_data):
    write_tiny_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3]))))
    with pytest.raises(ValueError, match="2 images but .*t10k-labels-idx1-ubyte.gz has 3 labels"):
        load_images("mnist", "test", tmp_path)
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 12]))))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: labels must be 0-9, found 12"):
        load_images("mnist", "test", tmp_path)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_dir .* must be an existing folder"):
        load_images("mnist", "test", tmp_path / "typo")
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_images("cifar10", "test")
    with pytest.raises(ValueError, match="split must be one of"):
        load_images("mnist", "validation")


# --- search order -----------------------------------------------------------------------

def test_search_order(tmp_path, isolated_data, monkeypatch):
    for folder in ("arg", "env", "debian", "cache/spikesynth/data"):
        write_tiny_mnist(tmp_path / folder / "fashion-mnist")
    monkeypatch.setenv("SPIKESYNTH_DATA", str(tmp_path / "env"))
    assert locate_images("fashion-mnist", "test", tmp_path / "arg").source == "--data-dir"
    assert locate_images("fashion-mnist", "test").source == "SPIKESYNTH_DATA"
    shutil.rmtree(tmp_path / "env")
    assert locate_images("fashion-mnist", "test").images.parent == tmp_path / "debian" / "fashion-mnist"
    assert locate_images("fashion-mnist", "test").source == "Debian package"
    shutil.rmtree(tmp_path / "debian")
    assert locate_images("fashion-mnist", "test").source == "user cache"
    assert locate_images("mnist", "test") is None              # the Debian folder is Fashion-MNIST only


def test_a_folder_named_for_one_dataset_is_not_used_for_another(tmp_path, isolated_data):
    write_tiny_mnist(tmp_path / "mnist")
    assert locate_images("mnist", "test", tmp_path / "mnist").images.parent == tmp_path / "mnist"
    assert locate_images("fashion-mnist", "test", tmp_path / "mnist") is None
    assert [s for s, _ in search_dirs("mnist", tmp_path / "mnist")] == ["--data-dir", "--data-dir", "user cache"]


def test_missing_dataset_offline_names_files_and_fixes(tmp_path, isolated_data):
    for download in (False, True):
        with pytest.raises(FileNotFoundError) as info:
            load_images("fashion-mnist", "train", tmp_path, download=download)
        msg = str(info.value)
        for needle in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "--data-dir", "SPIKESYNTH_DATA",
                       "spikesynth data fetch fashion-mnist", "dataset-fashion-mnist", str(tmp_path / "cache")):
            assert needle in msg
    assert isinstance(info.value, DownloadError) and "network is unreachable" in msg
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []   # no half-written download


# --- downloads (the network is faked) ------------------------------------------------------

class FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def serve(monkeypatch, files: dict, failing_hosts=()):
    """Fake urlopen serving ``files`` (file name -> bytes); hosts in ``failing_hosts`` are unreachable."""
    calls = []

    def fake(url, timeout=None):
        calls.append(url)
        if any(h in url for h in failing_hosts):
            raise URLError("timed out")
        return FakeResponse(files[url.rsplit("/", 1)[1]])
    monkeypatch.setattr(catalog, "urlopen", fake)
    return calls


def tiny_downloads(tmp_path, monkeypatch):
    """Gzipped tiny test-split files, registered as the canonical downloads."""
    write_tiny_mnist(tmp_path / "src")
    files = {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()}
    for fname, payload in files.items():
        key = ("mnist", fname.removesuffix(".gz"))
        monkeypatch.setitem(catalog.CANONICAL, key, Canonical(hashlib.md5(payload).hexdigest(), None))
    return files


def test_download_verifies_and_falls_back_to_the_next_mirror(tmp_path, isolated_data, monkeypatch):
    files = tiny_downloads(tmp_path, monkeypatch)
    calls = serve(monkeypatch, files, failing_hosts=("ossci-datasets",))
    images, labels = load_images("mnist", "test", download=True)
    assert labels.tolist() == [3, 7] and images[0, 0, 0] == 255
    cached = tmp_path / "cache" / "spikesynth" / "data" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(files)
    assert len(calls) == 4 and "storage.googleapis.com" in calls[1]
    serve(monkeypatch, {})                                      # verified files are not fetched again
    expected = [cached / "t10k-images-idx3-ubyte.gz", cached / "t10k-labels-idx1-ubyte.gz"]
    assert fetch("mnist", splits=("test",)) == expected


def test_download_with_wrong_checksum_saves_nothing(tmp_path, isolated_data, monkeypatch):
    files = tiny_downloads(tmp_path, monkeypatch)
    serve(monkeypatch, {name: payload + b"x" for name, payload in files.items()})
    with pytest.raises(ValueError, match="idx3-ubyte.gz: downloaded file has MD5 .* nothing was saved"):
        fetch("mnist", splits=("test",), dest=tmp_path / "dest")
    assert [p for p in tmp_path.joinpath("dest").rglob("*") if p.is_file()] == []


def test_checksum_status_of_a_foreign_file(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    status, detail = checksum_status("mnist", tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz")
    assert status == "not canonical" and "MD5" in detail
    with pytest.raises(ValueError, match="not a known mnist file"):
        checksum_status("mnist", tmp_path / "mnist" / "other.gz")


# --- FSDD -------------------------------------------------------------------------------

def test_fsdd_files_and_standard_split(data_dir):
    entries = fsdd_files(data_dir)
    assert len(entries) == 3000
    assert sorted({e[0] for e in entries}) == list(range(10)) and len({e[1] for e in entries}) == 6
    train, test = fsdd_split(entries, "standard")
    assert len(train) == 2700 and len(test) == 300 and not set(train) & set(test)
    assert sorted(train + test) == list(range(3000))
    assert all(entries[i][2] < 5 for i in test) and all(entries[i][2] >= 5 for i in train)
    per_pair = {}
    for i in test:
        per_pair[entries[i][:2]] = per_pair.get(entries[i][:2], 0) + 1
    assert len(per_pair) == 60 and set(per_pair.values()) == {5}   # every speaker/digit pair: 5 test clips


def test_fsdd_stratified_split_is_seeded_and_disjoint(data_dir):
    entries = fsdd_files(data_dir)
    train, test = fsdd_split(entries, "stratified", seed=3)
    assert len(test) == 450 and len(train) == 2550 and not set(train) & set(test)
    assert sorted(train + test) == list(range(3000))
    assert np.bincount([entries[i][0] for i in test]).tolist() == [45] * 10
    assert fsdd_split(entries, "stratified", seed=3) == (train, test)
    assert fsdd_split(entries, "stratified", seed=4)[1] != test
    with pytest.raises(ValueError, match="test_fraction must be in"):
        fsdd_split(entries, "stratified", test_fraction=1.0)
    with pytest.raises(ValueError, match="scheme must be one of"):
        fsdd_split(entries, "by-speaker")


def test_load_fsdd_test_split(data_dir):
    clips = load_fsdd(data_dir, split="test")
    assert len(clips) == 300
    assert {c.sample_rate for c in clips} == {8000} and all(c.index < 5 for c in clips)
    assert all(c.audio.dtype == np.float32 and c.audio.ndim == 1 and np.abs(c.audio).max() <= 1 for c in clips)
    assert clips[0].path.name == f"{clips[0].digit}_{clips[0].speaker}_{clips[0].index}.wav"


def test_read_wav_scales_hand_made_files(tmp_path):
    wavfile.write(tmp_path / "a.wav", 8000, np.array([0, 16384, -32768], np.int16))
    audio, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and audio.tolist() == [0.0, 0.5, -1.0]
    wavfile.write(tmp_path / "b.wav", 4000, np.array([0, 128, 255], np.uint8))
    assert read_wav(tmp_path / "b.wav")[0].tolist() == [-1.0, 0.0, 127 / 128]


def test_unreadable_and_truncated_wav(tmp_path, isolated_data):
    rec = tmp_path / "fsdd" / "recordings"
    rec.mkdir(parents=True)
    wavfile.write(rec / "1_ann_0.wav", 8000, np.zeros(400, np.int16))
    wavfile.write(rec / "2_ann_0.wav", 8000, np.zeros(400, np.int16))
    assert len(load_fsdd(tmp_path)) == 2
    full = (rec / "2_ann_0.wav").read_bytes()
    (rec / "2_ann_0.wav").write_bytes(full[:-100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                         # and no stray warning either
        with pytest.raises(ValueError, match="2_ann_0.wav: truncated or corrupt WAV"):
            load_fsdd(tmp_path)
    (rec / "2_ann_0.wav").write_bytes(b"RIFF garbage")
    with pytest.raises(ValueError, match="2_ann_0.wav: unreadable WAV"):
        load_fsdd(tmp_path)
    (rec / "2_ann_0.wav").unlink()
    (rec / "two_ann_0.wav").write_bytes(full)
    with pytest.raises(ValueError, match="two_ann_0.wav: FSDD file names must be"):
        fsdd_files(tmp_path)


def test_missing_fsdd(tmp_path, isolated_data):
    with pytest.raises(FileNotFoundError, match="no FSDD recordings.*SPIKESYNTH_DATA"):
        load_fsdd(tmp_path)


# --- bundled sample ---------------------------------------------------------------------

def test_bundled_sample():
    for split in ("train", "test"):
        images, labels = load_sample(split)
        assert images.shape == (1000, 28, 28) and images.dtype == np.uint8
        assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [100] * 10
    assert D.SAMPLE_PATH.stat().st_size < 1_000_000
    with pytest.raises(ValueError, match="split must be one of"):
        load_sample("val")


def test_bundled_sample_matches_the_dataset(data_dir):
    with np.load(D.SAMPLE_PATH) as npz:
        index = npz["test_index"]
    images, labels = load_images("mnist", "test", data_dir)
    sample_images, sample_labels = load_sample("test")
    np.testing.assert_array_equal(sample_images, images[index])
    np.testing.assert_array_equal(sample_labels, labels[index])

"""The Spiking Heidelberg Digits / Spiking Speech Commands reader: small HDF5 files written
here in the real layout (no download can work), binning, the search order, bad files."""

import json

import numpy as np
import pytest

import training.cli as cli
from encoders.brian import to_spike_generator
from training.data import bin_spikes, cache_dir, load_shd, load_spiking, load_ssc, locate_spiking, read_spiking
from training.data.report import dataset_report
from training.data.shd import MAX_TIME, binning

h5py = pytest.importorskip("h5py")


def write_spiking(path, times, units, labels, time_dtype=np.float32, unit_dtype=np.uint16):
    """An SHD/SSC file: vlen ``spikes/times`` and ``spikes/units``, ``labels`` (the real layout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        t = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.dtype(time_dtype)))
        u = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.dtype(unit_dtype)))
        for i, (ti, ui) in enumerate(zip(times, units)):
            t[i] = np.asarray(ti, time_dtype)
            u[i] = np.asarray(ui, unit_dtype)
        f.create_dataset("labels", data=np.asarray(labels, np.uint16))
        f.create_dataset("extra/speaker", data=np.zeros(len(labels), np.uint16))   # the real files have extras
    return path


TIMES = [[0.0, 0.05, 0.12, 0.12, 0.49, 0.7], [0.3], []]
UNITS = [[3, 3, 699, 5, 0, 1], [42], []]
LABELS = [7, 19, 0]


def random_events(n, seed=0, tmax=1.5):
    """``n`` samples of sorted random events in [0, tmax) s (some past MAX_TIME)."""
    rng = np.random.default_rng(seed)
    times, units = [], []
    for _ in range(n):
        k = int(rng.integers(0, 400))
        times.append(np.sort(rng.uniform(0, tmax, k)).astype(np.float32))
        units.append(rng.integers(0, 700, k).astype(np.uint16))
    return times, units


# --- binning --------------------------------------------------------------------------

def test_binning_hand_computed(tmp_path):
    path = write_spiking(tmp_path / "shd" / "shd_test.h5", TIMES, UNITS, LABELS)
    trains, labels = load_shd("test", data_dir=tmp_path, dt=0.1, duration=0.5, counts=True)
    assert trains.shape == (5, 3, 700) and trains.dtype == np.uint16
    assert labels.tolist() == [7, 19, 0] and labels.dtype == np.int64
    # sample 0: bins floor(t / 0.1) = 0, 0, 1, 1, 4 and 7 (past 0.5 s: into the last bin, bin 4)
    expected = np.zeros((5, 700), np.uint16)
    expected[0, 3], expected[1, 699], expected[1, 5], expected[4, 0], expected[4, 1] = 2, 1, 1, 1, 1
    np.testing.assert_array_equal(trains[:, 0], expected)
    assert trains[3, 1, 42] == 1 and trains[:, 1].sum() == 1 and not trains[:, 2].any()
    binary, _ = load_shd("test", data_dir=tmp_path, dt=0.1, duration=0.5)
    assert binary.dtype == np.uint8
    np.testing.assert_array_equal(binary, (trains > 0).astype(np.uint8))
    dropped, _ = load_shd("test", data_dir=tmp_path, dt=0.1, duration=0.5, counts=True, late="drop")
    assert dropped[4, 0, 1] == 0 and dropped.sum() == trains.sum() - 1
    assert read_spiking(path)[0][0].dtype == np.float64


def test_binning_steps_and_dt():
    assert binning() == (MAX_TIME / 100, 100)                           # spike-encoding's default
    assert binning(steps=50, duration=1.0) == (0.02, 50)
    assert binning(dt=0.3, duration=1.0) == (0.3, 4)                    # the last bin reaches 1.2 s
    assert binning(dt=MAX_TIME / 100)[1] == 100
    for kwargs, match in [(dict(dt=0.1, steps=3), "give dt or steps, not both"),
                          (dict(dt=0.0), r"dt \(s\) must be a finite number > 0"),
                          (dict(steps=0), "steps must be an integer >= 1"),
                          (dict(duration=float("nan")), r"duration \(s\) must be a finite number > 0")]:
        with pytest.raises(ValueError, match=match):
            binning(**kwargs)
    with pytest.raises(ValueError, match=r"late must be one of \('last', 'drop'\)"):
        bin_spikes(TIMES, UNITS, late="clip")


def test_default_binning_is_spike_encodings(tmp_path):
    process = pytest.importorskip("spike_encoding.dataset_utils.process_shd",
                                  reason="spike-encoding's SHD processing is not importable")
    times, units = random_events(12, seed=1)
    path = write_spiking(tmp_path / "shd_train.h5", times, units, np.arange(12) % 20)
    # its reader reads our file (the layout is the real one) ...
    their_times, their_units, their_labels = process.load_spikes_from_h5(path)
    assert len(their_times) == 12 and their_labels.tolist() == (np.arange(12) % 20).tolist()
    theirs = process.convert_to_sparse_tensor(their_times, their_units, MAX_TIME, 700, 100)
    # ... and our default counts (100 bins over 1.36914 s, late spikes in the last bin) are its matrices
    ours, labels = load_shd("train", data_dir=tmp_path, counts=True)
    assert ours.shape == (100, 12, 700)
    for i, m in enumerate(theirs):
        np.testing.assert_array_equal(ours[:, i], m.toarray())
    assert ours[-1].sum() > 0 and sum(int((t >= MAX_TIME).sum()) for t in times) > 0


def test_float16_times_and_limit(tmp_path):
    times, units = random_events(5, seed=2, tmax=1.0)
    write_spiking(tmp_path / "shd" / "shd_test.h5", times, units, [1, 2, 3, 4, 5], time_dtype=np.float16)
    trains, labels = load_shd("test", data_dir=tmp_path, limit=2, steps=20)
    assert trains.shape == (20, 2, 700) and labels.tolist() == [1, 2]
    first = bin_spikes([np.asarray(times[0], np.float16)], [units[0]], steps=20)[:, 0]
    np.testing.assert_array_equal(trains[:, 0], first)


def test_ssc_splits_and_brian2_events(tmp_path):
    write_spiking(tmp_path / "ssc" / "ssc_valid.h5", TIMES, UNITS, [3, 4, 5])
    trains, labels = load_ssc("valid", data_dir=tmp_path, dt=0.1, duration=0.5)
    assert labels.tolist() == [3, 4, 5]
    # a binned sample [T, 700] is what encoders.brian replays: unit 42 at 3 * 0.1 s
    idx, t = to_spike_generator(trains[:, 1], 0.1)
    assert idx.tolist() == [42] and np.allclose(t, [0.3])
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'test'\), got 'valid'"):
        load_shd("valid", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"dataset must be one of \('shd', 'ssc'\)"):
        load_spiking("nmnist", "train", data_dir=tmp_path)


# --- where the files are ---------------------------------------------------------------

def test_search_order(tmp_path, isolated_data, monkeypatch):
    write_spiking(tmp_path / "env" / "shd_test.h5", TIMES[:1], UNITS[:1], [1])      # SPIKESYNTH_DATA itself
    write_spiking(tmp_path / "arg" / "shd" / "shd_test.h5", TIMES[1:2], UNITS[1:2], [2])
    write_spiking(cache_dir() / "shd" / "shd_train.h5", TIMES[:1], UNITS[:1], [3])
    monkeypatch.setenv("SPIKESYNTH_DATA", str(tmp_path / "env"))
    assert locate_spiking("shd", "test", tmp_path / "arg")[0] == "--data-dir"
    assert load_shd("test", data_dir=tmp_path / "arg")[1].tolist() == [2]
    assert locate_spiking("shd", "test")[0] == "SPIKESYNTH_DATA"
    assert locate_spiking("shd", "train")[0] == "user cache"
    assert load_shd("train")[1].tolist() == [3]


def test_missing_file_says_where_it_looked_and_where_to_get_it(tmp_path, isolated_data):
    with pytest.raises(FileNotFoundError) as info:
        load_shd("test", data_dir=tmp_path)
    msg = str(info.value)
    assert "shd_test.h5 not found" in msg and str(tmp_path / "shd") in msg and str(cache_dir() / "shd") in msg
    assert "https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/" in msg
    with pytest.raises(FileNotFoundError, match="data_dir"):
        load_shd("test", data_dir=tmp_path / "nowhere")


@pytest.mark.parametrize("times, units, labels, match", [
    ([[0.1, 0.2]], [[3, 700]], [0], r"sample 0: units must be in \[0, 699\], got 700 at spike 1"),
    ([[0.0], [0.2, -0.1]], [[1], [1, 2]], [0, 1], r"sample 1: spike times must be finite and >= 0 s, got -0.1"),
    ([[0.3, 0.2]], [[1, 2]], [0], r"sample 0: spike times must be sorted .* at spike 1"),
    ([[0.1, float("nan")]], [[1, 2]], [0], "spike times must be finite"),
    ([[0.1, 0.2]], [[1]], [0], "sample 0 has 2 spike times but 1 units"),
    ([[0.1], [0.2]], [[1], [2]], [0], "2 spike-time arrays, 2 unit arrays and 1 labels"),
])
def test_malformed_events(tmp_path, times, units, labels, match):
    path = write_spiking(tmp_path / "shd_test.h5", times, units, labels)
    with pytest.raises(ValueError, match=match):
        load_shd("test", data_dir=tmp_path)
    with pytest.raises(ValueError, match=str(path)):
        read_spiking(path)


def test_malformed_files(tmp_path):
    (tmp_path / "shd_test.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        load_shd("test", data_dir=tmp_path)
    with h5py.File(tmp_path / "shd_train.h5", "w") as f:
        f.create_dataset("labels", data=np.zeros(2, np.uint16))
    with pytest.raises(ValueError, match=r"not an SHD/SSC file, missing \['spikes/times', 'spikes/units'\]"):
        load_shd("train", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"limit must be None or an integer >= 0"):
        read_spiking(tmp_path / "shd_train.h5", limit=-1)


# --- spikesynth data info ----------------------------------------------------------------

def test_data_info_lists_shd_and_ssc(tmp_path, isolated_data, capsys):
    write_spiking(tmp_path / "shd" / "shd_test.h5", TIMES, UNITS, LABELS)
    assert cli.main(["data", "info", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"shd test                  3 samples from --data-dir: {tmp_path / 'shd' / 'shd_test.h5'}; every sample reads" \
        in out
    assert "shd train            NOT FOUND; get shd_train.h5 from https://zenkelab.org" in out
    assert "ssc valid            NOT FOUND" in out
    assert cli.main(["data", "info", "--data-dir", str(tmp_path), "--quick", "--json"]) == 0
    report = {e["dataset"]: e for e in json.loads(capsys.readouterr().out)}
    assert report["shd"]["found"] and report["shd"]["splits"]["test"]["count"] == 3
    assert "status" not in report["shd"]["splits"]["test"] and not report["ssc"]["found"]
    write_spiking(tmp_path / "ssc" / "ssc_train.h5", [[0.2, 0.1]], [[1, 1]], [0])
    assert cli.main(["data", "info", "--data-dir", str(tmp_path)]) == 1
    assert "ERROR:" in capsys.readouterr().out
    ssc = next(e for e in dataset_report(tmp_path) if e["dataset"] == "ssc")
    assert "sample 0: spike times must be sorted" in ssc["error"]


def test_bin_spikes_refuses_a_unit_out_of_range_instead_of_binning_it_elsewhere():
    for units, times in (([0, 700], [0.1, 0.2]), ([-1], [0.1]), ([3], [-0.5])):
        with pytest.raises(ValueError, match=r"sample 1, spike .*units must be in \[0, 699\]"):
            bin_spikes([np.array([0.1]), np.array(times)], [np.array([5]), np.array(units)], steps=10)

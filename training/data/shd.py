"""The Spiking Heidelberg Digits (SHD) and Spiking Speech Commands (SSC): HDF5 spike
events of 700 input units (Cramer et al. 2020), binned into spike trains ``[T, N, 700]``.

Each file (``shd_train.h5``, ``shd_test.h5``; ``ssc_train.h5``, ``ssc_valid.h5``,
``ssc_test.h5``) holds ``spikes/times`` (one float array of spike times in seconds per
sample, non-decreasing), ``spikes/units`` (the matching unit indices, 0-699) and
``labels`` (one integer per sample). They are looked for like every dataset here:
``--data-dir`` (Python: ``data_dir``), then ``$SPIKESYNTH_DATA``, each as ``<root>/shd/``
(``ssc/``) or ``<root>`` itself, then the user cache ``<cache>/shd/`` (``ssc/``). There
is no download: get the files from https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/
(h5py reads them; it is imported here only).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from encoders.checks import check_bool, check_choice, check_int, check_number, check_optional_int

from .search import cache_dir, user_roots

#: Input units of SHD and SSC (the artificial cochlea's channels).
N_UNITS = 700
#: spike-encoding's ``load_processed_shd`` bins every sample over this window, in seconds.
MAX_TIME = 1.36914
#: Its default number of bins (``n_timesteps``).
DEFAULT_STEPS = 100
#: The splits of each dataset.
SPIKING_DATASETS = {"shd": ("train", "test"), "ssc": ("train", "valid", "test")}
LATE = ("last", "drop")
URL = "https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/"


def _check_name_split(name: str, split: str) -> None:
    check_choice(name, "dataset", tuple(SPIKING_DATASETS))
    check_choice(split, "split", SPIKING_DATASETS[name])


def spiking_search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders searched for ``name`` (``shd`` or ``ssc``), in order, as ``(source, folder)``:
    each user root as ``<root>/<name>/`` and ``<root>``, then ``<cache_dir()>/<name>/``."""
    check_choice(name, "dataset", tuple(SPIKING_DATASETS))
    dirs = [(source, d) for source, root in user_roots(data_dir) for d in (root / name, root)]
    dirs.append(("user cache", cache_dir() / name))
    return dirs


def locate_spiking(name: str, split: str, data_dir: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """``(source, path)`` of the first ``<name>_<split>.h5`` in ``spiking_search_dirs`` order, or None."""
    _check_name_split(name, split)
    for source, directory in spiking_search_dirs(name, data_dir):
        path = directory / f"{name}_{split}.h5"
        if path.is_file():
            return source, path
    return None


def missing_spiking_message(name: str, split: str, data_dir: str | os.PathLike | None = None) -> str:
    """The error text for a split found nowhere: the file, where it looked, where to get it."""
    looked = "\n".join(f"    {source}: {d}" for source, d in spiking_search_dirs(name, data_dir))
    return (f"{name} {split}: {name}_{split}.h5 not found; searched\n{looked}\n"
            f"  Get the file from {URL} (unzip {name}_{split}.h5.gz), then point --data-dir (Python: "
            f"data_dir=...) or SPIKESYNTH_DATA at the folder holding {name}/, or copy it into "
            f"{cache_dir() / name}/. There is no automatic download.")


def read_spiking(path: str | os.PathLike, limit: int | None = None) -> tuple[list, list, np.ndarray]:
    """The events of an SHD/SSC file: ``(times, units, labels)``, one float64 array of
    spike times (s) and one int64 array of units per sample, and int64 labels ``[N]``
    (the first ``limit`` samples when given). ValueError naming the file and the sample
    for a file that is not HDF5 or lacks the layout, arrays of different lengths, a time
    that is negative, not finite or smaller than the one before, or a unit outside 0-699."""
    import h5py

    path = Path(path)
    limit = check_optional_int(limit, "limit", lo=0)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: not a readable HDF5 file ({exc})") from None
    with f:
        missing = [key for key in ("spikes/times", "spikes/units", "labels") if key not in f]
        if missing:
            raise ValueError(f"{path}: not an SHD/SSC file, missing {missing} (expected groups spikes/times, "
                             f"spikes/units and the dataset labels)")
        times_ds, units_ds, labels_ds = f["spikes/times"], f["spikes/units"], f["labels"]
        if not all(isinstance(d, h5py.Dataset) and d.ndim == 1 for d in (times_ds, units_ds, labels_ds)):
            raise ValueError(f"{path}: spikes/times, spikes/units and labels must be 1-D datasets (one entry per sample)")
        n = len(labels_ds)
        if len(times_ds) != n or len(units_ds) != n:
            raise ValueError(f"{path}: {len(times_ds)} spike-time arrays, {len(units_ds)} unit arrays and {n} labels; "
                             f"there must be one of each per sample")
        n = n if limit is None else min(n, limit)
        labels = np.asarray(labels_ds[:n])
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"{path}: labels must be integers, got dtype {labels.dtype}")
        times, units = [], []
        all_times, all_units = times_ds[:n], units_ds[:n]               # one read each (vlen: arrays of arrays)
        for i in range(n):
            t = np.asarray(all_times[i], dtype=np.float64).reshape(-1)
            u = np.asarray(all_units[i])
            if u.size and not np.issubdtype(u.dtype, np.integer):
                raise ValueError(f"{path}: sample {i}: units must be integers, got dtype {u.dtype}")
            u = u.astype(np.int64).reshape(-1)
            if t.size != u.size:
                raise ValueError(f"{path}: sample {i} has {t.size} spike times but {u.size} units")
            if t.size:
                if not np.isfinite(t).all() or t.min() < 0:
                    bad = int(np.flatnonzero(~np.isfinite(t) | (t < 0))[0])
                    raise ValueError(f"{path}: sample {i}: spike times must be finite and >= 0 s, got {t[bad]} "
                                     f"at spike {bad}")
                if (np.diff(t) < 0).any():
                    bad = int(np.flatnonzero(np.diff(t) < 0)[0]) + 1
                    raise ValueError(f"{path}: sample {i}: spike times must be sorted (non-decreasing), got "
                                     f"{t[bad]} after {t[bad - 1]} at spike {bad}")
                if u.min() < 0 or u.max() >= N_UNITS:
                    bad = int(np.flatnonzero((u < 0) | (u >= N_UNITS))[0])
                    raise ValueError(f"{path}: sample {i}: units must be in [0, {N_UNITS - 1}], got {u[bad]} "
                                     f"at spike {bad}")
            times.append(t)
            units.append(u)
    return times, units, labels.astype(np.int64)


def binning(dt: float | None = None, steps: int | None = None, duration: float = MAX_TIME) -> tuple[float, int]:
    """``(dt, steps)`` of a binning over ``[0, duration)`` seconds: from ``steps`` (``dt =
    duration / steps``, as spike-encoding computes it) or from ``dt`` (``steps =
    ceil(duration / dt)``, the last bin reaching past ``duration`` when it does not divide);
    neither: ``DEFAULT_STEPS`` bins. ValueError for both, or for values that are not positive."""
    duration = check_number(duration, "duration (s)", 0.0, lo_open=True)
    if dt is not None and steps is not None:
        raise ValueError("give dt or steps, not both (steps sets dt = duration / steps)")
    if dt is None:
        steps = DEFAULT_STEPS if steps is None else check_int(steps, "steps")
        return duration / steps, steps
    dt = check_number(dt, "dt (s)", 0.0, lo_open=True)
    return dt, max(1, math.ceil(duration / dt - 1e-9))


def bin_spikes(times: list, units: list, dt: float | None = None, steps: int | None = None,
               duration: float = MAX_TIME, counts: bool = False, late: str = "last") -> np.ndarray:
    """Spike events (per sample: times in seconds, units 0-699, as ``read_spiking`` gives
    them) binned into ``[steps, N, 700]``: spike at time t lands in bin ``floor(t / dt)``
    (see ``binning`` for dt and steps). counts: spike counts per bin (uint16) instead of
    0/1 trains (uint8). late: what a spike at or after ``steps * dt`` does: ``"last"`` puts
    it into the last bin, as spike-encoding's ``load_processed_shd`` does (so ``counts=True``
    gives its matrices), ``"drop"`` leaves it out. ValueError naming the sample and spike for a
    unit outside 0-699 or a time that is negative or not finite (``read_spiking`` names the file)."""
    dt, steps = binning(dt, steps, duration)
    check_bool(counts, "counts")
    check_choice(late, "late", LATE)
    if len(times) != len(units):
        raise ValueError(f"times and units must have one array per sample, got {len(times)} and {len(units)}")
    out = np.zeros((steps, len(times), N_UNITS), np.uint16 if counts else np.uint8)
    for i, (t, u) in enumerate(zip(times, units)):
        t, u = np.asarray(t, np.float64).reshape(-1), np.asarray(u).reshape(-1)
        if t.size != u.size or (u.size and not np.issubdtype(u.dtype, np.integer)):
            raise ValueError(f"sample {i}: {t.size} spike times and {u.size} units of dtype {u.dtype}; "
                             f"expected one integer unit per spike time")
        bad = np.flatnonzero((u < 0) | (u >= N_UNITS) | ~np.isfinite(t) | (t < 0))
        if bad.size:   # a unit out of range would land in the next bin's units: refused
            raise ValueError(f"sample {i}, spike {int(bad[0])}: unit {u[bad[0]]} at {t[bad[0]]} s; units must be in "
                             f"[0, {N_UNITS - 1}] and times finite and >= 0")
        bins = np.floor(t / dt).astype(np.int64)
        u = u.astype(np.int64)
        if late == "last":
            bins = np.minimum(bins, steps - 1)
        else:
            keep = bins < steps
            bins, u = bins[keep], u[keep]
        c = np.bincount(bins * N_UNITS + u, minlength=steps * N_UNITS).reshape(steps, N_UNITS)
        if counts and c.size and c.max() > np.iinfo(np.uint16).max:
            raise ValueError(f"sample {i}: more than 65535 spikes of one unit in one bin; use a smaller dt")
        out[:, i] = c if counts else (c > 0)
    return out


def load_spiking(name: str = "shd", split: str = "train", data_dir: str | os.PathLike | None = None,
                 dt: float | None = None, steps: int | None = None, duration: float = MAX_TIME,
                 counts: bool = False, late: str = "last", limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A split of SHD (``name="shd"``: train, test) or SSC (``"ssc"``: train, valid, test)
    as ``(trains, labels)``: ``[steps, N, 700]`` 0/1 uint8 spike trains (uint16 counts with
    ``counts=True``) and int64 labels ``[N]`` (the first ``limit`` samples when given).
    Binning: ``DEFAULT_STEPS`` = 100 bins over ``duration`` = ``MAX_TIME`` = 1.36914 s by
    default, spike-encoding's; or ``steps`` or ``dt`` (seconds); see ``bin_spikes`` for
    ``late``. FileNotFoundError listing where it looked when the file is nowhere; ValueError
    for a malformed one (see ``read_spiking``)."""
    _check_name_split(name, split)
    found = locate_spiking(name, split, data_dir)
    if found is None:
        raise FileNotFoundError(missing_spiking_message(name, split, data_dir))
    binning(dt, steps, duration)                                     # bad binning: an error before the read
    check_bool(counts, "counts")
    check_choice(late, "late", LATE)
    times, units, labels = read_spiking(found[1], limit)
    return bin_spikes(times, units, dt, steps, duration, counts, late), labels


def load_shd(split: str = "train", data_dir: str | os.PathLike | None = None, **kwargs):
    """``load_spiking("shd", split, data_dir, **kwargs)``: the Spiking Heidelberg Digits."""
    return load_spiking("shd", split, data_dir, **kwargs)


def load_ssc(split: str = "train", data_dir: str | os.PathLike | None = None, **kwargs):
    """``load_spiking("ssc", split, data_dir, **kwargs)``: the Spiking Speech Commands."""
    return load_spiking("ssc", split, data_dir, **kwargs)


def spiking_report(data_dir: str | os.PathLike | None = None, verify: bool = True) -> list[dict]:
    """``spikesynth data info`` entries for SHD and SSC, one per dataset: where each split's
    file is (``splits``: split -> ``{"path", "source", "count"}``), and with ``verify`` that
    every sample reads (``read_spiking``'s checks). Problems go into ``error``, not raised."""
    import h5py

    report = []
    for name, splits in SPIKING_DATASETS.items():
        entry = {"dataset": name, "found": False, "splits": {},
                 "searched": [f"{source}: {d}" for source, d in spiking_search_dirs(name, data_dir)]}
        for split in splits:
            found = locate_spiking(name, split, data_dir)
            if found is None:
                continue
            entry["found"] = True
            item = {"source": found[0], "path": str(found[1])}
            try:
                if verify:
                    item["count"] = len(read_spiking(found[1])[2])
                    item["status"] = "every sample reads"
                else:
                    with h5py.File(found[1], "r") as f:
                        item["count"] = len(f["labels"])
            except (OSError, KeyError, ValueError) as exc:
                entry.setdefault("error", f"{found[1]}: {exc}" if str(found[1]) not in str(exc) else str(exc))
            entry["splits"][split] = item
        report.append(entry)
    return report

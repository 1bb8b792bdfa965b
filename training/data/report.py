"""What ``spikesynth data info`` reports: where each dataset was found, counts, checksums, and
whether the loaders accept the files (their own checks: ``read_image_files``, ``read_wav`` and
``check_clip``; with ``verify=False`` only what the IDX headers show)."""

from __future__ import annotations

import os

from tqdm import tqdm

from ..defaults import IMAGE_DATASETS
from .catalog import checksum_status
from .fsdd import check_clip, fsdd_files, fsdd_split, locate_fsdd, read_wav
from .idx import SPLITS, idx_dims
from .images import SAMPLE_PATH, check_image_dims, load_sample, locate_images, read_image_files
from .search import search_dirs
from .shd import spiking_report


def dataset_report(data_dir: str | os.PathLike | None = None, verify: bool = True) -> list[dict]:
    """What ``spikesynth data info`` shows, as JSON-ready dicts: one per image dataset split,
    one for FSDD, one each for SHD and SSC (``splits``: where each split's file is and its sample
    count, see ``shd.spiking_report``) and one for the bundled MNIST sample (``mnist-sample``), each with where it
    was found (``source``, paths), counts, and (when ``verify``) the checksum status of each
    IDX file, or that every WAV reads. A split the loader would refuse (when ``verify``, every
    check of ``load_images`` and of the audio front end; otherwise what the IDX headers show:
    sizes and the image and label counts) gets an ``error`` field; nothing is raised."""
    report = []
    for name in IMAGE_DATASETS:
        for split in SPLITS:
            entry = {"dataset": name, "split": split, "found": False,
                     "searched": [f"{source}: {d}" for source, d in search_dirs(name, data_dir)]}
            found = locate_images(name, split, data_dir)
            if found is not None:
                entry.update(found=True, source=found.source, files=[])
                try:
                    dims = []
                    for path in (found.images, found.labels):
                        dims.append(idx_dims(path, 3 if "images" in path.name else 1))
                        item = {"path": str(path), "count": dims[-1][0]}
                        if verify:
                            item["status"], item["detail"] = checksum_status(name, path)
                        entry["files"].append(item)
                    entry["count"] = entry["files"][0]["count"]
                    check_image_dims(*dims, found)
                    if verify:
                        read_image_files(found)   # what load_images would refuse
                except ValueError as exc:
                    entry["error"] = str(exc)
            report.append(entry)
    report.append(_fsdd_report(data_dir, verify))
    report.extend(spiking_report(data_dir, verify))
    sample = {"dataset": "mnist-sample", "found": SAMPLE_PATH.is_file(), "source": "bundled", "path": str(SAMPLE_PATH)}
    if sample["found"]:
        try:
            sample["count"] = {split: len(load_sample(split)[1]) for split in SPLITS}
        except ValueError as exc:
            sample["error"] = str(exc)
    report.append(sample)
    return report


def _fsdd_report(data_dir, verify: bool) -> dict:
    entry = {"dataset": "fsdd", "found": False}
    found = locate_fsdd(data_dir)
    if found is None:
        return entry
    entry.update(found=True, source=found[0], directory=str(found[1]))
    try:
        entries = fsdd_files(data_dir)
        train, test = fsdd_split(entries, "standard")
        entry.update(count=len(entries), speakers=sorted({e[1] for e in entries}),
                     digits=sorted({e[0] for e in entries}), standard_split={"train": len(train), "test": len(test)})
        if verify:
            rates, bad = set(), []
            for e in tqdm(entries, desc="fsdd: reading WAVs", unit="file", leave=False):
                try:
                    audio, rate = read_wav(e[3])
                    check_clip(audio, rate, str(e[3]))   # what the audio front end refuses
                    rates.add(rate)
                except ValueError as exc:
                    bad.append(str(exc))
            if bad:
                more = f"; and {len(bad) - 3} more" if len(bad) > 3 else ""
                entry["error"] = f"{len(bad)} of {len(entries)} WAV files cannot be used: {'; '.join(bad[:3])}{more}"
            else:
                entry["status"], entry["detail"] = "readable", f"every WAV reads; sample rates {sorted(rates)} Hz"
    except ValueError as exc:
        entry["error"] = str(exc)
    return entry

"""``spikesynth data``: where the datasets are (``info``) and downloading them (``fetch``)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from training.defaults import IMAGE_DATASETS as FETCHABLE  # the image datasets have canonical downloads


def configure_data(parser: argparse.ArgumentParser) -> None:
    """Add the ``info`` and ``fetch`` actions, each with ``--data-dir``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    info = actions.add_parser("info", help="where each dataset was found, counts, checksums, whether it loads",
                              description="Show where each dataset was found, how many items it has, whether "
                                          "its files match the canonical checksums and whether the loaders accept "
                                          "them (exit status 1 if not).")
    info.add_argument("--data-dir", metavar="DIR",
                      help="folder holding mnist/, fashion-mnist/, fsdd/, shd/, ssc/ (searched before "
                           "$SPIKESYNTH_DATA, /usr/share/datasets/fashion-mnist and the user cache)")
    info.add_argument("--quick", action="store_true",
                      help="only locate the files and check their headers (sizes, image and label counts); "
                           "skip checksums, full reads, WAV and HDF5 reads")
    info.add_argument("--json", action="store_true", help="print the report as JSON")
    fetch = actions.add_parser("fetch", help="download and verify MNIST / Fashion-MNIST",
                               description="Download the canonical .gz files, verify their MD5 and save them in "
                                           "the user cache (or in DIR/<name>/ with --data-dir).")
    fetch.add_argument("names", nargs="*", metavar="NAME", default=list(FETCHABLE),
                       help=f"datasets to fetch: {', '.join(FETCHABLE)} (default: both)")
    fetch.add_argument("--data-dir", metavar="DIR",
                       help="download into DIR/<name>/ instead of the user cache (DIR is also searched first "
                            "for a copy that is already there)")
    fetch.add_argument("--force", action="store_true",
                       help="download even when the dataset is already available somewhere")
    fetch.add_argument("--timeout", type=float, default=30.0, metavar="S", help="network timeout in seconds")
    parser.set_defaults(data_parser=parser)


def run_data(args: argparse.Namespace) -> int:
    """Run ``spikesynth data info`` or ``spikesynth data fetch``; returns the exit code."""
    if args.action == "info":
        return _info(args)
    if args.action == "fetch":
        return _fetch(args)
    args.data_parser.print_help()
    return 2


def _info(args) -> int:
    from training.data.report import dataset_report
    from training.data import cache_dir
    report = dataset_report(args.data_dir, verify=not args.quick)
    if args.json:
        print(json.dumps(report, indent=2))
        return 1 if any("error" in e for e in report) else 0
    order = []
    if args.data_dir:
        order.append(f"--data-dir {args.data_dir}")
    order.append(f"$SPIKESYNTH_DATA ({os.environ.get('SPIKESYNTH_DATA') or 'not set'})")
    order += ["/usr/share/datasets/fashion-mnist (Fashion-MNIST)", f"user cache {cache_dir()}"]
    print("Search order: " + ", then ".join(order) + "\n")
    for e in report:
        label = f"{e['dataset']} {e.get('split', '')}".strip()
        if e["dataset"] in ("shd", "ssc"):
            _print_spiking(e)
            continue
        if not e["found"]:
            hint = {"fsdd": "get the FSDD release archive (https://github.com/Jakobovski/free-spoken-digit-dataset) "
                            "and point --data-dir or SPIKESYNTH_DATA at it",
                    "mnist-sample": "rebuild it with python scripts/make_sample.py"
                    }.get(e["dataset"], f"get it with spikesynth data fetch {e['dataset']}, or point --data-dir or "
                                        f"SPIKESYNTH_DATA at a copy")
            print(f"{label:20s} NOT FOUND; {hint}")
            continue
        if e["dataset"] == "mnist-sample":
            counts = " + ".join(f"{n} {split}" for split, n in e.get("count", {}).items())
            print(f"{label:20s} {counts} images, bundled: {e['path']}")
        elif e["dataset"] == "fsdd":
            counts = (f"{e['count']} clips, {len(e['speakers'])} speakers, digits {e['digits'][0]}-{e['digits'][-1]}, "
                      f"standard split {e['standard_split']['train']}/{e['standard_split']['test']}"
                      if "count" in e else "")
            print(f"{label:20s} {counts} from {e['source']}: {e['directory']}")
            if "status" in e:
                print(f"    {e['status']}: {e['detail']}")
        else:
            count = f"{e['count']:6d} images" if "count" in e else ""
            print(f"{label:20s} {count} from {e['source']}: {Path(e['files'][0]['path']).parent if e['files'] else ''}")
            for f in e["files"]:
                status = f"{f['status']} ({f['detail']})" if "status" in f else "checksum not checked (--quick)"
                print(f"    {Path(f['path']).name:28s} {status}")
        if "error" in e:
            print(f"    ERROR: {e['error']}")
    return 1 if any("error" in e for e in report) else 0


def _print_spiking(e: dict) -> None:
    """The ``data info`` lines of SHD or SSC: one per split, found or not."""
    from training.data.shd import SPIKING_DATASETS

    name = e["dataset"]
    for split in SPIKING_DATASETS[name]:
        label = f"{name} {split}"
        item = e["splits"].get(split)
        if item is None:
            print(f"{label:20s} NOT FOUND; get {name}_{split}.h5 from "
                  f"https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/ and point --data-dir or "
                  f"SPIKESYNTH_DATA at the folder holding {name}/")
            continue
        count = f"{item['count']:6d} samples" if "count" in item else ""
        status = f"; {item['status']}" if "status" in item else ""
        print(f"{label:20s} {count} from {item['source']}: {item['path']}{status}")
    if "error" in e:
        print(f"    ERROR: {e['error']}")


def _fetch(args) -> int:
    from training.data.catalog import fetch
    from training.data import SPLITS, cache_dir, locate_images, missing_message
    bad = [n for n in args.names if n not in FETCHABLE]
    if bad:
        raise ValueError(f"cannot fetch {bad}: NAME must be one of {FETCHABLE} (FSDD: download the release archive "
                         f"from https://github.com/Jakobovski/free-spoken-digit-dataset and point --data-dir at it)")
    for name in dict.fromkeys(args.names):
        if args.data_dir:
            root = Path(args.data_dir).expanduser()
            dest = root if root.name == name else root / name
        else:
            dest = cache_dir() / name
        for split in SPLITS:
            found = locate_images(name, split, args.data_dir)
            if found is not None and not args.force:
                print(f"{name} {split}: already available from {found.source} ({found.images.parent}); "
                      f"not downloaded (--force downloads into {dest})")
                continue
            paths = fetch(name, splits=(split,), dest=dest, timeout=args.timeout, force=args.force,
                          missing_hint=missing_message(name, split, args.data_dir))
            print(f"{name} {split}: {', '.join(p.name for p in paths)} verified in {dest}")
    return 0

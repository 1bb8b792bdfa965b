"""Datasets: MNIST and Fashion-MNIST (IDX files), the bundled MNIST sample, the Free Spoken
Digit Dataset, the Spiking Heidelberg Digits and Spiking Speech Commands (HDF5 spike
events); where they are looked for, their canonical checksums and downloads.

``from training.data import load_images, load_fsdd, load_sample`` is the public entry.
"""

from .fsdd import FSDD_SPLITS, Clip, check_clip, fsdd_files, fsdd_split, load_fsdd, locate_fsdd, read_wav
from .idx import SPLITS, idx_dims, idx_filenames, parse_idx, read_file_bytes, read_idx
from .images import SAMPLE_PATH, ImageFiles, load_images, load_sample, locate_images, missing_message
from .search import DEBIAN_FASHION_MNIST, cache_dir, search_dirs, user_roots
from .shd import (SPIKING_DATASETS, bin_spikes, load_shd, load_spiking, load_ssc, locate_spiking, read_spiking,
                  spiking_search_dirs)

__all__ = ["FSDD_SPLITS", "Clip", "check_clip", "fsdd_files", "fsdd_split", "load_fsdd", "locate_fsdd", "read_wav", "SPLITS",
           "idx_dims", "idx_filenames", "parse_idx", "read_file_bytes", "read_idx", "SAMPLE_PATH", "ImageFiles",
           "load_images", "load_sample", "locate_images", "missing_message", "DEBIAN_FASHION_MNIST", "cache_dir",
           "search_dirs", "user_roots", "SPIKING_DATASETS", "bin_spikes", "load_shd", "load_spiking", "load_ssc",
           "locate_spiking", "read_spiking", "spiking_search_dirs"]

"""Files and caches: atomic writes, output folders, the user cache folder, stable cache keys.

Apart from the model files (``models.io``): every layer above writes outputs and caches
through these helpers.

Output folders (``spikesynth train --out``, ``train audiocoder --out-dir``): ``check_output_dir``
tests before any work that the folder can be created and written and that no target file is
a folder; ``output_folder`` also holds a lock on the folder for the run (a second run into
it fails at once) and removes the temporary files that a killed write left there;
``unfinished`` marks a folder incomplete (the file ``INCOMPLETE``) while a group of files
that belong together is written, so a kill between two renames leaves a folder that every
reader (``check_complete``, called by ``models.io.load_model``) refuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

from filelock import FileLock, Timeout

#: The file formats a plot path may name (matplotlib writes each one from the suffix).
PLOT_FORMATS = ("png", "pdf", "svg")
#: Present in an output folder while a group of files is being written into it.
INCOMPLETE = "INCOMPLETE"
#: The lock file of an output folder (held while a run writes into it).
LOCK_FILE = ".spikesynth.lock"
# atomic_path's temporary files: .<name>.<pid>.<random>.tmp
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")


def current_umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux
    ``/proc/self/status``), so that no other thread ever creates a file under a umask of 0;
    elsewhere set and restored at once."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o077)   # the fallback: briefly the strictest usual mask, never 0
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path`` (``.<name>.<pid>.<random>.tmp``, with the
    permissions ``open()`` would give under the umask); on success it replaces ``path`` in
    one rename, on error it is removed and ``path`` is left untouched. A killed process
    leaves its temporary file; ``remove_stale_temps`` removes it later."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; give the file the permissions open() would
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike, *chunks) -> Path:
    """Write ``chunks`` (bytes-like, in order) to ``path`` atomically (``atomic_path``),
    flushed to the disk before the rename; the file gets the umask's permissions."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes_atomic(path, text.encode())


# --- output folders ---------------------------------------------------------------

def check_output_dir(folder: str | os.PathLike, files=(), what: str = "output folder") -> Path:
    """Check an output folder before any work: it is created if missing and must take a new
    file (a probe is created and removed), and none of ``files`` (names inside it) may be a
    folder. Returns it as a Path; ValueError naming ``what`` and the path otherwise."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what} {folder}: is an existing file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".spikesynth-probe.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{what} {folder}: cannot write there ({exc.strerror or exc})") from None
    for name in files:
        if (folder / name).is_dir():
            raise ValueError(f"{what} {folder}: {name} there is a folder, so the file {name} cannot be written")
    return folder


def check_output_file(path: str | os.PathLike, what: str = "output file", formats=None) -> Path:
    """Check an output file's path before any work: its suffix is one of ``formats`` (when
    given, e.g. ``PLOT_FORMATS``), it is not a folder and its folder can be written
    (``check_output_dir``). Returns it as a Path; ValueError naming ``what`` otherwise."""
    path = Path(path)
    if formats is not None and path.suffix.lstrip(".").lower() not in formats:
        raise ValueError(f"{what} {path}: the file name must end in "
                         f"{', '.join('.' + f for f in formats)} (the format is taken from it)")
    if path.is_dir():
        raise ValueError(f"{what} {path}: is a folder, not a file")
    check_output_dir(path.parent, what=f"{what} {path}: folder")
    return path


def check_not_input(path: str | os.PathLike, inputs, what: str = "--out") -> Path:
    """ValueError unless the output file ``path`` is none of the ``inputs`` (the same file after
    resolving links, or the same inode): writing it would destroy what the command reads."""
    path = Path(path)
    for source in inputs:
        source = Path(source)
        same = path.resolve() == source.resolve()
        if not same and path.exists() and source.exists():
            same = os.path.samefile(path, source)
        if same:
            raise ValueError(f"{what} {path}: is the input {source}, which writing it would destroy; choose another "
                             f"output path")
    return path


def check_folder_not_in_use(path: str | os.PathLike, what: str = "--out") -> None:
    """ValueError if the folder of the output file ``path`` is held by a running spikesynth run
    (its ``LOCK_FILE`` is locked: a training writing its model there). Creates no lock file."""
    lock_path = Path(path).parent / LOCK_FILE
    if not lock_path.exists():
        return
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ValueError(f"{what} {path}: another spikesynth run is writing into {lock_path.parent} (it holds "
                         f"{lock_path}); wait for it to finish or choose another folder") from None
    lock.release()


def check_model_output(path: str | os.PathLike, inputs=(), what: str = "--out", formats=("safetensors",)) -> Path:
    """A model-like output file checked before any work: ``check_output_file`` (suffix one of
    ``formats``), not one of the ``inputs`` (``check_not_input``) and not in a folder a running
    training holds (``check_folder_not_in_use``)."""
    path = check_output_file(path, what, formats)
    check_not_input(path, inputs, what)
    check_folder_not_in_use(path, what)
    return path


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process
        return True
    return True


def remove_stale_temps(folder: str | os.PathLike, legacy_age_s: float = 3600.0) -> list[Path]:
    """Remove the temporary files (``.<name>.*.tmp``) that killed ``atomic_path`` writes left in
    ``folder``: those of processes that no longer run on this machine, and those without a
    process id (written by earlier versions) once older than ``legacy_age_s`` seconds.
    Returns the paths removed."""
    removed, now = [], time.time()
    for path in Path(folder).glob(".*.tmp"):
        match = _TEMP.match(path.name)
        try:
            if match and _alive(int(match["pid"])) or not match and now - path.stat().st_mtime < legacy_age_s:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


@contextlib.contextmanager
def output_folder(folder: str | os.PathLike, files=(), what: str = "output folder"):
    """For one run writing into ``folder``: check it (``check_output_dir``), hold its lock
    (``LOCK_FILE``; ValueError at once if another run holds it) and remove stale temporary
    files; yields the folder as a Path."""
    folder = check_output_dir(folder, files, what)
    lock = FileLock(folder / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ValueError(f"{what} {folder}: another spikesynth run is writing there (it holds "
                         f"{folder / LOCK_FILE}); wait for it to finish or choose another folder") from None
    try:
        remove_stale_temps(folder)
        yield folder
    finally:
        lock.release()


@contextlib.contextmanager
def unfinished(folder: str | os.PathLike, what: str):
    """Mark ``folder`` incomplete while the files of one result are written into it: the file
    ``INCOMPLETE`` (saying ``what`` was being written) is created first and removed last, on
    success only; a write that fails or is killed leaves it, and ``check_complete`` refuses
    the folder's files until a rerun completes it."""
    marker = Path(folder) / INCOMPLETE
    write_text_atomic(marker, f"{what}: started {time.strftime('%Y-%m-%d %H:%M:%S')} by process {os.getpid()} "
                              f"and not finished, so the files here may come from different runs.\n")
    yield
    marker.unlink()


def check_complete(path: str | os.PathLike) -> None:
    """ValueError unless the folder of ``path`` is complete (holds no ``INCOMPLETE`` marker)."""
    marker = Path(path).parent / INCOMPLETE
    if marker.exists():
        try:
            said = marker.read_text().split(":", 1)[0].strip()
        except (OSError, UnicodeDecodeError):
            said = "a run"
        raise ValueError(f"{path}: its folder is incomplete ({said} was interrupted there; see {marker}), so its "
                         f"files may come from different runs: rerun that command to complete it (training: with "
                         f"--resume when a checkpoint is left)")


# --- caches -----------------------------------------------------------------------

def cache_root() -> Path:
    """The user cache of every spikesynth cache (datasets, features, models, Brian2 builds):
    ``$SPIKESYNTH_CACHE``, else ``$XDG_CACHE_HOME/spikesynth``, else ``~/.cache/spikesynth``."""
    if os.environ.get("SPIKESYNTH_CACHE"):
        return Path(os.environ["SPIKESYNTH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spikesynth"


def settings_key(settings: dict) -> str:
    """A short stable hash (16 hex digits) of JSON-able settings, for cache file names."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def file_key(path: str | os.PathLike) -> str:
    """A short stable hash (16 hex digits) of a file's bytes: a cache key that follows
    what a file holds, not where it lies (model files are byte-reproducible, ``models.io``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]
